"""Votes on an agenda item: who presides over it, opening, casting (named or secret),
closing.

A secret vote keeps who voted apart from what they chose, in the database itself:
while it is open a cast inserts a ``Participation`` (who) and adds one to a column of
the vote's single ``SecretCount`` row (what), so no row is written per choice; at
closing the counts become ``Ballot`` rows, written in one INSERT in a random order,
with random ids and no time, all sharing the closing transaction — then the count row
is deleted. Nothing left in the tables links a participation to a ballot."""

import datetime
import secrets
import uuid

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.dbutils import constraint_violated
from accounts.errors import DomainError, PermissionDenied
from fonds.models import Initiative
from fonds.money import euros, parse_amount
from votes import rules
from votes.models import AgendaItem, Ballot, Cast, Participation, SecretCount, Session, Vote

from .common import (
    in_office,
    interested,
    locked_session,
    presence_applies,
    present_members,
    presidency,
    require_presiding,
    require_session_chair,
    require_status,
    rule_proxies,
)

MAX_WRITTEN_DAYS = 30

# The column of ``SecretCount`` each choice adds to.
SECRET_COLUMNS = {
    rules.Choice.FOR: "for_count",
    rules.Choice.AGAINST: "against_count",
    rules.Choice.ABSTAIN: "abstain_count",
}

# The operating system's randomness: the order of a vote's ballots must not be
# reproducible from a seed.
_random = secrets.SystemRandom()


def item_designate_acting_chair(*, actor, item, member):
    """Whoever presides the session (the chair, or the vice-chair standing in)
    designates the voting member who presides over an item that neither the chair nor
    the vice-chair may preside (author of the dossier, declared interest, absence).
    The member must be able: in office on the session's day, with a vote, neither
    author nor interested and, for a meeting, recorded present. Possible until the
    item's decision is recorded; named in the minutes."""
    require_session_chair(actor, item.session)
    with transaction.atomic():
        session = locked_session(item.session)
        require_status(session, Session.Status.PLANNED, Session.Status.OPEN)
        item = (
            AgendaItem.objects.select_for_update(of=("self",))
            .select_related("initiative")
            .get(pk=item.pk)
        )
        if item.decisions.exists():
            raise DomainError(_("Une décision est déjà enregistrée sur ce point."))
        members, seated, able = presidency(item, in_session=presence_applies(item))
        if seated is not None:
            raise DomainError(
                _(
                    "Le maire de quartier ou le vice-président peut présider ce point : "
                    "aucune désignation n'est nécessaire."
                ),
                field="member",
            )
        if members.get(member.pk) not in able:
            raise DomainError(
                _(
                    "%(name)s ne peut présider ce point : il faut un membre en exercice, avec "
                    "voix délibérative, ni auteur du dossier ni intéressé, présent en séance."
                )
                % {"name": member},
                field="member",
            )
        item.acting_chair = member
        item.save(update_fields=["acting_chair"])
        audit_record(
            actor=actor,
            action="votes.item.acting_chair",
            target=item,
            data={"session": session.pk, "member": member.pk},
        )
    return item


def vote_open(*, actor, item, mode, proposed_amount, deadline=None):
    """The item's presiding officer (``require_presiding``: the chair unless author or
    interested, else the vice-chair, else a designated member) opens the vote on a
    proposed amount at most the amount requested: in an open session, or — with a
    ``deadline`` — by written procedure between sessions (the session still planned;
    every voting member in office votes in writing, by roll call or secret ballot,
    without proxies). One vote per item: a closed vote gives its decision."""
    written = deadline is not None
    require_presiding(actor, item, in_session=not written)
    if mode not in Vote.Mode.values:
        raise DomainError(_("Mode de scrutin inconnu."), field="mode")
    if written:
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
            _("Le montant proposé dépasse le montant demandé (%(asked)s).")
            % {"asked": euros(initiative.requested_amount)},
            field="proposed_amount",
        )
    try:
        with transaction.atomic():
            session = locked_session(item.session)
            require_status(session, Session.Status.PLANNED if deadline else Session.Status.OPEN)
            # Again under the session's lock: interests and attendance change under it.
            require_presiding(actor, item, in_session=not written)
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
            if mode == Vote.Mode.SECRET:
                SecretCount.objects.create(vote=vote)
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
    and twice. In a secret vote the cast writes who voted (a participation) and adds one
    to the vote's running count, under the vote's lock: no row holds a choice, and the
    audit row names the voter, never the choice."""
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
            _count_secretly(vote, rules.Choice(choice))
            data = {"member": giver.pk}
        else:
            Cast.objects.create(vote=vote, member=giver, cast_by=actor, choice=choice)
            data = {"member": giver.pk, "choice": choice}
        audit_record(actor=actor, action="votes.vote.cast", target=vote, data=data)


def _count_secretly(vote, choice):
    """One more in the choice's column of the vote's count row (created with the vote;
    created here for a vote opened before counts existed). The caller holds the vote's
    row lock, so two casts never race on the row."""
    column = SECRET_COLUMNS[choice]
    if not SecretCount.objects.filter(vote=vote).update(**{column: F(column) + 1}):
        SecretCount.objects.create(vote=vote, **{column: 1})


def vote_turnout(vote):
    """How many have voted: all that is shown of a secret vote while it is open."""
    model = Participation if vote.mode == Vote.Mode.SECRET else Cast
    return model.objects.filter(vote=vote).count()


def vote_tally(vote):
    """The counts of a vote: its named casts, or the ballots of a closed secret vote.
    A secret vote still open has no tally to show: its count is sealed until closing."""
    if vote.mode != Vote.Mode.SECRET:
        return rules.tally(vote.casts.values_list("choice", flat=True))
    if vote.status == Vote.Status.OPEN:
        raise DomainError(
            _("Le décompte d'un vote à bulletin secret n'est connu qu'à sa clôture."),
            code="secret_open",
        )
    return rules.tally(vote.ballots.values_list("choice", flat=True))


def _seal_ballots(vote):
    """The secret count becomes the vote's ballots: one INSERT of the choices in a
    random order (the operating system's randomness), random UUIDs, no time — all in
    the closing transaction, so every ballot has its ``xmin``, which no participation
    has. The count row is then deleted. The totals must match the participations."""
    count = SecretCount.objects.filter(vote=vote).first()
    counts = {
        choice: getattr(count, column) if count else 0 for choice, column in SECRET_COLUMNS.items()
    }
    if sum(counts.values()) != Participation.objects.filter(vote=vote).count():
        raise DomainError(
            _("Le décompte secret ne correspond pas au nombre de votants : vote non clos."),
            code="secret_mismatch",
        )
    choices = [choice.value for choice, number in counts.items() for _n in range(number)]
    _random.shuffle(choices)
    Ballot.objects.bulk_create(
        [Ballot(id=uuid.uuid4(), vote=vote, choice=choice) for choice in choices]
    )
    SecretCount.objects.filter(vote=vote).delete()


def vote_close(*, actor, vote):
    """The item's presiding officer closes its vote. A written procedure closes before
    its deadline only once every member who may vote has voted. A secret vote's count
    becomes its ballots (``_seal_ballots``)."""
    vote = Vote.objects.select_related("item__session__council", "item__initiative").get(pk=vote.pk)
    require_presiding(actor, vote.item, in_session=vote.deadline is None)
    with transaction.atomic():
        vote = Vote.objects.select_for_update().get(pk=vote.pk)
        if vote.status != Vote.Status.OPEN:
            raise DomainError(_("Le vote est déjà clos."), code="closed")
        if vote.deadline is not None and timezone.now() < vote.deadline:
            _members, eligible, _recused = voting_rights(vote)
            if vote_turnout(vote) < len(eligible):
                raise DomainError(
                    _("La procédure écrite court jusqu'au %(date)s : tous n'ont pas voté.")
                    % {"date": timezone.localtime(vote.deadline).strftime("%d/%m/%Y %H:%M")},
                    code="written_open",
                )
        vote.status = Vote.Status.CLOSED
        vote.closed_at = timezone.now()
        vote.save(update_fields=["status", "closed_at"])
        if vote.mode == Vote.Mode.SECRET:
            _seal_ballots(vote)
        result = vote_tally(vote)
        audit_record(
            actor=actor,
            action="votes.vote.close",
            target=vote,
            data={"for": result.for_, "against": result.against, "abstain": result.abstain},
        )
    return vote
