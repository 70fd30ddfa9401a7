"""The public sessions: /seances/ lists the public sessions to come with the public
dossiers of their agendas, and the past ones with their signed minutes; a session closed
to the public is never listed; the quartier page announces the next ones. The number of
queries does not grow with the number of sessions."""

import datetime
from html import unescape

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from cms.models import QuartierIndexPage, QuartierPage
from fonds.models import Initiative
from fonds.services import initiative_withdraw
from votes.models import Session
from votes.selectors import public_sessions
from votes.services import (
    agenda_add,
    attendance_record,
    minutes_sign,
    session_close,
    session_close_without_quorum,
    session_open,
    session_plan,
)

pytestmark = pytest.mark.django_db

LIST = reverse("public_sessions")


def later(days=3, hour=18, minute=30):
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def text(response):
    return " ".join(unescape(BeautifulSoup(response.content, "html.parser").get_text(" ")).split())


def section(response, heading_id):
    page = BeautifulSoup(response.content, "html.parser")
    return page.find(attrs={"aria-labelledby": heading_id})


def plan(council, chair, days, **extra):
    return session_plan(
        actor=chair,
        council=council,
        starts_at=later(days),
        place=extra.pop("place", f"Salle n° {days}"),
        **extra,
    )


@pytest.fixture
def calendar(council, chair, instructor, admissible, make_admissible):
    """A public session in 3 days (two dossiers, one withdrawn since), a closed one in 5
    days (a dossier), and a public written procedure in 8 days."""
    public = plan(council, chair, 3)
    agenda_add(actor=instructor, session=public, initiative=admissible)
    withdrawn = make_admissible(title="Dossier retiré par son autrice")
    agenda_add(actor=instructor, session=public, initiative=withdrawn)
    initiative_withdraw(actor=withdrawn.author, initiative=Initiative.objects.get(pk=withdrawn.pk))
    closed = plan(council, chair, 5, is_public=False, place="Huis clos, salle B")
    agenda_add(
        actor=instructor, session=closed, initiative=make_admissible(title="Dossier à huis clos")
    )
    written = plan(council, chair, 8, procedure="written", place="")
    return {"public": public, "closed": closed, "written": written}


def signed_past(council, members, chair):
    """A public session held today with an empty agenda, closed, its minutes signed."""
    session = session_plan(
        actor=chair, council=council, starts_at=timezone.now(), place="Mairie annexe"
    )
    attendance_record(actor=chair, session=session, present=members[:3])
    session_open(actor=chair, session=session)
    session_close(actor=chair, session=session)
    return minutes_sign(actor=chair, session=session)


def test_the_list_shows_the_public_sessions_to_come_with_their_public_dossiers(
    client, calendar, admissible
):
    response = client.get(LIST)
    assert response.status_code == 200
    upcoming = section(response, "upcoming-title")
    shown = " ".join(upcoming.get_text(" ").split())
    assert admissible.title in shown and "Salle n° 3" in shown
    assert "Procédure écrite" in shown
    # Closed to the public: neither the session nor its dossier; a withdrawn dossier is no
    # longer public.
    page = text(response)
    assert "Huis clos, salle B" not in page and "Dossier à huis clos" not in page
    assert "Dossier retiré par son autrice" not in page
    links = [a["href"] for a in upcoming.find_all("a")]
    assert reverse("initiative_detail", args=[admissible.pk]) in links
    assert [s.pk for s in response.context["upcoming"]] == [
        calendar["public"].pk,
        calendar["written"].pk,
    ]


def test_past_public_sessions_link_their_signed_minutes(client, council, members, chair):
    signed = signed_past(council, members, chair)
    unsigned = session_plan(actor=chair, council=council, starts_at=timezone.now(), place="Gymnase")
    attendance_record(actor=chair, session=unsigned, present=members[:1])
    session_close_without_quorum(actor=chair, session=unsigned)
    hidden = session_plan(
        actor=chair, council=council, starts_at=timezone.now(), place="X", is_public=False
    )
    attendance_record(actor=chair, session=hidden, present=members[:1])
    session_close_without_quorum(actor=chair, session=hidden)
    response = client.get(LIST)
    past = section(response, "past-title")
    links = [a["href"] for a in past.find_all("a")]
    assert reverse("council_minutes", args=[signed.pk]) in links
    assert reverse("council_minutes", args=[unsigned.pk]) not in links
    assert "Procès-verbal en attente de signature" in past.get_text()
    assert {s.pk for s in response.context["past"]} == {signed.pk, unsigned.pk}
    # The signed minutes are public.
    assert client.get(reverse("council_minutes", args=[signed.pk])).status_code == 200


def test_the_selector_orders_and_filters(council, chair, calendar, other_quartier):
    assert [s.pk for s in public_sessions()] == [calendar["public"].pk, calendar["written"].pk]
    assert list(public_sessions(quartier=other_quartier)) == []
    assert [s.pk for s in public_sessions(quartier=council.quartier)][:1] == [calendar["public"].pk]
    assert list(public_sessions(upcoming=False)) == []
    first = public_sessions()[0]
    assert [item.initiative.title for item in first.public_items] == [
        "Un jardin partagé au pied des tours"
    ]


def test_an_empty_list_says_so(client, db):
    response = client.get(LIST)
    assert "Aucune séance publique n'est annoncée" in text(response)
    assert "Aucune séance publique passée" in text(response)


def test_the_list_answers_in_english(client, calendar):
    client.cookies["langue"] = "en"
    assert client.get(LIST).status_code == 200


def test_nonsense_pages_answer_200(client, calendar):
    for page in ("abc", "-1", "99999999999999999999", "²"):
        assert client.get(LIST, {"page": page}).status_code == 200


def many_sessions(council, chair, instructor, make_admissible, count, start):
    for n in range(count):
        session = plan(council, chair, start + n)
        agenda_add(
            actor=instructor, session=session, initiative=make_admissible(title=f"Dossier {n}")
        )


def queries_of(client, url, django_assert_max_num_queries, limit):
    client.get(url)  # caches filled
    with django_assert_max_num_queries(limit) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_list_costs_the_same_queries_whatever_the_number_of_sessions(
    client, council, chair, instructor, make_admissible, django_assert_max_num_queries
):
    many_sessions(council, chair, instructor, make_admissible, 2, 3)
    few = queries_of(client, LIST, django_assert_max_num_queries, 12)
    many_sessions(council, chair, instructor, make_admissible, 12, 10)
    assert Session.objects.count() == 14
    assert queries_of(client, LIST, django_assert_max_num_queries, few) <= few


# --- The quartier page --------------------------------------------------------------------


@pytest.fixture
def quartier_page(quartier):
    index = QuartierIndexPage.objects.get()
    return index.add_child(
        instance=QuartierPage(title="Bellevue", slug="bellevue", quartier=quartier)
    )


def test_the_quartier_page_announces_the_next_public_sessions(
    client, quartier_page, calendar, admissible
):
    response = client.get(quartier_page.url)
    assert response.status_code == 200
    sessions = section(response, "seances")
    shown = " ".join(sessions.get_text(" ").split())
    assert "Salle n° 3" in shown and admissible.title in shown
    assert "Huis clos" not in shown and "Dossier à huis clos" not in shown
    assert LIST in [a["href"] for a in sessions.find_all("a")]


def test_the_quartier_page_without_sessions_says_so(client, quartier_page):
    response = client.get(quartier_page.url)
    assert "Aucune séance publique n'est annoncée" in " ".join(
        section(response, "seances").get_text(" ").split()
    )


def test_the_quartier_page_costs_the_same_queries_whatever_the_number_of_sessions(
    client,
    quartier_page,
    council,
    chair,
    instructor,
    make_admissible,
    django_assert_max_num_queries,
):
    many_sessions(council, chair, instructor, make_admissible, 1, 3)
    few = queries_of(client, quartier_page.url, django_assert_max_num_queries, 60)
    many_sessions(council, chair, instructor, make_admissible, 8, 10)
    assert queries_of(client, quartier_page.url, django_assert_max_num_queries, few) <= few
