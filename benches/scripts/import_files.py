#!/usr/bin/env python3
"""Writes the generated files of docs/BENCHMARKS.md sections 6 and 7 (not committed: tens of MB).

    import_files.py payments ACCOUNTS PER_ACCOUNT DIR [--interleaved]
        debtors, accounts (USD trade credit opened 2025-01-01), one 100,000.00 invoice each,
        and PER_ACCOUNT payments of 1.00 per account (each account's rows together, or with
        --interleaved each day's payment of every account, then the next day's).
    import_files.py portfolio ACCOUNTS DIR
        debtors and accounts (one in four EUR, the rest USD), one invoice each, due on days
        spread over 540 days from 2025-06-01, for the list figures.

Then: arrears --db DIR/books.redb init, and arrears import debtors|accounts|obligations|postings.
"""
import datetime
import os
import sys


def write_parties(out, n, currency):
    with open(f"{out}/debtors.csv", "w") as f:
        f.write("external_id,kind,name,country,time_zones,language\n")
        for i in range(n):
            f.write(f"D{i},business,Debtor {i},US,America/New_York,en\n")
    with open(f"{out}/accounts.csv", "w") as f:
        f.write("external_id,debtor,product,currency,opened_on\n")
        for i in range(n):
            f.write(f"A{i},D{i},trade_credit,{currency(i)},2025-01-01\n")


def payments(n, per, out, interleaved):
    write_parties(out, n, lambda i: "USD")
    with open(f"{out}/obligations.csv", "w") as f:
        f.write("external_id,account,kind,issued_on,due_on,principal\n")
        for i in range(n):
            f.write(f"I{i},A{i},invoice,2025-01-15,2025-02-15,100000.00\n")
    start = datetime.date(2025, 3, 1)
    order = ((i, j) for j in range(per) for i in range(n)) if interleaved else (
        (i, j) for i in range(n) for j in range(per))
    with open(f"{out}/postings.csv", "w") as f:
        f.write("key,account,type,effective_on,amount\n")
        for i, j in order:
            day = start + datetime.timedelta(days=j)
            f.write(f"P{i}-{j},A{i},payment,{day.isoformat()},1.00\n")


def portfolio(n, out):
    write_parties(out, n, lambda i: "USD" if i % 4 else "EUR")
    base = datetime.date(2025, 6, 1)
    with open(f"{out}/obligations.csv", "w") as f:
        f.write("external_id,account,kind,issued_on,due_on,principal\n")
        for i in range(n):
            due = base + datetime.timedelta(days=(i * 37) % 540)
            f.write(f"I{i},A{i},invoice,2025-01-15,{due.isoformat()},{100 + (i * 13) % 5000}.00\n")


def main(args):
    if len(args) >= 4 and args[0] == "payments":
        os.makedirs(args[3], exist_ok=True)
        payments(int(args[1]), int(args[2]), args[3], "--interleaved" in args[4:])
    elif len(args) == 3 and args[0] == "portfolio":
        os.makedirs(args[2], exist_ok=True)
        portfolio(int(args[1]), args[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
