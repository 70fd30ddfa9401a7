"""The instructors' back-office in the Wagtail admin: the queue, the dossier, the
instruction actions with their reasons, and the administrators' lists."""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.admin.menu import admin_menu

from accounts.models import AuditEntry
from accounts.roles import Role
from accounts.services import role_grant
from fonds.models import Fund, Initiative, Quartier, Theme
from fonds.services import (
    fund_update,
    initiative_attach,
    initiative_create,
    initiative_declare_admissible,
    initiative_set_budget,
    initiative_set_photo,
    initiative_submit,
    initiative_support,
)
from tests.fonds.conftest import BUDGET, _user, complete_fields
from tests.system import SYSTEM

Status = Initiative.Status
QUEUE = reverse("fonds_backoffice_queue")
NBSP = "\u202f"  # between thousands, as amounts are written


def dossier_url(initiative):
    return reverse("fonds_backoffice_dossier", args=[initiative.pk])


def instruct_url(initiative, action):
    return reverse("fonds_backoffice_instruct", args=[initiative.pk, action])


def submit_new(fund, author, theme, title):
    """A complete dossier in ``fund``, submitted by ``author`` through the services."""
    fields = {**complete_fields(theme), "title": title}
    initiative = initiative_create(actor=author, fund=fund, **fields)
    initiative = initiative_set_budget(actor=author, initiative=initiative, lines=BUDGET)
    return initiative_submit(actor=author, initiative=initiative)


def audit_rows(initiative, action):
    return AuditEntry.objects.filter(
        target_type="fonds.initiative", target_id=str(initiative.pk), action=action
    )


def logged_in(client, user):
    client.force_login(user)
    return client


def queue_titles(response):
    return [initiative.title for initiative in response.context["initiatives"]]


@pytest.fixture
def other_submitted(other_fund, people, theme):
    return submit_new(other_fund, people["resident"], theme, "Fresque aux Tilleuls")


# --- the queue -------------------------------------------------------------------------


def test_instructor_sees_the_dossiers_of_their_quartier_only(
    client, people, submitted, other_submitted, fund, theme
):
    # A draft of the same quartier is not a dossier yet.
    initiative_create(actor=people["resident"], fund=fund, **complete_fields(theme))

    response = logged_in(client, people["instructor"]).get(QUEUE)

    assert response.status_code == 200
    assert queue_titles(response) == [submitted.title]
    html = response.content.decode()
    assert submitted.carrier_name in html
    assert other_submitted.title not in html
    assert f"1{NBSP}000,50" in html  # requested amount
    assert "Bellevue" in html and submitted.fund.label in html
    assert "Déposée" in html  # status


def test_the_other_quartiers_instructor_sees_only_theirs(
    client, people, submitted, other_submitted
):
    response = logged_in(client, people["other_instructor"]).get(QUEUE)
    assert queue_titles(response) == [other_submitted.title]


def test_administrator_sees_every_quartier(client, people, submitted, other_submitted):
    response = logged_in(client, people["administrator"]).get(QUEUE)
    assert sorted(queue_titles(response)) == sorted([submitted.title, other_submitted.title])


def test_commune_wide_instructor_sees_every_quartier(client, submitted, other_submitted):
    agent = _user("agent-commune@example.org")
    role_grant(actor=SYSTEM, user=agent, role=Role.INSTRUCTOR)  # no quartier: all of them
    response = logged_in(client, agent).get(QUEUE)
    assert len(queue_titles(response)) == 2


@pytest.mark.parametrize("who", ["resident", "council_member", "chair", "author"])
def test_people_without_admin_access_are_sent_to_log_in(client, people, submitted, who):
    response = logged_in(client, people[who]).get(QUEUE)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    response = client.get(dossier_url(submitted))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_anonymous_visitor_is_sent_to_log_in(client, submitted):
    for url in (QUEUE, dossier_url(submitted)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_admin_user_without_a_role_is_refused_the_queue(client, submitted):
    """Someone who may open the Wagtail admin (an editor, say) but instructs nothing."""
    from django.contrib.auth.models import Group, Permission

    editor = _user("redaction@example.org")
    editors = Group.objects.create(name="Rédaction")
    editors.permissions.add(Permission.objects.get(codename="access_admin"))
    editor.groups.add(editors)  # admin access only
    response = logged_in(client, editor).get(QUEUE)
    assert response.status_code == 403
    assert submitted.title not in response.content.decode()


def test_queue_puts_waiting_dossiers_first_oldest_first(client, people, fund, theme, instructor):
    author = people["resident"]
    late = submit_new(fund, author, theme, "Déposé hier")
    early = submit_new(fund, author, theme, "Déposé il y a une semaine")
    answered = submit_new(fund, author, theme, "Déjà recevable")
    initiative_declare_admissible(actor=instructor, initiative=answered, reason="Complet.")
    now = timezone.now()
    Initiative.objects.filter(pk=late.pk).update(submitted_at=now - datetime.timedelta(days=1))
    Initiative.objects.filter(pk=early.pk).update(submitted_at=now - datetime.timedelta(days=7))
    Initiative.objects.filter(pk=answered.pk).update(submitted_at=now - datetime.timedelta(days=30))

    response = logged_in(client, instructor).get(QUEUE)

    assert queue_titles(response) == [early.title, late.title, answered.title]


def test_queue_filters_by_status_and_quartier(client, people, fund, theme, other_submitted):
    author = people["resident"]
    waiting = submit_new(fund, author, theme, "En attente")
    answered = submit_new(fund, author, theme, "Recevable")
    initiative_declare_admissible(actor=people["instructor"], initiative=answered, reason="Ok.")
    client = logged_in(client, people["administrator"])

    response = client.get(QUEUE, {"status": Status.ADMISSIBLE})
    assert queue_titles(response) == [answered.title]

    response = client.get(QUEUE, {"quartier": fund.quartier.pk})
    assert sorted(queue_titles(response)) == sorted([waiting.title, answered.title])

    response = client.get(QUEUE, {"quartier": fund.quartier.pk, "status": Status.SUBMITTED})
    assert queue_titles(response) == [waiting.title]


def test_instructor_cannot_filter_on_a_quartier_that_is_not_theirs(
    client, people, submitted, other_submitted, other_quartier
):
    response = logged_in(client, people["instructor"]).get(QUEUE, {"quartier": other_quartier.pk})
    assert response.status_code == 200
    assert queue_titles(response) == [submitted.title]
    assert response.context["form"].errors["quartier"]
    # The filter only offers the instructor's own quartiers.
    assert list(response.context["form"].fields["quartier"].queryset) == [submitted.fund.quartier]


def _many_submitted(fund, author, theme, count):
    return [submit_new(fund, author, theme, f"Initiative n° {n:02d}") for n in range(count)]


def test_queue_is_paginated(client, people, fund, theme):
    _many_submitted(fund, people["resident"], theme, 27)
    client = logged_in(client, people["instructor"])

    first = client.get(QUEUE, {"status": Status.SUBMITTED})
    second = client.get(QUEUE, {"status": Status.SUBMITTED, "page": 2})

    assert len(first.context["initiatives"]) == 25
    assert len(second.context["initiatives"]) == 2
    assert not set(queue_titles(first)) & set(queue_titles(second))
    # The link to the next page keeps the filter.
    assert "?status=submitted&amp;page=2" in first.content.decode()


# About 14 today (session, user, permissions, roles, Wagtail menu); the point is that it
# does not depend on the number of rows.
QUEUE_QUERY_LIMIT = 16


@pytest.mark.parametrize("count", [3, 30])
def test_queue_makes_a_bounded_number_of_queries(
    client, people, fund, other_fund, theme, count, django_assert_max_num_queries
):
    """Rows come with their fund and quartier in one query: 3 or 30 dossiers (over two
    quartiers, for an administrator) cost the same number of queries."""
    half = count // 2
    _many_submitted(fund, people["resident"], theme, count - half)
    _many_submitted(other_fund, people["resident"], theme, half)
    client = logged_in(client, people["administrator"])

    with django_assert_max_num_queries(QUEUE_QUERY_LIMIT):
        response = client.get(QUEUE)

    assert len(response.context["initiatives"]) == min(count, 25)


def test_queue_query_count_does_not_grow_with_rows(client, people, fund, theme):
    client = logged_in(client, people["instructor"])
    _many_submitted(fund, people["resident"], theme, 3)
    client.get(QUEUE)
    with CaptureQueriesContext(connection) as three:
        client.get(QUEUE)
    _many_submitted(fund, people["resident"], theme, 27)
    with CaptureQueriesContext(connection) as thirty:
        response = client.get(QUEUE)
    assert len(response.context["initiatives"]) == 25
    assert len(thirty) == len(three)


# --- the menu ----------------------------------------------------------------------------


def _menu_names(user):
    request = RequestFactory().get("/cms/")
    request.user = user
    return {item.name for item in admin_menu.menu_items_for_request(request)}


def test_menu_shows_the_queue_to_instructors_and_the_lists_to_administrators(people):
    instructor_menu = _menu_names(people["instructor"])
    assert "dossiers-a-instruire" in instructor_menu
    assert "fonds-des-quartiers" not in instructor_menu

    administrator_menu = _menu_names(people["administrator"])
    assert {"dossiers-a-instruire", "fonds-des-quartiers"} <= administrator_menu

    assert "dossiers-a-instruire" not in _menu_names(people["resident"])


# --- the dossier -------------------------------------------------------------------------


@pytest.fixture
def full_dossier(draft, author, people, pdf_upload, photo_upload):
    initiative_attach(actor=author, initiative=draft, upload=pdf_upload(), label="Devis bois")
    initiative_set_photo(actor=author, initiative=draft, upload=photo_upload())
    initiative = initiative_submit(actor=author, initiative=draft)
    initiative_support(actor=people["resident"], initiative=initiative)
    return initiative


def test_dossier_shows_the_whole_dossier(client, people, full_dossier):
    response = logged_in(client, people["instructor"]).get(dossier_url(full_dossier))

    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Une association",
        "Les Jardiniers de Bellevue",
        "W491234567",
        full_dossier.title,
        full_dossier.summary,
        full_dossier.description,
        "Jardins partagés",
        "Square Bellevue",
        "Bois et terreau",
        "Bailleur social",
        f"1{NBSP}200,50",  # expenses
        "200,00",  # co-funding
        f"1{NBSP}000,50",  # requested
        f"1{NBSP}500,00",  # the fund's ceiling
        "Devis bois",
        "Déposée",
    ):
        assert text in html, text
    assert "17" in html and "%" in html  # co-funding share of the expenses
    attachment = full_dossier.attachments.get()
    assert reverse("initiative_attachment", args=[full_dossier.pk, attachment.pk]) in html
    assert reverse("initiative_photo", args=[full_dossier.pk]) in html
    assert response.context["supports"] == 1
    assert response.context["problems"] == []
    assert "remplit à ce jour toutes les règles" in html
    labels = [item.label for item in response.context["history"]]
    assert "Dossier déposé" in labels
    assert "Pièce jointe ajoutée" in labels


def test_dossier_lists_what_breaks_the_funds_rules(client, people, submitted):
    # A lower ceiling since its submission does not apply to the dossier; a closed fund does.
    fund_update(
        actor=SYSTEM, fund=submitted.fund, max_grant=Decimal("800.00"), status=Fund.Status.CLOSED
    )
    response = logged_in(client, people["instructor"]).get(dossier_url(submitted))
    html = response.content.decode()
    assert not any("plafond du fonds" in problem for problem in response.context["problems"])
    assert any("n'accepte pas de dépôt" in problem for problem in response.context["problems"])
    assert "n&#x27;accepte pas de dépôt" in html or "n'accepte pas de dépôt" in html
    assert f"1{NBSP}500,00" in html  # the ceiling it was submitted under


def test_dossier_is_refused_to_the_other_quartiers_instructor(client, people, submitted):
    response = logged_in(client, people["other_instructor"]).get(dossier_url(submitted))
    assert response.status_code == 403
    assert submitted.description not in response.content.decode()


def test_administrator_reads_a_dossier_but_does_not_instruct_it(client, people, submitted):
    client = logged_in(client, people["administrator"])
    response = client.get(dossier_url(submitted))
    assert response.status_code == 200
    assert response.context["action_forms"] == []
    assert "Déclarer recevable" not in response.content.decode()

    response = client.post(instruct_url(submitted, "recevable"), {"recevable-reason": "Oui."})
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_a_draft_is_not_in_the_back_office(client, people, draft):
    response = logged_in(client, people["instructor"]).get(dossier_url(draft))
    assert response.status_code == 404


def test_missing_dossier_is_404(client, people):
    response = logged_in(client, people["instructor"]).get(
        reverse("fonds_backoffice_dossier", args=[999999])
    )
    assert response.status_code == 404


# --- the actions -------------------------------------------------------------------------

ACTIONS = [
    ("completer", Status.INCOMPLETE, "fonds.initiative.request_completion", "Compléments demandés"),
    ("recevable", Status.ADMISSIBLE, "fonds.initiative.admissible", "Déclaré recevable"),
    ("irrecevable", Status.INADMISSIBLE, "fonds.initiative.inadmissible", "Déclaré irrecevable"),
]


def test_instructor_is_offered_the_three_actions(client, people, submitted):
    response = logged_in(client, people["instructor"]).get(dossier_url(submitted))
    html = response.content.decode()
    for label in ("Demander des compléments", "Déclarer recevable", "Déclarer irrecevable"):
        assert label in html
    for slug, *_rest in ACTIONS:
        assert f'action="{instruct_url(submitted, slug)}"' in html
        assert f'name="{slug}-reason"' in html
    assert "csrfmiddlewaretoken" in html


@pytest.mark.parametrize(("slug", "status", "code", "label"), ACTIONS)
def test_each_action_changes_status_writes_audit_and_shows_in_history(
    client, people, submitted, mailoutbox, slug, status, code, label
):
    reason = f"Motif pour {slug} : le devis du menuisier."
    client = logged_in(client, people["instructor"])

    response = client.post(instruct_url(submitted, slug), {f"{slug}-reason": reason})

    assert response.status_code == 302
    assert response.url == dossier_url(submitted)
    submitted.refresh_from_db()
    assert submitted.status == status
    (entry,) = audit_rows(submitted, code)
    assert entry.actor == people["instructor"]
    assert entry.data["reason"] == reason

    page = client.get(response.url)
    html = page.content.decode()
    assert label in html
    assert reason in html
    assert str(people["instructor"]) in html
    assert page.context["action_forms"] == []  # no second decision on the same dossier
    assert any(submitted.title in str(message) for message in page.context["messages"])


@pytest.mark.parametrize(("slug", "status", "code", "label"), ACTIONS)
@pytest.mark.parametrize("reason", ["", "   \n  "])
def test_empty_reason_shows_an_error_and_writes_nothing(
    client, people, submitted, slug, status, code, label, reason
):
    audit_before = AuditEntry.objects.count()
    response = logged_in(client, people["instructor"]).post(
        instruct_url(submitted, slug), {f"{slug}-reason": reason}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Indiquez le motif : l&#x27;auteur du dossier le lira." in html
    assert "L&#x27;action n&#x27;a pas été enregistrée." in html
    form = next(f for f in response.context["action_forms"] if f.action.slug == slug)
    assert form.errors["reason"]
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert AuditEntry.objects.count() == audit_before


def test_refusal_by_the_service_is_shown_on_the_page_and_writes_nothing(client, people, submitted):
    """Two instructors act on the same dossier at once: the second action is refused by
    the service, and its message is shown."""
    client = logged_in(client, people["instructor"])
    client.post(instruct_url(submitted, "recevable"), {"recevable-reason": "Complet."})
    audit_before = AuditEntry.objects.count()

    response = client.post(
        instruct_url(submitted, "irrecevable"), {"irrecevable-reason": "Hors sujet."}
    )

    assert response.status_code == 200
    assert "pas possible pour une initiative au statut « Recevable »" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == Status.ADMISSIBLE
    assert AuditEntry.objects.count() == audit_before


def test_instructor_cannot_instruct_their_own_dossier(client, people, fund, theme, instructor):
    own = submit_new(fund, instructor, theme, "Mon propre projet")
    client = logged_in(client, instructor)

    page = client.get(dossier_url(own))
    assert page.status_code == 200  # they may read it…
    assert page.context["action_forms"] == []  # …but are offered no action
    assert "Déclarer recevable" not in page.content.decode()

    response = client.post(instruct_url(own, "recevable"), {"recevable-reason": "Parfait."})
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.status == Status.SUBMITTED
    assert not audit_rows(own, "fonds.initiative.admissible").exists()


def test_other_quartiers_instructor_cannot_act(client, people, submitted):
    response = logged_in(client, people["other_instructor"]).post(
        instruct_url(submitted, "irrecevable"), {"irrecevable-reason": "Non."}
    )
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert not audit_rows(submitted, "fonds.initiative.inadmissible").exists()


def test_actions_need_the_csrf_token(people, submitted):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["instructor"])
    response = client.post(instruct_url(submitted, "recevable"), {"recevable-reason": "Oui."})
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_actions_only_answer_post(client, people, submitted):
    client = logged_in(client, people["instructor"])
    assert client.get(instruct_url(submitted, "recevable")).status_code == 405
    response = client.post(instruct_url(submitted, "approuver"), {"approuver-reason": "x"})
    assert response.status_code == 404


def test_reason_too_long_is_refused(client, people, submitted):
    response = logged_in(client, people["instructor"]).post(
        instruct_url(submitted, "completer"), {"completer-reason": "x" * 2001}
    )
    assert response.status_code == 200
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


# --- the administrators' lists -------------------------------------------------------------


def test_administrator_edits_the_list_of_themes(client, people, theme):
    client = logged_in(client, people["administrator"])
    assert client.get(reverse("themes:index")).status_code == 200

    response = client.post(reverse("themes:add"), {"name": "Sport et santé", "position": 3})

    assert response.status_code == 302
    created = Theme.objects.get(name="Sport et santé")
    assert created.slug == "sport-et-sante"
    assert AuditEntry.objects.filter(
        action="fonds.theme.create", target_id=str(created.pk), actor=people["administrator"]
    ).exists()

    response = client.post(
        reverse("themes:edit", args=[theme.pk]), {"name": "Jardins et nature", "position": 1}
    )
    assert response.status_code == 302
    theme.refresh_from_db()
    assert theme.name == "Jardins et nature"


def test_administrator_cannot_delete_a_theme(client, people, theme):
    client = logged_in(client, people["administrator"])
    response = client.post(reverse("themes:delete", args=[theme.pk]))
    assert response.status_code == 302
    assert response.url == reverse("wagtailadmin_home")
    assert Theme.objects.filter(pk=theme.pk).exists()


@pytest.mark.parametrize("viewset", ["themes", "quartiers", "fonds-initiative"])
def test_instructors_cannot_reach_the_lists(client, people, viewset):
    client = logged_in(client, people["instructor"])
    response = client.get(reverse(f"{viewset}:index"))
    assert response.status_code == 302
    assert response.url == reverse("wagtailadmin_home")
    response = client.get(reverse(f"{viewset}:add"))
    assert response.status_code == 302


def test_instructor_cannot_create_a_theme(client, people):
    response = logged_in(client, people["instructor"]).post(
        reverse("themes:add"), {"name": "Piraterie", "position": 0}
    )
    assert response.status_code == 302
    assert not Theme.objects.filter(name="Piraterie").exists()


def test_administrator_creates_a_quartier_and_a_fund(client, people):
    client = logged_in(client, people["administrator"])
    response = client.post(
        reverse("quartiers:add"),
        {"name": "Saint-Jean", "code": "STJEAN", "description": "", "outline": ""},
    )
    assert response.status_code == 302
    quartier = Quartier.objects.get(name="Saint-Jean")
    assert AuditEntry.objects.filter(action="fonds.quartier.create", target_id=str(quartier.pk))

    today = timezone.localdate()
    data = {
        "quartier": quartier.pk,
        "label": "Fonds 2031",
        "period_start": today.replace(year=2031, month=1, day=1).isoformat(),
        "period_end": today.replace(year=2031, month=12, day=31).isoformat(),
        "submissions_open_on": today.replace(year=2031, month=2, day=1).isoformat(),
        "submissions_close_on": today.replace(year=2031, month=10, day=1).isoformat(),
        "max_grant": "2000",
        "min_cofunding_percent": "0",
        "decision_mode": Fund.DecisionMode.COUNCIL,
        "status": Fund.Status.DRAFT,
    }
    response = client.post(reverse("fonds-initiative:add"), data)
    assert response.status_code == 302
    fund = Fund.objects.get(label="Fonds 2031")
    assert fund.slug == "saint-jean-fonds-2031"
    assert AuditEntry.objects.filter(action="fonds.fund.create", target_id=str(fund.pk))


def test_fund_with_dates_in_the_wrong_order_is_refused(client, people, quartier):
    client = logged_in(client, people["administrator"])
    data = {
        "quartier": quartier.pk,
        "label": "Fonds à l'envers",
        "period_start": "2031-12-31",
        "period_end": "2031-01-01",
        "submissions_open_on": "2031-02-01",
        "submissions_close_on": "2031-03-01",
        "max_grant": "2000",
        "min_cofunding_percent": "0",
        "decision_mode": Fund.DecisionMode.COUNCIL,
        "status": Fund.Status.DRAFT,
    }
    audit_before = AuditEntry.objects.count()
    response = client.post(reverse("fonds-initiative:add"), data)
    assert response.status_code == 200
    assert not Fund.objects.filter(label="Fonds à l'envers").exists()
    assert AuditEntry.objects.count() == audit_before


@pytest.mark.postgres
def test_theme_whose_address_is_taken_is_refused(client, people, theme):
    response = logged_in(client, people["administrator"]).post(
        reverse("themes:add"), {"name": "Jardins Partagés", "position": 0}
    )
    assert response.status_code == 200
    assert "même adresse" in response.content.decode()
    assert not Theme.objects.filter(name="Jardins Partagés").exists()


@pytest.mark.parametrize(
    "outline",
    [
        '{"type": "Point", "coordinates": [0.68, 47.39]}',
        '{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]}',
        '{"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0.5]]]}',
        '{"type": "Polygon", "coordinates": [[[0, 0], [900, 0], [1, 1], [0, 0]]]}',
    ],
)
def test_editing_a_quartier_checks_its_outline(client, people, quartier, outline):
    client = logged_in(client, people["administrator"])
    response = client.post(
        reverse("quartiers:edit", args=[quartier.pk]),
        {"name": quartier.name, "code": quartier.code, "description": "", "outline": outline},
    )
    assert response.status_code == 200
    assert "polygone GeoJSON" in response.content.decode()
    quartier.refresh_from_db()
    assert quartier.outline is None


def test_editing_a_quartier_keeps_a_valid_outline(client, people, quartier):
    client = logged_in(client, people["administrator"])
    square = [[0.68, 47.39], [0.69, 47.39], [0.69, 47.40], [0.68, 47.40], [0.68, 47.39]]
    response = client.post(
        reverse("quartiers:edit", args=[quartier.pk]),
        {
            "name": quartier.name,
            "code": quartier.code,
            "description": "",
            "outline": json.dumps({"type": "Polygon", "coordinates": [square]}),
        },
    )
    assert response.status_code == 302
    quartier.refresh_from_db()
    assert quartier.outline["coordinates"][0] == square
