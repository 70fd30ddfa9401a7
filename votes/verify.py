"""What `ledger verify` compares on the council's side (registered with
``fonds.verify.register_check`` when the app is ready): every published decision
against the COMMIT that carried it to the ledger, every publication and signature in
the audit log against the decisions and minutes still stored, and the head hashes the
signed minutes print against the chains."""

from collections import defaultdict
from decimal import Decimal

from django.db.models.fields.json import KT

from accounts.models import AuditEntry
from fonds.ledger import GENESIS
from fonds.models import Grant
from fonds.verify import BATCH, register_check
from votes.models import Decision, Session

Outcome = Decision.Outcome


def decisions_against_commits(replay):
    """A published decision granting an amount has exactly one COMMIT citing it, of that
    amount, on a grant of its initiative in its initiative's fund; a decision that
    grants nothing has none; and every COMMIT cites a published granting decision."""
    by_reference = defaultdict(list)
    for commit in replay.commits:
        by_reference[commit.reference].append(commit)
    grants = dict(Grant.objects.values_list("pk", "initiative"))
    decisions = (
        Decision.objects.filter(published_at__isnull=False)
        .order_by("pk")
        .values_list(
            "pk",
            "reference",
            "outcome",
            "amount",
            "item__initiative_id",
            "item__initiative__fund_id",
        )
    )
    for pk, reference, outcome, amount, initiative_id, fund_id in decisions.iterator(BATCH):
        commits = by_reference.pop(reference, [])
        where = f"decision {reference} (id {pk})"
        if outcome != Outcome.GRANTED or not amount:
            if commits:
                return f"{where} grants nothing, yet {replay.where(commits[0])} cites it"
            continue
        if len(commits) != 1:
            return f"{where} grants {amount} €: {len(commits)} COMMIT transactions cite it"
        commit = commits[0]
        if commit.amount != amount:
            return (
                f"{where} grants {amount} €, its {replay.where(commit)} commits {commit.amount} €"
            )
        if commit.fund != fund_id:
            return f"{where}: its {replay.where(commit)} is not in its initiative's fund"
        if grants.get(commit.grant) != initiative_id:
            return (
                f"{where} grants initiative id {initiative_id}; the grant id {commit.grant} "
                f"of its {replay.where(commit)} belongs to initiative id "
                f"{grants.get(commit.grant)}"
            )
    cited = sorted(
        (commit for commits in by_reference.values() for commit in commits),
        key=lambda commit: commit.transaction,
    )
    if cited:
        return (
            f"{replay.where(cited[0])} cites decision {cited[0].reference}, "
            "which is not a published decision"
        )
    return None


def publications_still_stored(replay):
    """Each publication wrote an audit row (append-only) with the decision's reference,
    outcome and amount: a published decision deleted or changed since — a refusal,
    which no COMMIT cites, as much as a grant — is found here."""
    stored = {
        str(pk): (reference, outcome, amount, published)
        for pk, reference, outcome, amount, published in Decision.objects.values_list(
            "pk", "reference", "outcome", "amount", "published_at"
        )
    }
    entries = (
        AuditEntry.objects.filter(action="votes.decision.publish")
        .order_by("pk")
        .values_list(
            "pk", "target_id", KT("data__reference"), KT("data__outcome"), KT("data__amount")
        )
    )
    for pk, target, reference, outcome, amount in entries.iterator(BATCH):
        decision = stored.get(target)
        where = f"decision {reference} (id {target}), published (audit entry id {pk}),"
        if decision is None:
            return f"{where} no longer exists"
        if decision[3] is None:
            return f"{where} is no longer published"
        # SQLite reads a JSON null as the text "null".
        recorded = (
            reference,
            outcome,
            Decimal(amount) if amount not in (None, "", "null") else None,
        )
        for name, was, now in zip(
            ("reference", "outcome", "amount"), recorded, decision[:3], strict=True
        ):
            if was != now:
                return f"{where} had {name} {was}, now {now}"
    return None


def minutes_heads_in_chain(replay):
    """Signed minutes print the head hash of each fund on their agenda at signature,
    also recorded in the signature's audit row: each is a hash the chain still holds
    (or the start of a chain), and the minutes still print what was signed."""
    signed = dict(
        Session.objects.filter(minutes_signed_at__isnull=False).values_list(
            "pk", "minutes_head_hash"
        )
    )
    entries = (
        AuditEntry.objects.filter(action="votes.minutes.sign")
        .order_by("pk")
        .values_list("pk", "target_id", KT("data__head_hash"))
    )
    for pk, target, heads in entries.iterator(BATCH):
        if signed.get(int(target)) != heads:
            return (
                f"session id {target}: its minutes no longer print the head hashes they "
                f"were signed with (audit entry id {pk})"
            )
    for session_id, heads in sorted(signed.items()):
        for head in heads.split():
            if head != GENESIS and head not in replay.hashes:
                return (
                    f"session id {session_id}: its signed minutes print head hash {head}, "
                    "which the chain no longer holds (the chain was cut or rewritten)"
                )
    return None


def register_ledger_checks():
    for check in (decisions_against_commits, publications_still_stored, minutes_heads_in_chain):
        register_check(check)
