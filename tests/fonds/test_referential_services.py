"""Administrators edit themes, quartiers and funds in the Wagtail admin (/cms/), and the
edits go through the services: one audit row listing what changed, a credited fund's
quartier fixed, a new ceiling for the dossiers submitted after it only, nobody else
allowed."""

import datetime
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time
from wagtail.models import ModelLogEntry

from accounts.dbutils import constraint_violated
from accounts.errors import DomainError, PermissionDenied
from accounts.models import AuditEntry
from fonds.ledger import ledger_credit
from fonds.models import Fund, Initiative, Quartier, Theme
from fonds.services import (
    fund_update,
    initiative_create,
    initiative_request_completion,
    initiative_set_budget,
    initiative_submit,
    quartier_update,
    theme_update,
)
from fonds.services.referentials import QUARTIER_FIXED
from tests.fonds.conftest import BUDGET, REASON, complete_fields
from tests.fonds.test_backoffice import logged_in
from tests.system import SYSTEM

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[0.68, 47.39], [0.7, 47.39], [0.7, 47.4], [0.68, 47.39]]],
}


LOGIN = reverse("account_login")


@pytest.fixture
def administrator(client, people):
    return logged_in(client, people["administrator"])


def edit(viewset, row):
    return reverse(f"{viewset}:edit", args=[row.pk])


def fund_form(fund, **overrides):
    """The fund's edit form as the admin posts it, with ``overrides``."""
    data = {
        "quartier": fund.quartier_id,
        "label": fund.label,
        "period_start": fund.period_start.isoformat(),
        "period_end": fund.period_end.isoformat(),
        "submissions_open_on": fund.submissions_open_on.isoformat(),
        "submissions_close_on": fund.submissions_close_on.isoformat(),
        "max_grant": str(fund.max_grant),
        "min_cofunding_percent": str(fund.min_cofunding_percent),
        "decision_mode": fund.decision_mode,
        "status": fund.status,
    }
    return {**data, **overrides}


def updates(row, action):
    return AuditEntry.objects.filter(
        target_type=row._meta.label_lower, target_id=str(row.pk), action=action
    )


def written(fund):
    """What an edit of ``fund`` could write: its row, its history, the audit log."""
    return (
        Fund.objects.filter(pk=fund.pk).values().get(),
        Fund.history.filter(id=fund.pk).count(),
        AuditEntry.objects.count(),
    )


def credit(fund):
    return ledger_credit(actor=SYSTEM, fund=fund, amount="5000", idempotency_key=f"c-{fund.pk}")


def new_dossier(fund, author, theme, title):
    """A complete draft with the fixtures' budget: 1 200,50 € of expenses, 200 € of
    co-funding (16,7 %), 1 000,50 € requested."""
    initiative = initiative_create(
        actor=author, fund=fund, **{**complete_fields(theme), "title": title}
    )
    return initiative_set_budget(actor=author, initiative=initiative, lines=BUDGET)


# --- funds --------------------------------------------------------------------------------


def test_an_admin_edit_of_a_fund_writes_an_audit_row(administrator, people, fund):
    old_label = fund.label
    response = administrator.post(
        edit("fonds-initiative", fund), fund_form(fund, label="Fonds renouvelé", max_grant="1200")
    )
    assert response.status_code == 302
    fund.refresh_from_db()
    assert (fund.label, fund.max_grant) == ("Fonds renouvelé", Decimal("1200.00"))
    assert fund.slug.endswith(old_label.lower().replace(" ", "-"))  # its address stays
    entry = updates(fund, "fonds.fund.update").get()
    assert entry.actor == people["administrator"]
    assert entry.data == {
        "label": [old_label, "Fonds renouvelé"],
        "max_grant": ["1500.00", "1200.00"],
    }
    # The admin's own « Historique » tab still lists the edit.
    assert ModelLogEntry.objects.filter(action="wagtail.edit", object_id=str(fund.pk)).exists()

    # The same form again changes nothing, and writes nothing.
    before = written(fund)
    response = administrator.post(edit("fonds-initiative", fund), fund_form(fund))
    assert response.status_code == 302
    assert written(fund) == before


def test_an_uncredited_fund_may_move_to_another_quartier(administrator, fund, other_quartier):
    old = fund.quartier_id
    response = administrator.post(
        edit("fonds-initiative", fund), fund_form(fund, quartier=other_quartier.pk)
    )
    assert response.status_code == 302
    fund.refresh_from_db()
    assert fund.quartier == other_quartier
    assert updates(fund, "fonds.fund.update").get().data == {"quartier": [old, other_quartier.pk]}


def test_a_credited_funds_quartier_is_fixed(administrator, fund, quartier, other_quartier):
    credit(fund)
    page = administrator.get(edit("fonds-initiative", fund))
    assert "son quartier ne peut plus changer" in page.content.decode()
    before = written(fund)
    response = administrator.post(
        edit("fonds-initiative", fund),
        fund_form(fund, quartier=other_quartier.pk, label="Fonds déplacé"),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["quartier"] == [str(QUARTIER_FIXED)]
    assert "a déjà reçu des crédits" in response.content.decode()
    assert written(fund) == before
    fund.refresh_from_db()
    assert fund.quartier == quartier and fund.label != "Fonds déplacé"

    # No one moves it, the system included; its other fields still change.
    with pytest.raises(DomainError) as refusal:
        fund_update(actor=SYSTEM, fund=fund, quartier=other_quartier)
    assert refusal.value.field == "quartier"
    fund_update(actor=SYSTEM, fund=fund, label="Fonds crédité")
    assert Fund.objects.get(pk=fund.pk).label == "Fonds crédité"


@pytest.mark.postgres
def test_the_database_refuses_to_move_a_credited_fund(fund, other_quartier):
    credit(fund)
    with pytest.raises(IntegrityError) as refusal, transaction.atomic():
        Fund.objects.filter(pk=fund.pk).update(quartier=other_quartier)
    assert constraint_violated(refusal.value, "fund_quartier_fixed_once_credited")
    assert Fund.objects.get(pk=fund.pk).quartier_id == fund.quartier_id


def test_a_fund_edit_keeps_the_fund_rules(administrator, fund):
    before = written(fund)
    response = administrator.post(
        edit("fonds-initiative", fund),
        fund_form(fund, submissions_close_on=fund.submissions_open_on - datetime.timedelta(days=1)),
    )
    assert response.status_code == 200
    assert "Une date de fin précède la date de début." in response.content.decode()
    assert written(fund) == before


# --- the ceiling in force at submission -----------------------------------------------------


def test_a_new_ceiling_applies_to_dossiers_submitted_after_it(
    administrator, fund, submitted, author, instructor, theme
):
    assert submitted.terms == (Decimal("1500.00"), Decimal("10.00"))
    earlier = initiative_request_completion(actor=instructor, initiative=submitted, reason=REASON)

    response = administrator.post(
        edit("fonds-initiative", fund),
        fund_form(fund, max_grant="800", min_cofunding_percent="20"),
    )
    assert response.status_code == 302
    assert updates(fund, "fonds.fund.update").get().data == {
        "max_grant": ["1500.00", "800.00"],
        "min_cofunding_percent": ["10.00", "20.00"],
    }

    # A dossier submitted now meets the new rules…
    later = new_dossier(fund, author, theme, "Des bancs sur la place")
    with pytest.raises(DomainError) as refusal:
        initiative_submit(actor=author, initiative=later)
    problems = " ".join(refusal.value.errors["__all__"])
    assert "plafond du fonds (800,00" in problems
    assert "au moins 20 %" in problems
    assert Initiative.objects.get(pk=later.pk).status == Initiative.Status.DRAFT

    # … the one submitted before keeps those of its first submission, sent back or not.
    again = initiative_submit(actor=author, initiative=earlier)
    assert again.status == Initiative.Status.SUBMITTED
    assert Initiative.objects.get(pk=earlier.pk).terms == (Decimal("1500.00"), Decimal("10.00"))
    page = administrator.get(reverse("fonds_backoffice_dossier", args=[earlier.pk]))
    assert page.context["initiative"].terms.max_grant == Decimal("1500.00")

    lines = [("expense", "Bancs", "1000"), ("cofunding", "Bailleur social", "250")]
    later = initiative_set_budget(actor=author, initiative=later, lines=lines)
    later = initiative_submit(actor=author, initiative=later)
    assert later.terms == (Decimal("800.00"), Decimal("20.00"))


@pytest.mark.postgres
def test_the_database_keeps_the_rules_a_dossier_was_submitted_under(submitted):
    with pytest.raises(IntegrityError) as refusal, transaction.atomic():
        Initiative.objects.filter(pk=submitted.pk).update(submitted_max_grant=Decimal("5000"))
    assert constraint_violated(refusal.value, "initiative_submitted_terms_fixed")


def test_the_migration_gives_earlier_dossiers_the_rules_of_their_day(quartier, open_fund, author):
    migration = importlib.import_module("fonds.migrations.0009_service_edits")
    now = timezone.now()
    with freeze_time(now - datetime.timedelta(days=20)):
        fund = open_fund(quartier, label="Fonds ancien")
    fund_update(actor=SYSTEM, fund=fund, max_grant=Decimal("900"))

    def dossier(title, submitted_at):
        return Initiative.objects.create(
            fund=fund,
            author=author,
            status=Initiative.Status.SUBMITTED,
            carrier_name="Les Jardiniers",
            title=title,
            submitted_at=submitted_at,
        )

    before = dossier("Avant", now - datetime.timedelta(days=10))
    after = dossier("Après", timezone.now())  # after the change
    draft = Initiative.objects.create(fund=fund, author=author, carrier_name="X", title="Brouillon")
    migration.rules_at_submission(apps, None)
    assert Initiative.objects.get(pk=before.pk).terms == (Decimal("1500.00"), Decimal("10.00"))
    assert Initiative.objects.get(pk=after.pk).terms == (Decimal("900.00"), Decimal("10.00"))
    assert Initiative.objects.get(pk=draft.pk).submitted_max_grant is None


# --- who may --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["instructor", "council_member", "chair", "resident"])
def test_only_administrators_edit(client, people, fund, quartier, theme, role):
    client = logged_in(client, people[role])
    rows = {"fonds-initiative": fund, "quartiers": quartier, "themes": theme}
    posts = {
        "fonds-initiative": fund_form(fund, label="Détourné", max_grant="99999"),
        "quartiers": {"name": "Détourné", "code": "DET", "description": "", "outline": ""},
        "themes": {"name": "Détourné", "position": 9},
    }
    audit = AuditEntry.objects.count()
    for viewset, row in rows.items():
        assert client.get(edit(viewset, row)).status_code == 302
        response = client.post(edit(viewset, row), posts[viewset])
        # Sent away: to the admin's home, or to its login page when not staff.
        assert response.status_code == 302
        assert response.url.split("?")[0] in (reverse("wagtailadmin_home"), LOGIN)
    assert AuditEntry.objects.count() == audit
    assert Fund.objects.get(pk=fund.pk).label == fund.label
    assert Quartier.objects.get(pk=quartier.pk).name == quartier.name
    assert Theme.objects.get(pk=theme.pk).name == theme.name

    edits = [
        lambda: fund_update(actor=people[role], fund=fund, max_grant=Decimal("99999")),
        lambda: quartier_update(actor=people[role], quartier=quartier, name="Détourné"),
        lambda: theme_update(actor=people[role], theme=theme, name="Détourné"),
    ]
    for attempt in edits:
        with pytest.raises(PermissionDenied):
            attempt()
    assert AuditEntry.objects.count() == audit


# --- quartiers and themes -------------------------------------------------------------------


def test_a_quartier_edit_is_audited(administrator, people, quartier):
    response = administrator.post(
        edit("quartiers", quartier),
        {
            "name": "Bellevue-Plage",
            "code": "bvp",
            "description": "Au bord de la Loire.",
            "outline": '{"type": "Polygon", "coordinates": '
            "[[[0.68, 47.39], [0.7, 47.39], [0.7, 47.4], [0.68, 47.39]]]}",
        },
    )
    assert response.status_code == 302
    quartier.refresh_from_db()
    assert (quartier.name, quartier.code, quartier.slug) == ("Bellevue-Plage", "BVP", "bellevue")
    assert quartier.outline == SQUARE
    entry = updates(quartier, "fonds.quartier.update").get()
    assert entry.actor == people["administrator"]
    assert entry.data == {
        "name": ["Bellevue", "Bellevue-Plage"],
        "code": ["BELLEVUE", "BVP"],
        "description": ["", "Au bord de la Loire."],
        "outline": [None, {"rings": 1, "points": 4}],
    }


def test_a_quartier_code_already_taken_is_refused(administrator, quartier, other_quartier):
    before = AuditEntry.objects.count()
    response = administrator.post(
        edit("quartiers", quartier),
        {"name": quartier.name, "code": other_quartier.code.lower(), "description": ""},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == ["Un quartier a déjà ce code."]
    assert Quartier.objects.get(pk=quartier.pk).code == quartier.code
    assert AuditEntry.objects.count() == before


def test_a_theme_edit_is_audited(administrator, people, theme):
    response = administrator.post(
        edit("themes", theme), {"name": "Jardins et nature", "position": 3}
    )
    assert response.status_code == 302
    theme.refresh_from_db()
    assert (theme.name, theme.position, theme.slug) == ("Jardins et nature", 3, "jardins-partages")
    entry = updates(theme, "fonds.theme.update").get()
    assert entry.actor == people["administrator"]
    assert entry.data == {"name": ["Jardins partagés", "Jardins et nature"], "position": [0, 3]}
