"""Reads for the council space, the public decision pages and the minutes."""

from django.db.models import Prefetch, Q
from django.utils import timezone

from accounts.models import RoleAssignment
from accounts.predicates import is_administrator
from accounts.roles import Role
from votes.models import AgendaItem, Council, Decision, Interest, Mandate, Message


def councils_for(user):
    """Councils a person sits on (in office) or serves as instructor or administrator."""
    if not user.is_authenticated:
        return Council.objects.none()
    if is_administrator(user):
        return Council.objects.select_related("quartier")
    instructed = RoleAssignment.objects.in_force().filter(user=user, role=Role.INSTRUCTOR)
    commune_wide = instructed.filter(quartier__isnull=True).exists()
    query = Q(pk__in=Mandate.objects.in_office().filter(user=user).values("council"))
    if commune_wide:
        query |= Q(pk__isnull=False)
    else:
        query |= Q(quartier__in=instructed.values("quartier"))
    return Council.objects.filter(query).select_related("quartier")


def session_items(session):
    return (
        AgendaItem.objects.filter(session=session)
        .select_related("initiative__fund")
        .prefetch_related(
            "votes", "decisions", Prefetch("interests", Interest.objects.select_related("user"))
        )
        .order_by("position")
    )


def thread(initiative):
    return (
        Message.objects.filter(initiative=initiative)
        .select_related("author")
        .order_by("created_at", "id")
    )


def minutes_context(session):
    """Everything the procès-verbal prints."""
    from votes.services.ballots import voting_rights

    mandates = (
        Mandate.objects.in_office(timezone.localdate(session.starts_at))
        .filter(council=session.council)
        .select_related("user")
        .order_by("role", "user__display_name")
    )
    attendance = {a.user_id: a.present for a in session.attendances.all()}
    items = []
    for item in session_items(session):
        votes = []
        for vote in item.votes.all():
            _members, _eligible, recused = voting_rights(vote)
            votes.append({"vote": vote, "recused": sorted(r.on_behalf_of.name for r in recused)})
        items.append({"item": item, "votes": votes, "decisions": list(item.decisions.all())})
    return {
        "session": session,
        "council": session.council,
        "mandates": [(m, attendance.get(m.user_id)) for m in mandates],
        "proxies": session.proxies.select_related("giver", "holder"),
        "items": items,
    }


def public_decisions(*, quartier=None, outcome=None):
    queryset = Decision.objects.filter(published_at__isnull=False).select_related(
        "item__initiative__fund__quartier", "item__session__council__quartier"
    )
    if quartier:
        queryset = queryset.filter(item__session__council__quartier=quartier)
    if outcome:
        queryset = queryset.filter(outcome=outcome)
    return queryset.order_by("-published_at")
