"""Reads for the council space, the public decision pages and the minutes."""

from django.db.models import Prefetch, Q
from django.utils import timezone

from accounts.models import RoleAssignment, User
from accounts.predicates import is_administrator
from accounts.roles import Role
from votes.models import AgendaItem, Council, Decision, Interest, Mandate, Message, Vote


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


def vote_progress(vote):
    """What the council sees of a vote: its status, how many have voted out of how
    many may — and, except for a secret vote still open (its count is sealed until
    closing), the counts."""
    from votes.services.ballots import vote_tally, vote_turnout, voting_rights

    _members, eligible, _recused = voting_rights(vote)
    secret = vote.mode == Vote.Mode.SECRET
    sealed = secret and vote.status == Vote.Status.OPEN
    progress = {
        "status": vote.status,
        "secret": secret,
        "sealed": sealed,
        "ballots": vote_turnout(vote),
        "expected": len(eligible),
    }
    if not sealed:
        tally = vote_tally(vote)
        progress |= {"for": tally.for_, "against": tally.against, "abstain": tally.abstain}
    return progress


def _officer(member):
    """A presiding officer other than the chair, as the minutes name them."""
    if member is None or member.role == Mandate.Role.CHAIR:
        return None
    return {"name": member.name, "role": Mandate.Role(member.role).label}


def minutes_context(session):
    """Everything the procès-verbal prints: presence, proxies, and for each item its
    presiding officer when it is not the chair (the vice-chair, or the member
    designated at the session), interests, votes (only how many have voted while a
    vote is open) and decisions."""
    from votes.services.ballots import vote_turnout, voting_rights
    from votes.services.common import presence_applies, presiding_officer

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
            votes.append(
                {
                    "vote": vote,
                    "recused": sorted(r.on_behalf_of.name for r in recused),
                    "turnout": vote_turnout(vote),
                    "abstained": _present_without_voting(
                        vote, mandates, attendance, {r.on_behalf_of.id for r in recused}
                    ),
                }
            )
        first = votes[0]["vote"] if votes else None
        officer = presiding_officer(item, in_session=presence_applies(item, first))
        acting = officer is not None and officer.id == item.acting_chair_id
        items.append(
            {
                "item": item,
                "votes": votes,
                "decisions": [_named(decision) for decision in item.decisions.all()],
                # Named only if the designation took effect (neither chair nor vice-chair
                # could preside).
                "acting_chair": item.acting_chair if acting else None,
                "presided_by": None if acting else _officer(officer),
            }
        )
    return {
        "session": session,
        "council": session.council,
        "mandates": [(m, attendance.get(m.user_id)) for m in mandates],
        "proxies": session.proxies.select_related("giver", "holder"),
        "items": items,
    }


def _present_without_voting(vote, mandates, attendance, recused_ids):
    """The members recorded present who took no part in a closed vote (neither by
    themselves nor by proxy), nor declared an interest: the minutes name them. A secret
    vote's participations say who voted, never how."""
    if vote.status != vote.Status.CLOSED:
        return []
    if vote.mode == vote.Mode.SECRET:
        voted = set(vote.participations.values_list("member_id", flat=True))
    else:
        voted = set(vote.casts.values_list("member_id", flat=True))
    return [
        str(mandate.user)
        for mandate in mandates
        if attendance.get(mandate.user_id)
        and mandate.role != Mandate.Role.EX_OFFICIO
        and mandate.user_id not in voted | recused_ids
    ]


def _named(decision):
    decision.named = named_tally(decision)
    return decision


def named_tally(decision):
    """The members a decision's tally names — who voted how (a vote by name) and who
    did not take part (declared interest) — named through their accounts, in the
    tally's order: {"votes": [{"member", "choice", "by_proxy"}], "recused": [names]}.
    The tally holds account ids; one recorded before it did holds the names."""
    tally = decision.tally or {}
    votes, recused = tally.get("votes") or [], tally.get("recused") or []
    ids = {vote["member"] for vote in votes} | set(recused)
    users = User.objects.in_bulk([pk for pk in ids if isinstance(pk, int)])

    def name(member):
        return str(users[member]) if member in users else str(member)

    return {
        "votes": [vote | {"member": name(vote["member"])} for vote in votes],
        "recused": [name(member) for member in recused],
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


# Planning ------------------------------------------------------------------------------


def councils_to_prepare(user):
    """The councils whose sessions ``user`` plans (``can_prepare_sessions``)."""
    from votes.predicates import can_prepare_sessions

    return [council for council in councils_for(user) if can_prepare_sessions(user, council)]


def sessions_of(councils, *, limit=60):
    """The sessions of those councils with their number of items, the ones to come
    first (soonest first), then the past ones (latest first); two queries."""
    from django.db.models import Count

    from votes.models import Session

    to_come = Q(starts_at__gte=_start_of_today()) & ~Q(status=Session.Status.CLOSED)
    sessions = (
        Session.objects.filter(council__in=councils)
        .select_related("council__quartier")
        .annotate(item_count=Count("items"))
    )
    upcoming = list(sessions.filter(to_come).order_by("starts_at", "pk")[:limit])
    past = sessions.exclude(to_come).order_by("-starts_at", "-pk")
    return upcoming + list(past[: max(limit - len(upcoming), 0)])


def agenda_candidates(council):
    """The council quartier's dossiers waiting for a council: admissible, in a fund the
    council decides."""
    from fonds.models import Fund, Initiative

    return (
        Initiative.objects.filter(
            status=Initiative.Status.ADMISSIBLE,
            fund__quartier_id=council.quartier_id,
            fund__decision_mode=Fund.DecisionMode.COUNCIL,
        )
        .select_related("fund")
        .order_by("fund__period_start", "submitted_at", "pk")
    )


def agenda_planning(session):
    """What the planning page shows: the items, the dossiers that may join them, and
    for each fund concerned the money available and what the agenda asks of it
    (fonds.ledger figures); a fixed number of queries."""
    from fonds.ledger import balances_by_fund

    items = list(
        AgendaItem.objects.filter(session=session)
        .select_related("initiative__fund")
        .prefetch_related("votes")
        .order_by("position")
    )
    candidates = list(agenda_candidates(session.council))
    funds = {}
    for initiative in [item.initiative for item in items] + candidates:
        # One object per fund, so that every dossier shows the same figures.
        initiative.fund = funds.setdefault(initiative.fund_id, initiative.fund)
    figures = balances_by_fund(funds.keys())
    asked = {}
    for item in items:
        fund_id = item.initiative.fund_id
        asked[fund_id] = asked.get(fund_id, 0) + item.initiative.requested_amount
    for fund in funds.values():
        fund.available = figures[fund.pk]["available"]
        fund.asked_on_agenda = asked.get(fund.pk, 0)
        fund.left_after_agenda = fund.available - fund.asked_on_agenda
    return {
        "items": items,
        "candidates": candidates,
        "funds": sorted(funds.values(), key=lambda fund: (fund.label, fund.pk)),
    }


# Public sessions -----------------------------------------------------------------------


def _start_of_today():
    """Midnight today, in the commune's time zone."""
    import datetime

    return timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time()))


def public_sessions(quartier=None, upcoming=True):
    """Public sessions (never a session closed to the public): to come — not closed,
    from today on, soonest first — or past, latest first. Each carries
    ``public_items``, its agenda restricted to public dossiers. Two queries whatever
    the number of sessions; slice it before it is read."""
    from fonds.models import Initiative
    from votes.models import Session

    to_come = Q(starts_at__gte=_start_of_today()) & ~Q(status=Session.Status.CLOSED)
    sessions = Session.objects.filter(is_public=True).select_related("council__quartier")
    if quartier is not None:
        sessions = sessions.filter(council__quartier=quartier)
    if upcoming:
        sessions = sessions.filter(to_come).order_by("starts_at", "pk")
    else:
        sessions = sessions.exclude(to_come).order_by("-starts_at", "-pk")
    items = (
        AgendaItem.objects.filter(initiative__status__in=Initiative.PUBLIC_STATUSES)
        .select_related("initiative")
        .order_by("position")
    )
    return sessions.prefetch_related(Prefetch("items", items, to_attr="public_items"))


def agenda_sessions(initiatives):
    """For the author's space: the session each dossier on an agenda waits for, in one
    query: {initiative pk: session}. (A panel for ``fonds.views.my_space.dossier_panel``
    with the template ``votes/planning/_carrier_agenda.html``.)"""
    from fonds.models import Initiative
    from votes.models import Session

    waiting = [i.pk for i in initiatives if i.status == Initiative.Status.ON_AGENDA]
    if not waiting:
        return {}
    items = (
        AgendaItem.objects.filter(initiative_id__in=waiting, decisions__isnull=True)
        .exclude(session__status=Session.Status.CLOSED)
        .select_related("session")
        .order_by("session__starts_at")
    )
    return {item.initiative_id: item.session for item in items}
