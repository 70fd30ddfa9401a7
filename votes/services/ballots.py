"""Votes on an agenda item: opening, casting (named or secret), closing."""

import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.dbutils import constraint_violated
from accounts.errors import DomainError, PermissionDenied
from fonds.models import Initiative
from fonds.money import format_euros, parse_amount
from votes import rules
from votes.models import Ballot, Cast, Participation, Session, Vote

from .common import (
    in_office,
    interested,
    locked_session,
    present_members,
    require_chair,
    require_status,
    rule_proxies,
)

MAX_WRITTEN_DAYS = 30


def vote_open(*, actor, item, mode, proposed_amount, deadline=None):
    """The chair opens the vote on an item, on a proposed amount at most the amount
    requested: in an open session, or — with a ``deadline`` — by written procedure
    between sessions (the session still planned; every voting member in office votes
    in writing, by roll call or secret ballot, without proxies)."""
    require_chair(actor, item.session.council)
    if mode not in Vote.Mode.values:
        raise DomainError(_("Mode de scrutin inconnu."), field="mode")
    if deadline is not None:
        now = timezone.now()
        if not now < deadline <= now + datetime.timedelta(days=MAX_WRITTEN_DAYS):
            raise DomainError(
                _("La date limite d'une procédure écrite est dans les %(n)d jours qui viennent.")
                % {"n": MAX_WRITTEN_DAYS},
                field="deadline",
            )
        if mode == Vote.Mode.SHOW_OF_HANDS:
            raise DomainError(
                _("Une procédure écrite se vote par appel nominal ou à bulletin secret."),
                field="mode",
            )
    amount = parse_amount(proposed_amount, field=_("Le montant proposé"))
    initiative = item.initiative
    if amount > initiative.requested_amount:
        raise DomainError(
            _("Le montant proposé dépasse le montant demandé (%(asked)s €).")
            % {"asked": format_euros(initiative.requested_amount)},
            field="proposed_amount",
        )
    try:
        with transaction.atomic():
            session = locked_session(item.session)
            require_status(session, Session.Status.PLANNED if deadline else Session.Status.OPEN)
            if item.decisions.exists():
                raise DomainError(_("Une décision est déjà enregistrée sur ce point."))
            previous = item.votes.first()
            if previous is not None and previous.status == Vote.Status.OPEN:
                raise DomainError(_("Un vote est déjà ouvert sur ce point."))
            if previous is not None:
                raise DomainError(
                    _(
                        "Ce point a déjà été mis aux voix : enregistrez la décision. Pour "
                        "voter à nouveau, le dossier est ajourné à une séance suivante."
                    )
                )
            # Read fresh, under lock: the caller's copy may be stale (a withdrawn dossier).
            initiative = Initiative.objects.select_for_update().get(pk=item.initiative_id)
            if initiative.status != Initiative.Status.ON_AGENDA:
                raise DomainError(_("Ce dossier n'est plus en attente de décision."))
            vote = Vote.objects.create(
                item=item, mode=mode, proposed_amount=amount, deadline=deadline
            )
            audit_record(
                actor=actor,
                action="votes.vote.open",
                target=vote,
                data={
                    "item": item.pk,
                    "mode": mode,
                    "amount": str(amount),
                    "deadline": deadline.isoformat() if deadline else None,
                },
            )
    except IntegrityError as error:
        if constraint_violated(error, "vote_once_per_item"):
            raise DomainError(_("Un vote est déjà ouvert sur ce point.")) from None
        raise
    return vote


def voting_rights(vote):
    """Who may cast which vote on this item, and the recusals (rights dropped for a
    declared interest)."""
    session = vote.item.session
    members = in_office(session)
    if vote.deadline is not None:
        # Written procedure: every voting member in office votes, in person only.
        present = {member for member in members.values() if member.role.votes}
        proxies = []
    else:
        present = present_members(session, members)
        proxies = rule_proxies(session, members)
    everyone = rules.voting_rights(present=present, proxies=proxies)
    eligible = rules.eligible_voters(
        present=present, proxies=proxies, interests=interested(vote.item, members)
    )
    return members, eligible, everyone - eligible


def vote_cast(*, actor, vote, choice, on_behalf_of=None):
    """Cast a vote — for oneself, or for the member whose proxy one holds. Refused to a
    member with a declared interest (and for a proxy they hold), after the vote closes,
    and twice. In a secret vote, participation and ballot are stored apart, unlinked."""
    if choice not in {c.value for c in rules.Choice}:
        raise DomainError(_("Choix de vote inconnu."))
    giver = on_behalf_of or actor
    with transaction.atomic():
        vote = (
            Vote.objects.select_for_update()
            .select_related("item__session__council")
            .get(pk=vote.pk)
        )
        if vote.status != Vote.Status.OPEN:
            raise DomainError(_("Le vote est clos."), code="closed")
        if vote.deadline is not None and timezone.now() > vote.deadline:
            raise DomainError(_("La date limite du vote est passée."), code="closed")
        members, eligible, recused = voting_rights(vote)
        voter, behalf = members.get(actor.pk), members.get(giver.pk)
        right = rules.VotingRight(voter=voter, on_behalf_of=behalf)
        if right not in eligible:
            if right in recused:
                raise PermissionDenied(
                    _("Un intérêt a été déclaré sur ce point : ce vote n'est pas possible.")
                )
            raise PermissionDenied(_("Vous ne pouvez pas voter sur ce point."))
        secret = vote.mode == Vote.Mode.SECRET
        already = (Participation if secret else Cast).objects.filter(vote=vote, member=giver)
        if already.exists():
            raise DomainError(_("Ce vote est déjà exprimé."), code="duplicate")
        if secret:
            Participation.objects.create(vote=vote, member=giver, cast_by=actor)
            Ballot.objects.create(vote=vote, choice=choice)
            data = {"member": giver.pk}
        else:
            Cast.objects.create(vote=vote, member=giver, cast_by=actor, choice=choice)
            data = {"member": giver.pk, "choice": choice}
        audit_record(actor=actor, action="votes.vote.cast", target=vote, data=data)


def vote_tally(vote):
    source = vote.ballots if vote.mode == Vote.Mode.SECRET else vote.casts
    return rules.tally(source.values_list("choice", flat=True))


def vote_close(*, actor, vote):
    require_chair(actor, vote.item.session.council)
    with transaction.atomic():
        vote = Vote.objects.select_for_update().get(pk=vote.pk)
        if vote.status != Vote.Status.OPEN:
            raise DomainError(_("Le vote est déjà clos."), code="closed")
        if vote.deadline is not None and timezone.now() < vote.deadline:
            _members, eligible, _recused = voting_rights(vote)
            if vote_tally(vote).ballots < len(eligible):
                raise DomainError(
                    _("La procédure écrite court jusqu'au %(date)s : tous n'ont pas voté.")
                    % {"date": timezone.localtime(vote.deadline).strftime("%d/%m/%Y %H:%M")},
                    code="written_open",
                )
        vote.status = Vote.Status.CLOSED
        vote.closed_at = timezone.now()
        vote.save(update_fields=["status", "closed_at"])
        result = vote_tally(vote)
        audit_record(
            actor=actor,
            action="votes.vote.close",
            target=vote,
            data={"for": result.for_, "against": result.against, "abstain": result.abstain},
        )
    return vote
