"""Bad input on the council pages: every POST action of the session page and of the
item page (and the carrier's answer) given ids that are not ASCII digits, ids of
someone or something foreign, impossible dates, NUL bytes and oversized texts answers
a 4xx, or a redirect with a French error message — never a 500 — and writes nothing."""

import re

import pytest
from django.contrib.messages import ERROR, get_messages

from tests.votes.conftest import db_state
from votes.services import (
    agenda_add,
    attendance_record,
    message_post,
    session_open,
    vote_open,
)

pytestmark = pytest.mark.django_db

# Not ASCII digits, or too many of them: "²" and "١٢" pass str.isdigit().
BAD_IDS = ["abc", "²", "1²", "١٢", "-1", "1.0", " 1", "0x1", "\x00", "9" * 30]
# Ids of a person who is no member, and of nobody.
FOREIGN_IDS = ["resident", "missing"]
BAD_DEADLINES = [
    "2026-02-31T10:00",
    "99999-01-01T00:00",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "2026-13-01T10:00",
    "2026-01-01T25:00",
    "demain",
    "2026-06-01T10:00\x00",
]
NUL = "Un texte\x00avec un octet nul"
FRENCH = re.compile(
    r"[àâçéèêëîïôûùüœ]|\b(le|la|les|des|du|un|une|ce|ne|pas|au|à|est|vous|de|illisible)\b",
    re.IGNORECASE,
)

ENGLISH = re.compile(r"\b(the|must|expected|invalid|field|error|value)\b", re.IGNORECASE)


def _case(page, state, action, **data):
    name = "-".join([page, action, *(f"{k}={v!r}"[:30] for k, v in data.items())])
    return pytest.param(page, state, action, data, id=name)


CASES = [
    # The session page.
    *(_case("session", "planned", "attendance", present=[v]) for v in BAD_IDS + FOREIGN_IDS),
    _case("session", "planned", "attendance", present=["chair", "²"]),
    _case("session", "planned", "attendance", present=["chair"] * 501),
    *(_case("session", "attended", "proxy", giver=v, holder="claire") for v in BAD_IDS),
    *(_case("session", "attended", "proxy", giver="hugo", holder=v) for v in BAD_IDS),
    *(_case("session", "attended", "proxy", giver=v, holder="claire") for v in FOREIGN_IDS),
    _case("session", "attended", "proxy", giver="claire", holder="claire"),
    *(_case("session", "planned", v) for v in ["publish", "²", "\x00", "", "OPEN"]),
    # The item page.
    *(_case("item", "written", "vote_open", mode="roll_call", deadline=v) for v in BAD_DEADLINES),
    *(
        _case("item", "open", "vote_open", mode=v, amount="500")
        for v in ["²", "\x00", "secret\x00", "acclamation", ""]
    ),
    *(
        _case("item", "open", "vote_open", mode="roll_call", amount=v)
        for v in ["\x00", "1e3", "²", "-5", "NaN", "Infinity", "9" * 40, ""]
    ),
    *(_case("item", "voting", "cast", choice="for", on_behalf_of=v) for v in BAD_IDS),
    *(_case("item", "voting", "cast", choice="for", on_behalf_of=v) for v in FOREIGN_IDS),
    *(_case("item", "voting", "cast", choice=v) for v in ["²", "pour", "\x00", ""]),
    _case("item", "open", "cast", choice="for"),  # no vote open yet
    _case("item", "open", "vote_close"),  # no vote to close
    *(_case("item", "own", "designate", member=v) for v in BAD_IDS + FOREIGN_IDS),
    _case("item", "own", "designate", member="ex_officio"),
    _case("item", "own", "designate", member="chair"),
    _case("item", "open", "designate", member="sophie"),  # the chair presides this one
    *(
        _case("item", "open", "decide", defer="1", reason=v)
        for v in ["", "   ", NUL, "ligne\nsuivante", "x" * 300]
    ),
    _case("item", "open", "decide", defer="²"),  # not an adjournment: no vote to decide
    *(_case("item", "open", "message", body=v) for v in [NUL, "", "  ", "x" * 5001]),
    _case("item", "open", "message", body=NUL, question="1"),
    *(_case("item", "open", "interest", note=v) for v in [NUL, "ligne\nsuivante", "x" * 301]),
    *(_case("item", "open", "summary", summary=v) for v in [NUL, "x" * 5001]),
    *(_case("item", "open", v) for v in ["publish", "²", "\x00", "", "VOTE_OPEN"]),
]


@pytest.fixture
def world(session, members, chair, item, people, instructor, make_admissible):
    """Names for the ids of the cases, and the states they are tried in."""
    named = dict(
        zip(["chair", "sophie", "ali", "claire", "hugo", "ex_officio"], members, strict=True)
    )
    ids = {name: str(user.pk) for name, user in named.items()}
    ids["resident"] = str(people["resident"].pk)
    ids["missing"] = "987654321"

    def prepare(state):
        target = item
        if state == "attended":
            attendance_record(actor=chair, session=session, present=members[:4])
        if state in ("open", "voting", "own"):
            if state == "own":
                dossier = make_admissible("Le jardin du maire", author=chair)
                target = agenda_add(actor=instructor, session=session, initiative=dossier)
            attendance_record(actor=chair, session=session, present=members[:5])
            session_open(actor=chair, session=session)
        if state == "voting":
            vote_open(actor=chair, item=item, mode="show_of_hands", proposed_amount="500")
        return target

    return {"ids": ids, "prepare": prepare, "session": session, "chair": chair}


def _resolve(data, ids):
    def one(value):
        return ids.get(value, value) if isinstance(value, str) else value

    return {
        k: [one(v) for v in value] if isinstance(value, list) else one(value)
        for k, value in data.items()
    }


def assert_refused(response):
    """A 4xx, or a redirect carrying a French error message."""
    assert response.status_code != 500
    if 400 <= response.status_code < 500:
        return
    assert response.status_code == 302, response.status_code
    errors = [m for m in get_messages(response.wsgi_request) if m.level == ERROR]
    assert errors, "a redirect without an error message"
    texts = [str(m) for m in errors]
    assert all(FRENCH.search(t) and not ENGLISH.search(t) for t in texts), texts


@pytest.mark.parametrize(("page", "state", "action", "data"), CASES)
def test_bad_input_is_refused_and_nothing_is_written(client, world, page, state, action, data):
    target = world["prepare"](state)
    client.force_login(world["chair"])
    url = (
        f"/conseil/seances/{world['session'].pk}/"
        if page == "session"
        else f"/conseil/points/{target.pk}/"
    )
    before = db_state()
    response = client.post(url, {"action": action, **_resolve(data, world["ids"])})
    assert_refused(response)
    after = db_state()
    assert after == before, sorted(key for key in before if before[key] != after[key])


@pytest.mark.parametrize("body", [NUL, "", "x" * 5001])
def test_a_bad_answer_of_the_carrier_is_refused(client, opened, members, item, body):
    question = message_post(
        actor=members[1], initiative=item.initiative, body="Qui arrose ?", question=True
    )
    client.force_login(item.initiative.author)
    before = db_state()
    response = client.post(f"/mon-espace/questions/{question.pk}/repondre/", {"body": body})
    assert_refused(response)
    assert db_state() == before


def test_the_same_pages_still_accept_good_input(client, world, members):
    """The refusals above come from the input, not from a broken page: the same
    actions with good values go through."""
    world["prepare"]("attended")
    client.force_login(world["chair"])
    url = f"/conseil/seances/{world['session'].pk}/"
    ids = world["ids"]
    response = client.post(url, {"action": "proxy", "giver": ids["hugo"], "holder": ids["claire"]})
    assert response.status_code == 302
    assert [m.level for m in get_messages(response.wsgi_request)] != [ERROR]
    assert world["session"].proxies.count() == 1
