"""Bridges between the database and the pure rules of `votes.rules`."""

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import DomainError, PermissionDenied
from votes import rules
from votes.models import AgendaItem, Attendance, Interest, Mandate, Proxy, Session


def rule_member(mandate):
    return rules.Member(id=mandate.user_id, name=str(mandate.user), role=rules.Role(mandate.role))


def in_office(session):
    """The members in office on the session's day, as rules.Member, by user id."""
    day = timezone.localdate(session.starts_at)
    mandates = (
        Mandate.objects.in_office(day).filter(council=session.council_id).select_related("user")
    )
    return {mandate.user_id: rule_member(mandate) for mandate in mandates}


def present_members(session, members):
    ids = Attendance.objects.filter(session=session, present=True).values_list("user_id", flat=True)
    return {members[i] for i in ids if i in members}


def rule_proxies(session, members):
    return [
        rules.Proxy(giver=members[p.giver_id], holder=members[p.holder_id])
        for p in Proxy.objects.filter(session=session)
        if p.giver_id in members and p.holder_id in members
    ]


def interested(item, members):
    """Members who declared an interest in the item — and the dossier's author, who
    never votes on their own dossier even without a declaration."""
    ids = set(Interest.objects.filter(item=item).values_list("user_id", flat=True))
    ids.add(item.initiative.author_id)
    return {members[i] for i in ids if i in members}


def session_presidents(session):
    """The user ids who conduct the session (attendance, proxies, opening, closing,
    summaries, minutes, designations): the chair in office on the session's day —
    or, when the chair is recorded absent (or no chair is in office), the vice-chair
    present. Before attendance is recorded, or when neither is present (to record that
    the quorum failed), either of them."""
    members = in_office(session)
    chairs = {i for i, m in members.items() if m.role is rules.Role.CHAIR}
    vices = {i for i, m in members.items() if m.role is rules.Role.VICE_CHAIR}
    recorded = dict(Attendance.objects.filter(session=session).values_list("user_id", "present"))
    if not recorded:
        return chairs | vices
    attending_chairs = {i for i in chairs if recorded.get(i, False)}
    attending_vices = {i for i in vices if recorded.get(i, False)}
    return attending_chairs or attending_vices or chairs | vices


def require_session_chair(actor, session):
    """Session-level actions: the chair, or the vice-chair standing in
    (``session_presidents``)."""
    if not (actor.is_authenticated and actor.pk in session_presidents(session)):
        raise PermissionDenied(
            _(
                "Seul le maire de quartier qui préside ce conseil le peut (ou le "
                "vice-président quand le maire est absent)."
            )
        )


def require_attendance_taker(actor, session):
    """Attendance is recorded by whoever conducts the session, and always by the chair
    or the vice-chair in office (a chair recorded absent who arrives corrects it)."""
    members = in_office(session)
    seat = members.get(actor.pk) if actor.is_authenticated else None
    if seat is not None and seat.role in (rules.Role.CHAIR, rules.Role.VICE_CHAIR):
        return
    require_session_chair(actor, session)


def presence_applies(item, vote=None):
    """Presence counts for an action taken in a meeting. A written procedure — a vote
    with a deadline, or, before any vote, an item of a session not yet open — is
    conducted without attendance."""
    vote = vote or item.votes.first()
    if vote is not None:
        return vote.deadline is None
    return item.session.status == Session.Status.OPEN


def _presence(session, members, in_session):
    """Who is present, for the presiding rule: None when presence does not apply — a
    written procedure, or a session whose attendance is not recorded yet (no action in
    a meeting happens before it: the session opens only once attendance is recorded,
    and the refusal then names the session's state)."""
    if not in_session or not Attendance.objects.filter(session=session).exists():
        return None
    return present_members(session, members)


def presiding_officer(item, *, in_session):
    """The member who presides over ``item`` (``rules.presiding_officer``): the chair if
    able, else the vice-chair if able, else the member designated at the session
    (``AgendaItem.acting_chair``); None if nobody may. Able: in office on the session's
    day, neither author of the dossier nor interested in it, and, ``in_session``,
    recorded present."""
    session = item.session
    members = in_office(session)
    designated = (
        AgendaItem.objects.filter(pk=item.pk).values_list("acting_chair_id", flat=True).first()
    )
    return rules.presiding_officer(
        in_office=set(members.values()),
        excluded=interested(item, members),
        present=_presence(session, members, in_session),
        designated=members.get(designated),
    )


def presidency(item, *, in_session):
    """The item's members in office (by user id), who presides without a designation
    (the chair or the vice-chair if able, else None), and who is able to preside."""
    members = in_office(item.session)
    seats, excluded = set(members.values()), interested(item, members)
    present = _presence(item.session, members, in_session)
    seated = rules.presiding_officer(in_office=seats, excluded=excluded, present=present)
    able = rules.able_to_preside(in_office=seats, excluded=excluded, present=present)
    return members, seated, able


def acting_chair_candidates(item, *, in_session):
    """The members who may be designated to preside over ``item``, by name: none when
    the chair or the vice-chair may preside it (no designation is needed)."""
    _members, seated, able = presidency(item, in_session=in_session)
    return [] if seated is not None else sorted(able, key=lambda member: member.name)


def is_presiding(actor, item, *, in_session):
    officer = presiding_officer(item, in_session=in_session)
    return officer is not None and actor.is_authenticated and officer.id == actor.pk


def require_presiding(actor, item, *, in_session):
    """Open, close, record and publish the vote of an item: only its presiding officer
    — never the dossier's author nor a member who declared an interest in it."""
    officer = presiding_officer(item, in_session=in_session)
    if officer is not None and actor.is_authenticated and officer.id == actor.pk:
        return officer
    if officer is None:
        raise PermissionDenied(
            _(
                "Ni le maire de quartier ni le vice-président ne peuvent présider ce point "
                "(auteur du dossier, intérêt déclaré ou absence) : le président de séance "
                "désigne un membre pour le présider."
            )
        )
    raise PermissionDenied(
        _(
            "Seul le maire de quartier qui préside ce conseil, ou qui le remplace sur ce "
            "point, le peut : %(name)s préside ce point."
        )
        % {"name": officer.name}
    )


def locked_session(session):
    return (
        Session.objects.select_for_update().select_related("council__quartier").get(pk=session.pk)
    )


def require_status(session, *statuses):
    if session.status not in statuses:
        raise DomainError(
            _("Impossible : la séance est « %(status)s ».")
            % {"status": session.get_status_display()},
            code="illegal_transition",
        )
