"""Ledger verification time and throughput, on PostgreSQL.

1. Time to verify 100,000 transactions with `verify_ledger()`, cross-checks included
   (audit log, signed minutes, grants, decisions): a chain built in bulk with a grant,
   a published decision and the audit rows for each COMMIT. The baseline is reading the
   same rows (transactions, legs and audit rows) without checking anything; the replay
   of the chains and balances alone is shown too.
2. Commits per second with 8 threads (each its own connection), all on one fund, then
   spread over 20 funds; the baseline is the same threads doing the smallest locked
   write (SELECT … FOR UPDATE of one row + one INSERT) on the same database.
"""

import datetime
import os
import random
import sys
import threading
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.test")
os.environ.setdefault("TEST_DATABASE_NAME", "bench_fonds_quartiers")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import F  # noqa: E402

from accounts.system import system_actor  # noqa: E402

# The benchmark sets up its funds and postings as the system, like a command.
SYSTEM = system_actor("bench")

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
        quartier = quartier_create(actor=SYSTEM, name=f"Bench {tag} {n}")
        fund = fund_create(
            actor=SYSTEM,
            quartier=quartier,
            label="Bench",
            period_start=today,
            period_end=today,
            submissions_open_on=today,
            submissions_close_on=today,
            max_grant=Decimal("1000000"),
        )
        ledger_credit(actor=SYSTEM, fund=fund, amount="900000", idempotency_key=f"b-{fund.pk}")
        initiative = Initiative.objects.create(
            fund=fund,
            author=author,
            carrier_name="B",
            title="B",
            status="admissible",
            requested_amount=Decimal("1000000"),
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
            actor=SYSTEM,
            initiative=initiative,
            amount="1.00",
            decision_reference=f"BENCH-{len(funds)}-{n}",
            idempotency_key=f"c-{len(funds)}-{n}",
        )

    return run_threads(work)


GRANTS_PER_SESSION = 100


def _bulk(model, rows):
    return model.objects.bulk_create(rows, batch_size=5000)


def _grants_with_decisions(fund, author, count):
    """``count`` granted initiatives of ``fund``, each with its grant, its committed
    account and a published decision on a signed session's agenda, as the council's
    services leave them; sessions of ``GRANTS_PER_SESSION`` items."""
    from fonds.models import Grant, Initiative, LedgerAccount
    from votes.models import AgendaItem, Council, Decision, Session

    now = datetime.datetime.now(datetime.UTC)
    initiatives = _bulk(
        Initiative,
        [
            Initiative(
                fund=fund,
                author=author,
                carrier_name="B",
                title=f"B{n}",
                status="granted",
                requested_amount=Decimal("1.00"),
            )
            for n in range(count)
        ],
    )
    references = [f"BENCH-V-{n:06d}" for n in range(count)]
    grants = _bulk(
        Grant,
        [
            Grant(initiative=initiative, fund=fund, decision_reference=reference)
            for initiative, reference in zip(initiatives, references, strict=True)
        ],
    )
    accounts = _bulk(
        LedgerAccount, [LedgerAccount(kind="grant_committed", grant=g) for g in grants]
    )
    council = Council.objects.create(quartier=fund.quartier, name="Bench")
    sessions = _bulk(
        Session,
        [
            Session(council=council, starts_at=now, place="B", status="closed")
            for _ in range(0, count, GRANTS_PER_SESSION)
        ],
    )
    items = _bulk(
        AgendaItem,
        [
            AgendaItem(
                session=sessions[n // GRANTS_PER_SESSION],
                initiative=initiative,
                position=n % GRANTS_PER_SESSION + 1,
            )
            for n, initiative in enumerate(initiatives)
        ],
    )
    decisions = _bulk(
        Decision,
        [
            Decision(
                item=item,
                reference=reference,
                outcome="granted",
                amount=Decimal("1.00"),
                rule_applied="bench",
                recorded_by=author,
                published_at=now,
                published_by=author,
            )
            for item, reference in zip(items, references, strict=True)
        ],
    )
    return list(zip(grants, accounts, decisions, strict=True)), sessions


def _audit_rows(pairs):
    """The audit rows the services write with these rows: (action, target, data)."""
    from accounts.models import AuditEntry

    _bulk(
        AuditEntry,
        [
            AuditEntry(
                action=action,
                target_type=target._meta.label_lower,
                target_id=str(target.pk),
                data=data | {"system": "bench"},
            )
            for action, target, data in pairs
        ],
    )


def build_chain(total):
    """A valid ledger of ``total`` transactions in one fund, as years of a commune leave
    it: credits, and for each grant its published decision, its COMMIT and its payment;
    sessions whose signed minutes carry the head hash; the audit rows of every posting,
    publication and signature. Written in bulk with the same hashing as the services, to
    time the verification with its cross-checks: as the database's owner, its triggers
    asleep (as a restore writes), so the cached balances and head are set at the end."""
    from fonds.ledger import available_account, budget_account, chain_hash, paid_account
    from fonds.models import LedgerAccount, LedgerLeg, LedgerTransaction

    fund, initiative = setup_funds(1, "verify")[0]
    budget, available, paid = budget_account(), available_account(fund), paid_account(fund)
    now = datetime.datetime.now(datetime.UTC)
    amount = Decimal("1.00")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        # One grant per COMMIT: the second of every three transactions.
        count = len(range(1, total, 3))
        grants, sessions = _grants_with_decisions(fund, initiative.author, count)
        balances = defaultdict(Decimal)
        running, sequence = available.head_hash, available.head_sequence
        batch, audit, signed = [], [], []
        for n in range(total):
            grant, committed, decision = grants[min(n // 3, count - 1)]
            kind, source, target = [
                ("credit", budget, available),
                ("commit", available, committed),
                ("disburse", committed, paid),
            ][n % 3]
            sequence += 1
            tx = LedgerTransaction(
                fund=fund,
                sequence=sequence,
                kind=kind,
                amount=amount,
                grant=grant if kind != "credit" else None,
                reference=decision.reference if kind == "commit" else "",
                memo="bench",
                idempotency_key=f"v-{n}",
                created_at=now,
                previous_hash=running,
            )
            legs = [
                LedgerLeg(account=source, amount=-amount),
                LedgerLeg(account=target, amount=amount),
            ]
            tx.hash = running = chain_hash(running, tx, legs)
            balances[source.pk] -= amount
            balances[target.pk] += amount
            batch.append((tx, legs))
            if kind == "commit":
                outcome = {"reference": decision.reference, "outcome": "granted", "amount": "1.00"}
                audit.append(("votes.decision.publish", decision, outcome))
                audit.append(("fonds.initiative.decision_granted", grant.initiative, outcome))
                if (n // 3) % GRANTS_PER_SESSION == GRANTS_PER_SESSION - 1:
                    signed.append((sessions[n // 3 // GRANTS_PER_SESSION], running))
            if len(batch) == 5000 or n == total - 1:
                LedgerTransaction.objects.bulk_create([tx for tx, _legs in batch])
                for tx, legs in batch:
                    for leg in legs:
                        leg.transaction = tx
                LedgerLeg.objects.bulk_create([leg for _tx, legs in batch for leg in legs])
                audit += [(f"fonds.ledger.{tx.kind}", tx, _posted(tx)) for tx, _legs in batch]
                batch = []
        for pk, balance in balances.items():
            if balance:
                LedgerAccount.objects.filter(pk=pk).update(balance=F("balance") + balance)
        LedgerAccount.objects.filter(pk=available.pk).update(
            head_sequence=sequence, head_hash=running
        )
        for session, head in signed:
            session.minutes_signed_at, session.minutes_head_hash = now, head
            session.minutes_signed_by = initiative.author
            session.save(
                update_fields=["minutes_signed_at", "minutes_signed_by", "minutes_head_hash"]
            )
            audit.append(("votes.minutes.sign", session, {"head_hash": head}))
        _audit_rows(audit)


def _posted(tx):
    """The audit data of a posting (fonds.ledger._post)."""
    return {
        "fund": tx.fund_id,
        "kind": tx.kind,
        "amount": str(tx.amount),
        "reference": tx.reference,
        "hash": tx.hash,
    }


def verification():
    """Build the chain, then time a bare read of its rows, the replay of the chains and
    balances alone, and the whole `ledger verify` with its cross-checks."""
    from accounts.models import AuditEntry
    from fonds.models import LedgerLeg, LedgerTransaction
    from fonds.verify import replay_ledger, verify_ledger

    start = time.perf_counter()
    build_chain(VERIFY_TRANSACTIONS)
    built = time.perf_counter() - start
    total = LedgerTransaction.objects.count()
    start = time.perf_counter()
    rows = sum(1 for _ in LedgerTransaction.objects.values_list("pk", "hash").iterator(5000))
    rows += sum(1 for _ in LedgerLeg.objects.values_list("pk", "amount").iterator(5000))
    rows += sum(1 for _ in AuditEntry.objects.values_list("pk", "data").iterator(5000))
    read = time.perf_counter() - start
    start = time.perf_counter()
    replay, _established = replay_ledger()
    replayed = time.perf_counter() - start
    assert replay.ok, replay.error
    start = time.perf_counter()
    report = verify_ledger()
    verify = time.perf_counter() - start
    assert report.ok, report.error
    print(f"chain of {total} transactions built in {built:.1f} s")
    print(f"baseline read of every row (ledger and audit): {read:6.2f} s")
    print(f"replay of the chains and balances alone:       {replayed:6.2f} s")
    print(
        f"ledger verify with cross-checks ({report.transactions} replayed, "
        f"{len(report.checks)} checks): {verify:6.2f} s  "
        f"({verify / read:.1f}× baseline, {report.transactions / verify:,.0f} tx/s)"
    )


def main():
    if connection.vendor != "postgresql":
        print("bench/ledger.py needs PostgreSQL (DATABASE_URL or the local server).")
        return
    old_name = connection.creation.create_test_db(verbosity=0, keepdb=False)
    try:
        # The verification first: the commits below cite no council decision, which
        # `ledger verify` would rightly report.
        verification()
        baseline = baseline_write()
        one = commits(setup_funds(1, "one"))
        twenty = commits(setup_funds(20, "twenty"))
        print(f"{THREADS} threads, {SECONDS:.0f} s each run")
        print(f"baseline locked write:    {baseline:8.0f} /s")
        print(f"ledger commits, 1 fund:   {one:8.0f} /s  ({one / baseline:.2f}× baseline)")
        print(f"ledger commits, 20 funds: {twenty:8.0f} /s  ({twenty / baseline:.2f}× baseline)")
    finally:
        connection.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
