"""Planning sessions from the council space: who may plan, the date and the place, the
written procedure, the agenda built from the quartier's admissible dossiers (add,
reorder, remove), and every bad input refused with a French message or a 4xx, nothing
written."""

import datetime
import re
from decimal import Decimal
from html import unescape

import pytest
from bs4 import BeautifulSoup
from django.contrib.messages import get_messages
from django.urls import path, reverse
from django.utils import timezone
from wagtail.admin.auth import require_admin_access

from accounts.errors import DomainError, PermissionDenied
from accounts.models import AuditEntry
from cms import urls as cms_urls
from fonds.models import Initiative
from votes import planning_admin
from votes.models import AgendaItem, Session
from votes.services import (
    agenda_add,
    agenda_move,
    agenda_remove,
    attendance_record,
    interest_declare,
    item_summarise,
    session_open,
    session_plan,
    session_update,
    vote_open,
)

pytestmark = pytest.mark.django_db

Status = Initiative.Status


def later(days=3, hour=18, minute=30):
    """A local moment ``days`` from today."""
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def plan(council, actor, **extra):
    values = {"starts_at": later(), "place": "Maison de quartier"} | extra
    return session_plan(actor=actor, council=council, **values)


def status_of(initiative):
    return Initiative.objects.get(pk=initiative.pk).status


def positions(session):
    return list(
        AgendaItem.objects.filter(session=session)
        .order_by("position")
        .values_list("initiative__title", "position")
    )


def shown(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def planned(council, chair):
    return plan(council, chair)


@pytest.fixture
def three(planned, instructor, admissible, make_admissible):
    """Three dossiers on the planned session's agenda: A, B, C."""
    admissible.title = "A"
    admissible.save(update_fields=["title"])
    items = [agenda_add(actor=instructor, session=planned, initiative=admissible)]
    for title in ("B", "C"):
        items.append(
            agenda_add(actor=instructor, session=planned, initiative=make_admissible(title=title))
        )
    return items


def roles(members, people):
    return {
        "chair": members[0],
        "member": members[1],
        "ex_officio": members[5],
        "instructor": people["instructor"],
        "administrator": people["administrator"],
        "other_instructor": people["other_instructor"],
        "resident": people["resident"],
        "chair_role_only": people["chair"],
    }


ALLOWED = ["chair", "instructor", "administrator"]
DENIED = ["member", "ex_officio", "other_instructor", "resident", "chair_role_only"]


# --- Planning through the service ---------------------------------------------------------


@pytest.mark.parametrize("role", ALLOWED)
def test_the_chair_the_instructors_and_the_administrators_plan_sessions(
    role, council, members, people
):
    actor = roles(members, people)[role]
    session = plan(council, actor, is_public=False, procedure=Session.Procedure.MEETING)
    assert (session.status, session.is_public, session.place) == (
        Session.Status.PLANNED,
        False,
        "Maison de quartier",
    )
    entry = AuditEntry.objects.get(action="votes.session.plan", target_id=str(session.pk))
    assert entry.actor == actor and entry.data["is_public"] is False


@pytest.mark.parametrize("role", DENIED)
def test_nobody_else_plans_a_session(role, council, members, people, nothing_written):
    actor = roles(members, people)[role]
    with nothing_written(), pytest.raises(PermissionDenied):
        plan(council, actor)


def test_the_defaults_keep_the_old_calls_working(council, chair):
    session = session_plan(actor=chair, council=council, starts_at=later(), place="Mairie")
    assert session.is_public is True and session.procedure == Session.Procedure.MEETING


@pytest.mark.parametrize(
    "moment",
    [
        lambda: timezone.now() - datetime.timedelta(days=1),
        lambda: timezone.now() - datetime.timedelta(minutes=20),
    ],
)
def test_a_session_in_the_past_is_refused(moment, council, chair, nothing_written):
    with nothing_written(), pytest.raises(DomainError, match="date est passée") as refused:
        plan(council, chair, starts_at=moment())
    assert refused.value.field == "starts_at"


def test_a_session_planned_as_it_begins_is_accepted(council, chair):
    """Recorded in the meeting room: its start, typed to the minute, is just past."""
    assert plan(council, chair, starts_at=timezone.now() - datetime.timedelta(minutes=5))


def test_a_session_years_ahead_is_refused(council, chair, nothing_written):
    with nothing_written(), pytest.raises(DomainError, match="deux ans"):
        plan(council, chair, starts_at=timezone.now() + datetime.timedelta(days=800))


@pytest.mark.parametrize(
    "place", ["Salle\x00des fêtes", "Salle\x07des fêtes", "Salle\ndes fêtes", "x" * 201, " "]
)
def test_a_bad_place_is_a_french_error(place, council, chair, nothing_written):
    with nothing_written(), pytest.raises(DomainError, match="lieu") as refused:
        plan(council, chair, place=place)
    assert refused.value.field == "place"


def test_the_place_is_cleaned(council, chair):
    assert plan(council, chair, place="  Centre social  ").place == "Centre social"


def test_a_written_procedure_needs_no_place(council, chair):
    session = plan(council, chair, procedure=Session.Procedure.WRITTEN, place="")
    assert session.procedure == Session.Procedure.WRITTEN and session.place == ""


def test_an_unknown_procedure_is_refused(council, chair, nothing_written):
    with nothing_written(), pytest.raises(DomainError, match="Procédure inconnue"):
        plan(council, chair, procedure="telepathy")


def test_a_written_procedure_votes_by_deadline_on_its_agenda(
    council, chair, instructor, admissible
):
    session = plan(council, chair, procedure=Session.Procedure.WRITTEN, place="")
    item = agenda_add(actor=instructor, session=session, initiative=admissible)
    vote = vote_open(
        actor=chair,
        item=item,
        mode="roll_call",
        proposed_amount="800",
        deadline=timezone.now() + datetime.timedelta(days=7),
    )
    assert vote.deadline is not None and status_of(admissible) == Status.ON_AGENDA
    # A point whose vote is open by written procedure stays on the agenda.
    with pytest.raises(DomainError, match="vote a été ouvert"):
        agenda_remove(actor=chair, item=item)


# --- Editing -------------------------------------------------------------------------------


def test_a_planned_session_is_edited(planned, instructor):
    moved = later(days=5, hour=19, minute=0)
    session = session_update(
        actor=instructor, session=planned, starts_at=moved, place="Gymnase", is_public=False
    )
    session.refresh_from_db()
    assert (session.starts_at, session.place, session.is_public) == (moved, "Gymnase", False)
    assert session.convocation_sequence == 0  # not convened: nothing to send
    entry = AuditEntry.objects.get(action="votes.session.update")
    assert entry.data["changed"] == ["is_public", "place", "starts_at"]


def test_an_edit_that_changes_nothing_writes_nothing(planned, chair, nothing_written):
    with nothing_written():
        session_update(
            actor=chair,
            session=planned,
            starts_at=planned.starts_at,
            place=planned.place,
            is_public=True,
        )


@pytest.mark.parametrize(
    "change, message",
    [
        ({"starts_at": timezone.now() - datetime.timedelta(days=2)}, "date est passée"),
        ({"place": "Salle\x00B"}, "lieu"),
        ({"place": ""}, "lieu"),
        ({"starts_at": "demain"}, "date et l'heure"),
    ],
)
def test_a_bad_edit_is_refused(planned, chair, change, message, nothing_written):
    values = {"starts_at": planned.starts_at, "place": "Gymnase", "is_public": True} | change
    with nothing_written(), pytest.raises(DomainError, match=message):
        session_update(actor=chair, session=planned, **values)


def test_only_who_plans_edits(planned, members, nothing_written):
    with nothing_written(), pytest.raises(PermissionDenied):
        session_update(
            actor=members[1], session=planned, starts_at=later(9), place="X", is_public=True
        )


def test_an_open_session_is_no_longer_edited(session, members, chair, nothing_written):
    attendance_record(actor=chair, session=session, present=members[:3])
    session_open(actor=chair, session=session)
    with nothing_written(), pytest.raises(DomainError, match="Ouverte"):
        session_update(actor=chair, session=session, starts_at=later(), place="X", is_public=True)


# --- The agenda ----------------------------------------------------------------------------


def test_items_move_up_and_down(planned, three, chair):
    a, b, c = three
    agenda_move(actor=chair, item=c, direction="up")
    assert positions(planned) == [("A", 1), ("C", 2), ("B", 3)]
    agenda_move(actor=chair, item=a, direction="down")
    assert positions(planned) == [("C", 1), ("A", 2), ("B", 3)]
    assert AuditEntry.objects.filter(action="votes.agenda.move").count() == 2


@pytest.mark.parametrize(
    "which, direction, message", [(0, "up", "premier"), (2, "down", "dernier")]
)
def test_an_item_does_not_move_past_the_ends(
    planned, three, chair, which, direction, message, nothing_written
):
    with nothing_written(), pytest.raises(DomainError, match=message):
        agenda_move(actor=chair, item=three[which], direction=direction)


def test_an_unknown_move_is_refused(planned, three, chair, nothing_written):
    with nothing_written(), pytest.raises(DomainError, match="Déplacement inconnu"):
        agenda_move(actor=chair, item=three[0], direction="sideways")


def test_removing_an_item_makes_the_dossier_admissible_again(planned, three, instructor):
    a, b, c = three
    agenda_remove(actor=instructor, item=b)
    assert positions(planned) == [("A", 1), ("C", 2)]
    assert status_of(b.initiative) == Status.ADMISSIBLE
    assert status_of(a.initiative) == Status.ON_AGENDA
    # Ready for another session's agenda.
    again = agenda_add(actor=instructor, session=planned, initiative=b.initiative)
    assert again.position == 3


def test_no_item_is_removed_once_the_session_is_open(
    session, members, chair, item, nothing_written
):
    attendance_record(actor=chair, session=session, present=members[:3])
    session_open(actor=chair, session=session)
    with nothing_written(), pytest.raises(DomainError, match="avant l'ouverture"):
        agenda_remove(actor=chair, item=AgendaItem.objects.get(pk=item.pk))


@pytest.mark.parametrize("role", DENIED)
def test_nobody_else_reorders_or_removes(role, planned, three, members, people, nothing_written):
    actor = roles(members, people)[role]
    with nothing_written(), pytest.raises(PermissionDenied):
        agenda_move(actor=actor, item=three[1], direction="up")
    with nothing_written(), pytest.raises(PermissionDenied):
        agenda_remove(actor=actor, item=three[1])


def test_a_dossier_on_an_open_agenda_is_not_added_to_another(
    planned, council, chair, instructor, admissible, nothing_written
):
    agenda_add(actor=instructor, session=planned, initiative=admissible)
    other = plan(council, chair, starts_at=later(10))
    stale = Initiative.objects.get(pk=admissible.pk)
    stale.status = Status.ADMISSIBLE  # the caller's copy says admissible: the lock reads it again
    with nothing_written(), pytest.raises(DomainError, match="déjà inscrit"):
        agenda_add(actor=instructor, session=other, initiative=stale)


def test_control_characters_in_a_summary_or_a_note_are_french_errors(
    session, members, chair, item, nothing_written
):
    with nothing_written(), pytest.raises(DomainError, match="caractère de contrôle"):
        item_summarise(actor=chair, item=item, summary="Débat\x00 animé")
    with nothing_written(), pytest.raises(DomainError, match="caractère de contrôle"):
        interest_declare(actor=members[1], item=item, note="Trésorière\x00")
    with nothing_written(), pytest.raises(DomainError, match="300 caractères"):
        interest_declare(actor=members[1], item=item, note="x" * 301)
    # Line breaks belong in a summary.
    assert item_summarise(actor=chair, item=item, summary="Un.\nDeux.").summary == "Un.\nDeux."


# --- The pages -----------------------------------------------------------------------------


def new_url(council):
    return reverse("council_session_new", args=[council.pk])


def prepare_url(session):
    return reverse("council_session_prepare", args=[session.pk])


def form_data(moment=None, **extra):
    local = timezone.localtime(moment or later())
    return {
        "procedure": "meeting",
        "day": local.strftime("%Y-%m-%d"),
        "time": local.strftime("%H:%M"),
        "place": "Salle polyvalente",
        "is_public": "1",
    } | extra


@pytest.mark.parametrize("role", ALLOWED)
def test_the_planning_pages_open_for_who_plans(role, client, council, members, people, planned):
    client.force_login(roles(members, people)[role])
    assert client.get(reverse("council_planning")).status_code == 200
    page = client.get(new_url(council))
    assert page.status_code == 200
    assert b'type="date"' in page.content and b'name="procedure"' in page.content
    assert client.get(prepare_url(planned)).status_code == 200


@pytest.mark.parametrize(
    "role, status",
    [
        ("member", 403),
        ("ex_officio", 403),
        ("other_instructor", 404),
        ("resident", 404),
        ("chair_role_only", 404),
    ],
)
def test_the_planning_pages_refuse_everyone_else(
    role, status, client, council, members, people, planned, admissible, nothing_written
):
    client.force_login(roles(members, people)[role])
    with nothing_written():
        assert client.get(new_url(council)).status_code == status
        assert client.post(new_url(council), form_data()).status_code == status
        assert client.get(prepare_url(planned)).status_code == status
        response = client.post(
            prepare_url(planned), {"action": "add", "initiative": str(admissible.pk)}
        )
        assert response.status_code == status
        response = client.post(prepare_url(planned), {"action": "convene"})
        assert response.status_code == status


def test_an_anonymous_visitor_is_sent_to_log_in(client, council, planned):
    response = client.get(new_url(council))
    assert response.status_code == 302 and "/comptes/" in response["Location"]


def test_the_chair_plans_a_session_from_the_form(client, council, chair):
    client.force_login(chair)
    moment = later(days=4, hour=18, minute=0)
    response = client.post(new_url(council), form_data(moment, is_public="0"))
    session = Session.objects.get(council=council)
    assert response.status_code == 302 and response["Location"] == prepare_url(session)
    assert (session.starts_at, session.is_public, session.place) == (
        moment,
        False,
        "Salle polyvalente",
    )


def test_a_written_procedure_is_planned_from_the_form_without_place(client, council, chair):
    client.force_login(chair)
    response = client.post(new_url(council), form_data(procedure="written", place=""))
    session = Session.objects.get(council=council)
    assert response.status_code == 302 and session.procedure == Session.Procedure.WRITTEN
    page = client.get(prepare_url(session))
    assert "Procédure écrite" in page.content.decode()


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"day": "hier"}, "day", None),
        ({"time": "25:99"}, "time", None),
        ({"procedure": "telepathy"}, "procedure", None),
        ({"place": "Salle\x00B"}, "place", None),
        ({"place": "Salle\x01B"}, "place", "sans caractère de contrôle"),
        ({"place": ""}, "place", "Indiquez le lieu"),
        ({"day": "2001-01-01"}, "day", "date est passée"),
    ],
)
def test_bad_input_in_the_form_shows_an_error_by_its_field(
    client, council, chair, data, field, message, nothing_written
):
    client.force_login(chair)
    with nothing_written():
        response = client.post(new_url(council), form_data(**data))
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors.get(field), form.errors
    if message:
        assert message in " ".join(form.errors[field])
    page = BeautifulSoup(response.content.decode(), "html.parser")
    error = page.find(id=f"id_{field}_error")
    assert error is not None and error.get_text(strip=True)
    # The error is read with its field: the input, or the fieldset of the radios.
    described = page.find(attrs={"aria-describedby": re.compile(f"id_{field}_error")})
    assert described is not None and described.name in ("input", "fieldset")
    if described.name == "input":
        assert described["aria-invalid"] == "true"


def test_the_agenda_is_built_from_the_planning_page(
    client, planned, chair, instructor, admissible, make_admissible, credited
):
    second = make_admissible(title="Bancs du square")
    client.force_login(instructor)
    page = client.get(prepare_url(planned))
    html = unescape(page.content.decode())
    assert admissible.title in html and "Bancs du square" in html
    assert [(fund.pk, fund.available) for fund in page.context["funds"]] == [
        (credited.pk, Decimal("5000.00"))
    ]
    assert admissible.requested_amount == Decimal("1000.50")
    assert "1\u202f000,50\xa0€ demandés" in html  # the amount asked, on every dossier
    assert "5\u202f000,00\xa0€ disponibles" in html
    for initiative in (admissible, second):
        response = client.post(
            prepare_url(planned), {"action": "add", "initiative": str(initiative.pk)}
        )
        assert response.status_code == 302
    assert positions(planned) == [(admissible.title, 1), ("Bancs du square", 2)]
    assert status_of(second) == Status.ON_AGENDA
    page = client.get(prepare_url(planned))
    assert page.context["funds"][0].asked_on_agenda == 2 * admissible.requested_amount
    assert page.context["candidates"] == []

    second_item = AgendaItem.objects.get(session=planned, initiative=second)
    response = client.post(
        prepare_url(planned), {"action": "move", "item": second_item.pk, "direction": "up"}
    )
    assert response.status_code == 302
    assert positions(planned) == [("Bancs du square", 1), (admissible.title, 2)]

    response = client.post(prepare_url(planned), {"action": "remove", "item": second_item.pk})
    assert response.status_code == 302
    assert positions(planned) == [(admissible.title, 1)]
    assert status_of(second) == Status.ADMISSIBLE


def test_the_carrier_sees_the_dossier_on_the_agenda(client, planned, instructor, admissible):
    agenda_add(actor=instructor, session=planned, initiative=admissible)
    client.force_login(admissible.author)
    for url in (reverse("my_space"), reverse("initiative_detail", args=[admissible.pk])):
        assert "Inscrite à l'ordre du jour" in unescape(client.get(url).content.decode())
    # « Mon espace » also says which session, at what time.
    space = unescape(client.get(reverse("my_space")).content.decode())
    local = timezone.localtime(planned.starts_at)
    assert "Inscrite à l'ordre du jour de la séance du" in space and f"{local:%H:%M}" in space


@pytest.mark.parametrize(
    "data",
    [
        {"action": "add", "initiative": "abc"},
        {"action": "add", "initiative": ""},
        {"action": "add", "initiative": "99999999999999999999"},
        {"action": "add", "initiative": "²"},
        {"action": "add", "initiative": "987654"},
        {"action": "move", "item": "x", "direction": "up"},
        {"action": "move", "item": "987654", "direction": "up"},
        {"action": "remove", "item": "-1"},
        {"action": "remove"},
        {"action": "explode"},
        {},
    ],
)
def test_bad_ids_and_actions_answer_404(client, planned, three, chair, data, nothing_written):
    client.force_login(chair)
    with nothing_written():
        assert client.post(prepare_url(planned), data).status_code == 404


def test_an_item_of_another_session_answers_404(
    client, council, planned, three, chair, nothing_written
):
    other = plan(council, chair, starts_at=later(12))
    client.force_login(chair)
    with nothing_written():
        for action in ("move", "remove"):
            response = client.post(
                prepare_url(other), {"action": action, "item": three[0].pk, "direction": "up"}
            )
            assert response.status_code == 404


def refused_with(client, session, data, message):
    response = client.post(prepare_url(session), data)
    assert response.status_code == 302
    assert any(message in text for text in shown(response)), shown(response)


def test_refused_agenda_changes_come_back_as_french_messages(
    client,
    council,
    planned,
    three,
    chair,
    instructor,
    people,
    other_fund,
    make_admissible,
    initiative_in,
    nothing_written,
):
    elsewhere = make_admissible(
        title="Aux Tilleuls", fund=other_fund, instructor=people["other_instructor"]
    )
    other = plan(council, chair, starts_at=later(12))
    client.force_login(instructor)
    with nothing_written():
        refused_with(
            client, planned, {"action": "add", "initiative": elsewhere.pk}, "autre quartier"
        )
        refused_with(
            client,
            other,
            {"action": "add", "initiative": three[0].initiative_id},
            "déjà inscrit",
        )
        refused_with(
            client,
            planned,
            {"action": "move", "item": three[0].pk, "direction": "up"},
            "déjà le premier",
        )
        refused_with(
            client,
            planned,
            {"action": "move", "item": three[0].pk, "direction": "diagonal"},
            "Déplacement inconnu",
        )


def test_a_dossier_not_admissible_is_refused_from_the_page(
    client, planned, instructor, initiative_in, nothing_written
):
    submitted = initiative_in("submitted")
    client.force_login(instructor)
    with nothing_written():
        refused_with(
            client, planned, {"action": "add", "initiative": submitted.pk}, "Seul un dossier"
        )


def test_the_session_is_edited_from_its_planning_page(client, planned, chair):
    client.force_login(chair)
    moment = later(days=6, hour=20, minute=15)
    data = form_data(moment, action="update", place="Gymnase", is_public="0")
    del data["procedure"]
    response = client.post(prepare_url(planned), data)
    assert response.status_code == 302
    planned.refresh_from_db()
    assert (planned.starts_at, planned.place, planned.is_public) == (moment, "Gymnase", False)


def test_a_past_date_on_the_planning_page_shows_the_error(client, planned, chair, nothing_written):
    client.force_login(chair)
    with nothing_written():
        response = client.post(prepare_url(planned), form_data(action="update", day="2001-01-01"))
    assert response.status_code == 200
    assert "date est passée" in " ".join(response.context["form"].errors["day"])


def test_the_council_space_links_to_the_planning(client, council, chair, planned):
    client.force_login(chair)
    html = client.get(reverse("council_home")).content.decode()
    assert reverse("council_planning") in html
    html = client.get(reverse("council_planning")).content.decode()
    assert new_url(council) in html and prepare_url(planned) in html


def test_a_double_click_plans_one_session(client, council, chair):
    client.force_login(chair)
    data = form_data(form_once="jeton-unique-de-test")
    client.post(new_url(council), data)
    client.post(new_url(council), data)
    assert Session.objects.filter(council=council).count() == 1


# --- The admin's list ----------------------------------------------------------------------
# Wagtail loads only votes/wagtail_hooks.py, which registers planning_admin's hooks; this
# module serves as the URLconf of the tests below, with the admin view mounted the way
# Wagtail mounts a hook's URLs, so that they run whether or not the hooks are wired yet.

urlpatterns = [
    path(
        "cms/seances/",
        require_admin_access(planning_admin.sessions_view),
        name=planning_admin.URL_NAME,
    ),
    *cms_urls.urlpatterns,
]


@pytest.mark.urls(__name__)
def test_the_admin_lists_the_sessions_of_the_instructors_quartiers(
    client, council, planned, people, make_admissible, other_fund, nothing_written
):
    instructor = people["instructor"]
    client.force_login(instructor)
    response = client.get(reverse(planning_admin.URL_NAME))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Séances des conseils" in html
    assert new_url(council) in html and prepare_url(planned) in html
    # Another quartier's instructor sees none of them.
    client.force_login(people["other_instructor"])
    with nothing_written():
        response = client.get(reverse(planning_admin.URL_NAME))
    assert response.status_code == 403 and prepare_url(planned) not in response.content.decode()


@pytest.mark.urls(__name__)
def test_the_menu_item_is_shown_to_instructors_and_administrators(rf, people):
    item = planning_admin.register_menu_item()
    assert item.url == reverse(planning_admin.URL_NAME)
    for name, shown_to in [
        ("instructor", True),
        ("administrator", True),
        ("resident", False),
        ("council_member", False),
    ]:
        request = rf.get("/cms/")
        request.user = people[name]
        assert item.is_shown(request) is shown_to, name


def test_the_admin_hooks_give_one_url():
    (pattern,) = planning_admin.register_admin_urls()
    assert pattern.name == planning_admin.URL_NAME


def test_the_session_a_dossier_waits_for_is_known_for_the_authors_space(
    planned, instructor, admissible, make_admissible
):
    from django.template.loader import render_to_string

    from votes.selectors import agenda_sessions

    waiting = make_admissible(title="Pas encore inscrit")
    agenda_add(actor=instructor, session=planned, initiative=admissible)
    dossiers = list(Initiative.objects.filter(pk__in=[admissible.pk, waiting.pk]))
    found = agenda_sessions(dossiers)
    assert found == {admissible.pk: planned}
    html = unescape(render_to_string("votes/planning/_carrier_agenda.html", {"data": planned}))
    local = timezone.localtime(planned.starts_at)
    assert "Inscrite à l'ordre du jour de la séance du" in html and f"{local:%H:%M}" in html


def test_a_session_closed_without_quorum_is_convened_again_from_the_form(
    client, council, session, members, chair
):
    from votes.services import session_close_without_quorum

    attendance_record(actor=chair, session=session, present=members[:1])
    session_close_without_quorum(actor=chair, session=session)
    client.force_login(chair)
    page = client.get(new_url(council))
    assert page.context["form"].fields["reconvened_from"].queryset.get() == session
    for bad in ("abc", "99999999999999999999"):
        refused = client.post(new_url(council), form_data(reconvened_from=bad))
        assert refused.status_code == 200 and refused.context["form"].errors["reconvened_from"]
    response = client.post(new_url(council), form_data(reconvened_from=str(session.pk)))
    assert response.status_code == 302
    again = Session.objects.get(reconvened_from=session)
    assert again.status == Session.Status.PLANNED
    # Once convened again, it is no longer offered.
    assert "reconvened_from" not in client.get(new_url(council)).context["form"].fields
    assert Session.objects.filter(council=council).count() == 2


def test_a_plain_session_form_has_no_reconvened_field(client, council, chair):
    client.force_login(chair)
    assert "reconvened_from" not in client.get(new_url(council)).context["form"].fields


def test_an_edit_of_an_open_session_shows_why_it_is_refused(
    client, session, members, chair, nothing_written
):
    attendance_record(actor=chair, session=session, present=members[:3])
    session_open(actor=chair, session=session)
    client.force_login(chair)
    with nothing_written():
        response = client.post(prepare_url(session), form_data(action="update", place="Gymnase"))
    assert response.status_code == 200
    assert "la séance est « Ouverte »" in unescape(response.content.decode())
