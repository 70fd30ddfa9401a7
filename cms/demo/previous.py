"""The year before, and the money's full path: Bellevue's 2025 fund, two dossiers the
council granted in December, one of them half paid, closed on the 5th of January into
2026 (the grant still committed carried over, the unspent envelope returned to the
commune's budget); in 2026, a bilan refused after payment and the money paid back, and
a dossier filed at the counter for a resident without an account."""

import datetime
from decimal import Decimal
from functools import partial

from django.utils import timezone

from fonds.closing import fund_close
from fonds.ledger import ledger_credit, ledger_repay
from fonds.models import Fund, Grant, Report
from fonds.services import (
    fund_create,
    initiative_create,
    initiative_declare_admissible,
    initiative_set_budget,
    report_refuse,
)
from fonds.services.counter import counter_file
from fonds.services.repayments import repayment_request_create

from .councils import sitting_events
from .geography import spot
from .initiatives import dossier_submit
from .ledger import grant_pay
from .reports import bilan_submit
from .sittings import Item, Sitting

ENVELOPE_2025 = Decimal("9000.00")
DOSSIERS_2025 = (
    {
        "key": "2025-lanternes",
        "author": 1,
        "carrier_kind": "person",
        "carrier_name": "Le collectif des Lanternes",
        "host_name": "Centre social de Bellevue",
        "host_rna": "W491000042",
        "title": "Une fête des lanternes pour l'hiver",
        "summary": "Fabriquer des lanternes en atelier et défiler dans le quartier en janvier.",
        "expenses": (("Papier, bambou et bougies LED", "1400"), ("Sono et éclairage", "600")),
        "cofunding": (("Participation du centre social", "300"),),
        "starts": 30,
        "lasts": 40,
    },
    {
        "key": "2025-boite-livres",
        "author": 2,
        "carrier_kind": "association",
        "carrier_name": "Lire à Bellevue",
        "rna": "W491000043",
        "title": "Une boîte à livres au square",
        "summary": "Installer une boîte à livres en bois, construite par les jeunes du quartier.",
        "expenses": (("Bois et quincaillerie", "450"), ("Peinture et vernis", "120")),
        "cofunding": (("Don d'une librairie", "60"),),
        "starts": 25,
        "lasts": 10,
    },
)
SITTING_2025 = Sitting(
    "bellevue-decembre-2025",
    "Bellevue",
    -20,
    "Centre social de Bellevue, salle polyvalente",
    (Item("2025-lanternes", paid=0.5), Item("2025-boite-livres", abstain=1, paid=1.0)),
)
CLOSING_REASON = (
    "Clôture de l'exercice 2025 : les subventions encore engagées continuent sur le fonds "
    "2026 ; le reste de l'enveloppe revient au budget de la commune."
)


def previous_events(world):
    at = world.calendar.moment
    events = [
        (at(-44, 9), partial(fund_2025, world)),
        (at(-42, 10), partial(dossiers_2025, world)),
        (at(-38, 11), partial(examine_2025, world)),
        *sitting_events(world, SITTING_2025),
        (at(-10, 10), partial(grant_pay, world, "2025-lanternes", 0.5)),
        (at(-10, 11), partial(grant_pay, world, "2025-boite-livres", 1.0)),
        (at(4, 10), partial(close_2025, world)),
    ]
    return events


def fund_2025(world):
    quartier = next(q for q in world.quartiers if q.name == SITTING_2025.quartier)
    year = world.calendar.year - 1
    fund = Fund.objects.filter(quartier=quartier, period_start__year=year).first() or fund_create(
        actor=world.administrator,
        quartier=quartier,
        label=f"Fonds d'initiative citoyenne {year}",
        period_start=datetime.date(year, 1, 1),
        period_end=datetime.date(year, 12, 31),
        submissions_open_on=datetime.date(year, 1, 1),
        submissions_close_on=datetime.date(year, 12, 15),
        max_grant=Decimal("3000.00"),
        min_cofunding_percent=Decimal("10"),
    )
    world.previous_fund = fund
    ledger_credit(
        actor=world.administrator,
        fund=fund,
        amount=ENVELOPE_2025,
        idempotency_key=f"demo-credit-{fund.slug}",
        memo=f"Enveloppe {year} votée au budget primitif",
    )


def dossiers_2025(world):
    theme = next(iter(world.themes.values()))
    for number, spec in enumerate(DOSSIERS_2025, start=40):
        latitude, longitude = spot(SITTING_2025.quartier, number)
        author = world.person(SITTING_2025.quartier, spec["author"])
        today = timezone.localdate()
        fields = {
            name: spec[name]
            for name in ("carrier_kind", "carrier_name", "title", "summary")
            + tuple(k for k in ("host_name", "host_rna", "rna") if k in spec)
        }
        initiative = initiative_create(
            actor=author,
            fund=world.previous_fund,
            description=f"{spec['summary']}\n\nOuvert à tous les habitants du quartier.",
            theme=theme,
            place_name="Square Bellevue",
            latitude=latitude,
            longitude=longitude,
            starts_on=today + datetime.timedelta(days=spec["starts"]),
            ends_on=today + datetime.timedelta(days=spec["starts"] + spec["lasts"]),
            expected_participants=60,
            **fields,
        )
        lines = [("expense", label, amount) for label, amount in spec["expenses"]]
        lines += [("cofunding", label, amount) for label, amount in spec["cofunding"]]
        world.initiatives[spec["key"]] = initiative_set_budget(
            actor=author, initiative=initiative, lines=lines
        )
        dossier_submit(world, spec["key"])


def examine_2025(world):
    for spec in DOSSIERS_2025:
        world.initiatives[spec["key"]] = initiative_declare_admissible(
            actor=world.instructor,
            initiative=world.initiatives[spec["key"]],
            reason="Dossier complet ; le budget respecte les règles du fonds.",
        )


def close_2025(world):
    fund_close(
        actor=world.administrator,
        fund=world.previous_fund,
        next_fund=world.funds[SITTING_2025.quartier],
        envelope="return",
        reason=CLOSING_REASON,
        idempotency_key=f"demo-close-{world.previous_fund.slug}",
    )


# Money coming back, and the counter, in 2026 -----------------------------------------

REFUSED_BILAN = "repair-cafe"


def money_back_events(world):
    at = world.calendar.moment
    return [
        (at(120, 10), partial(counter_dossier, world)),
        (at(200, 20), partial(bilan_submit, world, REFUSED_BILAN, 0.4)),
        (at(205, 10), partial(bilan_refuse, world)),
        (at(206, 11), partial(repayment_ask, world)),
        (at(230, 9), partial(repayment_receive, world)),
    ]


def bilan_refuse(world):
    report = Report.objects.select_related("initiative__fund").get(
        initiative=world.initiatives[REFUSED_BILAN]
    )
    report_refuse(
        actor=world.instructor,
        report=report,
        reason="Deux séances sur six ont eu lieu : la salle n'était plus disponible. Les "
        "dépenses justifiées ne couvrent pas la subvention versée.",
    )


def _paid_grant(world):
    return Grant.objects.select_related("fund", "initiative", "account").get(
        initiative=world.initiatives[REFUSED_BILAN], carried_from__isnull=True
    )


def repayment_ask(world):
    world.repayment = repayment_request_create(
        actor=world.instructor,
        grant=_paid_grant(world),
        amount=Decimal("300.00"),
        due_on=timezone.localdate() + datetime.timedelta(days=45),
        reason="Bilan refusé : la part de la subvention versée et non dépensée est à rembourser.",
    )


def repayment_receive(world):
    ledger_repay(
        actor=world.instructor,
        grant=_paid_grant(world),
        amount=Decimal("300.00"),
        payment_reference=f"Titre de recette {world.calendar.year}-0007",
        payment_date=timezone.localdate(),
        request=world.repayment,
        idempotency_key="demo-repay-repair-cafe",
    )


def counter_dossier(world):
    """A resident without an account files at the town hall; she has not claimed it."""
    fund = world.funds[SITTING_2025.quartier]
    today = timezone.localdate()
    latitude, longitude = spot(SITTING_2025.quartier, 45)
    counter_file(
        actor=world.instructor,
        fund=fund,
        contact_address="14 rue des Glycines\n49000 Angers",
        carrier_kind="person",
        carrier_name="Simone Bernard",
        title="Un atelier tricot au foyer",
        summary="Un atelier de tricot chaque mardi, ouvert aux voisins de tous âges.",
        description="Laine, aiguilles et un goûter : on apprend ensemble, on tricote pour "
        "l'hiver des sans-abri.",
        theme=next(iter(world.themes.values())),
        place_name="Foyer des Aînés",
        latitude=latitude,
        longitude=longitude,
        starts_on=today + datetime.timedelta(days=30),
        ends_on=today + datetime.timedelta(days=120),
        expected_participants=15,
        lines=[("expense", "Laine et aiguilles", "380"), ("cofunding", "Le foyer", "40")],
    )
