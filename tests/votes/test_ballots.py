"""Council votes: opening, casting (for oneself or with a proxy), recusals, secret
ballots kept apart from who voted, closing. Every refusal is a French DomainError (or
PermissionDenied) and writes nothing."""

import datetime
import uuid

import pytest
from django.db import connection, models
from django.utils import timezone

from accounts.errors import DomainError, PermissionDenied
from accounts.models import AuditEntry
from votes.models import Ballot, Cast, Participation, SecretCount, Vote
from votes.selectors import named_tally
from votes.services import (
    agenda_add,
    attendance_record,
    decision_record,
    interest_declare,
    proxy_record,
    session_close,
    vote_cast,
    vote_close,
    vote_open,
    vote_tally,
)

pytestmark = pytest.mark.django_db


def names(members):
    return dict(
        zip(["chair", "sophie", "ali", "claire", "hugo", "ex_officio"], members, strict=True)
    )


@pytest.fixture
def vote(opened, chair, item):
    """A show-of-hands vote open on the item, on 900 €."""
    return vote_open(actor=chair, item=item, mode="show_of_hands", proposed_amount="900")


@pytest.fixture
def with_proxy(opened, members, chair):
    """Hugo (absent) gave his proxy to Claire."""
    proxy_record(actor=chair, session=opened, giver=members[4], holder=members[3])
    return members


# --- Opening --------------------------------------------------------------------------


def test_the_chair_opens_a_vote_on_an_item_of_an_open_session(opened, chair, item):
    vote = vote_open(actor=chair, item=item, mode="roll_call", proposed_amount="1 000,50")
    assert (vote.status, vote.mode, str(vote.proposed_amount)) == ("open", "roll_call", "1000.50")
    assert AuditEntry.objects.filter(action="votes.vote.open", target_id=str(vote.pk)).exists()


def test_no_vote_opens_in_a_planned_session(session, members, chair, item, nothing_written):
    with nothing_written(), pytest.raises(DomainError, match="Prévue"):
        vote_open(actor=chair, item=item, mode="show_of_hands", proposed_amount="500")


def test_no_vote_opens_in_a_closed_session(opened, chair, item, nothing_written):
    decision_record(actor=chair, item=item, defer=True, reason="Devis à préciser.")
    session_close(actor=chair, session=opened)
    with nothing_written(), pytest.raises(DomainError, match="la séance est"):
        vote_open(actor=chair, item=item, mode="show_of_hands", proposed_amount="500")


def test_only_the_chair_opens_a_vote(opened, members, people, item, nothing_written):
    for who in ("sophie", "ex_officio", "instructor", "administrator"):
        actor = names(members).get(who) or people[who]
        with nothing_written(), pytest.raises(PermissionDenied, match="maire de quartier"):
            vote_open(actor=actor, item=item, mode="show_of_hands", proposed_amount="500")


def test_the_proposed_amount_is_positive_and_at_most_the_request(
    opened, chair, item, nothing_written
):
    for amount, message in [
        ("0", "supérieur à zéro"),
        ("-5", "supérieur à zéro"),
        ("cinq cents", "doit être un nombre"),
        ("1000.51", "dépasse le montant demandé"),
        ("12.345", "deux décimales"),
    ]:
        with nothing_written(), pytest.raises(DomainError, match=message):
            vote_open(actor=chair, item=item, mode="show_of_hands", proposed_amount=amount)


def test_an_unknown_mode_is_refused(opened, chair, item, nothing_written):
    with nothing_written(), pytest.raises(DomainError, match="Mode de scrutin inconnu"):
        vote_open(actor=chair, item=item, mode="acclamation", proposed_amount="500")


def test_one_open_vote_per_item(vote, chair, item, nothing_written):
    with nothing_written(), pytest.raises(DomainError, match="Un vote est déjà ouvert"):
        vote_open(actor=chair, item=item, mode="roll_call", proposed_amount="400")


# --- Casting --------------------------------------------------------------------------


def test_each_present_voting_member_casts_once(vote, members, nothing_written):
    chair_, sophie, ali, claire = members[:4]
    for member, choice in [(chair_, "for"), (sophie, "against"), (ali, "abstain")]:
        vote_cast(actor=member, vote=vote, choice=choice)
    with nothing_written(), pytest.raises(DomainError, match="déjà exprimé") as refused:
        vote_cast(actor=sophie, vote=vote, choice="for")
    assert refused.value.code == "duplicate"
    assert dict(Cast.objects.values_list("member", "choice")) == {
        chair_.pk: "for",
        sophie.pk: "against",
        ali.pk: "abstain",
    }
    result = vote_tally(vote)
    assert (result.for_, result.against, result.abstain) == (1, 1, 1)


def test_only_present_voting_members_cast(opened, members, chair, item, people, nothing_written):
    attendance_record(actor=chair, session=opened, present=[*members[:4], members[5]])
    vote = vote_open(actor=chair, item=item, mode="show_of_hands", proposed_amount="900")
    for who in ("hugo", "ex_officio", "resident", "instructor"):
        actor = names(members).get(who) or people[who]
        with nothing_written(), pytest.raises(PermissionDenied, match="Vous ne pouvez pas voter"):
            vote_cast(actor=actor, vote=vote, choice="for")


def test_an_unknown_choice_is_refused(vote, chair, nothing_written):
    with nothing_written(), pytest.raises(DomainError, match="Choix de vote inconnu"):
        vote_cast(actor=chair, vote=vote, choice="peut-être")


def test_no_cast_after_the_vote_closes(vote, members, chair, nothing_written):
    vote_cast(actor=chair, vote=vote, choice="for")
    vote_close(actor=chair, vote=vote)
    with nothing_written(), pytest.raises(DomainError, match="Le vote est clos") as refused:
        vote_cast(actor=members[1], vote=vote, choice="for")
    assert refused.value.code == "closed"


def test_no_cast_after_the_deadline(vote, members, nothing_written):
    Vote.objects.filter(pk=vote.pk).update(deadline=timezone.now() - datetime.timedelta(minutes=1))
    with nothing_written(), pytest.raises(DomainError, match="date limite") as refused:
        vote_cast(actor=members[1], vote=vote, choice="for")
    assert refused.value.code == "closed"


def test_a_vote_closes_once_and_only_by_the_chair(vote, members, chair, nothing_written):
    with nothing_written(), pytest.raises(PermissionDenied):
        vote_close(actor=members[1], vote=vote)
    closed = vote_close(actor=chair, vote=vote)
    assert closed.status == Vote.Status.CLOSED and closed.closed_at is not None
    with nothing_written(), pytest.raises(DomainError, match="déjà clos") as refused:
        vote_close(actor=chair, vote=vote)
    assert refused.value.code == "closed"


# --- Proxies --------------------------------------------------------------------------


def test_the_proxy_holder_casts_for_the_giver(with_proxy, vote, nothing_written):
    _, sophie, _, claire, hugo, _ = with_proxy
    vote_cast(actor=claire, vote=vote, choice="against")
    vote_cast(actor=claire, vote=vote, choice="for", on_behalf_of=hugo)
    cast = Cast.objects.get(member=hugo)
    assert (cast.cast_by, cast.choice) == (claire, "for")
    assert Cast.objects.get(member=claire).cast_by == claire
    with nothing_written(), pytest.raises(DomainError, match="déjà exprimé") as refused:
        vote_cast(actor=claire, vote=vote, choice="against", on_behalf_of=hugo)
    assert refused.value.code == "duplicate"


def test_only_the_holder_uses_a_proxy_and_the_absent_giver_does_not_vote(
    with_proxy, vote, nothing_written
):
    _, sophie, _, _, hugo, _ = with_proxy
    with nothing_written(), pytest.raises(PermissionDenied):
        vote_cast(actor=sophie, vote=vote, choice="for", on_behalf_of=hugo)
    with nothing_written(), pytest.raises(PermissionDenied):
        vote_cast(actor=hugo, vote=vote, choice="for")


# --- Interests ------------------------------------------------------------------------


def test_an_interested_member_votes_neither_for_themself_nor_with_a_proxy_they_hold(
    with_proxy, opened, chair, item, nothing_written
):
    chair_, sophie, ali, claire, hugo, _ = with_proxy
    interest_declare(actor=claire, item=item, note="Trésorière de l'association")
    vote = vote_open(actor=chair, item=item, mode="show_of_hands", proposed_amount="900")
    with nothing_written(), pytest.raises(PermissionDenied, match="Un intérêt a été déclaré"):
        vote_cast(actor=claire, vote=vote, choice="for")
    with nothing_written(), pytest.raises(PermissionDenied, match="Un intérêt a été déclaré"):
        vote_cast(actor=claire, vote=vote, choice="for", on_behalf_of=hugo)
    for member in (chair_, sophie, ali):
        vote_cast(actor=member, vote=vote, choice="for")
    vote_close(actor=chair, vote=vote)
    decision = decision_record(actor=chair, item=item)
    assert decision.tally["recused"] == [claire.pk, hugo.pk]
    assert named_tally(decision)["recused"] == ["Claire Petit", "Hugo Lemoine"]
    assert decision.tally["present_and_represented"] == 3


def test_a_proxy_given_by_an_interested_member_is_not_used(
    with_proxy, opened, chair, item, nothing_written
):
    chair_, sophie, ali, claire, hugo, _ = with_proxy
    interest_declare(actor=hugo, item=item)
    vote = vote_open(actor=chair, item=item, mode="roll_call", proposed_amount="900")
    with nothing_written(), pytest.raises(PermissionDenied, match="Un intérêt a été déclaré"):
        vote_cast(actor=claire, vote=vote, choice="for", on_behalf_of=hugo)
    vote_cast(actor=claire, vote=vote, choice="for")  # her own vote stands
    vote_close(actor=chair, vote=vote)
    assert decision_record(actor=chair, item=item).tally["recused"] == [hugo.pk]


def test_the_author_of_the_dossier_does_not_vote_on_it(
    opened, members, chair, instructor, make_admissible, nothing_written
):
    """Separation of duties: a council member's own dossier is voted on without them,
    even when they declared nothing."""
    sophie = members[1]
    own = make_admissible("Le jardin de Sophie", author=sophie)
    item = agenda_add(actor=instructor, session=opened, initiative=own)
    vote = vote_open(actor=chair, item=item, mode="show_of_hands", proposed_amount="500")
    with nothing_written(), pytest.raises(PermissionDenied):
        vote_cast(actor=sophie, vote=vote, choice="for")
    vote_cast(actor=chair, vote=vote, choice="for")
    vote_close(actor=chair, vote=vote)
    assert decision_record(actor=chair, item=item).tally["recused"] == [sophie.pk]


# --- Named and secret votes -----------------------------------------------------------


@pytest.mark.parametrize("mode", ["show_of_hands", "roll_call"])
def test_a_named_vote_records_who_voted_what(mode, with_proxy, opened, chair, item):
    chair_, sophie, ali, claire, hugo, _ = with_proxy
    vote = vote_open(actor=chair, item=item, mode=mode, proposed_amount="900")
    for actor, choice, behalf in [
        (chair_, "for", None),
        (sophie, "against", None),
        (claire, "abstain", None),
        (claire, "for", hugo),
    ]:
        vote_cast(actor=actor, vote=vote, choice=choice, on_behalf_of=behalf)
    audit = AuditEntry.objects.filter(action="votes.vote.cast", target_id=str(vote.pk))
    assert sorted((e.data["member"], e.data["choice"]) for e in audit) == sorted(
        [(chair_.pk, "for"), (sophie.pk, "against"), (claire.pk, "abstain"), (hugo.pk, "for")]
    )
    vote_close(actor=chair, vote=vote)
    decision = decision_record(actor=chair, item=item)
    # The decision keeps account ids, in the names' order; the pages name the members
    # through the accounts.
    assert decision.tally["votes"] == [
        {"member": claire.pk, "choice": "abstain", "by_proxy": False},
        {"member": hugo.pk, "choice": "for", "by_proxy": True},
        {"member": chair_.pk, "choice": "for", "by_proxy": False},
        {"member": sophie.pk, "choice": "against", "by_proxy": False},
    ]
    assert named_tally(decision)["votes"] == [
        {"member": "Claire Petit", "choice": "abstain", "by_proxy": False},
        {"member": "Hugo Lemoine", "choice": "for", "by_proxy": True},
        {"member": "Jean Moreau", "choice": "for", "by_proxy": False},
        {"member": "Sophie Martin", "choice": "against", "by_proxy": False},
    ]


def test_a_secret_vote_keeps_who_voted_apart_from_the_ballots(
    with_proxy, opened, chair, item, nothing_written
):
    chair_, sophie, ali, claire, hugo, _ = with_proxy
    vote = vote_open(actor=chair, item=item, mode="secret", proposed_amount="900")
    vote_cast(actor=chair_, vote=vote, choice="for")
    vote_cast(actor=sophie, vote=vote, choice="against")
    vote_cast(actor=claire, vote=vote, choice="for", on_behalf_of=hugo)
    assert not Cast.objects.exists()
    # While the vote is open no ballot exists: one count row holds the three totals.
    assert not Ballot.objects.exists()
    count = SecretCount.objects.get(vote=vote)
    assert (count.for_count, count.against_count, count.abstain_count) == (2, 1, 0)
    participations = Participation.objects.filter(vote=vote)
    assert sorted(participations.values_list("member", "cast_by")) == sorted(
        [(chair_.pk, chair_.pk), (sophie.pk, sophie.pk), (hugo.pk, claire.pk)]
    )
    with nothing_written(), pytest.raises(DomainError, match="déjà exprimé") as refused:
        vote_cast(actor=sophie, vote=vote, choice="for")
    assert refused.value.code == "duplicate"

    audit = AuditEntry.objects.filter(action="votes.vote.cast", target_id=str(vote.pk))
    assert audit.count() == 3
    for entry in audit:
        assert set(entry.data) == {"member"}
        assert not {"for", "against", "abstain"} & {str(v) for v in entry.data.values()}

    vote_close(actor=chair, vote=vote)
    assert sorted(Ballot.objects.values_list("choice", flat=True)) == ["against", "for", "for"]
    assert not SecretCount.objects.exists()
    decision = decision_record(actor=chair, item=item)
    assert (decision.tally["for"], decision.tally["against"]) == (2, 1)
    assert "votes" not in decision.tally


def test_the_ballot_table_holds_no_voter_and_no_time():
    fields = {field.name: field for field in Ballot._meta.get_fields()}
    assert set(fields) == {"id", "vote", "choice"}
    assert isinstance(fields["id"], models.UUIDField) and fields["id"].default is uuid.uuid4
    assert fields["vote"].related_model is Vote
    assert not any(
        isinstance(field, models.DateField | models.TimeField) for field in fields.values()
    )
    with connection.cursor() as cursor:
        description = connection.introspection.get_table_description(cursor, "votes_ballot")
        relations = connection.introspection.get_relations(cursor, "votes_ballot")
    # In the database too: three columns, one foreign key, to the vote — no voter, no time.
    assert {column.name for column in description} == {"id", "vote_id", "choice"}
    assert relations == {"vote_id": ("id", "votes_vote")}
    # Who took part is stored apart, with no choice and no link to a ballot.
    assert {f.name for f in Participation._meta.get_fields()} == {
        "id",
        "vote",
        "member",
        "cast_by",
    }


def test_ballots_are_written_at_closing_with_random_ids(
    opened, members, chair, item, instructor, make_admissible
):
    chair_, sophie, ali, claire, hugo, _ = members
    attendance_record(actor=chair, session=opened, present=members[:5])
    second = agenda_add(actor=instructor, session=opened, initiative=make_admissible())
    for agenda_item in (item, second):
        vote = vote_open(actor=chair, item=agenda_item, mode="secret", proposed_amount="900")
        for member in (chair_, sophie, ali, claire, hugo):
            vote_cast(actor=member, vote=vote, choice="for")
            assert not Ballot.objects.filter(vote=vote).exists()
        with pytest.raises(DomainError, match="qu'à sa clôture"):
            vote_tally(vote)
        vote_close(actor=chair, vote=vote)
        assert Ballot.objects.filter(vote=vote).count() == 5
    ids = list(Ballot.objects.values_list("id", flat=True))
    assert len(set(ids)) == 10
    # Random (version 4) identifiers: no time, no sequence (a version 1 or 7 UUID would
    # carry the moment it was made).
    assert all(isinstance(i, uuid.UUID) and i.version == 4 for i in ids)
