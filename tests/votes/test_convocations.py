"""Convocations: one email per member in office on the session's day, in their
language, with the date, the place, the agenda and a link to each dossier, a plain-text
and an HTML part and a calendar invitation (.ics) read back here line by line; a later
change of date, place or agenda sends an update of the same event, SEQUENCE one
higher. And the iCalendar writer itself: escaping, folding, UTC."""

import datetime

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.errors import DomainError, PermissionDenied
from accounts.models import AuditEntry, User
from tests.system import SYSTEM
from votes import ics
from votes.models import Mandate, Session
from votes.services import (
    agenda_add,
    agenda_move,
    agenda_remove,
    mandate_grant,
    session_convene,
    session_plan,
    session_update,
)
from votes.services.convocations import send_convocation

pytestmark = pytest.mark.django_db


def later(days=3, hour=18, minute=30):
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def unfold(text):
    """RFC 5545 § 3.1: a CRLF followed by one space or tab continues the line."""
    assert "\n" not in text.replace("\r\n", ""), "bare line feeds"
    return text.replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")


def unescape(value):
    out, chars = [], iter(value)
    for char in chars:
        if char == "\\":
            following = next(chars)
            out.append("\n" if following in "nN" else following)
        else:
            out.append(char)
    return "".join(out)


def properties(text):
    """{NAME: [(params, value)]} of every content line."""
    found = {}
    for line in unfold(text):
        if not line:
            continue
        head, value = (
            line.split(":", 1)
            if not line.startswith(("ORGANIZER", "ATTENDEE"))
            else (
                line.split(":mailto:", 1)[0],
                "mailto:" + line.split(":mailto:", 1)[1],
            )
        )
        name, *params = head.split(";")
        found.setdefault(name, []).append((params, value))
    return found


def one(props, name):
    (entry,) = props[name]
    return entry[1]


def invitation(message):
    """The .ics part of an email: its headers and its text."""
    (part,) = [a for a in message.attachments if getattr(a, "get_content_type", None)]
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    assert part.get_filename() == "convocation.ics"
    return part.get_payload(decode=True).decode("utf-8")


@pytest.fixture
def upcoming(council, chair, members, instructor, admissible, make_admissible):
    """A public session in three days at 18:30, two dossiers on its agenda."""
    session = session_plan(
        actor=chair, council=council, starts_at=later(), place="Salle des fêtes, 2 rue Haute"
    )
    first = agenda_add(actor=instructor, session=session, initiative=admissible)
    second = agenda_add(
        actor=instructor, session=session, initiative=make_admissible(title="Bancs; chaises")
    )
    return session, [first, second]


def convene(actor, session, capture):
    with capture(execute=True):
        return session_convene(actor=actor, session=session)


def test_every_member_in_office_receives_the_convocation(
    upcoming, members, chair, django_capture_on_commit_callbacks
):
    session, items = upcoming
    newcomer = User.objects.create_user(email="arrivee@example.org", display_name="Arrivée")
    mandate_grant(  # in office only after the session's day
        actor=SYSTEM,
        council=session.council,
        user=newcomer,
        role=Mandate.Role.MEMBER,
        starts_on=timezone.localdate() + datetime.timedelta(days=10),
    )
    mail.outbox.clear()
    convened = convene(chair, session, django_capture_on_commit_callbacks)
    assert convened.convened_at is not None
    assert sorted(m.to[0] for m in mail.outbox) == sorted(user.email for user in members)
    message = mail.outbox[0]
    assert message.subject.startswith("Convocation : Conseil de quartier Bellevue, séance du ")
    body = message.body
    assert "Salle des fêtes, 2 rue Haute" in body and "18:30" in body
    for item in items:
        link = f"{settings.SITE_URL}{reverse('council_item', args=[item.pk])}"
        assert link in body
        assert item.initiative.title in body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "Bancs; chaises" in html and "<ol>" in html
    entry = AuditEntry.objects.get(action="votes.session.convene")
    assert entry.data == {"members": len(members), "sequence": 0}


def test_the_invitation_is_a_calendar_request_for_the_session(
    upcoming, chair, django_capture_on_commit_callbacks
):
    session, items = upcoming
    mail.outbox.clear()
    convene(chair, session, django_capture_on_commit_callbacks)
    text = invitation(mail.outbox[0])
    lines = text.split("\r\n")
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    assert text.endswith("\r\n")
    props = properties(text)
    assert [value for _params, value in props["BEGIN"]] == ["VCALENDAR", "VEVENT"]
    assert one(props, "METHOD") == "REQUEST"
    assert one(props, "VERSION") == "2.0"
    assert one(props, "UID") == f"seance-{session.pk}@127.0.0.1"
    assert one(props, "SEQUENCE") == "0"
    starts = session.starts_at.astimezone(datetime.UTC)
    assert one(props, "DTSTART") == starts.strftime("%Y%m%dT%H%M%SZ")
    assert one(props, "DTEND") == (starts + datetime.timedelta(hours=2)).strftime("%Y%m%dT%H%M%SZ")
    assert unescape(one(props, "LOCATION")) == "Salle des fêtes, 2 rue Haute"
    assert one(props, "LOCATION") == "Salle des fêtes\\, 2 rue Haute"
    assert unescape(one(props, "SUMMARY")) == "Séance — Conseil de quartier Bellevue"
    description = unescape(one(props, "DESCRIPTION")).split("\n")
    assert description[0] == "Ordre du jour :"
    for position, item in enumerate(items, start=1):
        link = f"{settings.SITE_URL}{reverse('council_item', args=[item.pk])}"
        assert description[position] == (
            f"{position}. {item.initiative.title} (1\u202f000,50\xa0€ demandés) — {link}"
        )
    assert "Bancs\\; chaises" in one(props, "DESCRIPTION")
    (attendee,) = props["ATTENDEE"]
    assert attendee[1] == f"mailto:{mail.outbox[0].to[0]}"


def test_each_member_reads_it_in_their_language(
    upcoming, members, chair, django_capture_on_commit_callbacks
):
    session, _items = upcoming
    english = members[2]
    english.language = "en"
    english.save(update_fields=["language"])
    mail.outbox.clear()
    convene(chair, session, django_capture_on_commit_callbacks)
    by_address = {message.to[0]: message for message in mail.outbox}
    local = timezone.localtime(session.starts_at)
    english_day = local.strftime("%A")  # the C locale's English day name
    french_days = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
    assert english_day in by_address[english.email].body
    assert french_days[local.weekday()] in by_address[members[1].email].body


def test_a_change_of_date_sends_an_update_of_the_same_event(
    upcoming, chair, django_capture_on_commit_callbacks
):
    session, _items = upcoming
    convene(chair, session, django_capture_on_commit_callbacks)
    first = properties(invitation(mail.outbox[0]))
    mail.outbox.clear()
    moved = later(days=4, hour=19, minute=0)
    with django_capture_on_commit_callbacks(execute=True):
        session_update(
            actor=chair, session=session, starts_at=moved, place=session.place, is_public=True
        )
    assert len(mail.outbox) == 6
    assert mail.outbox[0].subject.startswith("Convocation modifiée")
    update = properties(invitation(mail.outbox[0]))
    assert one(update, "UID") == one(first, "UID")
    assert one(update, "SEQUENCE") == "1"
    assert one(update, "DTSTART") == moved.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    assert Session.objects.get(pk=session.pk).convocation_sequence == 1


def test_agenda_changes_after_the_convocation_send_updates(
    upcoming, chair, instructor, make_admissible, django_capture_on_commit_callbacks
):
    session, items = upcoming
    third = make_admissible(title="Troisième")
    convene(chair, session, django_capture_on_commit_callbacks)
    steps = [
        lambda: agenda_add(actor=instructor, session=session, initiative=third),
        lambda: agenda_move(actor=chair, item=items[1], direction="up"),
        lambda: agenda_remove(actor=chair, item=items[0]),
    ]
    for sequence, step in enumerate(steps, start=1):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            step()
        assert len(mail.outbox) == 6
        assert one(properties(invitation(mail.outbox[0])), "SEQUENCE") == str(sequence)
    description = unescape(one(properties(invitation(mail.outbox[0])), "DESCRIPTION"))
    assert description.split("\n")[1].startswith("1. Bancs; chaises")
    assert description.split("\n")[2].startswith("2. Troisième")


def test_a_change_of_publicity_alone_sends_nothing(
    upcoming, chair, django_capture_on_commit_callbacks
):
    session, _items = upcoming
    convene(chair, session, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        session_update(
            actor=chair,
            session=session,
            starts_at=session.starts_at,
            place=session.place,
            is_public=False,
        )
    assert mail.outbox == []
    assert Session.objects.get(pk=session.pk).convocation_sequence == 0


def test_a_task_overtaken_by_a_later_change_sends_nothing(
    upcoming, chair, django_capture_on_commit_callbacks
):
    session, _items = upcoming
    convene(chair, session, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        session_update(
            actor=chair, session=session, starts_at=later(5), place="Gymnase", is_public=True
        )
    mail.outbox.clear()
    assert send_convocation.call(session.pk, 0) == 0
    assert mail.outbox == []


def test_a_written_procedure_is_convened_without_a_place(
    council, chair, instructor, admissible, django_capture_on_commit_callbacks
):
    session = session_plan(
        actor=chair, council=council, starts_at=later(), place="", procedure="written"
    )
    agenda_add(actor=instructor, session=session, initiative=admissible)
    mail.outbox.clear()
    convene(chair, session, django_capture_on_commit_callbacks)
    message = mail.outbox[0]
    assert "procédure écrite" in message.body
    props = properties(invitation(message))
    assert unescape(one(props, "LOCATION")) == "Procédure écrite"
    assert unescape(one(props, "SUMMARY")).startswith("Procédure écrite — ")


# --- Refusals --------------------------------------------------------------------------------


def test_only_who_prepares_sessions_convenes(upcoming, members, people, nothing_written):
    session, _items = upcoming
    for actor in (members[1], people["resident"], people["other_instructor"]):
        with nothing_written(), pytest.raises(PermissionDenied):
            session_convene(actor=actor, session=session)


def test_an_instructor_convenes(upcoming, instructor, django_capture_on_commit_callbacks):
    session, _items = upcoming
    mail.outbox.clear()
    convene(instructor, session, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 6


def test_a_convocation_is_sent_once(upcoming, chair, nothing_written):
    session, _items = upcoming
    session_convene(actor=chair, session=session)
    with nothing_written(), pytest.raises(DomainError, match="déjà envoyée"):
        session_convene(actor=chair, session=session)


def test_an_empty_agenda_is_not_convened(council, chair, nothing_written):
    session = session_plan(actor=chair, council=council, starts_at=later(), place="Mairie")
    with nothing_written(), pytest.raises(DomainError, match="ordre du jour est vide"):
        session_convene(actor=chair, session=session)


def test_a_session_already_begun_is_not_convened(session, chair, item, nothing_written):
    # The fixture's session starts "now": it has begun when the chair convenes it.
    with nothing_written(), pytest.raises(DomainError, match="passée"):
        session_convene(actor=chair, session=session)


def test_the_planning_page_sends_the_convocation(
    client, upcoming, chair, django_capture_on_commit_callbacks
):
    session, _items = upcoming
    client.force_login(chair)
    url = reverse("council_session_prepare", args=[session.pk])
    page = client.get(url).content.decode()
    assert "Envoyer la convocation" in page
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "convene"})
    assert response.status_code == 302 and len(mail.outbox) == 6
    page = client.get(url).content.decode()
    assert "Convocation envoyée le" in page and "Envoyer la convocation" not in page


# --- The iCalendar writer -------------------------------------------------------------------


def test_text_values_are_escaped():
    assert ics.escape_text("a\\b;c,d\ne\r\nf\x00g") == "a\\\\b\\;c\\,d\\ne\\nfg"


@pytest.mark.parametrize("text", ["é" * 100, "a" * 200, "x" + "€" * 60, "ab" * 37 + "é"])
def test_long_lines_are_folded_at_75_octets_without_cutting_a_character(text):
    folded = ics.fold(f"DESCRIPTION:{text}")
    lines = folded.split("\r\n")
    assert len(lines) > 1
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    assert all(line.startswith(" ") for line in lines[1:])
    assert "".join([lines[0]] + [line[1:] for line in lines[1:]]) == f"DESCRIPTION:{text}"


def test_a_short_line_is_not_folded():
    assert ics.fold("SEQUENCE:3") == "SEQUENCE:3"


def test_moments_are_written_in_utc():
    paris = timezone.get_current_timezone()
    moment = datetime.datetime(2026, 7, 14, 18, 30, tzinfo=paris)
    assert ics.utc(moment) == "20260714T163000Z"
