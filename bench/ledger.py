"""Ledger throughput and verification time, on PostgreSQL.

1. Commits per second with 8 threads (each its own connection), all on one fund, then
   spread over 20 funds; the baseline is the same threads doing the smallest locked
   write (SELECT … FOR UPDATE of one row + one INSERT) on the same database.
2. Time to verify 100,000 transactions with `verify_ledger()`; the baseline is reading
   the same rows (transactions and legs) without checking anything.
"""

import datetime
import os
import random
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")
os.environ.setdefault("TEST_DATABASE_NAME", "bench_fonds_quartiers")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

THREADS = 8
SECONDS = float(os.environ.get("BENCH_SECONDS", "6"))
VERIFY_TRANSACTIONS = int(os.environ.get("BENCH_VERIFY_TRANSACTIONS", "100000"))


def setup_funds(count, tag):
    from accounts.models import User
    from fonds.ledger import ledger_credit
    from fonds.models import Initiative
    from fonds.services import fund_create, quartier_create

    today = datetime.date.today()
    author = User.objects.create_user(email=f"bench-{tag}@example.org", password="x" * 12)
    funds = []
    for n in range(count):
        quartier = quartier_create(actor=None, name=f"Bench {tag} {n}")
        fund = fund_create(
            actor=None,
            quartier=quartier,
            label="Bench",
            period_start=today,
            period_end=today,
            submissions_open_on=today,
            submissions_close_on=today,
            max_grant=Decimal("1000000"),
        )
        ledger_credit(actor=None, fund=fund, amount="900000", idempotency_key=f"b-{fund.pk}")
        initiative = Initiative.objects.create(
            fund=fund,
            author=author,
            carrier_name="B",
            title="B",
            status="admissible",
            requested_amount=Decimal("10"),
        )
        funds.append((fund, initiative))
    return funds


def run_threads(work):
    stop = time.perf_counter() + SECONDS
    counts = [0] * THREADS

    def worker(index):
        rng = random.Random(index)
        try:
            while time.perf_counter() < stop:
                work(index, rng)
                counts[index] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.perf_counter() - start)


def baseline_write():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_lock (id int PRIMARY KEY, n bigint)")
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_rows (id bigserial, v text)")
        cursor.execute("INSERT INTO bench_lock VALUES (1, 0) ON CONFLICT DO NOTHING")

    def work(index, rng):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT n FROM bench_lock WHERE id = 1 FOR UPDATE")
            cursor.execute("INSERT INTO bench_rows (v) VALUES (%s)", [str(rng.random())])
            cursor.execute("UPDATE bench_lock SET n = n + 1 WHERE id = 1")

    return run_threads(work)


def commits(funds):
    from fonds.ledger import ledger_commit

    sequence = iter(range(10**9))
    lock = threading.Lock()

    def work(index, rng):
        fund, initiative = rng.choice(funds)
        with lock:
            n = next(sequence)
        ledger_commit(
            actor=None,
            initiative=initiative,
            amount="1.00",
            decision_reference=f"BENCH-{len(funds)}-{n}",
            idempotency_key=f"c-{len(funds)}-{n}",
        )

    return run_threads(work)


def build_chain(total):
    """A valid ledger of ``total`` transactions (credits, commits, disbursements), written
    in bulk with the same hashing as the service, to time the verification."""
    from fonds.ledger import GENESIS, available_account, budget_account, chain_hash, paid_account
    from fonds.models import Grant, LedgerAccount, LedgerLeg, LedgerTransaction

    funds = setup_funds(1, "verify")
    fund, initiative = funds[0]
    budget, available, paid = budget_account(), available_account(fund), paid_account(fund)
    grant = Grant.objects.create(initiative=initiative, fund=fund, decision_reference="BENCH-V")
    committed = LedgerAccount.objects.create(kind="grant_committed", grant=grant)
    balances = {a.pk: a.balance for a in (budget, available, paid, committed)}
    running, sequence = available.head_hash, available.head_sequence
    moves = [
        ("credit", budget, available),
        ("commit", available, committed),
        ("disburse", committed, paid),
    ]
    now = datetime.datetime.now(datetime.UTC)
    batch_tx, batch_legs = [], []
    for n in range(total):
        kind, source, target = moves[n % 3]
        sequence += 1
        amount = Decimal("1.00")
        tx = LedgerTransaction(
            fund=fund,
            sequence=sequence,
            kind=kind,
            amount=amount,
            grant=grant if kind != "credit" else None,
            reference="",
            memo="bench",
            idempotency_key=f"v-{n}",
            created_at=now,
            previous_hash=running,
        )
        legs = [LedgerLeg(account=source, amount=-amount), LedgerLeg(account=target, amount=amount)]
        tx.hash = running = chain_hash(running, tx, legs)
        balances[source.pk] -= amount
        balances[target.pk] += amount
        batch_tx.append(tx)
        batch_legs.append(legs)
        if len(batch_tx) == 5000 or n == total - 1:
            with transaction.atomic():
                LedgerTransaction.objects.bulk_create(batch_tx)
                for tx, legs in zip(batch_tx, batch_legs, strict=True):
                    for leg in legs:
                        leg.transaction = tx
                LedgerLeg.objects.bulk_create([leg for legs in batch_legs for leg in legs])
            batch_tx, batch_legs = [], []
    for account in (budget, available, paid, committed):
        LedgerAccount.objects.filter(pk=account.pk).update(balance=balances[account.pk])
    LedgerAccount.objects.filter(pk=available.pk).update(head_sequence=sequence, head_hash=running)
    assert GENESIS


def main():
    if connection.vendor != "postgresql":
        print("bench/ledger.py needs PostgreSQL (DATABASE_URL or the local server).")
        return
    old_name = connection.creation.create_test_db(verbosity=0, keepdb=False)
    try:
        from fonds.models import LedgerLeg, LedgerTransaction
        from fonds.verify import verify_ledger

        baseline = baseline_write()
        one = commits(setup_funds(1, "one"))
        twenty = commits(setup_funds(20, "twenty"))
        print(f"{THREADS} threads, {SECONDS:.0f} s each run")
        print(f"baseline locked write:    {baseline:8.0f} /s")
        print(f"ledger commits, 1 fund:   {one:8.0f} /s  ({one / baseline:.2f}× baseline)")
        print(f"ledger commits, 20 funds: {twenty:8.0f} /s  ({twenty / baseline:.2f}× baseline)")

        start = time.perf_counter()
        build_chain(VERIFY_TRANSACTIONS)
        built = time.perf_counter() - start
        total = LedgerTransaction.objects.count()
        start = time.perf_counter()
        rows = sum(1 for _ in LedgerTransaction.objects.values_list("pk", "hash").iterator(5000))
        rows += sum(1 for _ in LedgerLeg.objects.values_list("pk", "amount").iterator(5000))
        read = time.perf_counter() - start
        start = time.perf_counter()
        report = verify_ledger()
        verify = time.perf_counter() - start
        assert report.ok, report.error
        print(f"chain of {total} transactions built in {built:.1f} s")
        print(f"baseline read of every row:     {read:6.2f} s")
        print(
            f"ledger verify ({report.transactions} replayed): {verify:6.2f} s  "
            f"({verify / read:.1f}× baseline, {report.transactions / verify:,.0f} tx/s)"
        )
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
