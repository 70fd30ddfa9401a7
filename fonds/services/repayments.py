"""Asking a carrier to pay money back: a bilan refused after payment, an action
cancelled. The request (amount, due date, reason) is told to the carrier; each
repayment received against it is a REPAYMENT of the ledger (``ledger_repay``)."""

import datetime

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.errors import DomainError, PermissionDenied
from accounts.system import is_system
from fonds.ledger import paid_on
from fonds.models import LedgerAccount, RepaymentRequest
from fonds.money import euros, parse_amount
from fonds.notifications import notify_author
from fonds.predicates import is_instructor_for

from .reports import _clean_text

MAX_REASON = 2000
Status = RepaymentRequest.Status


def _require_officer(actor, grant):
    if not (is_system(actor) or is_instructor_for(actor, grant.initiative)):
        raise PermissionDenied()


def still_asked(grant):
    """What the grant's open requests still wait for."""
    total = RepaymentRequest.objects.filter(grant=grant, status=Status.OPEN).aggregate(
        total=Sum(F("amount") - F("repaid"))
    )["total"]
    return total or 0


def repayment_room(grant):
    """What may still be asked back on ``grant``: paid and neither repaid nor already
    asked by a request still waiting."""
    return paid_on(grant) - still_asked(grant)


def over_room_message(room):
    return _(
        "Le montant dépasse ce qui a été versé et n'est ni remboursé ni déjà demandé : %(room)s."
    ) % {"room": euros(max(room, 0))}


def repayment_request_create(*, actor, grant, amount, due_on, reason):
    """An instructor of the quartier asks the carrier to pay back ``amount`` by
    ``due_on``, saying why. At most what the grant paid and was not paid back nor
    already asked; the carrier is told."""
    _require_officer(actor, grant)
    errors = {}
    reason = _clean_text(
        errors,
        "reason",
        reason,
        maximum=MAX_REASON,
        required_message=_("Indiquez le motif de la demande : le porteur le lira."),
    )
    try:
        amount = parse_amount(amount)
    except DomainError as error:
        errors["amount"] = [error.message]
    if not isinstance(due_on, datetime.date):
        errors["due_on"] = [_("Indiquez la date limite du remboursement.")]
    elif due_on < timezone.localdate():
        errors["due_on"] = [_("La date limite ne peut être passée.")]
    if errors:
        raise DomainError(next(iter(errors.values()))[0], errors=errors)
    with transaction.atomic():
        # The grant's committed account, as repayments take it: requests of one grant queue.
        LedgerAccount.objects.select_for_update().get(grant=grant)
        room = repayment_room(grant)
        if amount > room:
            message = over_room_message(room)
            raise DomainError(message, errors={"amount": [message]})
        request = RepaymentRequest.objects.create(
            grant=grant,
            amount=amount,
            due_on=due_on,
            reason=reason,
            requested_by=actor if actor is not None and actor.is_authenticated else None,
        )
        initiative = grant.initiative
        audit_record(
            actor=actor,
            action="fonds.repayment.request",
            target=initiative,
            data={
                "request": request.pk,
                "amount": str(amount),
                "due_on": due_on.isoformat(),
                "reference": grant.decision_reference,
                "reason": reason,
            },
        )
        notify_author(
            initiative,
            "repayment_asked",
            reason=reason,
            amount=str(amount),
            due_on=due_on.isoformat(),
        )
    return request


def repayment_request_cancel(*, actor, request, reason):
    """An instructor withdraws a request still waiting (the carrier is told why); what
    was already repaid against it stays in the ledger."""
    grant = request.grant
    _require_officer(actor, grant)
    errors = {}
    reason = _clean_text(
        errors,
        "reason",
        reason,
        maximum=MAX_REASON,
        required_message=_("Indiquez pourquoi la demande est annulée : le porteur le lira."),
    )
    if errors:
        raise DomainError(errors["reason"][0], errors=errors)
    with transaction.atomic():
        held = RepaymentRequest.objects.select_for_update().get(pk=request.pk)
        if held.status != Status.OPEN:
            raise DomainError(_("Cette demande de remboursement n'est plus en attente."))
        held.status = Status.CANCELLED
        held.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="fonds.repayment.cancel",
            target=grant.initiative,
            data={"request": held.pk, "amount": str(held.amount), "reason": reason},
        )
        notify_author(grant.initiative, "repayment_cancelled", reason=reason)
    return held
