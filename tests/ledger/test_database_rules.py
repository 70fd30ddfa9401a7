"""The ledger's rules: those PostgreSQL enforces whatever the code (append-only tables,
balanced transactions, no negative balance), the hash chain that reveals a changed
byte, and those the ledger service enforces (idempotency, amounts, dates, roles)."""

import datetime
import io
import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from accounts.dbutils import constraint_violated
from accounts.errors import DomainError, PermissionDenied
from accounts.models import AuditEntry
from fonds.ledger import (
    LedgerError,
    available_account,
    budget_account,
    ledger_commit,
    ledger_credit,
    ledger_disburse,
    ledger_release,
    ledger_reverse,
)
from fonds.models import Grant, LedgerAccount, LedgerLeg, LedgerTransaction
from fonds.verify import verify_ledger
from tests.fonds.conftest import give_account
from tests.system import SYSTEM

from ..dbowner import as_owner
from .conftest import credit, grant_for, ledger_state, make_initiative, unique

pytestmark = pytest.mark.postgres


@pytest.fixture
def ledger(fund, people):
    """A fund with an envelope of 10 000 €, a grant of 800 € (of 1 000 € requested), a
    payment of 100 € and a release of 50 €: five transactions in the fund's chain."""
    initiative = make_initiative(fund, people["author"], "1000.00")
    txs = [credit(fund, "10000.00")]
    txs.append(
        ledger_commit(
            actor=SYSTEM,
            initiative=initiative,
            amount="800.00",
            decision_reference="CQ-BEL-2026-001",
            idempotency_key="commit-1",
        )
    )
    grant = txs[-1].grant
    txs.append(
        ledger_disburse(
            actor=SYSTEM,
            grant=grant,
            amount="100.00",
            payment_reference="MANDAT-2026-0042",
            payment_date=timezone.localdate(),
            idempotency_key="disburse-1",
        )
    )
    txs.append(
        ledger_release(
            actor=SYSTEM,
            grant=grant,
            amount="50.00",
            idempotency_key="release-1",
            memo="Moins cher",
        )
    )
    txs.append(credit(fund, "2500.00"))
    return {"fund": fund, "initiative": initiative, "grant": grant, "txs": txs}


def sqlstate(error):
    return getattr(error.__cause__, "sqlstate", None)


# What PostgreSQL refuses ---------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE fonds_ledgertransaction SET memo = 'corrigé'",
        "UPDATE fonds_ledgertransaction SET amount = amount + 1 WHERE sequence = 2",
        "DELETE FROM fonds_ledgertransaction WHERE sequence = 5",
        "UPDATE fonds_ledgerleg SET amount = -amount",
        "DELETE FROM fonds_ledgerleg",
        "TRUNCATE fonds_ledgerleg",
        "TRUNCATE fonds_ledgertransaction, fonds_ledgerleg",
        "TRUNCATE fonds_ledgertransaction CASCADE",
    ],
)
def test_raw_changes_of_transactions_and_legs_are_refused_to_the_application_and_owner(
    ledger, statement
):
    """The application's role holds no right to change them; the owner, who holds every
    right, meets the tables' triggers."""
    before = ledger_state()
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(statement)
    assert sqlstate(caught.value) == "42501", caught.value
    assert "permission denied" in str(caught.value)
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        as_owner(statement, triggers=True)
    assert sqlstate(caught.value) == "42501", caught.value
    assert "is protected" in str(caught.value)
    assert ledger_state() == before


@pytest.mark.parametrize(
    "kind", ["fund_available", "grant_committed", "paid_out"], ids=lambda kind: kind
)
def test_a_raw_negative_balance_breaks_a_check_constraint(ledger, kind):
    """Even with the triggers asleep (as only a superuser could), the CHECK holds."""
    account = LedgerAccount.objects.filter(kind=kind).first()
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        as_owner("UPDATE fonds_ledgeraccount SET balance = -0.01 WHERE id = %s", [account.pk])
    assert constraint_violated(caught.value, "ledger_account_balance_not_negative")
    account.refresh_from_db()
    assert account.balance >= 0


def test_the_budget_account_never_holds_money(ledger):
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        as_owner(
            "UPDATE fonds_ledgeraccount SET balance = 0.01 WHERE id = %s", [budget_account().pk]
        )
    assert constraint_violated(caught.value, "ledger_budget_balance_not_positive")


def test_an_account_keeps_its_kind_and_is_never_deleted(ledger):
    account = available_account(ledger["fund"])
    for statement in (
        "UPDATE fonds_ledgeraccount SET kind = 'paid_out' WHERE id = %s",
        "DELETE FROM fonds_ledgeraccount WHERE id = %s",
    ):
        with pytest.raises(DatabaseError) as caught, transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement, [account.pk])
        assert sqlstate(caught.value) == "42501"
        with pytest.raises(DatabaseError) as caught, transaction.atomic():
            as_owner(statement, [account.pk], triggers=True)
        assert sqlstate(caught.value) == "42501"


UNBALANCED = {
    "no leg": [],
    "one leg": [("target", "10.00")],
    "sum not zero": [("target", "10.00"), ("source", "-5.00")],
    "legs not the amount": [("target", "5.00"), ("source", "-5.00")],
    "extra leg": [("target", "10.00"), ("source", "-10.00"), ("target", "0.01")],
}


@pytest.mark.django_db(transaction=True)
def test_a_raw_unbalanced_transaction_fails_at_commit(fund):
    """Each statement is accepted; COMMIT is refused (one transactional test for every
    case: emptying the database after each would cost seconds)."""
    credit(fund, "100.00")
    accounts = {"source": budget_account().pk, "target": available_account(fund).pk}

    def insert(legs, key, sequence=None, previous=None):
        head = available_account(fund)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO fonds_ledgertransaction (fund_id, sequence, kind, amount, reference,
                    memo, idempotency_key, created_at, previous_hash, hash)
                VALUES (%s, %s, 'credit', 10.00, '', 'à la main', %s, now(), %s, %s)
                RETURNING id
                """,
                [
                    fund.pk,
                    sequence or head.head_sequence + 1,
                    key,
                    previous or head.head_hash,
                    uuid.uuid4().hex * 2,
                ],
            )
            tx_id = cursor.fetchone()[0]
            for account, amount in legs:
                cursor.execute(
                    "INSERT INTO fonds_ledgerleg (transaction_id, account_id, amount) "
                    "VALUES (%s, %s, %s)",
                    [tx_id, accounts[account], Decimal(amount)],
                )
            written.append(key)

    before = ledger_state()
    for case, legs in UNBALANCED.items():
        written = []
        with pytest.raises(IntegrityError) as caught:
            insert(legs, case)
        assert written == [case], case  # every statement passed: COMMIT refused it
        assert sqlstate(caught.value) == "23514", case
        assert "unbalanced" in str(caught.value), case
        assert ledger_state() == before, case
    assert verify_ledger().ok
    # A transaction that does not extend its fund's chain head is refused at once.
    for sequence, previous in ((99, None), (None, "0" * 64)):
        written = []
        with pytest.raises(IntegrityError) as caught:
            insert([("target", "10.00"), ("source", "-10.00")], "astray", sequence, previous)
        assert written == [] and constraint_violated(caught.value, "ledger_extends_chain_head")
        assert ledger_state() == before
    # The same statements with balanced legs commit, the cached balances and head
    # following; the forged hash is what verify_ledger reports.
    written = []
    insert([("target", "10.00"), ("source", "-10.00")], "balanced")
    tx = LedgerTransaction.objects.get(idempotency_key="balanced")
    assert available_account(fund).balance == Decimal("110.00")
    assert available_account(fund).head_hash == tx.hash
    assert "content does not match its hash" in verify_ledger().error


# The hash chain ------------------------------------------------------------------------

TAMPERING = {
    "memo": "UPDATE fonds_ledgertransaction SET memo = 'Moins chez' WHERE id = %s",
    "amount": "UPDATE fonds_ledgertransaction SET amount = 58.00 WHERE id = %s",
    "leg": "UPDATE fonds_ledgerleg SET amount = 58.00 WHERE transaction_id = %s AND amount > 0",
    "date": "UPDATE fonds_ledgertransaction SET created_at = created_at + interval '1 microsecond' "
    "WHERE id = %s",
    "reference": "UPDATE fonds_ledgertransaction SET reference = 'CQ-BEL-2026-00l' WHERE id = %s",
}


@pytest.mark.parametrize("what", TAMPERING)
def test_one_changed_character_in_the_middle_of_a_chain_is_found(ledger, what):
    for amount in ("1.00", "2.00", "3.00"):
        credit(ledger["fund"], amount)
    middle = ledger["txs"][3]  # the release of 50,00\xa0€ ("Moins cher"), sequence 4 of 8
    assert (middle.sequence, middle.memo, middle.amount) == (4, "Moins cher", Decimal("50.00"))
    report = verify_ledger(registered=False)
    assert report.ok and report.heads[ledger["fund"].slug][0] == 8
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit):
        call_command("ledger", "verify", stdout=out, stderr=err)
    # The chain replays; only the council's check objects: this COMMIT cites no decision.
    assert f"{ledger['fund'].slug}: 8 transactions, head " in out.getvalue()
    assert "cites decision CQ-BEL-2026-001, which is not a published decision" in err.getvalue()

    # What only a superuser could do: change a byte with the guards asleep.
    as_owner(TAMPERING[what], [middle.pk])

    report = verify_ledger()
    assert not report.ok
    assert f"transaction id {middle.pk} (sequence 4)" in report.error
    assert "content does not match its hash" in report.error
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("ledger", "verify", stdout=out, stderr=err)
    assert exited.value.code == 1
    assert f"ledger verify FAILED at fund {ledger['fund'].slug}, transaction id {middle.pk} " in (
        err.getvalue()
    )


def test_a_chain_rewritten_from_the_middle_does_not_match_its_stored_head(ledger):
    """Even recomputing the changed row's hash does not help: the next row's previous
    hash no longer matches."""
    from fonds.ledger import chain_hash

    middle = ledger["txs"][2]
    middle.memo = "Virement détourné"
    forged = chain_hash(middle.previous_hash, middle, list(middle.legs.all()))
    as_owner(
        "UPDATE fonds_ledgertransaction SET memo = %s, hash = %s WHERE id = %s",
        [middle.memo, forged, middle.pk],
    )
    report = verify_ledger()
    following = ledger["txs"][3]
    assert f"transaction id {following.pk} (sequence 4)" in report.error
    assert "previous hash does not match the chain" in report.error


def test_a_stored_balance_that_differs_from_the_legs_is_found(ledger):
    account = available_account(ledger["fund"])
    as_owner("UPDATE fonds_ledgeraccount SET balance = balance + 1 WHERE id = %s", [account.pk])
    report = verify_ledger()
    assert f"account id {account.pk} (fund_available)" in report.error


# Idempotency ---------------------------------------------------------------------------


def test_every_posting_retried_with_its_key_returns_the_same_row(ledger, people):
    fund, initiative, grant = ledger["fund"], ledger["initiative"], ledger["grant"]
    reversal = ledger_reverse(actor=SYSTEM, original=ledger["txs"][4], idempotency_key="rev-1")
    before = ledger_state()
    audit = AuditEntry.objects.count()
    retries = [
        (ledger["txs"][0], lambda: credit(fund, "10000.00", key=ledger["txs"][0].idempotency_key)),
        (
            ledger["txs"][1],
            lambda: ledger_commit(
                actor=SYSTEM,
                initiative=initiative,
                amount=Decimal("800"),
                decision_reference=" CQ-BEL-2026-001 ",
                idempotency_key="commit-1",
            ),
        ),
        (
            ledger["txs"][2],
            lambda: ledger_disburse(
                actor=SYSTEM,
                grant=grant,
                amount="100,00",
                payment_reference="MANDAT-2026-0042",
                payment_date=timezone.localdate(),
                idempotency_key="disburse-1",
            ),
        ),
        (
            ledger["txs"][3],
            lambda: ledger_release(
                actor=SYSTEM, grant=grant, amount="50", idempotency_key="release-1"
            ),
        ),
        (
            reversal,
            lambda: ledger_reverse(
                actor=SYSTEM, original=ledger["txs"][4], idempotency_key="rev-1"
            ),
        ),
    ]
    for original, retry in retries:
        assert retry().pk == original.pk
        assert retry().pk == original.pk
    assert ledger_state() == before
    assert AuditEntry.objects.count() == audit
    assert Grant.objects.count() == 1


def test_a_key_reused_for_another_operation_is_refused(ledger, people):
    fund, grant = ledger["fund"], ledger["grant"]
    other = grant_for(make_initiative(fund, people["author"], "1000.00"), "100.00")
    credit_key = ledger["txs"][0].idempotency_key
    before = ledger_state()
    attempts = [
        # Another amount, another fund, another kind under a credit's key.
        lambda: credit(fund, "10000.01", key=credit_key),
        lambda: ledger_release(
            actor=SYSTEM, grant=grant, amount="1.00", idempotency_key=credit_key
        ),
        # Same kind and amount, but another grant, reference or decision.
        lambda: ledger_disburse(
            actor=SYSTEM,
            grant=other,
            amount="100.00",
            payment_reference="MANDAT-2026-0042",
            payment_date=timezone.localdate(),
            idempotency_key="disburse-1",
        ),
        lambda: ledger_disburse(
            actor=SYSTEM,
            grant=grant,
            amount="100.00",
            payment_reference="MANDAT-2026-0043",
            payment_date=timezone.localdate(),
            idempotency_key="disburse-1",
        ),
        lambda: ledger_release(
            actor=SYSTEM, grant=other, amount="50.00", idempotency_key="release-1"
        ),
        lambda: ledger_commit(
            actor=SYSTEM,
            initiative=ledger["initiative"],
            amount="800.00",
            decision_reference="CQ-BEL-2026-002",
            idempotency_key="commit-1",
        ),
        lambda: ledger_commit(
            actor=SYSTEM,
            initiative=other.initiative,
            amount="800.00",
            decision_reference="CQ-BEL-2026-001",
            idempotency_key="commit-1",
        ),
        lambda: ledger_reverse(actor=SYSTEM, original=ledger["txs"][4], idempotency_key="commit-1"),
    ]
    for number, attempt in enumerate(attempts):
        with pytest.raises(LedgerError) as caught:
            attempt()
        assert caught.value.code == "key_reused", number
        assert caught.value.message == (
            "Cette clé d'idempotence a déjà servi pour une autre opération."
        )
    assert ledger_state() == before


def test_a_reversal_key_reused_for_another_reversal_is_refused(ledger):
    fund = ledger["fund"]
    first, second = credit(fund, "42.00"), credit(fund, "42.00")
    ledger_reverse(actor=SYSTEM, original=first, idempotency_key="rev-42")
    before = ledger_state()
    with pytest.raises(LedgerError) as caught:
        ledger_reverse(actor=SYSTEM, original=second, idempotency_key="rev-42")
    assert caught.value.code == "key_reused"
    assert ledger_state() == before


@pytest.mark.parametrize("key", ["", "   ", None, "x" * 101])
def test_a_posting_needs_a_key(ledger, key):
    with pytest.raises(LedgerError, match="clé d'idempotence"):
        ledger_credit(actor=SYSTEM, fund=ledger["fund"], amount="1.00", idempotency_key=key)


# Amounts, dates and references ---------------------------------------------------------


def refused(posting, message, code=None):
    before = ledger_state()
    with pytest.raises(DomainError) as caught:
        posting()
    assert caught.value.message == message, caught.value.message
    if code:
        assert caught.value.code == code
    assert ledger_state() == before
    return caught.value


def test_a_commit_is_at_most_the_request_and_what_the_fund_has(ledger, people):
    initiative = ledger["initiative"]

    def commit(amount, initiative=initiative):
        return lambda: ledger_commit(
            actor=SYSTEM,
            initiative=initiative,
            amount=amount,
            decision_reference=unique("CQ"),
            idempotency_key=unique("commit"),
        )

    refused(
        commit("1000.01"), "Le montant accordé dépasse le montant demandé (1\u202f000,00\xa0€)."
    )
    big = make_initiative(ledger["fund"], people["author"], "20000.00")
    # 10 000 + 2 500 credited, 800 committed, 50 released: 11 750,00 € available.
    refused(
        commit("11750.01", big),
        "Le fonds n'a que 11\u202f750,00\xa0€ disponibles ; 11\u202f750,01\xa0€ demandés.",
        "insufficient",
    )
    assert ledger_commit(
        actor=SYSTEM,
        initiative=big,
        amount="11750.00",
        decision_reference="CQ-ALL",
        idempotency_key="commit-all",
    ).amount == Decimal("11750.00")
    refused(commit("0.01"), "Le fonds n'a que 0,00\xa0€ disponibles ; 0,01\xa0€ demandés.")
    refused(
        lambda: ledger_commit(
            actor=SYSTEM,
            initiative=initiative,
            amount="1.00",
            decision_reference="   ",
            idempotency_key="commit-blank",
        ),
        "Un engagement cite la décision qui l'autorise.",
    )
    refused(
        lambda: ledger_commit(
            actor=SYSTEM,
            initiative=initiative,
            amount="1.00",
            decision_reference="CQ-ALL",
            idempotency_key="commit-again",
        ),
        "La décision CQ-ALL a déjà engagé une subvention.",
    )


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0", "Le montant doit être supérieur à zéro."),
        ("-10", "Le montant doit être supérieur à zéro."),
        ("12,345", "Le montant a au plus deux décimales."),
        ("douze", "Le montant doit être un nombre."),
        ("NaN", "Le montant doit être un nombre."),
        ("1000000.01", "Le montant ne peut dépasser 1\u202f000\u202f000,00\xa0€."),
    ],
)
def test_bad_amounts_are_refused_with_a_french_message(ledger, amount, message):
    grant = ledger["grant"]
    for posting in (
        lambda: ledger_credit(
            actor=SYSTEM, fund=ledger["fund"], amount=amount, idempotency_key="c"
        ),
        lambda: ledger_release(actor=SYSTEM, grant=grant, amount=amount, idempotency_key="r"),
        lambda: ledger_disburse(
            actor=SYSTEM,
            grant=grant,
            amount=amount,
            payment_reference="VIR",
            payment_date=timezone.localdate(),
            idempotency_key="d",
        ),
    ):
        refused(posting, message)


def test_no_more_than_committed_is_paid_or_released(ledger):
    grant = ledger["grant"]  # 800 committed, 100 paid, 50 released: 650 left

    def disburse(amount, **overrides):
        values = {
            "actor": SYSTEM,
            "grant": grant,
            "amount": amount,
            "payment_reference": "MANDAT-7",
            "payment_date": timezone.localdate(),
            "idempotency_key": unique("disburse"),
        }
        values.update(overrides)
        return lambda: ledger_disburse(**values)

    left = "La subvention n'a plus que 650,00\xa0€ engagés ; 650,01\xa0€ demandés."
    refused(disburse("650.01"), left, "insufficient")
    refused(
        lambda: ledger_release(
            actor=SYSTEM, grant=grant, amount="650.01", idempotency_key=unique("release")
        ),
        left,
        "insufficient",
    )
    future = timezone.localdate() + datetime.timedelta(days=1)
    dated = "La date du paiement est requise et ne peut être dans le futur."
    refused(disburse("10.00", payment_date=future), dated)
    refused(disburse("10.00", payment_date=None), dated)
    reference = "Indiquez la référence du paiement (mandat, virement)."
    refused(disburse("10.00", payment_reference=""), reference)
    refused(disburse("10.00", payment_reference="   "), reference)
    refused(disburse("10.00", payment_reference="M" * 101), reference)
    disburse("600.00")()
    ledger_release(actor=SYSTEM, grant=grant, amount="50.00", idempotency_key="release-rest")
    refused(disburse("0.01"), "La subvention n'a plus que 0,00\xa0€ engagés ; 0,01\xa0€ demandés.")
    assert LedgerAccount.objects.get(grant=grant).balance == 0


def test_reversals(ledger, people):
    fund = ledger["fund"]
    original = ledger["txs"][4]  # the second credit, 2 500 €
    reversal = ledger_reverse(
        actor=people["administrator"], original=original, idempotency_key="rev-1", memo="Doublon"
    )
    assert (reversal.kind, reversal.amount, reversal.reverses_id) == (
        "reversal",
        original.amount,
        original.pk,
    )
    assert {(leg.account_id, leg.amount) for leg in reversal.legs.all()} == {
        (leg.account_id, -leg.amount) for leg in original.legs.all()
    }
    refused(
        lambda: ledger_reverse(actor=SYSTEM, original=original, idempotency_key="rev-2"),
        "Cette opération est déjà contre-passée.",
    )
    refused(
        lambda: ledger_reverse(actor=SYSTEM, original=reversal, idempotency_key="rev-3"),
        "Une contre-passation ne se contre-passe pas.",
    )
    # Reversing the commit would take back money already paid: refused.
    refused(
        lambda: ledger_reverse(actor=SYSTEM, original=ledger["txs"][1], idempotency_key="rev-4"),
        "La subvention n'a plus que 650,00\xa0€ engagés ; 800,00\xa0€ demandés.",
        "insufficient",
    )
    # Reversing the payment puts the money back on the grant.
    ledger_reverse(actor=SYSTEM, original=ledger["txs"][2], idempotency_key="rev-5")
    ledger["grant"].account.refresh_from_db()
    assert ledger["grant"].account.balance == Decimal("750.00")
    assert verify_ledger(registered=False).ok
    assert available_account(fund).balance == Decimal("9250.00")


# Who may post --------------------------------------------------------------------------


def test_only_administrators_credit_and_reverse(ledger, people):
    fund, original = ledger["fund"], ledger["txs"][4]
    for name in ("resident", "author", "instructor", "council_member", "chair"):
        before = ledger_state()
        with pytest.raises(PermissionDenied):
            ledger_credit(
                actor=people[name], fund=fund, amount="10.00", idempotency_key=f"c-{name}"
            )
        with pytest.raises(PermissionDenied):
            ledger_reverse(actor=people[name], original=original, idempotency_key=f"r-{name}")
        assert ledger_state() == before
    tx = ledger_credit(
        actor=people["administrator"], fund=fund, amount="10.00", idempotency_key="c-admin"
    )
    assert tx.actor == people["administrator"]
    assert AuditEntry.objects.filter(
        action="fonds.ledger.credit", target_id=str(tx.pk), actor=people["administrator"]
    ).exists()


def test_only_a_voting_council_member_or_an_administrator_commits(ledger, people):
    """The ledger's own guard; `votes` checks before it publishes that the actor
    presides the item (tests/votes/test_duties.py)."""
    initiative = ledger["initiative"]
    for name in ("resident", "author", "instructor", "other_instructor"):
        with pytest.raises(PermissionDenied):
            ledger_commit(
                actor=people[name],
                initiative=initiative,
                amount="1.00",
                decision_reference=f"CQ-{name}",
                idempotency_key=f"k-{name}",
            )
    for name in ("chair", "council_member", "administrator"):
        ledger_commit(
            actor=people[name],
            initiative=initiative,
            amount="1.00",
            decision_reference=f"CQ-{name}",
            idempotency_key=f"k-{name}",
        )


def test_only_instructors_of_the_quartier_who_did_not_write_the_dossier_pay(ledger, people):
    grant = ledger["grant"]
    own = grant_for(make_initiative(ledger["fund"], people["instructor"], "300.00"), "200.00")
    refusals = [(name, grant) for name in ("resident", "author", "other_instructor")]
    refusals += [("council_member", grant), ("chair", grant), ("administrator", grant)]
    refusals += [("instructor", own)]  # their own dossier
    for name, target in refusals:
        before = ledger_state()
        with pytest.raises(PermissionDenied):
            ledger_disburse(
                actor=people[name],
                grant=target,
                amount="1.00",
                payment_reference="VIR",
                payment_date=timezone.localdate(),
                idempotency_key=f"d-{name}-{target.pk}",
            )
        with pytest.raises(PermissionDenied):
            ledger_release(
                actor=people[name], grant=target, amount="1.00", idempotency_key=f"r-{name}"
            )
        assert ledger_state() == before
    give_account(grant.initiative)
    paid = ledger_disburse(
        actor=people["instructor"],
        grant=grant,
        amount="1.00",
        payment_reference="VIR",
        payment_date=timezone.localdate() - datetime.timedelta(days=3),
        idempotency_key="d-ok",
    )
    released = ledger_release(
        actor=people["instructor"], grant=grant, amount="1.00", idempotency_key="r-ok"
    )
    assert paid.actor == released.actor == people["instructor"]
    assert LedgerLeg.objects.filter(transaction__in=[paid, released]).count() == 4
    assert verify_ledger(registered=False).ok
