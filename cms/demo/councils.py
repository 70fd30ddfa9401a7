"""A council in every quartier, a past session whose decisions were published (and
paid), and, in the first quartier, a session open today — all through the services."""

import datetime

from django.utils import timezone

from fonds.models import Initiative
from votes.models import Council, Mandate, Session
from votes.services import (
    agenda_add,
    attendance_record,
    council_create,
    decision_publish,
    decision_record,
    mandate_grant,
    minutes_sign,
    session_close,
    session_open,
    session_plan,
    vote_cast,
    vote_close,
    vote_open,
)

from .accounts import DOMAIN, demo_user

MEMBER_NAMES = [
    "Rachid Amrani",
    "Élodie Fournier",
    "Thomas Garnier",
    "Aïcha Traoré",
    "Vincent Robert",
    "Léa Chevalier",
    "Omar Kaci",
    "Julie Masson",
]


def demo_councils(quartiers, chair, councillor):
    """Each council: a chair and four members; in the first quartier the demo maire
    chairs and the demo conseillère sits."""
    start = timezone.localdate() - datetime.timedelta(days=400)
    councils = []
    for index, quartier in enumerate(quartiers):
        council = Council.objects.filter(quartier=quartier).first()
        if council is None:
            council = council_create(
                actor=None, quartier=quartier, name=f"Conseil de quartier {quartier.name}"
            )
            people = [chair, councillor] if index == 0 else []
            while len(people) < 5:
                n = (index * 5 + len(people)) % len(MEMBER_NAMES)
                people.append(
                    demo_user(f"conseil-{quartier.slug}-{len(people)}@{DOMAIN}", MEMBER_NAMES[n])
                )
            for position, person in enumerate(people):
                role = Mandate.Role.CHAIR if position == 0 else Mandate.Role.MEMBER
                mandate_grant(actor=None, council=council, user=person, role=role, starts_on=start)
        councils.append(council)
    return councils


def _chair_of(council):
    return Mandate.objects.in_office().get(council=council, role=Mandate.Role.CHAIR).user


def _voters(council):
    return [m.user for m in Mandate.objects.in_office().filter(council=council).voting()]


def demo_past_session(council, instructor, initiatives):
    """Thirty days ago: every dossier granted by show of hands, decisions published,
    minutes signed."""
    if not initiatives or Session.objects.filter(council=council).exists():
        return None
    chair, voters = _chair_of(council), _voters(council)
    session = session_plan(
        actor=chair,
        council=council,
        starts_at=timezone.now() - datetime.timedelta(days=30),
        place=f"Maison de quartier {council.quartier.name}",
    )
    items = [agenda_add(actor=instructor, session=session, initiative=i) for i in initiatives]
    attendance_record(actor=chair, session=session, present=voters)
    session_open(actor=chair, session=session)
    for item in items:
        vote = vote_open(
            actor=chair,
            item=item,
            mode="show_of_hands",
            proposed_amount=item.initiative.requested_amount,
        )
        for index, voter in enumerate(voters):
            vote_cast(actor=voter, vote=vote, choice="abstain" if index == 4 else "for")
        vote_close(actor=chair, vote=vote)
        decision_publish(actor=chair, decision=decision_record(actor=chair, item=item))
    session_close(actor=chair, session=session)
    minutes_sign(actor=chair, session=session)
    return session


def demo_open_session(council, instructor):
    """Today, in the first quartier: the session is open, attendance recorded, one
    dossier on the agenda waiting for its vote."""
    if Session.objects.filter(council=council, status=Session.Status.OPEN).exists():
        return None
    waiting = Initiative.objects.filter(
        fund__quartier=council.quartier, status=Initiative.Status.ADMISSIBLE
    ).first()
    chair, voters = _chair_of(council), _voters(council)
    session = session_plan(
        actor=chair,
        council=council,
        starts_at=timezone.now(),
        place=f"Maison de quartier {council.quartier.name}",
    )
    if waiting is not None:
        agenda_add(actor=instructor, session=session, initiative=waiting)
    attendance_record(actor=chair, session=session, present=voters[:4])
    session_open(actor=chair, session=session)
    return session
