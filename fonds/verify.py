"""Replaying the ledger: every fund's hash chain and every account's balance, then
cross-checks against what recorded the ledger from outside the chain.

A chain only vouches for itself: cut at its tail with its head rewound, it replays
cleanly. So once the chains replay, `ledger verify` compares them with the records
that were written alongside each posting and are kept apart from it — the audit log
(append-only, one row per posting with the transaction's hash), the grants (each
against its COMMIT), and what other apps register with ``register_check``: `votes`
compares the council's published decisions and signed minutes (``votes.verify``)."""

from collections import defaultdict, namedtuple
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models.fields.json import KT

from accounts.models import AuditEntry

from .ledger import GENESIS, chain_hash
from .models import Fund, FundClosing, Grant, LedgerAccount, LedgerLeg, LedgerTransaction

BATCH = 5000
Kind = LedgerTransaction.Kind

# Rows read as tuples carrying the models' own attribute names, which is all the
# chain's hashing reads: replaying 100 000 transactions stays a matter of seconds.
TransactionRow = namedtuple(
    "TransactionRow", [f.attname for f in LedgerTransaction._meta.concrete_fields]
)
LegRow = namedtuple("LegRow", ["transaction_id", "account_id", "amount"])


@dataclass(frozen=True)
class Held:
    """A transaction the chain holds: where it sits."""

    fund: int
    sequence: int
    transaction: int


@dataclass(frozen=True)
class Commit:
    """A COMMIT of the replayed chains, as the cross-checks compare it."""

    transaction: int
    fund: int
    sequence: int
    grant: int | None
    reference: str
    amount: Decimal


@dataclass(frozen=True)
class Carry:
    """A CARRY_OUT or CARRY_IN of the replayed chains."""

    transaction: int
    fund: int
    sequence: int
    kind: str
    grant: int | None
    amount: Decimal
    pair: int | None


@dataclass
class Replay:
    """What the replay established, handed to every cross-check."""

    slugs: dict = field(default_factory=dict)  # fund id -> slug
    hashes: dict = field(default_factory=dict)  # hash -> Held
    commits: list = field(default_factory=list)  # Commit, in fund then sequence order
    carries: list = field(default_factory=list)  # Carry, in fund then sequence order
    # fund id -> {kind: total} of the movements a closing accounts for
    closing_moves: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(Decimal)))

    def where(self, commit):
        return (
            f"COMMIT transaction id {commit.transaction} (fund {self.slugs[commit.fund]}, "
            f"sequence {commit.sequence})"
        )


@dataclass
class Report:
    transactions: int = 0
    heads: dict = field(default_factory=dict)  # fund slug -> (sequence, hash)
    checks: list = field(default_factory=list)  # names of the cross-checks passed
    error: str | None = None

    @property
    def ok(self):
        return self.error is None


# Cross-checks other apps add ----------------------------------------------------------

_registered = []


def register_check(check):
    """Add ``check`` to what `ledger verify` runs once the chains replay: a function of
    the ``Replay`` that returns the first discrepancy it finds, as a message naming the
    row, or None. Apps that fonds may not import (votes) register theirs from their
    AppConfig.ready(); registering the same function twice adds it once."""
    if check not in _registered:
        _registered.append(check)
    return check


def registered_checks():
    return list(_registered)


# The replay ---------------------------------------------------------------------------


def _batches(fund_id):
    last = 0
    while True:
        batch = [
            TransactionRow._make(row)
            for row in LedgerTransaction.objects.filter(fund_id=fund_id, sequence__gt=last)
            .order_by("sequence")
            .values_list(*TransactionRow._fields)[:BATCH]
        ]
        if not batch:
            return
        # The batch's legs by the range of its sequences (a join on the chain's index):
        # a list of 5 000 ids would cost more to send than the rows to read.
        legs = defaultdict(list)
        rows = (
            LedgerLeg.objects.filter(
                transaction__fund_id=fund_id,
                transaction__sequence__gt=last,
                transaction__sequence__lte=batch[-1].sequence,
            )
            .order_by("pk")
            .values_list(*LegRow._fields)
        )
        for row in rows:
            legs[row[0]].append(LegRow._make(row))
        yield batch, legs
        last = batch[-1].sequence


def _replay_fund(fund_id, slug, report, replay, balances, grant_of):
    """Replay one fund's chain; False at the first row that differs (named in the
    report). ``grant_of`` maps each committed account to its grant: the hash covers a
    leg's account, not whose account it is."""
    expected_sequence, running = 1, GENESIS
    hashes, commits, zero = replay.hashes, replay.commits, Decimal(0)
    for batch, legs in _batches(fund_id):
        for tx in batch:
            tx_legs = legs.get(tx.id, ())
            error = None
            if tx.sequence != expected_sequence:
                error = f"expected sequence {expected_sequence}"
            elif tx.previous_hash != running:
                error = "previous hash does not match the chain"
            elif chain_hash(running, tx, tx_legs) != tx.hash:
                error = "content does not match its hash"
            elif len(tx_legs) < 2 or sum((leg.amount for leg in tx_legs), zero) != 0:
                error = "legs do not balance"
            else:
                for leg in tx_legs:
                    owner = grant_of.get(leg.account_id)
                    if owner is not None and owner != tx.grant_id:
                        error = f"moves the committed money of grant id {owner} without naming it"
            if error:
                report.error = (
                    f"fund {slug}, transaction id {tx.id} (sequence {tx.sequence}): {error}"
                )
                return False
            for leg in tx_legs:
                balances[leg.account_id] += leg.amount
            hashes[tx.hash] = Held(fund_id, tx.sequence, tx.id)
            if tx.kind == Kind.COMMIT:
                commits.append(
                    Commit(tx.id, fund_id, tx.sequence, tx.grant_id, tx.reference, tx.amount)
                )
            elif tx.kind in (Kind.CARRY_OUT, Kind.CARRY_IN):
                replay.carries.append(
                    Carry(tx.id, fund_id, tx.sequence, tx.kind, tx.grant_id, tx.amount, tx.pair_id)
                )
            if tx.kind in (Kind.CARRY_OUT, Kind.RETURN):
                moved = "grants" if tx.grant_id else "unspent"
                replay.closing_moves[fund_id][moved] += tx.amount
            running = tx.hash
            expected_sequence += 1
            report.transactions += 1
    report.heads[slug] = (expected_sequence - 1, running)
    return True


def replay_ledger():
    """Replay every chain and every balance; stop at the first row that differs and
    say which. Returns the report and what the replay established."""
    report, replay = Report(), Replay()
    balances = defaultdict(Decimal)
    replay.slugs = dict(Fund.objects.order_by("pk").values_list("pk", "slug"))
    stored_heads = {
        fund_id: (sequence, head)
        for fund_id, sequence, head in LedgerAccount.objects.filter(
            kind=LedgerAccount.Kind.FUND_AVAILABLE
        ).values_list("fund_id", "head_sequence", "head_hash")
    }
    grant_of = dict(
        LedgerAccount.objects.filter(kind=LedgerAccount.Kind.GRANT_COMMITTED).values_list(
            "pk", "grant_id"
        )
    )
    for fund_id, slug in replay.slugs.items():
        if not _replay_fund(fund_id, slug, report, replay, balances, grant_of):
            return report, replay
        stored = stored_heads.get(fund_id)
        if stored is not None and stored != report.heads[slug]:
            report.error = f"fund {slug}: stored chain head differs from the replay"
            return report, replay
    accounts = LedgerAccount.objects.order_by("pk").values_list("pk", "kind", "balance")
    for pk, kind, balance in accounts.iterator(BATCH):
        if balance != balances.get(pk, Decimal(0)):
            report.error = (
                f"account id {pk} ({kind}): stored balance {balance} "
                f"differs from the replay {balances.get(pk, Decimal(0))}"
            )
            return report, replay
    return report, replay


# The ledger's own cross-checks --------------------------------------------------------


def audit_log_heads(replay):
    """Every posting wrote an audit row (append-only, in the same transaction) naming
    its transaction and that transaction's hash. A row whose transaction the chain no
    longer holds with that hash means the chain was cut or rewritten — even when its
    head was rewound to match, which the replay alone cannot see."""
    entries = (
        AuditEntry.objects.filter(
            target_type=LedgerTransaction._meta.label_lower, data__has_key="hash"
        )
        .order_by("pk")
        .values_list("pk", "target_id", KT("data__fund"), KT("data__hash"))
    )
    slugs = {str(pk): slug for pk, slug in replay.slugs.items()}
    for pk, target, fund_id, tx_hash in entries.iterator(BATCH):
        held = replay.hashes.get(tx_hash)
        if held is not None and str(held.transaction) == target:
            continue
        slug = slugs.get(fund_id, f"id {fund_id}")
        return (
            f"audit entry id {pk}: transaction id {target} of fund {slug} with hash "
            f"{tx_hash} is not in the chain (the chain was cut or rewritten)"
        )
    return None


def grants_against_commits(replay):
    """Each grant was created by its COMMIT: one COMMIT names it, in the grant's fund,
    citing the grant's decision; and the grant's initiative belongs to that fund."""
    by_grant = defaultdict(list)
    for commit in replay.commits:
        if commit.grant is None:
            return f"{replay.where(commit)} names no grant"
        by_grant[commit.grant].append(commit)
    grants = Grant.objects.order_by("pk").values_list(
        "pk",
        "fund_id",
        "initiative_id",
        "initiative__fund_id",
        "decision_reference",
        "carried_from_id",
    )
    for pk, fund_id, initiative_id, initiative_fund, reference, carried in grants.iterator(BATCH):
        commits = by_grant.pop(pk, [])
        where = f"grant id {pk} (decision {reference})"
        if carried is not None:
            # Created by a closing's CARRY_IN (checked with its pair), never by a COMMIT.
            if commits:
                return f"{where} was carried over, yet {replay.where(commits[0])} names it"
            continue
        if len(commits) != 1:
            return f"{where}: {len(commits)} COMMIT transactions name it, expected one"
        commit = commits[0]
        if commit.fund != fund_id:
            slug = replay.slugs.get(fund_id)
            return f"{where} belongs to fund {slug}, not its {replay.where(commit)}"
        if commit.reference != reference:
            return f"{where}: its {replay.where(commit)} cites decision {commit.reference}"
        if initiative_fund != fund_id:
            return f"{where}: its initiative id {initiative_id} belongs to another fund"
    for commits in by_grant.values():
        return f"{replay.where(commits[0])} names grant id {commits[0].grant}, which is missing"
    return None


def grants_against_decisions_recorded(replay):
    """Each granted decision was recorded on its initiative with an audit row
    (append-only) citing the decision: the grant citing that decision belongs to that
    initiative — a grant re-pointed to another initiative is found here."""
    grants = {
        reference: (pk, initiative_id)
        for pk, reference, initiative_id in Grant.objects.filter(
            carried_from__isnull=True
        ).values_list("pk", "decision_reference", "initiative_id")
    }
    entries = (
        AuditEntry.objects.filter(action="fonds.initiative.decision_granted")
        .order_by("pk")
        .values_list("pk", "target_id", KT("data__reference"))
    )
    for pk, initiative_id, reference in entries.iterator(BATCH):
        # A decision recorded without a grant is the council's check to make: votes
        # knows whether it granted money (``votes.verify``).
        grant, granted_to = grants.get(reference, (None, None))
        if grant is not None and str(granted_to) != initiative_id:
            return (
                f"grant id {grant} (decision {reference}) belongs to initiative id "
                f"{granted_to}; audit entry id {pk} records that decision for initiative id "
                f"{initiative_id}"
            )
    return None


def carry_overs_paired(replay):
    """Each CARRY_IN names a CARRY_OUT of the same amount, in the fund whose closing
    names the CARRY_IN's fund as the next period's; each CARRY_OUT has one CARRY_IN; a
    carried grant continues, under the same decision and for the same initiative, the
    grant its CARRY_OUT emptied; each closing's figures are what its entries moved."""
    outs = {carry.transaction: carry for carry in replay.carries if carry.kind == Kind.CARRY_OUT}
    closings = {
        fund_id: (next_fund, carried, unspent)
        for fund_id, next_fund, carried, unspent in FundClosing.objects.values_list(
            "fund_id", "next_fund_id", "carried_grants", "unspent"
        )
    }
    grants = {
        pk: (carried_from, initiative, reference)
        for pk, carried_from, initiative, reference in Grant.objects.values_list(
            "pk", "carried_from_id", "initiative_id", "decision_reference"
        )
    }
    carried_in = set()
    for carry in replay.carries:
        if carry.kind != Kind.CARRY_IN:
            continue
        where = f"CARRY_IN transaction id {carry.transaction} (fund {replay.slugs[carry.fund]})"
        out = outs.get(carry.pair)
        if out is None or out.amount != carry.amount or carry.pair in carried_in:
            return f"{where} does not continue a CARRY_OUT of the same amount"
        carried_in.add(carry.pair)
        if closings.get(out.fund, (None,))[0] != carry.fund:
            return f"{where}: the closing of fund {replay.slugs[out.fund]} names another fund"
        if (out.grant is None) != (carry.grant is None):
            return f"{where} and its CARRY_OUT do not both carry a grant"
        if carry.grant is not None:
            carried_from, initiative, reference = grants.get(carry.grant, (None, None, None))
            origin = grants.get(out.grant, (None, None, None))
            if carried_from != out.grant or (initiative, reference) != origin[1:]:
                return f"{where}: grant id {carry.grant} does not continue grant id {out.grant}"
    for out in outs.values():
        if out.transaction not in carried_in:
            return f"CARRY_OUT transaction id {out.transaction} has no CARRY_IN"
    for fund_id, (_next, carried, unspent) in closings.items():
        moved = replay.closing_moves.get(fund_id, {})
        if (moved.get("grants", 0), moved.get("unspent", 0)) != (carried, unspent):
            return f"the closing of fund {replay.slugs.get(fund_id)} differs from its entries"
    for fund_id in replay.closing_moves:
        if fund_id not in closings:
            return f"fund {replay.slugs[fund_id]} has closing entries but no closing"
    return None


LEDGER_CHECKS = (
    audit_log_heads,
    grants_against_commits,
    grants_against_decisions_recorded,
    carry_overs_paired,
)


def verify_ledger(*, registered=True):
    """Replay every chain and balance, then run the ledger's cross-checks and, unless
    ``registered`` is False, those other apps registered (decisions, minutes). Stops at
    the first discrepancy and names its row. ``registered=False`` suits a ledger
    exercised on its own, whose commits cite no council decision."""
    report, replay = replay_ledger()
    if not report.ok:
        return report
    checks = LEDGER_CHECKS + (tuple(_registered) if registered else ())
    for check in checks:
        error = check(replay)
        if error:
            report.error = error
            return report
        report.checks.append(check.__name__)
    return report
