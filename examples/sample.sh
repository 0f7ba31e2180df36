#!/usr/bin/env bash
# The main job until `arrears demo` lands: build the CLI, import the sample portfolio of
# examples/data into a fresh store, show one account with its ledger, age the portfolio and
# verify the books. Run from anywhere; the store goes to target/sample/arrears.redb.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet -p arrears-cli
arrears=target/debug/arrears
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
# Cash application (docs/CASH.md): a bank statement matched, posted and held in suspense; a
# held line applied by hand; a return reversing a payment.
run bank import examples/data/statement.sta
run bank unmatched
run bank match FNB-1119-0004 --account TC-8003
run bank import examples/data/statement-return.sta
run verify
