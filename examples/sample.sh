#!/usr/bin/env bash
# The main job until `arrears demo` lands: build the CLI, import the sample portfolio of
# examples/data into a fresh store, show one account with its ledger, age the portfolio and
# verify the books. Run from anywhere; the store goes to target/sample/arrears.redb (the binary
# is looked for where cargo builds it: $CARGO_TARGET_DIR if set, else target/).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet -p arrears-cli
arrears="${CARGO_TARGET_DIR:-target}/debug/arrears"
store=target/sample/arrears.redb
mkdir -p "$(dirname "$store")"
rm -f "$store"

run() {
    printf '\n$ arrears %s\n' "$*"
    "$arrears" --db "$store" --recorded-at 2026-11-20T12:00:00Z "$@"
}

run init
for kind in debtors accounts obligations postings; do
    run import "$kind" "examples/data/$kind.csv"
done
run show account CC-7001 --as-of 2026-11-20
run report aging --as-of 2026-11-20
# Cash application, docs/CASH.md "Worked example" (a test replays the same commands): a payer
# account registered and the rules stored; a bank statement matched, posted and held in
# suspense; a line paid from the registered account; a held line applied by hand; a return
# reversing a payment; the match rate and suspense aging.
run bank payer add "DE89 3704 0044 0532 0130 00" --debtor B-2003 --key SN-IBAN-1
run bank rules set examples/data/bank-rules.toml --key RULES-1
run bank import examples/data/statement.sta
run bank import examples/data/statement-iban.sta
run bank unmatched
run bank match FNB-1119-0004 --account TC-8003
run bank import examples/data/statement-return.sta
run bank report --as-of 2026-11-20
run verify
