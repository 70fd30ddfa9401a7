"""The written procedure: a vote with a deadline between sessions."""

import datetime

import pytest
from django.utils import timezone
from freezegun import freeze_time

from accounts.errors import DomainError, PermissionDenied
from votes.models import Decision
from votes.services import (
    agenda_add,
    decision_publish,
    decision_record,
    vote_cast,
    vote_close,
    vote_open,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def written_item(session, admissible, instructor):
    return agenda_add(actor=instructor, session=session, initiative=admissible)


def deadline(days=7):
    return timezone.now() + datetime.timedelta(days=days)


def test_written_procedure_from_opening_to_publication(written_item, members, chair, credited):
    vote = vote_open(
        actor=chair, item=written_item, mode="roll_call", proposed_amount="500", deadline=deadline()
    )
    # Every voting member votes in writing, without attendance; ex officio does not.
    for member in members[:3]:
        vote_cast(actor=member, vote=vote, choice="for")
    with pytest.raises(DomainError) as early:
        vote_close(actor=chair, vote=vote)
    assert early.value.code == "written_open"
    with pytest.raises(PermissionDenied):  # ex officio: no deliberative vote
        vote_cast(actor=members[5], vote=vote, choice="for")
    with freeze_time(timezone.now() + datetime.timedelta(days=8)):
        with pytest.raises(DomainError) as late:
            vote_cast(actor=members[3], vote=vote, choice="for")
        assert late.value.code == "closed"
        vote_close(actor=chair, vote=vote)
    decision = decision_record(actor=chair, item=written_item)
    assert decision.outcome == Decision.Outcome.GRANTED
    assert decision.tally["written_procedure"] is True
    decision_publish(actor=chair, decision=decision)


def test_written_procedure_needs_the_quorum_of_participants(written_item, members, chair):
    vote = vote_open(
        actor=chair, item=written_item, mode="secret", proposed_amount="500", deadline=deadline()
    )
    vote_cast(actor=members[1], vote=vote, choice="for")
    vote_cast(actor=members[2], vote=vote, choice="for")
    with freeze_time(timezone.now() + datetime.timedelta(days=8)):
        vote_close(actor=chair, vote=vote)
    with pytest.raises(DomainError) as refused:
        decision_record(actor=chair, item=written_item)
    assert refused.value.code == "no_quorum"
    assert not Decision.objects.exists()


@pytest.mark.parametrize(
    ("mode", "days"), [("show_of_hands", 7), ("roll_call", -1), ("roll_call", 45)]
)
def test_written_procedure_rules(written_item, chair, mode, days):
    with pytest.raises(DomainError):
        vote_open(
            actor=chair,
            item=written_item,
            mode=mode,
            proposed_amount="500",
            deadline=deadline(days),
        )


def test_a_session_vote_still_needs_an_open_session(written_item, chair):
    with pytest.raises(DomainError):
        vote_open(actor=chair, item=written_item, mode="roll_call", proposed_amount="500")
