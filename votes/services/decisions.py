"""Decisions: recorded by the item's presiding officer from the closed vote (or an
adjournment, with its reason), published by them together with the ledger's COMMIT;
never changed once published."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.errors import DomainError
from accounts.text import clean_text
from fonds.ledger import LedgerError, ledger_commit
from fonds.models import Initiative, Quartier
from fonds.services.council import InitiativeNotReady, initiative_record_decision
from votes import rules
from votes.models import Council, Decision, Session, Vote
from votes.models.decision import ADJOURNMENT

from .ballots import vote_tally, voting_rights
from .common import presence_applies, require_presiding

Outcome = Decision.Outcome

# ``Decision.rule_applied`` holds the adjournment's text and its reason.
MAX_REASON = 300 - len(ADJOURNMENT) - 1


def _next_reference(council, year):
    """CQ-<QUARTIER>-<YEAR>-<NNN>, numbered per quartier and year; the quartier's row
    is locked so two decisions (of its two councils, say) never get the same number."""
    Quartier.objects.select_for_update().get(pk=council.quartier_id)
    prefix = f"CQ-{council.quartier.code}-{year}-"
    count = Decision.objects.filter(reference__startswith=prefix).count()
    return f"{prefix}{count + 1:03d}"


def _named_tally(vote, members, recused):
    """The tally a decision keeps. Members appear by account id, never by name: a
    published decision is never rewritten, and names are read through the accounts
    (``votes.selectors.named_tally``), which erasure may pseudonymise. The order is
    the names' on the day, kept as the record's."""
    tally = vote_tally(vote)
    data = {
        "for": tally.for_,
        "against": tally.against,
        "abstain": tally.abstain,
        "mode": vote.mode,
        "proposed_amount": str(vote.proposed_amount),
        "recused": [
            member.id for member in sorted({right.on_behalf_of for right in recused}, key=str)
        ],
    }
    if vote.mode != Vote.Mode.SECRET:
        data["votes"] = [
            {
                "member": cast.member_id,
                "choice": cast.choice,
                "by_proxy": cast.cast_by_id != cast.member_id,
            }
            for cast in vote.casts.order_by("member__display_name", "member__email")
        ]
    return tally, data


def decision_record(*, actor, item, defer=False, reason=""):
    """The item's presiding officer (never the dossier's author nor an interested
    member) records its outcome: from its closed vote under the council's majority rule
    (with the presiding officer's casting vote on a tie, except in a secret ballot), or
    adjourned with a required ``reason`` — only before any vote: a vote that was opened
    gives its decision. An adjourned dossier goes back to admissible at publication and
    a later session puts it on its agenda again."""
    if defer:
        reason = clean_text(reason, max_length=MAX_REASON, multiline=False, field="reason")
        if not reason:
            raise DomainError(_("Indiquez le motif de l'ajournement."), field="reason")
    require_presiding(actor, item, in_session=defer or presence_applies(item))
    with transaction.atomic():
        session = Session.objects.select_for_update().get(pk=item.session_id)
        written = (
            not defer
            and session.status == Session.Status.PLANNED
            and item.votes.filter(status=Vote.Status.CLOSED, deadline__isnull=False).exists()
        )
        if session.status != Session.Status.OPEN and not written:
            raise DomainError(_("La séance n'est pas ouverte."))
        if item.decisions.filter(corrects__isnull=True).exists():
            raise DomainError(_("Une décision est déjà enregistrée sur ce point."))
        # Read fresh, under lock: the caller's copies may be stale (a dossier withdrawn,
        # the council's rules changed since the item was loaded).
        initiative = Initiative.objects.select_for_update().get(pk=item.initiative_id)
        if initiative.status != Initiative.Status.ON_AGENDA:
            raise DomainError(_("Ce dossier n'est plus en attente de décision."))
        if defer and item.votes.exists():
            raise DomainError(
                _(
                    "Ce point a été mis aux voix : un vote clos donne sa décision, "
                    "enregistrez-la (l'ajournement n'est plus possible)."
                ),
                code="voted",
            )
        council = (
            Council.objects.select_for_update(of=("self",))
            .select_related("quartier")
            .get(pk=session.council_id)
        )
        reference = _next_reference(council, timezone.localtime(session.starts_at).year)
        if defer:
            decision = Decision.objects.create(
                item=item,
                reference=reference,
                outcome=Outcome.DEFERRED,
                tally={},
                # The record is French, whatever the language of the person recording.
                rule_applied=f"{ADJOURNMENT} {reason}"[:300],
                recorded_by=actor,
            )
        else:
            vote = item.votes.filter(status=Vote.Status.CLOSED).order_by("-closed_at").first()
            if vote is None:
                raise DomainError(_("Clôturez d'abord le vote sur ce point."))
            members, eligible, recused = voting_rights(vote)
            tally, data = _named_tally(vote, members, recused)
            if vote.deadline is not None:
                _require_written_quorum(vote, council, members, tally)
                data["written_procedure"] = True
            # The casting vote is the presiding officer's own vote on the item.
            chair_cast = vote.casts.filter(member=actor, cast_by=actor).first()
            result = rules.outcome(
                tally=tally,
                rule=rules.MajorityRule(council.majority_rule),
                present_and_represented=len(eligible),
                mode=rules.VoteMode(vote.mode),
                chair_choice=rules.Choice(chair_cast.choice) if chair_cast else None,
                chair_casting_vote=council.chair_casting_vote,
            )
            adopted = result.outcome == rules.Outcome.ADOPTED
            message, values = rules.majority_rule_message(
                rules.MajorityRule(council.majority_rule),
                mode=rules.VoteMode(vote.mode),
                chair_casting_vote=council.chair_casting_vote,
                present_and_represented=len(eligible),
            )
            data |= {
                "rule": {"message": message, "values": values},
                "tie": result.tie,
                "casting_vote_used": result.casting_vote_used,
                "present_and_represented": len(eligible),
            }
            decision = Decision.objects.create(
                item=item,
                vote=vote,
                reference=reference,
                outcome=Outcome.GRANTED if adopted else Outcome.REFUSED,
                amount=vote.proposed_amount if adopted else None,
                tally=data,
                rule_applied=result.rule_text,
                recorded_by=actor,
            )
        audit_record(
            actor=actor,
            action="votes.decision.record",
            target=decision,
            data={"reference": reference, "outcome": decision.outcome}
            | ({"reason": reason} if defer else {}),
        )
    return decision


def _require_written_quorum(vote, council, members, tally):
    """A written procedure decides only if as many members took part as the council's
    quorum asks to be present in session."""
    voted = vote.participations if vote.mode == Vote.Mode.SECRET else vote.casts
    took_part = {members[i] for i in voted.values_list("member_id", flat=True) if i in members}
    result = rules.quorum(
        in_office=set(members.values()),
        present=took_part,
        rule=rules.QuorumRule(council.quorum_rule),
    )
    if not result.reached:
        raise DomainError(
            _("Procédure écrite : %(taken)d membres ont voté, %(required)d requis.")
            % {"taken": result.present, "required": result.required},
            code="no_quorum",
        )


def decision_publish(*, actor, decision):
    """The item's presiding officer publishes its decision (the maire de quartier,
    unless author of the dossier or interested in it): it becomes public, the
    initiative moves on, the ledger's COMMIT is posted in the same transaction (the
    amount must still be available in the fund), and the author is told. Publication
    comes after the session: presence at it does not count."""
    require_presiding(actor, decision.item, in_session=False)
    with transaction.atomic():
        decision = (
            Decision.objects.select_for_update(of=("self",))
            .select_related("item__initiative__fund")
            .get(pk=decision.pk)
        )
        if decision.is_published:
            raise DomainError(_("Cette décision est déjà publiée."))
        initiative = decision.item.initiative
        if decision.outcome == Outcome.GRANTED:
            try:
                ledger_commit(
                    actor=actor,
                    initiative=initiative,
                    amount=decision.amount,
                    decision_reference=decision.reference,
                    idempotency_key=f"decision-{decision.reference}",
                )
            except LedgerError as error:
                raise DomainError(
                    _("Publication impossible : %(reason)s") % {"reason": error.message},
                    code=error.code,
                ) from None
        try:
            initiative_record_decision(
                actor=actor,
                initiative=initiative,
                outcome=decision.outcome,
                reference=decision.reference,
                amount=decision.amount,
            )
        except InitiativeNotReady:
            raise DomainError(_("Ce dossier n'est plus en attente de décision.")) from None
        decision.published_at = timezone.now()
        decision.published_by = actor
        decision.save(update_fields=["published_at", "published_by"])
        audit_record(
            actor=actor,
            action="votes.decision.publish",
            target=decision,
            data={
                "reference": decision.reference,
                "outcome": decision.outcome,
                "amount": str(decision.amount) if decision.amount else None,
            },
        )
    return decision


def published_decisions():
    return (
        Decision.objects.filter(published_at__isnull=False)
        .select_related("item__initiative__fund__quartier", "item__session__council")
        .filter(Q(corrected_by__isnull=True) | Q(corrected_by__published_at__isnull=True))
        .order_by("-published_at")
    )
