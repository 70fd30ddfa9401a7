"""Posting to the ledger. Every movement of money is one function here; each takes the
row locks of the accounts it touches (in ascending id order, so concurrent postings
never deadlock), checks that no fund or grant goes negative, extends the fund's hash
chain, and writes its audit row, all in one transaction. A retried request with the
same idempotency key returns the transaction already written."""

import datetime
import hashlib
import json
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit import audit_record
from accounts.dbutils import constraint_violated
from accounts.errors import DomainError, PermissionDenied
from accounts.predicates import (
    is_administrator,
    is_instructor_of,
    is_voting_council_member_of,
)
from accounts.system import is_system

from .models import (
    FundClosing,
    Grant,
    Initiative,
    LedgerAccount,
    LedgerLeg,
    LedgerTransaction,
    RepaymentRequest,
)
from .money import euros, parse_amount
from .notifications import notify_payment

Kind = LedgerTransaction.Kind
Account = LedgerAccount.Kind
GENESIS = "0" * 64
MAX_KEY = 100
OVER_PAID_MESSAGE = gettext_lazy("Un remboursement ne dépasse jamais ce qui a été versé.")
CLOSED_MESSAGE = gettext_lazy(
    "La période du fonds « %(fund)s » est close : son grand livre ne reçoit plus d'écriture."
)


class LedgerError(DomainError):
    """A posting the ledger's rules refuse."""


# Accounts -----------------------------------------------------------------------------


def _get_or_create_account(**lookup):
    account = LedgerAccount.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return LedgerAccount.objects.create(**lookup)
    except IntegrityError:
        return LedgerAccount.objects.get(**lookup)


def budget_account():
    return _get_or_create_account(kind=Account.BUDGET)


def available_account(fund):
    return _get_or_create_account(kind=Account.FUND_AVAILABLE, fund=fund)


def paid_account(fund):
    return _get_or_create_account(kind=Account.PAID_OUT, fund=fund)


def carry_over_account():
    return _get_or_create_account(kind=Account.CARRY_OVER)


def is_closed(fund):
    return FundClosing.objects.filter(fund=fund).exists()


def _require_open(fund):
    if is_closed(fund):
        raise LedgerError(CLOSED_MESSAGE % {"fund": fund.label}, code="closed")


# Hashing ------------------------------------------------------------------------------


def canonical_content(tx, legs):
    """The bytes a transaction's hash covers: every field that gives it meaning."""
    content = {
        "fund": tx.fund_id,
        "sequence": tx.sequence,
        "kind": tx.kind,
        "amount": f"{tx.amount:.2f}",
        "legs": sorted([leg.account_id, f"{leg.amount:.2f}"] for leg in legs),
        "grant": tx.grant_id,
        "reference": tx.reference,
        "payment_date": tx.payment_date.isoformat() if tx.payment_date else None,
        "memo": tx.memo,
        "reverses": tx.reverses_id,
        "actor": tx.actor_id,
        "key": tx.idempotency_key,
        "created_at": tx.created_at.astimezone(datetime.UTC).isoformat(timespec="microseconds"),
    }
    if tx.pair_id is not None:  # a CARRY_IN names its CARRY_OUT
        content["pair"] = tx.pair_id
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(previous_hash, tx, legs):
    return hashlib.sha256((previous_hash + canonical_content(tx, legs)).encode()).hexdigest()


# Posting ------------------------------------------------------------------------------


def _check_key(key):
    key = (key or "").strip()
    if not key or len(key) > MAX_KEY:
        raise LedgerError(_("Une clé d'idempotence (100 caractères au plus) est requise."))
    return key


def _existing(key, *, fund, kind, amount, **same):
    """The transaction already written with ``key``, if it is this very operation: same
    fund, kind and amount, and the same values for the lookups in ``same`` (grant,
    reference, reversed transaction…). Any other operation under that key is refused."""
    tx = LedgerTransaction.objects.filter(idempotency_key=key).first()
    if tx is not None and not (
        (tx.fund_id, tx.kind, tx.amount) == (fund.pk, kind, amount)
        and (not same or LedgerTransaction.objects.filter(pk=tx.pk, **same).exists())
    ):
        raise LedgerError(
            _("Cette clé d'idempotence a déjà servi pour une autre opération."), code="key_reused"
        )
    return tx


def _shortfall(account, needed):
    if account.kind == Account.FUND_AVAILABLE:
        return _("Le fonds n'a que %(left)s disponibles ; %(needed)s demandés.") % {
            "left": euros(account.balance),
            "needed": euros(needed),
        }
    return _("La subvention n'a plus que %(left)s engagés ; %(needed)s demandés.") % {
        "left": euros(account.balance),
        "needed": euros(needed),
    }


def _post(
    *,
    actor,
    fund,
    kind,
    amount,
    source,
    target,
    key,
    audit_action,
    grant=None,
    reference="",
    payment_date=None,
    memo="",
    reverses=None,
    pair=None,
    also_lock=(),
    guard=None,
    posted=None,
):
    """Move ``amount`` from ``source`` to ``target`` (accounts), as one transaction of
    the fund's chain. Call inside transaction.atomic(). ``also_lock`` are accounts to
    hold with the others (in the same id order) and ``guard()`` runs once they are held,
    before anything is written, to refuse what the held rows forbid. ``posted(tx)`` runs
    for a new transaction only, never for the replay of one already posted."""
    head = available_account(fund)
    ids = sorted({source.pk, target.pk, head.pk, *(account.pk for account in also_lock)})
    locked = {
        a.pk: a for a in LedgerAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    same = {"reference": reference, "reverses": reverses}
    if kind != Kind.COMMIT:  # a commit's grant is new: its decision reference names it
        same["grant"] = grant
    existing = _existing(key, fund=fund, kind=kind, amount=amount, **same)
    if existing is not None:
        return existing
    if reverses is not None and LedgerTransaction.objects.filter(reverses=reverses).exists():
        # Another reversal committed while this one waited for the locks.
        raise LedgerError(_("Cette opération est déjà contre-passée."))
    _require_open(fund)
    if guard is not None:
        guard()
    source, target, head = locked[source.pk], locked[target.pk], locked[head.pk]
    if source.kind != Account.BUDGET and source.balance < amount:
        raise LedgerError(_shortfall(source, amount), code="insufficient")
    tx = LedgerTransaction(
        fund=fund,
        sequence=head.head_sequence + 1,
        kind=kind,
        amount=amount,
        grant=grant,
        reference=reference,
        payment_date=payment_date,
        memo=memo,
        reverses=reverses,
        pair=pair,
        actor=actor if actor is not None and actor.is_authenticated else None,
        idempotency_key=key,
        created_at=timezone.now(),
        previous_hash=head.head_hash,
    )
    legs = [LedgerLeg(account=source, amount=-amount), LedgerLeg(account=target, amount=amount)]
    tx.hash = chain_hash(tx.previous_hash, tx, legs)
    tx.save()
    for leg in legs:
        leg.transaction = tx
    LedgerLeg.objects.bulk_create(legs)
    # PostgreSQL's triggers write the cached balances and the chain head from the rows
    # just inserted; other databases (the demo's SQLite) get them from here.
    source.balance -= amount
    target.balance += amount
    head.head_sequence, head.head_hash = tx.sequence, tx.hash
    if connection.vendor != "postgresql":
        for account in locked.values():
            account.save(update_fields=["balance", "head_sequence", "head_hash"])
    audit_record(
        actor=actor,
        action=audit_action,
        target=tx,
        data={
            "fund": fund.pk,
            "kind": kind,
            "amount": str(amount),
            "reference": reference,
            "hash": tx.hash,
        },
    )
    if posted is not None:
        posted(tx)
    return tx


def _posting(post):
    """Run a posting; a concurrent twin with the same idempotency key that committed
    first makes this one return that twin's transaction."""

    def run(*, idempotency_key, **kwargs):
        key = _check_key(idempotency_key)
        try:
            with transaction.atomic():
                return post(key=key, **kwargs)
        except IntegrityError as error:
            twin = LedgerTransaction.objects.filter(idempotency_key=key).first()
            if twin is not None:
                return twin
            if constraint_violated(error, "grant_one_per_decision"):
                raise LedgerError(_("Cette décision a déjà engagé une subvention.")) from None
            if constraint_violated(error, "ledger_commits_within_request"):
                raise LedgerError(_("Les subventions dépasseraient le montant demandé.")) from None
            if constraint_violated(error, "ledger_fund_closed"):
                raise LedgerError(_("La période de ce fonds est close.")) from None
            if constraint_violated(error, "ledger_repayments_within_payments"):
                raise LedgerError(OVER_PAID_MESSAGE) from None
            raise

    run.__doc__ = post.__doc__
    run.__name__ = post.__name__
    return run


@_posting
def ledger_credit(*, actor, fund, amount, key, memo=""):
    """CREDIT: the commune's budget line gives the fund its envelope. Administrators."""
    if not (is_system(actor) or is_administrator(actor)):
        raise PermissionDenied()
    amount = parse_amount(amount)
    return _post(
        actor=actor,
        fund=fund,
        kind=Kind.CREDIT,
        amount=amount,
        source=budget_account(),
        target=available_account(fund),
        key=key,
        audit_action="fonds.ledger.credit",
        memo=memo,
    )


@_posting
def ledger_commit(*, actor, initiative, amount, decision_reference, key):
    """COMMIT: a published decision grants ``amount`` to an initiative; the money leaves
    the fund's available account for the grant's committed account. The amount is at
    most the request and at most what the fund has available. Only a voting member in
    office of the quartier's council — the one presiding the item, as `votes` checks
    before it publishes —, an administrator, or the system."""
    fund = initiative.fund
    if not (
        is_system(actor)
        or is_voting_council_member_of(actor, fund.quartier_id)
        or is_administrator(actor)
    ):
        raise PermissionDenied()
    amount = parse_amount(amount)
    if amount > initiative.requested_amount:
        raise LedgerError(
            _("Le montant accordé dépasse le montant demandé (%(asked)s).")
            % {"asked": euros(initiative.requested_amount)}
        )
    reference = (decision_reference or "").strip()
    if not reference:
        raise LedgerError(_("Un engagement cite la décision qui l'autorise."))

    def already_written():
        return _existing(
            key,
            fund=fund,
            kind=Kind.COMMIT,
            amount=amount,
            reference=reference,
            grant__initiative=initiative,
        )

    existing = already_written()
    if existing is not None:
        return existing
    if Grant.objects.filter(decision_reference=reference).exists():
        # A twin request with the same key may have committed since the check above.
        existing = already_written()
        if existing is not None:
            return existing
        raise LedgerError(
            _("La décision %(ref)s a déjà engagé une subvention.") % {"ref": reference}
        )
    grant = Grant.objects.create(initiative=initiative, fund=fund, decision_reference=reference)
    committed = LedgerAccount.objects.create(kind=Account.GRANT_COMMITTED, grant=grant)
    # The initiative's row, then the accounts (in _post): two commits for one initiative
    # queue here, and each sees what the one before it committed (so does PostgreSQL's
    # own check of the same rule).
    asked = (
        Initiative.objects.select_for_update(no_key=True)
        .values_list("requested_amount", flat=True)
        .get(pk=initiative.pk)
    )
    already = committed_to(initiative)
    if already + amount > asked:
        raise LedgerError(
            _(
                "%(already)s sont déjà engagés pour cette initiative ; %(amount)s de plus "
                "dépasseraient le montant demandé (%(asked)s)."
            )
            % {
                "already": euros(already),
                "amount": euros(amount),
                "asked": euros(asked),
            },
            code="over_request",
        )
    return _post(
        actor=actor,
        fund=fund,
        kind=Kind.COMMIT,
        amount=amount,
        source=available_account(fund),
        target=committed,
        key=key,
        grant=grant,
        reference=reference,
        audit_action="fonds.ledger.commit",
    )


def _require_payment_officer(actor, grant):
    """Instructors of the quartier record payments and releases — never for a dossier
    they wrote themselves."""
    initiative = grant.initiative
    if is_system(actor):
        return
    if not is_instructor_of(actor, grant.fund.quartier_id) or initiative.author_id == actor.pk:
        raise PermissionDenied()


@_posting
def ledger_disburse(*, actor, grant, amount, payment_reference, payment_date, key):
    """DISBURSE: a payment to the carrier, with the treasury's payment reference and
    date; from the grant's committed account to the fund's paid-out account."""
    _require_payment_officer(actor, grant)
    amount = parse_amount(amount)
    reference = (payment_reference or "").strip()
    if not reference or len(reference) > 100:
        raise LedgerError(_("Indiquez la référence du paiement (mandat, virement)."))
    if payment_date is None or payment_date > timezone.localdate():
        raise LedgerError(_("La date du paiement est requise et ne peut être dans le futur."))

    def to_a_known_account():
        # Every payment goes to the account the carrier gave (confirmed when changed
        # after the decision); the system alone pays a dossier that never gave one
        # (a history written before the accounts were kept).
        from .services.bank import current_bank_details, payment_account

        if is_system(actor) and current_bank_details(grant.initiative) is None:
            return
        payment_account(grant)

    return _post(
        guard=to_a_known_account,
        actor=actor,
        fund=grant.fund,
        kind=Kind.DISBURSE,
        amount=amount,
        source=grant.account,
        target=paid_account(grant.fund),
        key=key,
        grant=grant,
        reference=reference,
        payment_date=payment_date,
        audit_action="fonds.ledger.disburse",
        posted=notify_payment,
    )


@_posting
def ledger_release(*, actor, grant, amount, key, memo=""):
    """RELEASE: what a grant will not spend returns to the fund's available account."""
    _require_payment_officer(actor, grant)
    amount = parse_amount(amount)
    return _post(
        actor=actor,
        fund=grant.fund,
        kind=Kind.RELEASE,
        amount=amount,
        source=grant.account,
        target=available_account(grant.fund),
        key=key,
        grant=grant,
        reference=grant.decision_reference,
        memo=memo,
        audit_action="fonds.ledger.release",
    )


def paid_on(grant):
    """What ``grant`` has paid its carrier and was not paid back: its payments less its
    repayments, each net of its reversal (the rule PostgreSQL holds: never below zero)."""
    net = Decimal(0)
    movements = LedgerTransaction.objects.filter(grant=grant).select_related("reverses")
    for tx in movements.filter(kind__in=[Kind.DISBURSE, Kind.REPAYMENT, Kind.REVERSAL]):
        kind, sign = tx.kind, 1
        if kind == Kind.REVERSAL:
            kind, sign = tx.reverses.kind, -1
        if kind == Kind.DISBURSE:
            net += sign * tx.amount
        elif kind == Kind.REPAYMENT:
            net -= sign * tx.amount
    return net


@_posting
def ledger_repay(*, actor, grant, amount, payment_reference, payment_date, key, request=None):
    """REPAYMENT: money the carrier paid back returns from the fund's paid-out account to
    its available account; at most what the grant paid and was not paid back, and, for
    a repayment ``request``, at most what it still asks."""
    _require_payment_officer(actor, grant)
    amount = parse_amount(amount)
    reference = (payment_reference or "").strip()
    if not reference or len(reference) > 100:
        raise LedgerError(_("Indiquez la référence de l'encaissement (titre de recette)."))
    if payment_date is None or payment_date > timezone.localdate():
        raise LedgerError(_("La date de l'encaissement est requise et ne peut être dans le futur."))
    if request is not None and request.grant_id != grant.pk:
        raise LedgerError(_("Cette demande de remboursement porte sur une autre subvention."))

    def within_payments():
        # The grant's committed account is held: repayments of one grant queue here.
        paid = paid_on(grant)
        if amount > paid:
            raise LedgerError(
                _(
                    "Le remboursement (%(amount)s) dépasse ce qui a été versé et non remboursé "
                    "sur cette subvention (%(paid)s)."
                )
                % {"amount": euros(amount), "paid": euros(paid)},
                code="over_paid",
            )
        if request is not None:
            held = RepaymentRequest.objects.select_for_update().get(pk=request.pk)
            if held.status != RepaymentRequest.Status.OPEN:
                raise LedgerError(_("Cette demande de remboursement n'est plus en attente."))
            if amount > held.amount - held.repaid:
                raise LedgerError(
                    _("La demande n'attend plus que %(left)s.")
                    % {"left": euros(held.amount - held.repaid)},
                    code="over_request",
                )

    def settle(tx):
        if request is None:
            return
        held = RepaymentRequest.objects.select_for_update().get(pk=request.pk)
        held.repaid += amount
        if held.repaid >= held.amount:
            held.status = RepaymentRequest.Status.SETTLED
        held.save(update_fields=["repaid", "status"])
        request.repaid, request.status = held.repaid, held.status

    return _post(
        actor=actor,
        fund=grant.fund,
        kind=Kind.REPAYMENT,
        amount=amount,
        source=paid_account(grant.fund),
        target=available_account(grant.fund),
        key=key,
        grant=grant,
        reference=reference,
        payment_date=payment_date,
        also_lock=[grant.account],
        guard=within_payments,
        posted=settle,
        audit_action="fonds.ledger.repay",
    )


@_posting
def ledger_reverse(*, actor, original, key, memo=""):
    """REVERSAL: the exact opposite of an earlier transaction (nothing is ever edited).
    Administrators; a transaction is reversed at most once, and a reversal is not
    itself reversed (post the movement again instead)."""
    if not (is_system(actor) or is_administrator(actor)):
        raise PermissionDenied()
    if original.kind == Kind.REVERSAL:
        raise LedgerError(_("Une contre-passation ne se contre-passe pas."))
    if LedgerTransaction.objects.filter(reverses=original).exists():
        existing = _existing(
            key,
            fund=original.fund,
            kind=Kind.REVERSAL,
            amount=original.amount,
            reverses=original,
        )
        if existing is not None:
            return existing
        raise LedgerError(_("Cette opération est déjà contre-passée."))
    if original.kind in (Kind.CARRY_OUT, Kind.CARRY_IN, Kind.RETURN):
        raise LedgerError(_("Les écritures d'une clôture de période ne se contre-passent pas."))
    legs = {leg.amount > 0: leg.account for leg in original.legs.select_related("account")}
    grant = original.grant

    def keeps_repayments_covered():
        if original.kind == Kind.DISBURSE and paid_on(grant) < original.amount:
            raise LedgerError(
                _("Ce paiement est en partie remboursé : contre-passez d'abord le remboursement.")
            )

    return _post(
        also_lock=[grant.account] if original.kind == Kind.DISBURSE else [],
        guard=keeps_repayments_covered,
        actor=actor,
        fund=original.fund,
        kind=Kind.REVERSAL,
        amount=original.amount,
        source=legs[True],
        target=legs[False],
        key=key,
        grant=original.grant,
        reference=original.reference,
        memo=memo,
        reverses=original,
        audit_action="fonds.ledger.reverse",
    )


# Reading ------------------------------------------------------------------------------


def balances_by_fund(fund_ids):
    """Envelope, committed (still to pay), paid and available of each fund, from the
    ledger's accounts in two queries whatever the number of funds: the only source of
    any fund figure."""
    fund_ids = list(fund_ids)
    own = {
        (fund_id, kind): balance
        for fund_id, kind, balance in LedgerAccount.objects.filter(
            fund_id__in=fund_ids, kind__in=[Account.FUND_AVAILABLE, Account.PAID_OUT]
        ).values_list("fund_id", "kind", "balance")
    }
    committed = dict(
        LedgerAccount.objects.filter(grant__fund_id__in=fund_ids)
        .values_list("grant__fund_id")
        .annotate(total=Sum("balance"))
        .values_list("grant__fund_id", "total")
    )
    zero = Decimal("0")
    result = {}
    for fund_id in fund_ids:
        available = own.get((fund_id, Account.FUND_AVAILABLE), zero)
        paid = own.get((fund_id, Account.PAID_OUT), zero)
        still = committed.get(fund_id) or zero
        result[fund_id] = {
            "envelope": available + still + paid,
            "committed": still,
            "paid": paid,
            "available": available,
        }
    return result


def committed_to(initiative):
    """What the commune committed to ``initiative``: its COMMITs less their reversals
    (the rule the database holds: never more than the request)."""
    commits = LedgerTransaction.objects.filter(grant__initiative=initiative, kind=Kind.COMMIT)
    total = commits.aggregate(total=Sum("amount"))["total"] or Decimal(0)
    reversed_ = LedgerTransaction.objects.filter(kind=Kind.REVERSAL, reverses__in=commits)
    return total - (reversed_.aggregate(total=Sum("amount"))["total"] or Decimal(0))


def fund_balances(fund):
    return balances_by_fund([fund.pk])[fund.pk]


def repaid_by_fund(fund_ids):
    """What carriers paid back to each fund, net of reversed repayments."""
    repayments = LedgerTransaction.objects.filter(
        fund_id__in=list(fund_ids), kind=Kind.REPAYMENT, reversed_by__isnull=True
    )
    return dict(
        repayments.values_list("fund_id")
        .annotate(total=Sum("amount"))
        .values_list("fund_id", "total")
    )
