"""Bridges between the database and the pure rules of `votes.rules`."""

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.errors import DomainError, PermissionDenied
from votes import rules
from votes.models import Attendance, Interest, Mandate, Proxy, Session
from votes.predicates import is_chair_of_council


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


def require_chair(actor, council):
    if not is_chair_of_council(actor, council):
        raise PermissionDenied(_("Seul le maire de quartier qui préside ce conseil le peut."))


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
