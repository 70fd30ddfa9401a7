"""A council in every quartier; the sessions of the year — planned, held, their
decisions published (with the ledger's COMMIT) and their minutes signed — and, in the
first quartier, a session open today. All through the services."""

import datetime
from functools import partial

from django.utils import timezone

from accounts.system import system_actor
from fonds.models import Initiative
from votes.models import AgendaItem, Council, Mandate, Session
from votes.services import (
    agenda_add,
    answer_post,
    attendance_record,
    council_create,
    decision_publish,
    decision_record,
    interest_declare,
    item_summarise,
    mandate_grant,
    message_post,
    minutes_sign,
    proxy_record,
    session_close,
    session_convene,
    session_open,
    session_plan,
    vote_cast,
    vote_close,
    vote_open,
    voting_rights,
)

from .accounts import DOMAIN, demo_user
from .sittings import SITTINGS

# The demo builds the commune as the system: the first roles, quartiers, funds, councils.
SYSTEM = system_actor("demo")

# The demo's members and how each asked their seat's title to be written.
MEMBER_NAMES = [
    ("Rachid Amrani", Mandate.Wording.MASCULINE),
    ("Élodie Fournier", Mandate.Wording.FEMININE),
    ("Thomas Garnier", Mandate.Wording.MASCULINE),
    ("Aïcha Traoré", Mandate.Wording.FEMININE),
    ("Vincent Robert", Mandate.Wording.MASCULINE),
    ("Léa Chevalier", Mandate.Wording.FEMININE),
    ("Omar Kaci", Mandate.Wording.MASCULINE),
    ("Julie Masson", Mandate.Wording.FEMININE),
    ("Bernard Lemaire", Mandate.Wording.MASCULINE),
    ("Sabrina Nguyen", Mandate.Wording.FEMININE),
    ("Jérôme Caron", Mandate.Wording.MASCULINE),
    ("Nathalie Breton", Mandate.Wording.FEMININE),
    ("Karima Ait-Ali", Mandate.Wording.FEMININE),
    ("François Guérin", Mandate.Wording.MASCULINE),
    ("Mélanie Rey", Mandate.Wording.FEMININE),
    ("Alain Tessier", Mandate.Wording.MASCULINE),
    ("Djamila Cherif", Mandate.Wording.FEMININE),
    ("Olivier Marty", Mandate.Wording.MASCULINE),
    ("Sylvie Lacroix", Mandate.Wording.FEMININE),
    ("Ibrahima Ndiaye", Mandate.Wording.MASCULINE),
    ("Catherine Huet", Mandate.Wording.FEMININE),
    ("Laurent Barbier", Mandate.Wording.MASCULINE),
    ("Émilie Royer", Mandate.Wording.FEMININE),
    ("Patrick Noël", Mandate.Wording.MASCULINE),
    ("Zoé Laurent", Mandate.Wording.FEMININE),
    ("Serge Collin", Mandate.Wording.MASCULINE),
    ("Anne-Marie Gauthier", Mandate.Wording.FEMININE),
    ("Christophe Roche", Mandate.Wording.MASCULINE),
    ("Linh Tran", Mandate.Wording.INCLUSIVE),
    ("Michel Boyer", Mandate.Wording.INCLUSIVE),
    ("Rose Etienne", Mandate.Wording.INCLUSIVE),
    ("Fabien Lucas", Mandate.Wording.INCLUSIVE),
    ("Hawa Camara", Mandate.Wording.INCLUSIVE),
    ("Nicolas Bertin", Mandate.Wording.INCLUSIVE),
]

# The summary of a debate in the minutes, when the sitting says nothing more.
DEFAULT_SUMMARY = {
    "granted": "Présentation du dossier par l'agent instructeur ; le conseil souligne "
    "l'implication des habitants.",
    "refused": "Présentation du dossier par l'agent instructeur ; débat.",
}


# The seat of each council's members by the order they are seated; the others are
# conseillers de quartier.
SEATS = {0: Mandate.Role.CHAIR, 2: Mandate.Role.VICE_CHAIR, 4: Mandate.Role.CITIZEN_MEMBER}


def demo_councils(quartiers, chair, councillor, since):
    """Each council: a chair, a vice-chair and three members (the last a conseiller·e
    citoyen·ne), in office since ``since``; in the first quartier the demo maire chairs
    and the demo conseillère sits."""
    councils = []
    names = iter(MEMBER_NAMES)
    for index, quartier in enumerate(quartiers):
        council = Council.objects.filter(quartier=quartier).first()
        if council is None:
            council = council_create(
                actor=SYSTEM, quartier=quartier, name=f"Conseil de quartier {quartier.name}"
            )
            people = (
                [(chair, Mandate.Wording.MASCULINE), (councillor, Mandate.Wording.FEMININE)]
                if index == 0
                else []
            )
            while len(people) < 5:
                email = f"conseil-{quartier.slug}-{len(people)}@{DOMAIN}"
                name, wording = next(names)
                people.append((demo_user(email, name), wording))
            for position, (person, wording) in enumerate(people):
                role = SEATS.get(position, Mandate.Role.MEMBER)
                mandate_grant(
                    actor=SYSTEM,
                    council=council,
                    user=person,
                    role=role,
                    wording=wording,
                    starts_on=since,
                )
        councils.append(council)
    return councils


def seats(council):
    """The council's members in office, in the order they were seated (the chair
    first)."""
    mandates = Mandate.objects.in_office().filter(council=council).select_related("user")
    return [mandate.user for mandate in mandates.order_by("pk")]


# Events --------------------------------------------------------------------------------


def decided_actions():
    """The first day of the action of every dossier a council granted: three weeks
    after its (last) session, a few days apart."""
    days = {}
    for sitting in SITTINGS:
        for position, item in enumerate(sitting.items):
            days[item.dossier] = sitting.day + 21 + 4 * position
    return days


def sitting_events(world, sitting):
    at = world.calendar.moment
    day = sitting.day
    events = [(at(day - 14, 10), partial(sitting_plan, world, sitting))]
    for item in sitting.items:
        if item.question:
            events.append((at(day - 11, 14), partial(item_ask, world, sitting, item)))
            events.append((at(day - 10, 20), partial(item_answer, world, item)))
    events.append((at(day, 18, 30), partial(sitting_hold, world, sitting)))
    events.append((at(day + 2, 11), partial(sitting_publish, world, sitting)))
    events.append((at(day + 5, 17), partial(sitting_sign, world, sitting)))
    return events


# Steps ---------------------------------------------------------------------------------


def sitting_plan(world, sitting):
    """The chair calls the session; the instructor puts the dossiers on its agenda."""
    council = world.councils[sitting.quartier]
    session = session_plan(
        actor=seats(council)[0],
        council=council,
        starts_at=world.calendar.moment(sitting.day, 18, 30),
        place=sitting.place,
    )
    for item in sitting.items:
        agenda_add(actor=world.instructor, session=session, initiative=_fresh(world, item))
    world.sessions[sitting.key] = session


def _fresh(world, item):
    initiative = Initiative.objects.select_related("fund").get(
        pk=world.initiatives[item.dossier].pk
    )
    world.initiatives[item.dossier] = initiative
    return initiative


def item_ask(world, sitting, item):
    """A councillor asks the carrier a question in the dossier's thread."""
    member = seats(world.councils[sitting.quartier])[2]
    world.questions[item.dossier] = message_post(
        actor=member,
        initiative=world.initiatives[item.dossier],
        body=item.question[0],
        question=True,
    )


def item_answer(world, item):
    initiative = world.initiatives[item.dossier]
    answer_post(
        actor=initiative.author, question=world.questions[item.dossier], body=item.question[1]
    )


def sitting_hold(world, sitting):
    """The evening of the session: attendance and proxies, interests, the quorum, a vote
    (or an adjournment) on each item, the summary of each debate, the closing."""
    session = world.sessions[sitting.key]
    people = seats(session.council)
    chair = people[0]
    present = [p for seat, p in enumerate(people) if seat not in sitting.absent]
    attendance_record(actor=chair, session=session, present=present)
    for giver, holder in sitting.proxies:
        proxy_record(actor=chair, session=session, giver=people[giver], holder=people[holder])
    session = session_open(actor=chair, session=session)
    rows = {row.initiative_id: row for row in AgendaItem.objects.filter(session=session)}
    for item in sitting.items:
        row = rows[world.initiatives[item.dossier].pk]
        if item.interest:
            seat, note = item.interest
            interest_declare(actor=people[seat], item=row, note=note)
        decision = _decide(row, item, people)
        world.decisions[item.dossier] = decision
        summary = item.summary or DEFAULT_SUMMARY.get(decision.outcome, "")
        if summary:
            item_summarise(actor=chair, item=row, summary=summary)
    world.sessions[sitting.key] = session_close(actor=chair, session=session)


def _decide(row, item, people):
    chair = people[0]
    if item.defer:
        return decision_record(
            actor=chair,
            item=row,
            defer=True,
            reason="Dans l'attente de l'accord du bailleur sur l'emplacement des bancs.",
        )
    amount = item.amount or row.initiative.requested_amount
    vote = vote_open(actor=chair, item=row, mode=item.mode, proposed_amount=amount)
    by_id = {person.pk: person for person in people}
    _members, eligible, _recused = voting_rights(vote)
    # The last seats speak first; the chair, seated first, votes last.
    rights = sorted(eligible, key=lambda right: right.on_behalf_of.id, reverse=True)
    choices = ["against"] * item.against + ["abstain"] * item.abstain
    for number, right in enumerate(rights):
        voter, giver = by_id[right.voter.id], by_id[right.on_behalf_of.id]
        vote_cast(
            actor=voter,
            vote=vote,
            choice=choices[number] if number < len(choices) else "for",
            on_behalf_of=giver if giver != voter else None,
        )
    vote_close(actor=chair, vote=vote)
    return decision_record(actor=chair, item=row)


def sitting_publish(world, sitting):
    """Two days later the maire de quartier publishes the decisions: each grant is
    committed in the ledger."""
    chair = seats(world.councils[sitting.quartier])[0]
    for item in sitting.items:
        decision = decision_publish(actor=chair, decision=world.decisions[item.dossier])
        world.decisions[item.dossier] = decision


def sitting_sign(world, sitting):
    session = world.sessions[sitting.key]
    world.sessions[sitting.key] = minutes_sign(actor=seats(session.council)[0], session=session)


# Today ---------------------------------------------------------------------------------


def demo_open_session(council, instructor, waiting):
    """Today, in the first quartier: the session is open, attendance recorded, one
    dossier (``waiting``, if still admissible) on the agenda waiting for its vote."""
    if Session.objects.filter(council=council, status=Session.Status.OPEN).exists():
        return None
    people = seats(council)
    session = session_plan(
        actor=people[0],
        council=council,
        starts_at=timezone.now(),
        place=f"Maison de quartier {council.quartier.name}",
    )
    if waiting is not None and waiting.status == Initiative.Status.ADMISSIBLE:
        agenda_add(actor=instructor, session=session, initiative=waiting)
    attendance_record(actor=people[0], session=session, present=people[:4])
    session_open(actor=people[0], session=session)
    return session


def demo_planned_session(council, instructor):
    """In a fortnight, a public session of ``council`` planned by its chair, its agenda
    made of the quartier's admissible dossiers, its convocation sent."""
    if Session.objects.filter(council=council, status=Session.Status.PLANNED).exists():
        return None
    chair = seats(council)[0]
    day = timezone.localtime() + datetime.timedelta(days=14)
    session = session_plan(
        actor=chair,
        council=council,
        starts_at=day.replace(hour=18, minute=30, second=0, microsecond=0),
        place=f"Salle polyvalente, maison de quartier {council.quartier.name}",
        is_public=True,
    )
    waiting = Initiative.objects.filter(
        fund__quartier=council.quartier, status=Initiative.Status.ADMISSIBLE
    ).order_by("pk")
    for initiative in waiting:
        agenda_add(actor=instructor, session=session, initiative=initiative)
    session_convene(actor=chair, session=session)
    return session
