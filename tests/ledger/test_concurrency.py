"""Many threads posting at once, each on its own PostgreSQL connection: the row locks
keep every balance right, nothing goes negative, no deadlock, and every refusal is a
domain error with a French message."""

import datetime
import random
import re
import threading
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from accounts.errors import DomainError
from fonds.ledger import (
    LedgerError,
    committed_to,
    fund_balances,
    ledger_commit,
    ledger_disburse,
    ledger_reverse,
)
from fonds.models import Grant, LedgerTransaction
from fonds.verify import verify_ledger
from tests.system import SYSTEM

from .conftest import (
    balances_differing_from_legs,
    credit,
    grant_for,
    make_funds,
    make_initiative,
    negative_accounts,
    transactions_without_two_legs,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FUNDS = 20
THREADS = 8
ATTEMPTS = 10_000
ENVELOPE = Decimal("5000.00")
# The first initiative could take more than its fund holds; the other two fill up soon:
# commits meet both the fund's limit and the request's.
REQUESTS = ["6000.00", "400.00", "250.00"]

# The only refusals this workload may meet, word for word in French.
CLEAR_REFUSALS = {
    "insufficient": re.compile(
        r"^(Le fonds n'a que [\d\u202f]+,\d\d\xa0€ disponibles"
        r"|La subvention n'a plus que [\d\u202f]+,\d\d\xa0€ engagés)"
        r" ; [\d\u202f]+,\d\d\xa0€ demandés\.$"
    ),
    "invalid": re.compile(
        r"^Le montant accordé dépasse le montant demandé \([\d\u202f]+,\d\d\xa0€\)\.$"
    ),
    "over_request": re.compile(
        r"^[\d\u202f]+,\d\d\xa0€ sont déjà engagés pour cette initiative ; [\d\u202f]+,\d\d\xa0€ "
        r"de plus dépasseraient le montant demandé \([\d\u202f]+,\d\d\xa0€\)\.$"
    ),
}


def random_amount(rng, top_cents):
    return Decimal(rng.randint(1, top_cents)) / 100


def test_ten_thousand_concurrent_commits_and_disbursements(quartier, people):
    author = people["author"]
    funds = make_funds(quartier, FUNDS)
    initiatives = {}
    grants = {}
    for fund in funds:
        credit(fund, ENVELOPE)
        initiatives[fund.pk] = [make_initiative(fund, author, asked) for asked in REQUESTS]
        grants[fund.pk] = [
            grant_for(initiatives[fund.pk][0], "600.00"),
            grant_for(initiatives[fund.pk][1], "300.00"),
        ]
    transactions_before = LedgerTransaction.objects.count()
    today = timezone.localdate()
    seed = random.randrange(2**32)
    outcomes = Counter()
    unexpected = []
    barrier = threading.Barrier(THREADS)

    def work(number, attempts):
        rng = random.Random(seed + number)
        seen = Counter()
        try:
            barrier.wait()
            for i in range(attempts):
                fund = rng.choice(funds)
                try:
                    if rng.random() < 0.5:
                        operation = "commit"
                        tx = ledger_commit(
                            actor=SYSTEM,
                            initiative=rng.choice(initiatives[fund.pk]),
                            amount=random_amount(rng, 60_000),
                            decision_reference=f"T{number}-{i}",
                            idempotency_key=f"commit-{number}-{i}",
                        )
                        grants[fund.pk].append(tx.grant)  # list.append is atomic
                    else:
                        operation = "disburse"
                        ledger_disburse(
                            actor=SYSTEM,
                            grant=rng.choice(grants[fund.pk]),
                            amount=random_amount(rng, 40_000),
                            payment_reference=f"VIR-{number}-{i}",
                            payment_date=today - datetime.timedelta(days=rng.randint(0, 30)),
                            idempotency_key=f"disburse-{number}-{i}",
                        )
                    seen[f"{operation}: applied"] += 1
                except DomainError as error:
                    pattern = CLEAR_REFUSALS.get(error.code)
                    if (
                        not isinstance(error, LedgerError)
                        or pattern is None
                        or not pattern.match(str(error.message))
                    ):
                        unexpected.append(f"{operation}: {type(error).__name__} {error.message}")
                    seen[f"{operation}: refused ({error.code})"] += 1
                except Exception as error:  # anything else is a failure of the ledger
                    unexpected.append(f"{operation}: {type(error).__name__}: {error}")
                    seen[f"{operation}: {type(error).__name__}"] += 1
        finally:
            outcomes.update(seen)
            connection.close()

    share, extra = divmod(ATTEMPTS, THREADS)
    threads = [
        threading.Thread(target=work, args=(n, share + (n < extra)), name=f"poster-{n}")
        for n in range(THREADS)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started

    print(
        f"\n{sum(outcomes.values())} attempts by {THREADS} threads over {FUNDS} funds "
        f"in {elapsed:.1f} s ({sum(outcomes.values()) / elapsed:.0f}/s), seed {seed}:"
    )
    for name, count in sorted(outcomes.items()):
        print(f"  {name}: {count}")
    refused = sum(count for name, count in outcomes.items() if "refused" in name)
    print(f"  refusals, all clear domain errors in French: {refused}")

    assert not unexpected, unexpected[:20]
    assert sum(outcomes.values()) == ATTEMPTS
    applied = sum(count for name, count in outcomes.items() if name.endswith("applied"))
    assert LedgerTransaction.objects.count() == transactions_before + applied
    # Enough of both kinds of refusal to make the race meaningful.
    assert outcomes["commit: refused (insufficient)"] > 1000
    assert outcomes["commit: refused (over_request)"] > 100
    assert outcomes["disburse: refused (insufficient)"] > 1000
    assert outcomes["commit: applied"] > 20 and outcomes["disburse: applied"] > 20

    assert negative_accounts() == []
    assert balances_differing_from_legs() == []
    assert transactions_without_two_legs() == []
    for fund in funds:
        figures = fund_balances(fund)
        assert figures["envelope"] == ENVELOPE, (fund.slug, figures)
        assert min(figures.values()) >= 0
    assert Grant.objects.count() == 2 * FUNDS + outcomes["commit: applied"]
    for initiative in (i for listed in initiatives.values() for i in listed):
        assert committed_to(initiative) <= initiative.requested_amount
    report = verify_ledger(registered=False)
    assert report.ok, report.error
    assert report.transactions == transactions_before + applied


def test_the_same_posting_sent_by_eight_threads_at_once_applies_once(quartier, people):
    """Eight identical requests (a double click times eight) racing: one transaction,
    one grant, and every thread gets that transaction back."""
    fund = make_funds(quartier, 1)[0]
    credit(fund, ENVELOPE)
    initiative = make_initiative(fund, people["author"], "800.00")
    results, errors = [], []
    barrier = threading.Barrier(THREADS)

    def work():
        try:
            barrier.wait()
            tx = ledger_commit(
                actor=SYSTEM,
                initiative=initiative,
                amount=Decimal("750.00"),
                decision_reference="CQ-2026-042",
                idempotency_key="commit-once",
            )
            results.append(tx.pk)
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")
        finally:
            connection.close()

    for _round in range(5):
        threads = [threading.Thread(target=work) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert len(results) == 5 * THREADS and len(set(results)) == 1
    assert LedgerTransaction.objects.filter(kind="commit").count() == 1
    assert Grant.objects.count() == 1
    assert fund_balances(fund)["available"] == ENVELOPE - Decimal("750.00")
    assert verify_ledger(registered=False).ok


def test_eight_administrators_reversing_the_same_posting_at_once(quartier, people):
    """A transaction is reversed at most once, even when eight different requests (with
    different keys) race: one reversal, seven clear refusals, never an IntegrityError."""
    fund = make_funds(quartier, 1)[0]
    originals = [credit(fund, Decimal("100.00") + n) for n in range(10)]
    outcomes, errors = Counter(), []

    def work(original, number):
        try:
            barrier.wait()
            ledger_reverse(
                actor=SYSTEM, original=original, idempotency_key=f"reverse-{original.pk}-{number}"
            )
            outcomes["applied"] += 1
        except LedgerError as error:
            outcomes[str(error.message)] += 1
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")
        finally:
            connection.close()

    for original in originals:
        barrier = threading.Barrier(THREADS)
        threads = [threading.Thread(target=work, args=(original, n)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert outcomes == {
        "applied": len(originals),
        "Cette opération est déjà contre-passée.": (THREADS - 1) * len(originals),
    }
    assert LedgerTransaction.objects.filter(kind="reversal").count() == len(originals)
    assert fund_balances(fund)["available"] == 0
    assert verify_ledger(registered=False).ok


def test_a_twin_commit_that_lands_between_two_checks_is_returned(quartier, people, monkeypatch):
    """A retried commit reads "no transaction under this key" just before its twin
    commits, then finds the twin's decision already used: it must return the twin's
    transaction, not refuse the decision."""
    import fonds.ledger

    fund = make_funds(quartier, 1)[0]
    credit(fund, ENVELOPE)
    initiative = make_initiative(fund, people["author"], "800.00")
    real_existing = fonds.ledger._existing
    checked, twin_committed = threading.Event(), threading.Event()

    def existing_then_wait(*args, **kwargs):
        found = real_existing(*args, **kwargs)
        if threading.current_thread().name == "late" and not checked.is_set():
            checked.set()
            assert twin_committed.wait(10)
        return found

    monkeypatch.setattr(fonds.ledger, "_existing", existing_then_wait)
    posting = {
        "actor": SYSTEM,
        "initiative": initiative,
        "amount": Decimal("500.00"),
        "decision_reference": "CQ-2026-007",
        "idempotency_key": "commit-twin",
    }
    results = {}

    def late():
        try:
            results["late"] = ledger_commit(**posting).pk
        except Exception as error:
            results["late"] = f"{type(error).__name__}: {error}"
        finally:
            connection.close()

    thread = threading.Thread(target=late, name="late")
    thread.start()
    assert checked.wait(10)
    first = ledger_commit(**posting)
    twin_committed.set()
    thread.join()
    assert results["late"] == first.pk
    assert LedgerTransaction.objects.filter(kind="commit").count() == 1
    assert verify_ledger(registered=False).ok
