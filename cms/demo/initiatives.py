"""Funds in every quartier and initiatives at every stage of their lifecycle, made by
the demo residents and handled by the demo instructor through the services."""

import datetime
from decimal import Decimal

from django.utils import timezone

from fonds.models import BudgetLine, Fund, Initiative, Theme
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

from .accounts import DOMAIN, demo_user

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

# Centre of the demo commune; each quartier's initiatives sit around its own point.
CENTRE = (Decimal("47.3941"), Decimal("0.6848"))

# (title, summary, theme, carrier kind, carrier, expenses, co-funding, target stage)
INITIATIVES = [
    (
        "Un jardin partagé au pied des tours",
        "Douze bacs potagers et des ateliers de jardinage ouverts à tous.",
        "Jardins partagés",
        "association",
        "Les Jardiniers de Bellevue",
        [("Bois et terreau", "980"), ("Outils", "320")],
        [("Bailleur social", "250")],
        "admissible",
    ),
    (
        "Fête des voisins de la place du Marché",
        "Un repas partagé et un bal pour toutes les générations.",
        "Vie de quartier",
        "person",
        "Collectif des voisins",
        [("Location de tables", "240"), ("Sono", "180")],
        [("Participation des habitants", "60")],
        "submitted",
    ),
    (
        "Épicerie solidaire : un frigo partagé",
        "Un réfrigérateur solidaire contre le gaspillage, tenu par des bénévoles.",
        "Solidarité et épiceries solidaires",
        "association",
        "Épicerie du Cœur",
        [("Réfrigérateur", "850"), ("Électricité un an", "200")],
        [("Centre social", "150")],
        "incomplete",
    ),
    (
        "Atelier vélo pour les jeunes",
        "Apprendre à réparer son vélo, le mercredi après-midi.",
        "Jeunesse",
        "association",
        "Roue Libre",
        [("Outillage", "600"), ("Pièces détachées", "400")],
        [("Club de cyclisme", "150")],
        "draft",
    ),
    (
        "Concerts sur les quais",
        "Trois soirées de concerts gratuits au bord de la Loire.",
        "Culture",
        "association",
        "Musiques en Loire",
        [("Cachets des musiciens", "1800"), ("Technique", "900")],
        [("Mécénat local", "400")],
        "inadmissible",
    ),
    (
        "Tournoi de foot inter-quartiers",
        "Un tournoi mixte de foot à sept pour les 12-17 ans.",
        "Sport",
        "person",
        "Les éducateurs du city-stade",
        [("Maillots", "420"), ("Goûters", "150")],
        [("Club de foot", "80")],
        "withdrawn",
    ),
    (
        "Nettoyons les berges",
        "Une journée de ramassage des déchets avec les écoles.",
        "Environnement",
        "association",
        "Loire Vivante",
        [("Gants et sacs", "160"), ("Bennes", "340")],
        [("Syndicat de rivière", "120")],
        "submitted",
    ),
    (
        "Chantier d'insertion : bancs en palettes",
        "Des bancs fabriqués par des jeunes en insertion pour le square.",
        "Emploi et insertion",
        "association",
        "Régie de quartier",
        [("Matériaux", "700"), ("Encadrement", "600")],
        [("Régie de quartier", "300")],
        "admissible",
    ),
]

STAGES = ["draft", "submitted", "incomplete", "admissible", "inadmissible", "withdrawn"]


def demo_themes():
    existing = {theme.name: theme for theme in Theme.objects.all()}
    return {
        name: existing.get(name) or theme_create(actor=None, name=name, position=index)
        for index, name in enumerate(THEMES)
    }


def demo_funds(quartiers):
    today = timezone.localdate()
    funds = []
    for quartier in quartiers:
        fund = Fund.objects.filter(quartier=quartier, period_start__year=today.year).first()
        funds.append(
            fund
            or fund_create(
                actor=None,
                quartier=quartier,
                label=f"Fonds d'initiative citoyenne {today.year}",
                period_start=datetime.date(today.year, 1, 1),
                period_end=datetime.date(today.year, 12, 31),
                submissions_open_on=today - datetime.timedelta(days=60),
                submissions_close_on=today + datetime.timedelta(days=90),
                max_grant=Decimal("3000.00"),
                min_cofunding_percent=Decimal("10"),
            )
        )
    return funds


def demo_residents(count=6):
    names = [
        "Inès Haddad",
        "Paul Girard",
        "Fatou Diallo",
        "Lucas Petit",
        "Yasmine Roux",
        "Marc Lambert",
    ]
    return [demo_user(f"habitant{n + 1}@{DOMAIN}", names[n]) for n in range(count)]


def demo_initiatives(funds, themes, instructor, author):
    """Two or three initiatives per quartier; the first quartier has one at every stage
    (so the demo resident's space shows them all)."""
    residents = [author, *demo_residents()]
    created = []
    for index, fund in enumerate(funds):
        picks = INITIATIVES if index == 0 else INITIATIVES[index % 4 :: 3][:3]
        for number, spec in enumerate(picks):
            carrier_author = author if index == 0 else residents[(index + number) % len(residents)]
            created.append(
                _initiative(
                    fund, themes, instructor, carrier_author, spec, index, number, residents
                )
            )
    return created


def _initiative(fund, themes, instructor, author, spec, quartier_index, number, residents):
    title, summary, theme, kind, carrier, expenses, cofunding, stage = spec
    title = title if quartier_index == 0 else f"{title} — {fund.quartier.name}"
    existing = Initiative.objects.filter(fund=fund, title=title).first()
    if existing:
        return existing
    today = timezone.localdate()
    latitude = (
        CENTRE[0]
        + Decimal(quartier_index % 3 - 1) * Decimal("0.012")
        + Decimal(number) * Decimal("0.0015")
    )
    longitude = (
        CENTRE[1]
        + Decimal(quartier_index // 3 - 1) * Decimal("0.018")
        + Decimal(number) * Decimal("0.002")
    )
    initiative = initiative_create(
        actor=author,
        fund=fund,
        carrier_kind=kind,
        carrier_name=carrier,
        title=title,
        summary=summary,
        description=(
            f"{summary}\n\nLe projet est porté par {carrier} "
            f"avec les habitants du quartier {fund.quartier.name}."
        ),
        theme=themes[theme],
        place_name=f"Quartier {fund.quartier.name}",
        latitude=latitude.quantize(Decimal("0.000001")),
        longitude=longitude.quantize(Decimal("0.000001")),
        starts_on=today + datetime.timedelta(days=30 + number * 7),
        ends_on=today + datetime.timedelta(days=60 + number * 7),
        expected_participants=40 + number * 15,
    )
    lines = [(BudgetLine.Kind.EXPENSE, label, amount) for label, amount in expenses]
    lines += [(BudgetLine.Kind.COFUNDING, label, amount) for label, amount in cofunding]
    initiative = initiative_set_budget(actor=author, initiative=initiative, lines=lines)
    return _advance(initiative, stage, author, instructor, residents)


def _advance(initiative, stage, author, instructor, residents):
    if stage == "draft":
        return initiative
    initiative = initiative_submit(actor=author, initiative=initiative)
    if stage == "incomplete":
        return initiative_request_completion(
            actor=instructor,
            initiative=initiative,
            reason="Merci de joindre le devis du fournisseur et de préciser le lieu exact.",
        )
    if stage == "admissible":
        initiative = initiative_declare_admissible(
            actor=instructor,
            initiative=initiative,
            reason="Dossier complet, conforme au règlement du fonds.",
        )
    elif stage == "inadmissible":
        return initiative_declare_inadmissible(
            actor=instructor,
            initiative=initiative,
            reason=(
                "Le projet relève de la programmation culturelle de la ville, "
                "hors du champ du fonds."
            ),
        )
    elif stage == "withdrawn":
        return initiative_withdraw(
            actor=author, initiative=initiative, reason="Le club a trouvé un autre financement."
        )
    for resident in residents[1:4]:
        if resident.pk != author.pk:
            initiative_support(actor=resident, initiative=initiative)
    return initiative
