"""iCalendar (RFC 5545) written by hand: one VEVENT in a VCALENDAR for a scheduling
method (RFC 5546), TEXT values escaped, lines folded at 75 octets, CRLF line ends, every
moment in UTC. Nothing here knows what a session is (see votes.services.convocations)."""

import datetime
import unicodedata
from dataclasses import dataclass

PRODUCT = "-//Fonds des quartiers//Seances des conseils//FR"
LINE_OCTETS = 75
CRLF = "\r\n"


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True)
class Event:
    uid: str
    sequence: int
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    stamp: datetime.datetime
    summary: str
    location: str = ""
    description: str = ""
    url: str = ""
    organizer: Person | None = None
    attendees: tuple[Person, ...] = ()


def escape_text(value):
    """A TEXT value (RFC 5545 § 3.3.11): backslash, semicolon and comma escaped, line
    breaks written ``\\n``, any other control character dropped."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(
        char for char in text if char == "\n" or unicodedata.category(char) not in ("Cc", "Zl")
    )
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def quote_param(value):
    """A parameter value (RFC 5545 § 3.2), in double quotes, which it may not contain."""
    text = "".join(
        char for char in str(value) if char != '"' and unicodedata.category(char) != "Cc"
    )
    return f'"{text}"'


def utc(moment):
    """A DATE-TIME in UTC (form 2): 20260314T173000Z."""
    return moment.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def fold(line):
    """Split a content line into lines of at most 75 octets, each continuation starting
    with one space, never inside a UTF-8 character."""
    parts, current, size = [], [], 0
    for char in line:
        octets = len(char.encode("utf-8"))
        if size + octets > LINE_OCTETS:
            parts.append("".join(current))
            current, size = [" "], 1
        current.append(char)
        size += octets
    parts.append("".join(current))
    return CRLF.join(parts)


def _person(name, person, extra=""):
    return f"{name};CN={quote_param(person.name)}{extra}:mailto:{person.email}"


def event_lines(event):
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape_text(event.uid)}",
        f"SEQUENCE:{int(event.sequence)}",
        f"DTSTAMP:{utc(event.stamp)}",
        f"DTSTART:{utc(event.starts_at)}",
        f"DTEND:{utc(event.ends_at)}",
        f"SUMMARY:{escape_text(event.summary)}",
    ]
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.url:
        lines.append(f"URL:{event.url}")
    if event.organizer is not None:
        lines.append(_person("ORGANIZER", event.organizer))
    for attendee in event.attendees:
        lines.append(
            _person(
                "ATTENDEE",
                attendee,
                ";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE",
            )
        )
    lines += ["STATUS:CONFIRMED", "TRANSP:OPAQUE", "END:VEVENT"]
    return lines


def calendar(event, *, method="REQUEST"):
    """The whole calendar object, as text with CRLF line ends."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        *event_lines(event),
        "END:VCALENDAR",
    ]
    return CRLF.join(fold(line) for line in lines) + CRLF
