"""A connection killed by the server in the middle of a posting: nothing of it stays,
and retrying with the same idempotency key applies it exactly once."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

import fonds.ledger
from fonds.ledger import (
    ledger_commit,
    ledger_credit,
    ledger_disburse,
    ledger_release,
    ledger_reverse,
)
from fonds.models import LedgerTransaction
from fonds.verify import verify_ledger
from tests.system import SYSTEM

from .conftest import (
    credit,
    grant_for,
    ledger_state,
    make_funds,
    make_initiative,
    transactions_without_two_legs,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

KILLS_AFTER_POSTING = 100
KILLS_INSIDE_POSTING = 20
KINDS = ["credit", "commit", "disburse", "release", "reverse"]


@pytest.fixture
def setup(quartier, people):
    fund = make_funds(quartier, 1)[0]
    credit(fund, "900000.00")
    initiative = make_initiative(fund, people["author"], "100000.00")
    grant = grant_for(initiative, "90000.00")
    # Credits waiting to be reversed, one per reversal posted by the test.
    originals = [credit(fund, Decimal("10.00") + n) for n in range(40)]
    return {"fund": fund, "initiative": initiative, "grant": grant, "originals": originals}


def posting_for(setup, number):
    """The posting of round ``number`` (a callable taking no argument, the same every
    time it is called) and the kind of transaction it writes."""
    kind = KINDS[number % len(KINDS)]
    key = f"kill-{number}"
    if kind == "credit":
        return kind, lambda: ledger_credit(
            actor=SYSTEM, fund=setup["fund"], amount="100.00", idempotency_key=key, memo="Rallonge"
        )
    if kind == "commit":
        return kind, lambda: ledger_commit(
            actor=SYSTEM,
            initiative=setup["initiative"],
            amount="5.00",
            decision_reference=f"CQ-KILL-{number}",
            idempotency_key=key,
        )
    if kind == "disburse":
        return kind, lambda: ledger_disburse(
            actor=SYSTEM,
            grant=setup["grant"],
            amount="10.00",
            payment_reference=f"VIR-{number}",
            payment_date=timezone.localdate() - datetime.timedelta(days=1),
            idempotency_key=key,
        )
    if kind == "release":
        return kind, lambda: ledger_release(
            actor=SYSTEM, grant=setup["grant"], amount="1.00", idempotency_key=key
        )
    original = setup["originals"].pop()
    return "reversal", lambda: ledger_reverse(actor=SYSTEM, original=original, idempotency_key=key)


def kill_during(posting, pause_inside=None):
    """Run ``posting`` in a thread inside transaction.atomic(); once it has written
    (or, with ``pause_inside``, while it is writing), terminate that thread's backend
    from this thread's connection, then let the worker go on to its COMMIT."""
    written, resume = threading.Event(), threading.Event()
    seen = {}

    def pause():
        written.set()
        assert resume.wait(10)

    def work():
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    seen["pid"] = cursor.fetchone()[0]
                if pause_inside is not None:
                    pause_inside["pause"] = pause
                tx = posting()
                seen["tx"] = tx.pk
                pause()
        except Exception as error:
            seen["error"] = error
            # Django discarded the killed connection (its rollback failed too) and the
            # worker goes on with a new one, which never sees the lost transaction.
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    seen["pid_after"] = cursor.fetchone()[0]
                seen["tx_seen_after"] = LedgerTransaction.objects.filter(
                    pk=seen.get("tx", 0)
                ).exists()
            except DatabaseError as late:
                seen["pid_after"] = late
        finally:
            connection.close()

    thread = threading.Thread(target=work, name="killed-worker")
    thread.start()
    assert written.wait(10), seen
    with connection.cursor() as cursor:
        # With a timeout, pg_terminate_backend waits until the backend is gone.
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [seen["pid"]])
        assert cursor.fetchone()[0] is True
    resume.set()
    thread.join(10)
    assert not thread.is_alive()
    return seen


def check_nothing_stayed(before, seen):
    assert isinstance(seen.get("error"), DatabaseError), seen
    assert isinstance(seen["pid_after"], int) and seen["pid_after"] != seen["pid"], seen
    assert seen["tx_seen_after"] is False, seen
    if "tx" in seen:
        assert not LedgerTransaction.objects.filter(pk=seen["tx"]).exists()
    assert ledger_state() == before
    assert transactions_without_two_legs() == []
    report = verify_ledger(registered=False)
    assert report.ok, report.error


def check_retry_applies_once(posting, kind, before):
    first = posting()
    second = posting()
    assert first.pk == second.pk and first.kind == kind
    after = ledger_state()
    assert after["transactions"] == before["transactions"] + 1
    assert after["legs"] == before["legs"] + 2
    changed = {
        pk
        for pk, balance in after["balances"].items()
        if before["balances"].get(pk, Decimal(0)) != balance
    }
    assert changed == {leg.account_id for leg in first.legs.all()}
    for leg in first.legs.all():
        assert after["balances"][leg.account_id] == (
            before["balances"].get(leg.account_id, Decimal(0)) + leg.amount
        )
    report = verify_ledger(registered=False)
    assert report.ok, report.error


def test_a_posting_killed_before_its_commit_leaves_nothing_and_retries_once(setup):
    for number in range(KILLS_AFTER_POSTING):
        kind, posting = posting_for(setup, number)
        before = ledger_state()
        seen = kill_during(posting)
        assert "tx" in seen, seen  # the posting had written its rows
        check_nothing_stayed(before, seen)
        check_retry_applies_once(posting, kind, before)
    assert LedgerTransaction.objects.filter(idempotency_key__startswith="kill-").count() == (
        KILLS_AFTER_POSTING
    )


def test_a_posting_killed_halfway_leaves_nothing_and_retries_once(setup, monkeypatch):
    """Killed inside the posting itself: after the transaction row, its legs and the new
    balances are written, while the audit row is being written."""
    real_audit = fonds.ledger.audit_record
    hook = {}

    def audit_then_pause(**kwargs):
        entry = real_audit(**kwargs)
        if threading.current_thread().name == "killed-worker":
            hook.pop("pause")()
        return entry

    monkeypatch.setattr(fonds.ledger, "audit_record", audit_then_pause)
    for number in range(KILLS_INSIDE_POSTING):
        kind, posting = posting_for(setup, number)
        before = ledger_state()
        seen = kill_during(posting, pause_inside=hook)
        assert "tx" not in seen, seen  # the posting never returned
        check_nothing_stayed(before, seen)
        check_retry_applies_once(posting, kind, before)
