"""The demo commune, built through the same services users call: seven quartiers with
a year of history — envelopes credited in January, about sixty initiatives at every
stage, six council sessions with their minutes, payments and bilans — and a session
open today. Running the demo twice leaves one copy of everything: the setup finds what
exists, and the year's history is written once."""

import datetime

from django.db import transaction

from fonds.models import Initiative
from fonds.notifications import notifications_muted

from .accounts import DEMO_PASSWORD, demo_accounts, demo_residents
from .catalogue import DOSSIERS, RESIDENTS
from .clock import Calendar, Clock
from .commune import demo_commune, demo_quartiers
from .councils import demo_councils, demo_open_session, demo_planned_session
from .guides import demo_guides
from .history import World, play
from .initiatives import demo_funds, demo_themes
from .pages import demo_pages, demo_quartier_pages

# Councillors took office after the elections of the autumn before.
MANDATES_SINCE = datetime.timedelta(days=100)


def build_demo():
    with notifications_muted(), transaction.atomic():
        return _build()


def _build():
    demo_pages()
    demo_guides()
    demo_commune()
    calendar, clock = Calendar(), Clock()
    # The world is set up in November: the year before ends with a session in December.
    with clock.at(calendar.moment(-45, 8)):
        world = _setup(calendar, clock)
    demo_quartier_pages(world.quartiers)
    funds = list(world.funds.values())
    if not Initiative.objects.filter(fund__in=funds).exists():
        play(world)
    demo_open_session(world.councils[world.first_quartier], world.instructor, _waiting(world))
    demo_planned_session(world.councils[PLANNED_IN], world.instructor)
    return {
        "quartiers": list(world.quartiers),
        "accounts": world.accounts,
        "funds": funds,
        "initiatives": list(Initiative.objects.filter(fund__in=funds).order_by("pk")),
    }


def _setup(calendar, clock):
    """Quartiers, accounts, funds and councils, dated the first days of January."""
    quartiers = demo_quartiers()
    accounts = demo_accounts(quartiers)
    resident, instructor, councillor, chair, administrator = accounts
    names = [quartier.name for quartier in quartiers]
    since = calendar.new_year.date() - MANDATES_SINCE
    return World(
        calendar=calendar,
        quartiers=quartiers,
        accounts=accounts,
        clock=clock,
        administrator=administrator,
        instructor=instructor,
        resident=resident,
        funds=dict(zip(names, demo_funds(quartiers, calendar.today), strict=True)),
        councils=dict(zip(names, demo_councils(quartiers, chair, councillor, since), strict=True)),
        themes=demo_themes(),
        residents=demo_residents(RESIDENTS, quartiers),
    )


# The quartier whose council meets next, in a fortnight.
PLANNED_IN = "Les Tilleuls"


def _waiting(world):
    """The dossier that waits for today's session in the first quartier."""
    title = next(d.title for d in DOSSIERS if d.fate == "today")
    return (
        Initiative.objects.select_related("fund")
        .filter(fund=world.funds[world.first_quartier], title=title)
        .first()
    )


__all__ = ["DEMO_PASSWORD", "build_demo"]
