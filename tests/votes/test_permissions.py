"""Who may do what in a council: every role against every service of a session, from
planning to the minutes, with the expected answer written out below.

Each action is tried in a state where it can succeed. An allowed role's attempt must go
through (it is then rolled back, so the next role finds the same state); a denied
role's attempt must raise PermissionDenied and write nothing. Mandates decide, not role
groups: the two last columns hold the chair's and the council member's role group for
the quartier without any mandate on the council."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone

from accounts.errors import PermissionDenied
from fonds.models import Initiative
from tests.votes.conftest import db_state
from votes.models import AgendaItem, Council, Decision, Session, Vote
from votes.services import (
    agenda_add,
    agenda_move,
    agenda_remove,
    attendance_record,
    decision_publish,
    decision_record,
    interest_declare,
    message_post,
    minutes_sign,
    proxy_record,
    session_close,
    session_convene,
    session_open,
    session_plan,
    session_update,
    vote_cast,
    vote_close,
    vote_open,
)

pytestmark = pytest.mark.django_db

Y, N = "allow", "deny"

ROLES = (
    "chair",
    "voting_member",
    "ex_officio",
    "instructor",
    "other_instructor",
    "administrator",
    "resident",
    "anonymous",
    "chair_role_only",
    "member_role_only",
)

# fmt: off
#                      chair member ex-off instr other  admin resid anon  chair  member
#                                          (own) instr               (role group only)
PERMISSIONS = {
    "session_plan":      (Y,    N,     N,     Y,    N,     Y,    N,    N,    N,     N),
    "agenda_add":        (Y,    N,     N,     Y,    N,     Y,    N,    N,    N,     N),
    "session_update":    (Y,    N,     N,     Y,    N,     Y,    N,    N,    N,     N),
    "agenda_move":       (Y,    N,     N,     Y,    N,     Y,    N,    N,    N,     N),
    "agenda_remove":     (Y,    N,     N,     Y,    N,     Y,    N,    N,    N,     N),
    "session_convene":   (Y,    N,     N,     Y,    N,     Y,    N,    N,    N,     N),
    "attendance_record": (Y,    N,     N,     N,    N,     N,    N,    N,    N,     N),
    "proxy_record":      (Y,    N,     N,     N,    N,     N,    N,    N,    N,     N),
    "session_open":      (Y,    N,     N,     N,    N,     N,    N,    N,    N,     N),
    "interest_declare":  (Y,    Y,     Y,     N,    N,     N,    N,    N,    N,     N),
    "vote_open":         (Y,    N,     N,     N,    N,     N,    N,    N,    N,     N),
    "vote_cast":         (Y,    Y,     N,     N,    N,     N,    N,    N,    N,     N),
    "vote_close":        (Y,    N,     N,     N,    N,     N,    N,    N,    N,     N),
    "decision_record":   (Y,    N,     N,     N,    N,     N,    N,    N,    N,     N),
    "decision_publish":  (Y,    N,     N,     N,    N,     N,    N,    N,    N,     N),
    "session_close":     (Y,    N,     N,     N,    N,     N,    N,    N,    N,     N),
    "minutes_sign":      (Y,    N,     N,     N,    N,     N,    N,    N,    N,     N),
    "message_post":      (Y,    Y,     Y,     Y,    N,     N,    N,    N,    N,     N),
}
# fmt: on


def test_the_table_covers_every_action_and_role():
    assert all(len(row) == len(ROLES) for row in PERMISSIONS.values())
    assert len(PERMISSIONS) == 18


@pytest.fixture
def actors(members, people):
    return {
        "chair": members[0],
        "voting_member": members[1],
        "ex_officio": members[5],
        "instructor": people["instructor"],
        "other_instructor": people["other_instructor"],
        "administrator": people["administrator"],
        "resident": people["resident"],
        "anonymous": AnonymousUser(),
        "chair_role_only": people["chair"],
        "member_role_only": people["council_member"],
    }


# --- The state in which each action can succeed ---------------------------------------


def _planned(ctx):
    return ctx["session"]


def _on_agenda(ctx):
    return agenda_add(actor=ctx["instructor"], session=ctx["session"], initiative=ctx["dossier"])


def _two_on_agenda(ctx):
    _on_agenda(ctx)
    return agenda_add(
        actor=ctx["instructor"],
        session=ctx["session"],
        initiative=ctx["make_admissible"](),
    )


def _convocable(ctx):
    """On the agenda, the session a day ahead: the convocation can be sent."""
    _on_agenda(ctx)
    session_update(
        actor=ctx["chair"],
        session=ctx["session"],
        starts_at=timezone.now() + datetime.timedelta(days=1),
        place=ctx["session"].place,
        is_public=True,
    )


def _attended(ctx):
    attendance_record(actor=ctx["chair"], session=ctx["session"], present=ctx["members"][:4])


def _open(ctx):
    item = _on_agenda(ctx)
    _attended(ctx)
    session_open(actor=ctx["chair"], session=ctx["session"])
    return item


def _vote(ctx):
    item = _open(ctx)
    return vote_open(actor=ctx["chair"], item=item, mode="show_of_hands", proposed_amount="600")


def _closed_vote(ctx):
    vote = _vote(ctx)
    for member in ctx["members"][:3]:
        vote_cast(actor=member, vote=vote, choice="for")
    vote_close(actor=ctx["chair"], vote=vote)
    return vote.item


def _decision(ctx):
    return decision_record(actor=ctx["chair"], item=_closed_vote(ctx))


def _deferred(ctx):
    """Open, its only dossier deferred: ready to close."""
    return decision_record(
        actor=ctx["chair"], item=_open(ctx), defer=True, reason="Devis à préciser."
    )


def _closed_session(ctx):
    _deferred(ctx)
    session_close(actor=ctx["chair"], session=ctx["session"])


def fresh(model, obj):
    return model.objects.get(pk=obj.pk)


# Each action: (how to reach the state, how to try it with a given actor). The attempt
# reloads what it acts on, as a request would.
ACTIONS = {
    "session_plan": (
        _planned,
        lambda actor, ctx, _: session_plan(
            actor=actor,
            council=fresh(Council, ctx["council"]),
            starts_at=timezone.now(),
            place="Maison des associations",
        ),
    ),
    "agenda_add": (
        _planned,
        lambda actor, ctx, _: agenda_add(
            actor=actor,
            session=fresh(Session, ctx["session"]),
            initiative=fresh(Initiative, ctx["dossier"]),
        ),
    ),
    "session_update": (
        _planned,
        lambda actor, ctx, _: session_update(
            actor=actor,
            session=fresh(Session, ctx["session"]),
            starts_at=timezone.now() + datetime.timedelta(days=2),
            place="Salle du conseil",
            is_public=False,
        ),
    ),
    "agenda_move": (
        _two_on_agenda,
        lambda actor, ctx, item: agenda_move(
            actor=actor, item=fresh(AgendaItem, item), direction="up"
        ),
    ),
    "agenda_remove": (
        _on_agenda,
        lambda actor, ctx, item: agenda_remove(actor=actor, item=fresh(AgendaItem, item)),
    ),
    "session_convene": (
        _convocable,
        lambda actor, ctx, _: session_convene(actor=actor, session=fresh(Session, ctx["session"])),
    ),
    "attendance_record": (
        _planned,
        lambda actor, ctx, _: attendance_record(
            actor=actor, session=fresh(Session, ctx["session"]), present=ctx["members"][:4]
        ),
    ),
    "proxy_record": (
        _attended,
        lambda actor, ctx, _: proxy_record(
            actor=actor,
            session=fresh(Session, ctx["session"]),
            giver=ctx["members"][4],
            holder=ctx["members"][3],
        ),
    ),
    "session_open": (
        _attended,
        lambda actor, ctx, _: session_open(actor=actor, session=fresh(Session, ctx["session"])),
    ),
    "interest_declare": (
        _on_agenda,
        lambda actor, ctx, item: interest_declare(actor=actor, item=fresh(AgendaItem, item)),
    ),
    "vote_open": (
        _open,
        lambda actor, ctx, item: vote_open(
            actor=actor, item=fresh(AgendaItem, item), mode="roll_call", proposed_amount="600"
        ),
    ),
    "vote_cast": (
        _vote,
        lambda actor, ctx, vote: vote_cast(actor=actor, vote=fresh(Vote, vote), choice="for"),
    ),
    "vote_close": (
        _vote,
        lambda actor, ctx, vote: vote_close(actor=actor, vote=fresh(Vote, vote)),
    ),
    "decision_record": (
        _closed_vote,
        lambda actor, ctx, item: decision_record(actor=actor, item=fresh(AgendaItem, item)),
    ),
    "decision_publish": (
        _decision,
        lambda actor, ctx, decision: decision_publish(
            actor=actor, decision=fresh(Decision, decision)
        ),
    ),
    "session_close": (
        _deferred,
        lambda actor, ctx, _: session_close(actor=actor, session=fresh(Session, ctx["session"])),
    ),
    "minutes_sign": (
        _closed_session,
        lambda actor, ctx, _: minutes_sign(actor=actor, session=fresh(Session, ctx["session"])),
    ),
    "message_post": (
        _planned,
        lambda actor, ctx, _: message_post(
            actor=actor, initiative=fresh(Initiative, ctx["dossier"]), body="Avis du conseil."
        ),
    ),
}


def attempt(act, actor):
    """ "allow" if the action went through (it is then rolled back), "deny" if it was
    refused with PermissionDenied and wrote nothing. Any other error fails the test."""
    before = db_state()
    try:
        with transaction.atomic():
            act(actor)
            assert db_state()["audit"] > before["audit"], "allowed, yet no audit row"
            transaction.set_rollback(True)
    except PermissionDenied as denied:
        assert denied.code == "forbidden" and str(denied)
        assert db_state() == before, "denied, yet something was written"
        return N
    assert db_state() == before
    return Y


@pytest.mark.parametrize("action", list(PERMISSIONS))
def test_permissions(
    action,
    council,
    members,
    chair,
    session,
    admissible,
    make_admissible,
    instructor,
    credited,
    actors,
):
    ctx = {
        "council": council,
        "members": members,
        "chair": chair,
        "session": session,
        "dossier": admissible,
        "instructor": instructor,
        "make_admissible": make_admissible,
    }
    prepare, act = ACTIONS[action]
    target = prepare(ctx)
    expected = dict(zip(ROLES, PERMISSIONS[action], strict=True))
    got = {role: attempt(lambda actor: act(actor, ctx, target), actors[role]) for role in ROLES}
    wrong = {
        role: f"expected {expected[role]}, got {got[role]}"
        for role in ROLES
        if got[role] != expected[role]
    }
    assert not wrong, f"{action}: {wrong}"
