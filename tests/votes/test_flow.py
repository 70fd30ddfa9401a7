"""A whole session through the services: agenda, attendance, proxy, quorum, interest,
a vote, the decision, its publication with the ledger's COMMIT, the minutes' signature."""

from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from accounts.errors import PermissionDenied
from fonds.ledger import fund_balances
from fonds.models import Initiative, LedgerTransaction
from votes.models import Decision
from votes.services import (
    agenda_add,
    attendance_record,
    decision_publish,
    decision_record,
    interest_declare,
    minutes_sign,
    proxy_record,
    session_close,
    session_open,
    vote_cast,
    vote_close,
    vote_open,
)

pytestmark = pytest.mark.django_db


def test_a_session_from_agenda_to_published_decision(
    session,
    members,
    chair,
    admissible,
    instructor,
    credited,
    django_capture_on_commit_callbacks,
):
    item = agenda_add(actor=instructor, session=session, initiative=admissible)
    assert Initiative.objects.get(pk=admissible.pk).status == "on_agenda"
    chair_, sophie, ali, claire, hugo, ex_officio = members
    attendance_record(actor=chair, session=session, present=[chair_, sophie, ali, claire])
    proxy_record(actor=chair, session=session, giver=hugo, holder=claire)
    session_open(actor=chair, session=session)
    interest_declare(actor=claire, item=item, note="Membre de l'association")
    vote = vote_open(actor=chair, item=item, mode="show_of_hands", proposed_amount="900")
    vote_cast(actor=chair_, vote=vote, choice="for")
    vote_cast(actor=sophie, vote=vote, choice="for")
    vote_cast(actor=ali, vote=vote, choice="against")
    with pytest.raises(PermissionDenied) as refused:
        vote_cast(actor=claire, vote=vote, choice="for")
    assert "intérêt" in str(refused.value)
    with pytest.raises(PermissionDenied):
        vote_cast(actor=claire, vote=vote, choice="for", on_behalf_of=hugo)
    vote_close(actor=chair, vote=vote)
    decision = decision_record(actor=chair, item=item)
    assert decision.outcome == Decision.Outcome.GRANTED
    assert decision.amount == Decimal("900.00")
    assert decision.reference == f"CQ-BELLEVUE-{timezone.localtime(session.starts_at).year}-001"
    assert decision.tally["for"] == 2 and decision.tally["against"] == 1
    assert decision.tally["recused"] == [claire.pk, hugo.pk]  # Claire Petit, Hugo Lemoine
    with django_capture_on_commit_callbacks(execute=True):
        decision_publish(actor=chair, decision=decision)
    commit = LedgerTransaction.objects.get(kind="commit", reference=decision.reference)
    assert commit.amount == Decimal("900.00")
    assert fund_balances(credited)["available"] == Decimal("4100.00")
    assert Initiative.objects.get(pk=admissible.pk).status == "granted"
    assert any("subvention est accordée" in m.subject for m in mail.outbox)
    session_close(actor=chair, session=session)
    signed = minutes_sign(actor=chair, session=session)
    assert signed.minutes_head_hash == commit.hash


def test_the_chair_summarises_the_discussion_for_the_minutes(
    session, members, chair, admissible, instructor
):
    from votes.selectors import minutes_context
    from votes.services import item_summarise

    item = agenda_add(actor=instructor, session=session, initiative=admissible)
    with pytest.raises(PermissionDenied):
        item_summarise(actor=members[1], item=item, summary="Pas le président")
    item_summarise(actor=chair, item=item, summary="Débat sur l'entretien des bacs.")
    entries = minutes_context(session)["items"]
    assert entries[0]["item"].summary == "Débat sur l'entretien des bacs."
