"""The end of a fund's period. Every grant still committed goes on in the next period's
fund of the same quartier (a CARRY_OUT in the closing fund's chain and its CARRY_IN in
the next one's, through the carry-over account, the second naming the first); the
unspent envelope returns to the commune's budget (RETURN) or goes on too; then the
closing is written, after which PostgreSQL refuses any new entry in the closed fund."""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.dbutils import constraint_violated
from accounts.errors import PermissionDenied
from accounts.predicates import is_administrator
from accounts.system import is_system

from .ledger import (
    Account,
    Kind,
    LedgerError,
    _check_key,
    _post,
    available_account,
    budget_account,
    carry_over_account,
)
from .models import Fund, FundClosing, Grant, LedgerAccount

Envelope = FundClosing.Envelope
MAX_REASON = 2000


def next_funds(fund):
    """The funds a closing may carry over into: the same quartier's, for a later period,
    not closed."""
    return (
        Fund.objects.filter(quartier_id=fund.quartier_id, period_start__gt=fund.period_end)
        .exclude(closing__isnull=False)
        .order_by("period_start", "pk")
    )


def closing_preview(fund):
    """What a closing would move: the grants still committed (with their balances) and
    the unspent envelope."""
    committed = list(
        LedgerAccount.objects.filter(grant__fund=fund, balance__gt=0)
        .select_related("grant__initiative")
        .order_by("grant__created_at", "pk")
    )
    available = (
        LedgerAccount.objects.filter(kind=Account.FUND_AVAILABLE, fund=fund)
        .values_list("balance", flat=True)
        .first()
    ) or Decimal("0.00")
    return {
        "grants": [(account.grant, account.balance) for account in committed],
        "carried": sum((account.balance for account in committed), Decimal("0.00")),
        "unspent": available,
    }


def _check(fund, next_fund, envelope, reason):
    if FundClosing.objects.filter(fund=fund).exists():
        raise LedgerError(_("La période de ce fonds est déjà close."), code="closed")
    errors = {}
    if envelope not in Envelope.values:
        errors["envelope"] = [_("Choisissez ce que devient l'enveloppe non dépensée.")]
    if not reason:
        errors["reason"] = [_("Indiquez le motif de la clôture : il est publié avec elle.")]
    elif len(reason) > MAX_REASON:
        errors["reason"] = [
            _("Le motif tient en %(max)d caractères au plus.") % {"max": MAX_REASON}
        ]
    if next_fund is not None:
        if next_fund.pk == fund.pk or next_fund.quartier_id != fund.quartier_id:
            errors["next_fund"] = [_("Les reports vont au fonds du même quartier.")]
        elif next_fund.period_start <= fund.period_end:
            errors["next_fund"] = [
                _("Le fonds qui reçoit les reports couvre une période qui suit celle-ci.")
            ]
        elif FundClosing.objects.filter(fund=next_fund).exists():
            errors["next_fund"] = [_("Le fonds qui recevrait les reports est déjà clos.")]
    if errors:
        raise LedgerError(_("La clôture n'est pas enregistrée."), errors=errors)


def _carry(*, actor, fund, next_fund, amount, source, target, key, grant, new_grant, reference):
    """A CARRY_OUT from ``source`` in ``fund`` and its CARRY_IN into ``target`` in
    ``next_fund``: one pair, through the carry-over account."""
    transit = carry_over_account()
    out = _post(
        actor=actor,
        fund=fund,
        kind=Kind.CARRY_OUT,
        amount=amount,
        source=source,
        target=transit,
        key=f"{key}-out",
        grant=grant,
        reference=reference,
        audit_action="fonds.ledger.carry_out",
    )
    _post(
        actor=actor,
        fund=next_fund,
        kind=Kind.CARRY_IN,
        amount=amount,
        source=transit,
        target=target,
        key=f"{key}-in",
        grant=new_grant,
        reference=reference,
        pair=out,
        audit_action="fonds.ledger.carry_in",
    )


def fund_close(*, actor, fund, next_fund, envelope, reason, idempotency_key):
    """Close ``fund``'s period. Administrators; ``next_fund`` is required when anything
    is still committed or when the envelope is carried over. Returns the FundClosing."""
    if not (is_system(actor) or is_administrator(actor)):
        raise PermissionDenied()
    key = _check_key(idempotency_key)
    reason = (reason or "").strip()
    existing = FundClosing.objects.filter(idempotency_key=key).first()
    if existing is not None:
        same = (existing.fund_id, existing.next_fund_id, existing.envelope) == (
            fund.pk,
            next_fund.pk if next_fund is not None else None,
            envelope,
        )
        if not same:
            raise LedgerError(
                _("Cette clé d'idempotence a déjà servi pour une autre opération."),
                code="key_reused",
            )
        return existing
    try:
        with transaction.atomic():
            return _close(actor, fund, next_fund, envelope, reason, key)
    except IntegrityError as error:
        twin = FundClosing.objects.filter(idempotency_key=key).first()
        if twin is not None and twin.fund_id == fund.pk:
            return twin
        if constraint_violated(error, "fonds_fundclosing_fund_id_key") or (
            FundClosing.objects.filter(fund=fund).exists()
        ):
            raise LedgerError(_("La période de ce fonds est déjà close."), code="closed") from None
        raise


def _close(actor, fund, next_fund, envelope, reason, key):
    # The funds first (in id order, without blocking the postings' key checks), then
    # every account of the closing fund and the next fund's chain head, in id order as
    # each posting takes them: concurrent postings wait, nothing deadlocks.
    funds = [fund.pk] + ([next_fund.pk] if next_fund else [])
    list(Fund.objects.select_for_update(no_key=True).filter(pk__in=funds).order_by("pk"))
    _check(fund, next_fund, envelope, reason)
    heads = [available_account(fund).pk] + ([available_account(next_fund).pk] if next_fund else [])
    grants = LedgerAccount.objects.filter(grant__fund=fund).values_list("pk", flat=True)
    ids = sorted({*heads, *grants})
    list(LedgerAccount.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    preview = closing_preview(fund)
    carries_envelope = envelope == Envelope.CARRY and preview["unspent"] > 0
    if next_fund is None and (preview["grants"] or carries_envelope):
        raise LedgerError(
            _("La clôture n'est pas enregistrée."),
            errors={
                "next_fund": [
                    _(
                        "Des subventions restent engagées ou l'enveloppe est reportée : "
                        "choisissez le fonds de la période suivante."
                    )
                ]
            },
        )
    for grant, balance in preview["grants"]:
        carried = Grant.objects.create(
            initiative=grant.initiative,
            fund=next_fund,
            decision_reference=grant.decision_reference,
            carried_from=grant,
        )
        account = LedgerAccount.objects.create(kind=Account.GRANT_COMMITTED, grant=carried)
        _carry(
            actor=actor,
            fund=fund,
            next_fund=next_fund,
            amount=balance,
            source=grant.account,
            target=account,
            key=f"{key}-grant-{grant.pk}",
            grant=grant,
            new_grant=carried,
            reference=grant.decision_reference,
        )
    reference = _("Clôture %(fund)s") % {"fund": fund.slug}
    if preview["unspent"] > 0 and carries_envelope:
        _carry(
            actor=actor,
            fund=fund,
            next_fund=next_fund,
            amount=preview["unspent"],
            source=available_account(fund),
            target=available_account(next_fund),
            key=f"{key}-envelope",
            grant=None,
            new_grant=None,
            reference=reference[:100],
        )
    elif preview["unspent"] > 0:
        _post(
            actor=actor,
            fund=fund,
            kind=Kind.RETURN,
            amount=preview["unspent"],
            source=available_account(fund),
            target=budget_account(),
            key=f"{key}-return",
            reference=reference[:100],
            memo=reason[:300],
            audit_action="fonds.ledger.return",
        )
    closing = FundClosing.objects.create(
        fund=fund,
        next_fund=next_fund,
        envelope=envelope,
        reason=reason,
        carried_grants=preview["carried"],
        unspent=preview["unspent"],
        actor=actor if actor is not None and actor.is_authenticated else None,
        idempotency_key=key,
        closed_at=timezone.now(),
    )
    fund.status = Fund.Status.CLOSED
    fund.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action="fonds.fund.close",
        target=fund,
        data={
            "next_fund": next_fund.pk if next_fund else None,
            "envelope": envelope,
            "carried": str(preview["carried"]),
            "unspent": str(preview["unspent"]),
            "grants": len(preview["grants"]),
            "reason": reason,
        },
    )
    return closing
