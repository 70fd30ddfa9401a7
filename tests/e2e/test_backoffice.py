"""An instructor logs in to the Wagtail admin, finds a dossier in the queue of their
quartier and sends it back to its author with a reason. axe-core checks every page."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import AuditEntry, User
from accounts.roles import Role
from accounts.services import role_grant
from fonds.models import BudgetLine, Initiative
from fonds.services import (
    fund_create,
    initiative_create,
    initiative_set_budget,
    initiative_submit,
    quartier_create,
    theme_create,
)
from tests.system import SYSTEM

from .conftest import PASSWORD, log_in, verified_user

pytestmark = pytest.mark.django_db(transaction=True)

INSTRUCTOR = "agent.instruction@example.org"
REASON = "Merci de joindre le devis du menuisier et les statuts de l'association."


def submitted_dossier():
    quartier = quartier_create(actor=SYSTEM, name="Bellevue")
    other = quartier_create(actor=SYSTEM, name="Les Tilleuls")
    today = timezone.localdate()
    funds = [
        fund_create(
            actor=SYSTEM,
            quartier=where,
            label=f"Fonds {today.year}",
            period_start=today.replace(month=1, day=1),
            period_end=today.replace(month=12, day=31),
            submissions_open_on=today - datetime.timedelta(days=10),
            submissions_close_on=today + datetime.timedelta(days=60),
            max_grant=Decimal("1500"),
            min_cofunding_percent=Decimal("10"),
        )
        for where in (quartier, other)
    ]
    theme = theme_create(actor=SYSTEM, name="Jardins partagés")
    author = User.objects.create_user(email="porteuse@example.org", password=PASSWORD)
    dossiers = []
    for fund, title in ((funds[0], "Un jardin partagé"), (funds[1], "Fresque des Tilleuls")):
        initiative = initiative_create(
            actor=author,
            fund=fund,
            carrier_kind="association",
            carrier_name="Les Jardiniers",
            rna="W491234567",
            title=title,
            summary="Douze bacs potagers ouverts à tous.",
            description="Avec le centre social, nous construisons des bacs.",
            theme=theme,
            place_name="Square Bellevue",
            starts_on=today + datetime.timedelta(days=20),
            ends_on=today + datetime.timedelta(days=80),
            expected_participants=60,
        )
        initiative_set_budget(
            actor=author,
            initiative=initiative,
            lines=[
                (BudgetLine.Kind.EXPENSE, "Bois et terreau", "900"),
                (BudgetLine.Kind.COFUNDING, "Bailleur social", "200"),
            ],
        )
        dossiers.append(initiative_submit(actor=author, initiative=initiative))
    instructor = verified_user(INSTRUCTOR, "Agent Bellevue")
    role_grant(actor=SYSTEM, user=instructor, role=Role.INSTRUCTOR, quartier=quartier)
    return dossiers


def test_instructor_asks_for_completion_from_the_back_office(page, screenshot):
    dossier, other_quartiers = submitted_dossier()

    page.goto("/cms/")
    expect(page).to_have_url(re.compile(r"/comptes/login/"))
    log_in(page, INSTRUCTOR, "/cms/")
    expect(page).to_have_url(re.compile(r"/cms/$"))

    page.get_by_role("link", name="Dossiers à instruire").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dossiers à instruire")
    queue = page.get_by_role("table")
    expect(queue).to_contain_text("Les Jardiniers")
    expect(queue).to_contain_text("Déposée")
    expect(queue).not_to_contain_text(other_quartiers.title)
    screenshot(page, "file")

    page.get_by_role("link", name=dossier.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(dossier.title)
    expect(page.locator("main")).to_contain_text("W491234567")

    # Without a reason the action is refused, and the page says why.
    page.get_by_role("button", name="Demander des compléments").click()
    expect(page.get_by_text("Indiquez le motif")).to_be_visible()
    assert Initiative.objects.get(pk=dossier.pk).status == Initiative.Status.SUBMITTED

    page.get_by_label("Motif de la demande de compléments").fill(REASON)
    page.get_by_role("button", name="Demander des compléments").click()

    expect(page.get_by_role("status")).to_contain_text("renvoyé à son auteur")
    expect(page.locator("#dossier-status")).to_have_text("À compléter")
    history = page.locator("#dossier-history")
    expect(history).to_contain_text("Compléments demandés")
    expect(history).to_contain_text(REASON)
    expect(history).to_contain_text("Agent Bellevue")
    expect(page.get_by_role("button", name="Déclarer recevable")).to_have_count(0)
    screenshot(page, "dossier")

    assert Initiative.objects.get(pk=dossier.pk).status == Initiative.Status.INCOMPLETE
    entry = AuditEntry.objects.get(
        action="fonds.initiative.request_completion", target_id=str(dossier.pk)
    )
    assert entry.data["reason"] == REASON
