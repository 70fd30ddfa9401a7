"""A secret ballot stays secret in the database. Each cast runs in its own transaction,
as in real requests; after the vote closes nothing links a voter to a choice: not the
``xmin`` of the rows, not their physical order (``ctid``), not their ids, not a time,
not the audit log, not the history tables. While the vote is open, the presiding
officer's live tally, the item page and the minutes show only how many have voted."""

import datetime
import threading
import uuid

import pytest
from django.apps import apps
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.errors import DomainError
from accounts.models import AuditEntry
from votes.models import Ballot, Participation, SecretCount, Vote
from votes.selectors import minutes_context
from votes.services import (
    attendance_record,
    decision_record,
    session_open,
    vote_cast,
    vote_close,
    vote_open,
)
from votes.services import ballots as ballots_module

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CHOICES = ["for", "against", "abstain", "for", "against"]


def rows(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def history_counts():
    """Rows in every django-simple-history table."""
    return {
        model._meta.db_table: model.objects.count()
        for model in apps.get_models()
        if model.__name__.startswith("Historical")
    }


@pytest.fixture
def voters(session, members, chair):
    """The chair and the four voting members present; the session open."""
    attendance_record(actor=chair, session=session, present=members[:5])
    session_open(actor=chair, session=session)
    return members[:5]


@pytest.fixture
def secret_vote(voters, chair, item):
    return vote_open(actor=chair, item=item, mode="secret", proposed_amount="900")


@pytest.fixture
def shuffles(monkeypatch):
    """Records what the closing shuffles, around the real (operating system) shuffle."""
    seen = []
    real = ballots_module._random

    class Spy:
        def shuffle(self, values):
            before = list(values)
            real.shuffle(values)
            seen.append((before, list(values)))

    monkeypatch.setattr(ballots_module, "_random", Spy())
    return seen


def cast_all(vote, voters):
    for voter, choice in zip(voters, CHOICES[: len(voters)], strict=True):
        vote_cast(actor=voter, vote=vote, choice=choice)  # one transaction each


def test_nothing_links_a_voter_to_a_ballot_after_closing(
    secret_vote, voters, chair, item, shuffles
):
    history_before = history_counts()
    cast_all(secret_vote, voters)
    assert history_counts() == history_before, "a cast wrote a history row"
    assert not Ballot.objects.exists()
    vote_close(actor=chair, vote=secret_vote)

    participations = rows(
        "SELECT id, xmin::text, member_id FROM votes_participation WHERE vote_id = %s ORDER BY id",
        [secret_vote.pk],
    )
    ballots = rows(
        "SELECT id, xmin::text, choice FROM votes_ballot WHERE vote_id = %s ORDER BY ctid",
        [secret_vote.pk],
    )
    assert [member for _i, _x, member in participations] == [v.pk for v in voters]
    assert sorted(choice for _i, _x, choice in ballots) == sorted(CHOICES)

    # xmin: every participation has its own cast's transaction; every ballot the
    # closing transaction's (the vote row's), which no participation has.
    participation_xmins = {xmin for _i, xmin, _m in participations}
    ballot_xmins = {xmin for _i, xmin, _c in ballots}
    (vote_xmin,) = rows("SELECT xmin::text FROM votes_vote WHERE id = %s", [secret_vote.pk])[0]
    assert len(participation_xmins) == len(voters)
    assert ballot_xmins == {vote_xmin}
    assert not ballot_xmins & participation_xmins

    # Physical order: the ballots lie in the order of the closing shuffle, which was
    # given the counts grouped by choice — never the order of the casts.
    ((before, after),) = shuffles
    assert before == ["for", "for", "against", "against", "abstain"]
    assert [choice for _i, _x, choice in ballots] == after

    # Ids: random UUIDs (no time, no sequence), none of them in the audit log.
    ids = [ballot_id for ballot_id, _x, _c in ballots]
    assert all(isinstance(i, uuid.UUID) and i.version == 4 for i in ids)
    audit_text = " ".join(str(data) for data in AuditEntry.objects.values_list("data", flat=True))
    assert not any(str(i) in audit_text for i in ids)

    # Times: a ballot has no time column at all.
    columns = {
        name
        for (name,) in rows(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'votes_ballot'"
        )
    }
    assert columns == {"id", "vote_id", "choice"}

    # Audit: each cast names the voter, never the choice; the closing gives the totals.
    for entry in AuditEntry.objects.filter(target_type="votes.vote", target_id=str(secret_vote.pk)):
        if entry.action == "votes.vote.cast":
            assert set(entry.data) == {"member"}
        elif entry.action == "votes.vote.close":
            assert entry.data == {"for": 2, "against": 2, "abstain": 1}
        else:
            assert entry.action == "votes.vote.open"
    assert not any(
        "choice" in data
        for data in AuditEntry.objects.filter(action="votes.vote.cast").values_list(
            "data", flat=True
        )
    )

    # History: nothing kept for counts, ballots or participations; the vote's own
    # history has its opening and its closing, no field about a choice.
    tables = set(connection.introspection.table_names())
    for name in ("historicalsecretcount", "historicalballot", "historicalparticipation"):
        assert f"votes_{name}" not in tables
    vote_history = Vote.history.filter(id=secret_vote.pk)
    assert [h.status for h in vote_history.order_by("history_id")] == ["open", "closed"]
    assert not {"choice", "for_count", "against_count"} & {
        f.name for f in Vote.history.model._meta.fields
    }

    # The count row is gone; the decision reads the ballots.
    assert not SecretCount.objects.exists()
    decision = decision_record(actor=chair, item=item)
    assert (decision.tally["for"], decision.tally["against"], decision.tally["abstain"]) == (
        2,
        2,
        1,
    )
    assert "votes" not in decision.tally


def test_while_the_vote_is_open_only_the_number_of_voters_shows(
    client, secret_vote, voters, chair, item, session
):
    cast_all(secret_vote, voters[:3])
    count = SecretCount.objects.get(vote=secret_vote)  # the accepted limit: see the README
    assert (count.for_count, count.against_count, count.abstain_count) == (1, 1, 1)

    client.force_login(chair)
    tally = client.get(f"/conseil/votes/{secret_vote.pk}/decompte/").json()
    assert tally == {
        "status": "open",
        "secret": True,
        "sealed": True,
        "ballots": 3,
        "expected": 5,
    }
    page = client.get(f"/conseil/points/{item.pk}/").content.decode()
    assert "Bulletin secret : 3 votes sur 5" in page
    assert "Pour :" not in page and "Contre :" not in page
    minutes = " ".join(render_to_string("votes/minutes.html", minutes_context(session)).split())
    assert "Vote en cours : 3 membres ont voté." in minutes
    assert "Pour :" not in minutes

    client.force_login(voters[1])  # a member sees the same
    page = client.get(f"/conseil/points/{item.pk}/").content.decode()
    assert "Bulletin secret : 3 votes sur 5" in page and "Pour :" not in page
    assert client.get(f"/conseil/votes/{secret_vote.pk}/decompte/").status_code == 404

    for voter, choice in zip(voters[3:], CHOICES[3:], strict=True):
        vote_cast(actor=voter, vote=secret_vote, choice=choice)
    vote_close(actor=chair, vote=secret_vote)
    client.force_login(chair)
    closed = client.get(f"/conseil/votes/{secret_vote.pk}/decompte/").json()
    assert (closed["for"], closed["against"], closed["abstain"], closed["sealed"]) == (
        2,
        2,
        1,
        False,
    )


def test_the_written_procedure_counts_participations(session, members, chair, item):
    """A secret written procedure closes before its deadline once every voting member
    took part: the participations are counted (there are no ballots before closing)."""
    vote = vote_open(
        actor=chair,
        item=item,
        mode="secret",
        proposed_amount="500",
        deadline=timezone.now() + datetime.timedelta(days=3),
    )
    for voter, choice in zip(members[:4], CHOICES, strict=False):
        vote_cast(actor=voter, vote=vote, choice=choice)
    with pytest.raises(DomainError) as early:
        vote_close(actor=chair, vote=vote)
    assert early.value.code == "written_open"
    vote_cast(actor=members[4], vote=vote, choice="for")
    assert vote_close(actor=chair, vote=vote).status == Vote.Status.CLOSED
    assert Ballot.objects.filter(vote=vote).count() == 5


def test_concurrent_casts_each_count_once(secret_vote, voters, chair):
    """Five members vote at the same moment, each on its own connection: the count row
    is updated under the vote's lock, so no cast is lost."""
    barrier = threading.Barrier(len(voters))
    errors = []

    def cast(voter, choice):
        try:
            barrier.wait(timeout=10)
            vote_cast(actor=voter, vote=secret_vote, choice=choice)
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=cast, args=(voter, choice))
        for voter, choice in zip(voters, CHOICES, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    count = SecretCount.objects.get(vote=secret_vote)
    assert (count.for_count, count.against_count, count.abstain_count) == (2, 2, 1)
    assert Participation.objects.filter(vote=secret_vote).count() == 5
    vote_close(actor=chair, vote=secret_vote)
    assert sorted(Ballot.objects.values_list("choice", flat=True)) == sorted(CHOICES)
