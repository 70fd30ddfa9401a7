"""Decisions: the majority rules applied to a closed vote (casting vote, secret ballot,
abstentions), references, deferral, publication with the ledger's COMMIT in the same
transaction, the author's email, and what PostgreSQL itself refuses."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts.errors import DomainError, PermissionDenied
from accounts.models import User
from fonds.ledger import fund_balances, ledger_credit
from fonds.models import Grant, Initiative, LedgerTransaction
from fonds.services import initiative_withdraw
from tests.dbowner import as_owner
from tests.system import SYSTEM
from votes.models import AgendaItem, Decision, Mandate
from votes.services import (
    agenda_add,
    attendance_record,
    council_create,
    decision_publish,
    decision_record,
    mandate_grant,
    session_close,
    session_open,
    session_plan,
    vote_cast,
    vote_close,
    vote_open,
)

pytestmark = pytest.mark.django_db

Outcome = Decision.Outcome


def run_vote(chair, item, choices, *, mode="show_of_hands", amount="750"):
    """Open a vote on ``item``, cast ``choices`` ({member: choice}), close it."""
    vote = vote_open(actor=chair, item=item, mode=mode, proposed_amount=amount)
    for member, choice in choices.items():
        vote_cast(actor=member, vote=vote, choice=choice)
    return vote_close(actor=chair, vote=vote)


def year_of(session):
    return timezone.localtime(session.starts_at).year


@pytest.fixture
def decided(opened, members, chair, item):
    """A granted decision on 750 € (3 for, 1 against), recorded, not published."""
    chair_, sophie, ali, claire = members[:4]
    run_vote(chair, item, {chair_: "for", sophie: "for", ali: "for", claire: "against"})
    return decision_record(actor=chair, item=item)


# --- Majority rules -------------------------------------------------------------------


def test_a_majority_of_votes_cast_grants_the_proposed_amount(opened, members, chair, item):
    chair_, sophie, ali, claire = members[:4]
    run_vote(chair, item, {chair_: "for", sophie: "for", ali: "against", claire: "abstain"})
    decision = decision_record(actor=chair, item=item)
    assert decision.outcome == Outcome.GRANTED
    assert decision.amount == Decimal("750.00") < item.initiative.requested_amount
    assert (decision.tally["for"], decision.tally["against"], decision.tally["abstain"]) == (
        2,
        1,
        1,
    )
    assert decision.tally["proposed_amount"] == "750.00"
    assert decision.tally["tie"] is False
    assert decision.rule_applied.startswith("Majorité des suffrages exprimés")
    assert decision.published_at is None


@pytest.mark.parametrize(
    ("chair_choice", "others", "outcome", "casting"),
    [
        ("for", ["for", "against", "against"], Outcome.GRANTED, True),
        ("against", ["for", "for", "against"], Outcome.REFUSED, True),
        ("abstain", ["for", "against", "abstain"], Outcome.REFUSED, False),
    ],
    ids=["chair for", "chair against", "chair abstains"],
)
def test_a_tie_is_decided_by_the_chairs_own_vote(
    chair_choice, others, outcome, casting, opened, members, chair, item
):
    chair_, sophie, ali, claire = members[:4]
    choices = {chair_: chair_choice} | dict(zip([sophie, ali, claire], others, strict=True))
    run_vote(chair, item, choices)
    decision = decision_record(actor=chair, item=item)
    assert decision.tally["tie"] is True
    assert decision.outcome == outcome
    assert decision.tally["casting_vote_used"] is casting
    assert decision.rule_applied.endswith("voix prépondérante du président")


def test_a_tie_in_a_secret_ballot_is_refused(opened, members, chair, item):
    chair_, sophie, ali, claire = members[:4]
    choices = {chair_: "for", sophie: "for", ali: "against", claire: "against"}
    run_vote(chair, item, choices, mode="secret")
    decision = decision_record(actor=chair, item=item)
    assert (decision.outcome, decision.amount) == (Outcome.REFUSED, None)
    assert decision.tally["tie"] is True and decision.tally["casting_vote_used"] is False
    assert "scrutin secret, pas de voix prépondérante" in decision.rule_applied


def test_without_a_casting_vote_a_tie_is_refused(council, opened, members, chair, item):
    council.chair_casting_vote = False
    council.save()
    chair_, sophie, ali, claire = members[:4]
    run_vote(chair, item, {chair_: "for", sophie: "for", ali: "against", claire: "against"})
    decision = decision_record(actor=chair, item=item)
    assert decision.outcome == Outcome.REFUSED
    assert decision.tally["casting_vote_used"] is False
    assert decision.rule_applied.endswith("la proposition est rejetée")


@pytest.mark.parametrize("abstainers", [4, 0], ids=["all abstain", "nobody voted"])
def test_with_no_vote_cast_nothing_is_granted(abstainers, opened, members, chair, item):
    run_vote(chair, item, dict.fromkeys(members[:abstainers], "abstain"))
    decision = decision_record(actor=chair, item=item)
    assert (decision.outcome, decision.amount) == (Outcome.REFUSED, None)
    assert decision.tally["abstain"] == abstainers


def test_a_decision_needs_a_closed_vote(opened, members, chair, item, nothing_written):
    with nothing_written(), pytest.raises(DomainError, match="Clôturez d'abord le vote"):
        decision_record(actor=chair, item=item)
    vote = vote_open(actor=chair, item=item, mode="show_of_hands", proposed_amount="750")
    vote_cast(actor=chair, vote=vote, choice="for")
    with nothing_written(), pytest.raises(DomainError, match="Clôturez d'abord le vote"):
        decision_record(actor=chair, item=item)


@pytest.mark.parametrize("defer", [False, True], ids=["from the vote", "deferral"])
def test_one_decision_per_item(defer, decided, chair, item, nothing_written):
    with nothing_written(), pytest.raises(DomainError, match="déjà enregistrée"):
        decision_record(actor=chair, item=item, defer=defer, reason="Devis à préciser.")
    with nothing_written(), pytest.raises(DomainError, match="déjà enregistrée"):
        vote_open(actor=chair, item=item, mode="roll_call", proposed_amount="100")


def test_only_the_chair_records_a_decision(opened, members, people, chair, item, nothing_written):
    run_vote(chair, item, {chair: "for"})
    for actor in (members[1], members[5], people["instructor"], people["administrator"]):
        with nothing_written(), pytest.raises(PermissionDenied):
            decision_record(actor=actor, item=item)


def test_a_decision_is_recorded_only_in_an_open_session(
    session, members, chair, item, nothing_written
):
    with nothing_written(), pytest.raises(DomainError, match="pas ouverte"):
        decision_record(actor=chair, item=item, defer=True, reason="Devis à préciser.")
    attendance_record(actor=chair, session=session, present=members[:3])
    session_open(actor=chair, session=session)
    decision_record(actor=chair, item=item, defer=True, reason="Devis à préciser.")
    session_close(actor=chair, session=session)
    with nothing_written(), pytest.raises(DomainError, match="pas ouverte"):
        decision_record(actor=chair, item=item, defer=True, reason="Devis à préciser.")


# --- References -----------------------------------------------------------------------


def test_references_are_numbered_per_quartier_and_year(
    opened,
    council,
    members,
    chair,
    item,
    instructor,
    people,
    other_quartier,
    other_fund,
    make_admissible,
):
    year = year_of(opened)
    second = agenda_add(actor=instructor, session=opened, initiative=make_admissible())
    first = decision_record(actor=chair, item=item, defer=True, reason="Devis à préciser.")
    run_vote(chair, second, {chair: "for"})
    assert (first.reference, decision_record(actor=chair, item=second).reference) == (
        f"CQ-BELLEVUE-{year}-001",
        f"CQ-BELLEVUE-{year}-002",
    )

    # Another quartier starts its own numbering.
    elsewhere = council_create(actor=SYSTEM, quartier=other_quartier, name="CQ Tilleuls")
    elsewhere.quorum_rule = "none"
    elsewhere.save()
    other_chair = User.objects.create_user(email="maire-tilleuls@example.org")
    mandate_grant(
        actor=SYSTEM,
        council=elsewhere,
        user=other_chair,
        role=Mandate.Role.CHAIR,
        starts_on=timezone.localdate() - datetime.timedelta(days=10),
    )
    there = session_plan(
        actor=other_chair, council=elsewhere, starts_at=timezone.now(), place="Mairie annexe"
    )
    dossier = make_admissible(fund=other_fund, instructor=people["other_instructor"])
    there_item = agenda_add(actor=people["other_instructor"], session=there, initiative=dossier)
    attendance_record(actor=other_chair, session=there, present=[other_chair])
    session_open(actor=other_chair, session=there)
    assert (
        decision_record(
            actor=other_chair, item=there_item, defer=True, reason="Devis à préciser."
        ).reference
        == f"CQ-LESTILLEULS-{year}-001"
    )


def test_the_year_of_a_reference_is_the_local_year_of_the_session(
    council, members, chair, instructor, admissible
):
    """A session at half past midnight on New Year's Day (Paris time) is a session of
    the new year, though it is still the old year in UTC."""
    year = timezone.localdate().year + 1
    starts_at = datetime.datetime(year, 1, 1, 0, 30, tzinfo=timezone.get_current_timezone())
    session = session_plan(actor=chair, council=council, starts_at=starts_at, place="Mairie")
    item = agenda_add(actor=instructor, session=session, initiative=admissible)
    attendance_record(actor=chair, session=session, present=members[:3])
    session_open(actor=chair, session=session)
    decision = decision_record(actor=chair, item=item, defer=True, reason="Devis à préciser.")
    assert decision.reference == f"CQ-BELLEVUE-{year}-001"


# --- Deferral -------------------------------------------------------------------------


def test_a_deferred_item_goes_back_to_admissible_on_publication(
    opened, council, chair, item, instructor, django_capture_on_commit_callbacks
):
    decision = decision_record(actor=chair, item=item, defer=True, reason="Devis à préciser.")
    assert (decision.outcome, decision.amount, decision.vote, decision.tally) == (
        Outcome.DEFERRED,
        None,
        None,
        {},
    )
    assert decision.rule_applied == "Ajournement décidé en séance. Devis à préciser."
    assert Initiative.objects.get(pk=item.initiative_id).status == Initiative.Status.ON_AGENDA
    with django_capture_on_commit_callbacks(execute=True):
        decision_publish(actor=chair, decision=decision)
    initiative = Initiative.objects.get(pk=item.initiative_id)
    assert initiative.status == Initiative.Status.ADMISSIBLE
    assert not LedgerTransaction.objects.filter(kind="commit").exists()
    assert [m.subject for m in mail.outbox] == [
        f"La décision sur « {initiative.title} » est ajournée"
    ]
    # Ready for a later session's agenda.
    later = session_plan(actor=chair, council=council, starts_at=timezone.now(), place="Mairie")
    agenda_add(actor=instructor, session=later, initiative=initiative)


# --- Publication ----------------------------------------------------------------------


def test_publication_posts_one_commit_referencing_the_decision(decided, chair, credited):
    published = decision_publish(actor=chair, decision=decided)
    assert published.published_by == chair and published.published_at is not None
    commits = LedgerTransaction.objects.filter(kind="commit")
    assert commits.count() == 1
    commit = commits.get()
    assert (commit.reference, commit.amount) == (decided.reference, Decimal("750.00"))
    assert commit.grant == Grant.objects.get(decision_reference=decided.reference)
    assert commit.grant.initiative_id == decided.item.initiative_id
    assert fund_balances(credited)["available"] == Decimal("4250.00")
    assert Initiative.objects.get(pk=decided.item.initiative_id).status == "granted"


def test_only_the_chair_publishes(decided, members, people, credited, nothing_written):
    for actor in (members[1], members[5], people["instructor"], people["administrator"]):
        with nothing_written(), pytest.raises(PermissionDenied):
            decision_publish(actor=actor, decision=decided)


@pytest.mark.parametrize("envelope", [None, "749.99"], ids=["empty fund", "short fund"])
def test_a_fund_without_the_money_refuses_the_publication_and_nothing_is_written(
    envelope, decided, chair, fund, nothing_written
):
    if envelope:
        ledger_credit(actor=SYSTEM, fund=fund, amount=envelope, idempotency_key="short-credit")
    with nothing_written(), pytest.raises(DomainError, match="Publication impossible") as refused:
        decision_publish(actor=chair, decision=decided)
    assert refused.value.code == "insufficient"
    assert "750,00" in str(refused.value)
    assert Decision.objects.get(pk=decided.pk).published_at is None
    assert not LedgerTransaction.objects.filter(kind="commit").exists()
    assert Initiative.objects.get(pk=decided.item.initiative_id).status == "on_agenda"


def test_a_decision_is_published_once(decided, chair, credited, nothing_written):
    decision_publish(actor=chair, decision=decided)
    with nothing_written(), pytest.raises(DomainError, match="déjà publiée"):
        decision_publish(actor=chair, decision=decided)
    assert LedgerTransaction.objects.filter(kind="commit").count() == 1


def test_the_author_gets_one_email_after_the_commit(
    decided, chair, author, credited, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        decision_publish(actor=chair, decision=decided)
        assert mail.outbox == []
    assert mail.outbox == [] and len(callbacks) == 1
    callbacks[0]()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [author.email]
    assert "Une subvention est accordée" in mail.outbox[0].subject


def test_a_refusal_is_published_without_a_commit(
    opened, members, chair, item, credited, django_capture_on_commit_callbacks
):
    run_vote(chair, item, {members[0]: "against", members[1]: "for", members[2]: "against"})
    decision = decision_record(actor=chair, item=item)
    with django_capture_on_commit_callbacks(execute=True):
        decision_publish(actor=chair, decision=decision)
    assert decision.outcome == Outcome.REFUSED
    assert not LedgerTransaction.objects.filter(kind="commit").exists()
    assert Initiative.objects.get(pk=item.initiative_id).status == "refused"
    assert len(mail.outbox) == 1 and "n'a pas retenu" in mail.outbox[0].subject


def test_the_commit_is_undone_when_the_publication_fails_after_it(
    decided, chair, author, credited, nothing_written
):
    """The author withdrew the dossier after the vote: the publication stops after the
    ledger's COMMIT was posted, and that COMMIT is rolled back with it."""
    initiative_withdraw(
        actor=author, initiative=Initiative.objects.get(pk=decided.item.initiative_id)
    )
    with nothing_written(), pytest.raises(DomainError, match="plus en attente de décision"):
        decision_publish(actor=chair, decision=decided)
    assert not LedgerTransaction.objects.filter(kind="commit").exists()
    assert fund_balances(credited)["available"] == Decimal("5000.00")


# --- A dossier withdrawn while on the agenda ------------------------------------------


@pytest.mark.parametrize("copy", ["fresh", "stale"])
def test_a_withdrawn_dossier_gets_no_vote(copy, opened, chair, author, item, nothing_written):
    initiative_withdraw(actor=author, initiative=Initiative.objects.get(pk=item.initiative_id))
    if copy == "fresh":
        item = AgendaItem.objects.get(pk=item.pk)
    with nothing_written(), pytest.raises(DomainError, match="plus en attente de décision"):
        vote_open(actor=chair, item=item, mode="show_of_hands", proposed_amount="500")


@pytest.mark.parametrize("copy", ["fresh", "stale"])
@pytest.mark.parametrize("defer", [False, True], ids=["from the vote", "deferral"])
def test_a_withdrawn_dossier_gets_no_decision(
    copy, defer, opened, chair, author, item, nothing_written
):
    run_vote(chair, item, {chair: "for"})
    initiative_withdraw(actor=author, initiative=Initiative.objects.get(pk=item.initiative_id))
    if copy == "fresh":
        item = AgendaItem.objects.get(pk=item.pk)
    with nothing_written(), pytest.raises(DomainError, match="plus en attente de décision"):
        decision_record(actor=chair, item=item, defer=defer, reason="Devis à préciser.")


# --- What PostgreSQL refuses ----------------------------------------------------------


def sqlstate(error):
    return getattr(error.__cause__, "sqlstate", None)


def raw(statement, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE votes_decision SET rule_applied = 'réécrite' WHERE id = %s",
        "UPDATE votes_decision SET published_at = NULL WHERE id = %s",
        "DELETE FROM votes_decision WHERE id = %s",
    ],
)
def test_a_published_decision_is_neither_updated_nor_deleted(statement, decided, chair, credited):
    decision_publish(actor=chair, decision=decided)
    before = Decision.objects.filter(pk=decided.pk).values().get()
    with pytest.raises(DatabaseError) as caught:
        raw(statement, [decided.pk])
    assert sqlstate(caught.value) == "42501", caught.value
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        as_owner(statement, [decided.pk], triggers=True)
    assert sqlstate(caught.value) == "42501", caught.value
    assert Decision.objects.filter(pk=decided.pk).values().get() == before


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement", ["TRUNCATE votes_decision", "TRUNCATE votes_decision CASCADE"]
)
def test_decisions_are_never_truncated(statement, decided, chair, credited):
    decision_publish(actor=chair, decision=decided)
    for run in (raw, lambda sql: as_owner(sql, triggers=True)):
        with pytest.raises(DatabaseError) as caught, transaction.atomic():
            run(statement)
        assert sqlstate(caught.value) == "42501", caught.value
    assert Decision.objects.filter(pk=decided.pk, published_at__isnull=False).exists()


@pytest.mark.postgres
def test_an_unpublished_decision_can_still_be_updated(decided):
    raw("UPDATE votes_decision SET rule_applied = 'corrigée' WHERE id = %s", [decided.pk])
    assert Decision.objects.get(pk=decided.pk).rule_applied == "corrigée"


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["votes_cast", "votes_ballot", "votes_participation"])
@pytest.mark.parametrize("verb", ["UPDATE", "DELETE"])
def test_casts_ballots_and_participations_are_append_only(
    table, verb, opened, members, chair, item
):
    mode = "show_of_hands" if table == "votes_cast" else "secret"
    run_vote(chair, item, {members[0]: "for", members[1]: "against"}, mode=mode)
    statement = {
        "votes_cast": "UPDATE votes_cast SET choice = 'against'",
        "votes_ballot": "UPDATE votes_ballot SET choice = 'against'",
        "votes_participation": "UPDATE votes_participation SET cast_by_id = member_id",
    }[table]
    if verb == "DELETE":
        statement = f"DELETE FROM {table}"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
        (count,) = cursor.fetchone()
    assert count == 2
    with pytest.raises(DatabaseError) as caught:
        raw(statement)
    assert sqlstate(caught.value) == "42501", caught.value
    assert "permission denied" in str(caught.value)  # the application holds no such right
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        as_owner(statement, triggers=True)  # and the owner meets the trigger
    assert sqlstate(caught.value) == "42501", caught.value
    assert "is protected" in str(caught.value)
