"""Funds in every quartier, and the life of each initiative of the catalogue until it
meets the council: started, submitted, supported by neighbours, examined by the
instructor, sometimes withdrawn — each step through the services, on its own day."""

import datetime
from decimal import Decimal
from functools import partial

from stdnum import iban as iban_number

from accounts.system import system_actor
from fonds.models import BudgetLine, Fund, Theme
from fonds.services import (
    fund_create,
    initiative_create,
    initiative_declare_admissible,
    initiative_declare_inadmissible,
    initiative_request_completion,
    initiative_set_budget,
    initiative_submit,
    initiative_support,
    initiative_withdraw,
    theme_create,
)
from fonds.services.bank import bank_details_set

from .catalogue import DOSSIERS, PLACES
from .clock import Calendar
from .geography import spot

# The demo builds the commune as the system: the first roles, quartiers, funds, councils.
SYSTEM = system_actor("demo")

THEMES = [
    "Vie de quartier",
    "Jardins partagés",
    "Solidarité et épiceries solidaires",
    "Emploi et insertion",
    "Culture",
    "Sport",
    "Environnement",
    "Jeunesse",
]

# Fates of dossiers the instructor examined, and what they became.
EXAMINED = {"incomplete", "admissible", "inadmissible", "session", "today"}
# Fates of dossiers still to be decided: their action lies ahead.
PENDING = {"draft", "submitted", "incomplete", "admissible", "today"}
ADMISSIBLE_REASONS = [
    "Dossier complet, conforme au règlement du fonds.",
    "Budget équilibré, cofinancement justifié : recevable.",
    "Projet d'intérêt collectif, pièces complètes. Recevable.",
]
COMPLETION_REASON = "Merci de joindre le devis du fournisseur et de préciser le lieu exact."


def demo_themes():
    existing = {theme.name: theme for theme in Theme.objects.all()}
    return {
        name: existing.get(name) or theme_create(actor=SYSTEM, name=name, position=index)
        for index, name in enumerate(THEMES)
    }


def demo_funds(quartiers, today):
    """This year's fund of every quartier, open to submissions from the 1st of January
    (the envelopes are voted with the budget)."""
    funds = []
    for quartier in quartiers:
        fund = Fund.objects.filter(quartier=quartier, period_start__year=today.year).first()
        funds.append(
            fund
            or fund_create(
                actor=SYSTEM,
                quartier=quartier,
                label=f"Fonds d'initiative citoyenne {today.year}",
                period_start=datetime.date(today.year, 1, 1),
                period_end=datetime.date(today.year, 12, 31),
                submissions_open_on=datetime.date(today.year, 1, 1),
                submissions_close_on=max(
                    datetime.date(today.year, 12, 15), today + datetime.timedelta(days=30)
                ),
                max_grant=Decimal("3000.00"),
                min_cofunding_percent=Decimal("10"),
            )
        )
    return funds


# Events --------------------------------------------------------------------------------


def dossier_events(world, action_days):
    """The steps of every dossier of the catalogue, as (moment, step) pairs.
    ``action_days`` gives the first day of the action of the dossiers a council
    decided."""
    events = []
    numbers = {}
    for index, spec in enumerate(DOSSIERS):
        number = numbers[spec.quartier] = numbers.get(spec.quartier, -1) + 1
        starts = action_days.get(spec.key) or _planned_start(spec, number)
        submitted = spec.day
        at = world.calendar.moment
        if spec.fate == "draft":
            events.append(
                (at(spec.day, 20, 15), partial(dossier_start, world, spec, number, starts))
            )
            continue
        events.append(
            (at(submitted - 6, 20, 15), partial(dossier_start, world, spec, number, starts))
        )
        events.append((at(submitted, 21), partial(dossier_submit, world, spec.key)))
        for n, supporter in enumerate(_supporters(world, spec, index)):
            moment = at(submitted + 1 + 2 * n, 19, 5 * n)
            events.append((moment, partial(dossier_support, world, spec.key, supporter)))
        if spec.fate == "withdrawn":
            events.append((at(submitted + 9, 18), partial(dossier_withdraw, world, spec)))
        elif spec.fate in EXAMINED:
            events.append((at(submitted + 14, 11), partial(dossier_examine, world, spec, index)))
    return events


def _planned_start(spec, number):
    """Dossiers not decided yet plan their action after the end of the demo year's
    history, so that their author can still submit them."""
    if spec.fate in PENDING:
        return max(spec.day + 45, Calendar.LAST_DAY + 14 + 7 * (number % 3))
    return spec.day + 40


def _supporters(world, spec, index):
    """Zero to four neighbours of the quartier (never the author)."""
    author = world.person(spec.quartier, spec.author)
    neighbours = [person for person in world.neighbours(spec.quartier) if person != author]
    return neighbours[: (index * 3 + 1) % 5]


# Steps ---------------------------------------------------------------------------------


def dossier_start(world, spec, number, starts):
    """The author starts the dossier and fills in its budget."""
    fund = world.funds[spec.quartier]
    author = world.person(spec.quartier, spec.author)
    latitude, longitude = spot(spec.quartier, number)
    places = PLACES[spec.quartier]
    initiative = initiative_create(
        actor=author,
        fund=fund,
        carrier_kind="association" if spec.association else "person",
        carrier_name=spec.carrier,
        title=spec.title,
        summary=spec.summary,
        description=_description(spec),
        theme=world.themes[spec.theme],
        place_name=places[number % len(places)],
        latitude=latitude,
        longitude=longitude,
        starts_on=world.calendar.date(starts),
        ends_on=world.calendar.date(starts + spec.lasts - 1),
        expected_participants=20 + (number * 17 + len(spec.title)) % 90,
    )
    lines = [(BudgetLine.Kind.EXPENSE, label, str(amount)) for label, amount in spec.expenses]
    lines += [(BudgetLine.Kind.COFUNDING, label, str(amount)) for label, amount in spec.cofunding]
    world.initiatives[spec.key] = initiative_set_budget(
        actor=author, initiative=initiative, lines=lines
    )


def _description(spec):
    # The public text names an association; a person or an informal group stays
    # unnamed, as on every public page.
    carrier = f"l'association « {spec.carrier} »" if spec.association else "des habitants"
    return (
        f"{spec.summary}\n\n"
        f"Le projet est porté par {carrier}, avec les habitants du "
        f"quartier {spec.quartier}. Il est ouvert à toutes et à tous, gratuitement.\n\n"
        "Le budget ci-dessous détaille les dépenses et les autres financements obtenus."
    )


def dossier_submit(world, key):
    initiative = world.initiatives[key]
    world.initiatives[key] = initiative_submit(actor=initiative.author, initiative=initiative)
    # The carrier gives the account the grant would be paid to with the dossier.
    bank_details_set(
        actor=initiative.author,
        initiative=initiative,
        iban=demo_iban(initiative.pk),
        holder=initiative.host_name or initiative.carrier_name,
    )


def demo_iban(number):
    """A valid French IBAN of a demo account (a real bank's code, an invented account),
    with its RIB key and its check digits."""
    bank, branch, account = "30006", "00001", f"{number:011d}"
    key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
    bban = f"{bank}{branch}{account}{key:02d}"
    return "FR" + iban_number.calc_check_digits("FR00" + bban) + bban


def dossier_support(world, key, supporter):
    initiative_support(actor=supporter, initiative=world.initiatives[key])


def dossier_withdraw(world, spec):
    initiative = world.initiatives[spec.key]
    world.initiatives[spec.key] = initiative_withdraw(
        actor=initiative.author, initiative=initiative, reason=spec.reason
    )


def dossier_examine(world, spec, index):
    """The instructor's reasoned opinion on a submitted dossier."""
    initiative = world.initiatives[spec.key]
    if spec.fate == "incomplete":
        service, reason = initiative_request_completion, spec.reason or COMPLETION_REASON
    elif spec.fate == "inadmissible":
        service, reason = initiative_declare_inadmissible, spec.reason
    else:
        service = initiative_declare_admissible
        reason = ADMISSIBLE_REASONS[index % len(ADMISSIBLE_REASONS)]
    world.initiatives[spec.key] = service(
        actor=world.instructor, initiative=initiative, reason=reason
    )
