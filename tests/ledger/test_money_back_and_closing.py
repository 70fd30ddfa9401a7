"""Money coming back (REPAYMENT) and the end of a period (carry-overs, the unspent
envelope, the closed fund), through the services and by raw SQL."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.dbutils import constraint_violated
from accounts.errors import DomainError, PermissionDenied
from accounts.models import AuditEntry
from fonds.closing import closing_preview, fund_close, next_funds
from fonds.ledger import (
    available_account,
    balances_by_fund,
    budget_account,
    carry_over_account,
    ledger_credit,
    ledger_disburse,
    ledger_repay,
    ledger_reverse,
    paid_on,
    repaid_by_fund,
)
from fonds.models import FundClosing, Grant, LedgerTransaction, RepaymentRequest
from fonds.verify import verify_ledger
from tests.system import SYSTEM

from ..dbowner import as_owner
from .conftest import credit, grant_for, ledger_state, make_initiative, unique

Kind = LedgerTransaction.Kind
TODAY = datetime.date.today


def pay(grant, amount, reference=None):
    return ledger_disburse(
        actor=SYSTEM,
        grant=grant,
        amount=amount,
        payment_reference=reference or unique("VIR"),
        payment_date=timezone.localdate(),
        idempotency_key=unique("disburse"),
    )


def repay(grant, amount, **extra):
    return ledger_repay(
        actor=SYSTEM,
        grant=grant,
        amount=amount,
        payment_reference=extra.pop("reference", unique("TITRE")),
        payment_date=extra.pop("payment_date", timezone.localdate()),
        idempotency_key=extra.pop("key", unique("repay")),
        **extra,
    )


@pytest.fixture
def paid(fund, people):
    """A fund of 5 000 €, a grant of 800 € of which 500 € are paid."""
    credit(fund, "5000.00")
    grant = grant_for(make_initiative(fund, people["author"], "1000.00"), "800.00")
    pay(grant, "500.00")
    return grant


def test_a_repayment_returns_money_to_the_fund_and_verifies(fund, paid):
    before = balances_by_fund([fund.pk])[fund.pk]
    tx = repay(paid, "120.00")
    after = balances_by_fund([fund.pk])[fund.pk]
    assert tx.kind == Kind.REPAYMENT and tx.grant == paid
    assert after["paid"] == before["paid"] - Decimal("120.00")
    assert after["available"] == before["available"] + Decimal("120.00")
    assert after["envelope"] == before["envelope"] and after["committed"] == before["committed"]
    assert paid_on(paid) == Decimal("380.00")
    assert repaid_by_fund([fund.pk]) == {fund.pk: Decimal("120.00")}
    assert AuditEntry.objects.filter(action="fonds.ledger.repay", data__hash=tx.hash).exists()
    report = verify_ledger(registered=False)
    assert report.ok, report.error
    assert "carry_overs_paired" in report.checks


def test_a_repayment_never_exceeds_what_was_paid(fund, paid):
    repay(paid, "400.00")
    before = ledger_state()
    with pytest.raises(DomainError) as refused:
        repay(paid, "100.01")
    assert "dépasse ce qui a été versé et non remboursé" in refused.value.message
    assert "100,00" in refused.value.message
    assert ledger_state() == before
    # A reversed repayment gives the room back; a payment reversed under a repayment is not.
    last = LedgerTransaction.objects.get(kind=Kind.REPAYMENT)
    ledger_reverse(actor=SYSTEM, original=last, idempotency_key=unique("reverse"))
    assert paid_on(paid) == Decimal("500.00")
    repay(paid, "450.00")
    payment = LedgerTransaction.objects.get(kind=Kind.DISBURSE)
    before = ledger_state()
    with pytest.raises(DomainError, match="contre-passez d'abord le remboursement"):
        ledger_reverse(actor=SYSTEM, original=payment, idempotency_key=unique("reverse"))
    assert ledger_state() == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("reference", "", "référence de l'encaissement"),
        ("payment_date", None, "date de l'encaissement"),
        ("payment_date", datetime.date(2999, 1, 1), "ne peut être dans le futur"),
    ],
)
def test_a_repayment_names_its_reference_and_a_past_date(paid, field, value, message):
    before = ledger_state()
    with pytest.raises(DomainError, match=message):
        repay(paid, "10.00", **{field: value})
    assert ledger_state() == before


def test_a_repayment_is_the_payment_officers(paid, people):
    with pytest.raises(PermissionDenied):
        ledger_repay(
            actor=people["resident"],
            grant=paid,
            amount="10.00",
            payment_reference="T",
            payment_date=TODAY(),
            idempotency_key=unique("repay"),
        )


def test_a_request_is_settled_by_its_repayments(paid):
    request = RepaymentRequest.objects.create(
        grant=paid, amount=Decimal("200.00"), due_on=TODAY(), reason="Action annulée"
    )
    repay(paid, "150.00", request=request)
    request.refresh_from_db()
    assert (request.repaid, request.status) == (Decimal("150.00"), RepaymentRequest.Status.OPEN)
    before = ledger_state()
    with pytest.raises(DomainError, match="La demande n'attend plus que 50,00"):
        repay(paid, "60.00", request=request)
    assert ledger_state() == before
    repay(paid, "50.00", request=request)
    request.refresh_from_db()
    assert request.status == RepaymentRequest.Status.SETTLED
    with pytest.raises(DomainError, match="n'est plus en attente"):
        repay(paid, "1.00", request=request)


def test_raw_sql_cannot_repay_more_than_was_paid(fund, paid):
    """A REPAYMENT written by hand above what the grant paid breaks the rule at once."""
    head = available_account(fund)
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO fonds_ledgertransaction (fund_id, sequence, kind, amount, grant_id,
                    reference, memo, idempotency_key, created_at, previous_hash, hash)
                VALUES (%s, %s, 'repayment', 900.00, %s, 'T', '', %s, now(), %s, %s)
                """,
                [
                    fund.pk,
                    head.head_sequence + 1,
                    paid.pk,
                    unique("raw"),
                    head.head_hash,
                    uuid.uuid4().hex * 2,
                ],
            )
    assert constraint_violated(caught.value, "ledger_repayments_within_payments")


# The end of a period -------------------------------------------------------------------


@pytest.fixture
def two_periods(quartier, people, open_fund):
    """The 2025 fund (10 000 €) with a grant of 800 € half paid, one of 300 € unpaid,
    one of 200 € fully paid; the 2026 fund of the same quartier."""
    year = timezone.localdate().year
    old = open_fund(
        quartier,
        label=f"Fonds {year - 1}",
        period_start=datetime.date(year - 1, 1, 1),
        period_end=datetime.date(year - 1, 12, 31),
    )
    new = open_fund(quartier)
    credit(old, "10000.00")
    credit(new, "4000.00")
    author = people["author"]
    half = grant_for(make_initiative(old, author, "800.00", "Le jardin"), "800.00")
    pay(half, "400.00")
    unpaid = grant_for(make_initiative(old, author, "300.00", "La fête"), "300.00")
    done = grant_for(make_initiative(old, author, "200.00", "Le banc"), "200.00")
    pay(done, "200.00")
    return {"old": old, "new": new, "half": half, "unpaid": unpaid, "done": done}


def close(fund, next_fund, envelope="return", reason="Fin de l'exercice", key=None):
    return fund_close(
        actor=SYSTEM,
        fund=fund,
        next_fund=next_fund,
        envelope=envelope,
        reason=reason,
        idempotency_key=key or unique("close"),
    )


@pytest.mark.parametrize("envelope", ["return", "carry"])
def test_closing_carries_committed_grants_and_the_envelope(two_periods, envelope):
    old, new = two_periods["old"], two_periods["new"]
    assert list(next_funds(old)) == [new]
    preview = closing_preview(old)
    assert preview["carried"] == Decimal("700.00")  # 400 still to pay + 300
    assert preview["unspent"] == Decimal("8700.00")  # 10 000 - 800 - 300 - 200
    budget_before = budget_account().balance
    closing = close(old, new, envelope)
    figures = balances_by_fund([old.pk, new.pk])
    assert figures[old.pk] == {
        "envelope": Decimal("600.00"),
        "committed": Decimal("0.00"),
        "paid": Decimal("600.00"),
        "available": Decimal("0.00"),
    }
    carried_envelope = Decimal("8700.00") if envelope == "carry" else Decimal("0.00")
    assert figures[new.pk]["committed"] == Decimal("700.00")
    assert figures[new.pk]["available"] == Decimal("4000.00") + carried_envelope
    returned = Decimal("0.00") if envelope == "carry" else Decimal("8700.00")
    assert budget_account().balance == budget_before + returned
    assert carry_over_account().balance == 0
    assert (closing.carried_grants, closing.unspent) == (Decimal("700.00"), Decimal("8700.00"))
    # Each carried grant goes on in the next fund under the same decision.
    for name, left in (("half", "400.00"), ("unpaid", "300.00")):
        grant = two_periods[name]
        follower = Grant.objects.get(carried_from=grant)
        assert follower.fund == new and follower.decision_reference == grant.decision_reference
        assert follower.account.balance == Decimal(left)
        out = LedgerTransaction.objects.get(kind=Kind.CARRY_OUT, grant=grant)
        assert out.paired_with.grant == follower and out.paired_with.fund == new
    assert not Grant.objects.filter(carried_from=two_periods["done"]).exists()
    old.refresh_from_db()
    assert old.status == old.Status.CLOSED
    report = verify_ledger(registered=False)
    assert report.ok, report.error
    # The carried grant is paid from the next fund.
    pay(Grant.objects.get(carried_from=two_periods["half"]), "400.00")
    assert verify_ledger(registered=False).ok


def test_a_closed_fund_takes_no_entry_by_service_or_raw_sql(two_periods):
    old, new = two_periods["old"], two_periods["new"]
    close(old, new)
    before = ledger_state()
    with pytest.raises(DomainError, match="est close"):
        ledger_credit(actor=SYSTEM, fund=old, amount="10.00", idempotency_key=unique("c"))
    with pytest.raises(DomainError, match="est close"):
        repay(two_periods["done"], "10.00")
    with pytest.raises(DomainError, match="est close"):
        grant_for(make_initiative(old, two_periods["done"].initiative.author, "50.00"), "50.00")
    assert ledger_state() == before
    head = available_account(old)
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO fonds_ledgertransaction (fund_id, sequence, kind, amount, reference,
                    memo, idempotency_key, created_at, previous_hash, hash)
                VALUES (%s, %s, 'credit', 10.00, '', '', %s, now(), %s, %s)
                """,
                [old.pk, head.head_sequence + 1, unique("raw"), head.head_hash, "f" * 64],
            )
    assert constraint_violated(caught.value, "ledger_fund_closed")
    # The closing itself is never edited nor removed.
    with pytest.raises(Exception) as caught, transaction.atomic():
        FundClosing.objects.filter(fund=old).update(reason="autre")
    assert getattr(caught.value.__cause__, "sqlstate", None) == "42501"


def test_a_second_closing_and_bad_choices_are_refused(two_periods, quartier, other_fund):
    old, new = two_periods["old"], two_periods["new"]
    before = ledger_state()
    cases = [
        ({"next_fund": None}, "next_fund", "choisissez le fonds de la période suivante"),
        ({"next_fund": other_fund}, "next_fund", "même quartier"),
        ({"next_fund": new, "envelope": "lost"}, "envelope", "enveloppe non dépensée"),
        ({"next_fund": new, "reason": "  "}, "reason", "motif"),
    ]
    for change, field, message in cases:
        values = {"next_fund": new, "envelope": "return", "reason": "Fin"} | change
        with pytest.raises(DomainError) as refused:
            close(old, values["next_fund"], values["envelope"], values["reason"])
        assert message in " ".join(refused.value.errors[field]), change
        assert ledger_state() == before and not FundClosing.objects.exists()
    # Backwards: the next fund cannot close into the earlier one.
    with pytest.raises(DomainError) as refused:
        close(new, old)
    assert "suit celle-ci" in " ".join(refused.value.errors["next_fund"])
    closing = close(old, new, key="the-closing")
    assert close(old, new, key="the-closing") == closing  # the same request, retried
    with pytest.raises(DomainError, match="déjà close"):
        close(old, new)
    assert FundClosing.objects.count() == 1


def test_closing_is_the_administrators(two_periods, people):
    with pytest.raises(PermissionDenied):
        fund_close(
            actor=people["instructor"],
            fund=two_periods["old"],
            next_fund=two_periods["new"],
            envelope="return",
            reason="Fin",
            idempotency_key=unique("close"),
        )
    assert not FundClosing.objects.exists()


def test_verify_finds_a_closing_that_differs_from_its_entries(two_periods):
    close(two_periods["old"], two_periods["new"])
    # A forged closing figure is found by the cross-check.
    as_owner("UPDATE fonds_fundclosing SET carried_grants = carried_grants + 1")
    report = verify_ledger(registered=False)
    assert not report.ok and "differs from its entries" in report.error


def test_verify_finds_a_carry_in_whose_pair_was_forged(two_periods):
    close(two_periods["old"], two_periods["new"])
    carry_in = LedgerTransaction.objects.filter(kind=Kind.CARRY_IN).first()
    other = LedgerTransaction.objects.filter(kind=Kind.COMMIT).first()
    as_owner(
        "UPDATE fonds_ledgertransaction SET pair_id = %s WHERE id = %s", [other.pk, carry_in.pk]
    )
    report = verify_ledger(registered=False)
    assert not report.ok and f"transaction id {carry_in.pk}" in report.error
