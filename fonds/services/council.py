"""How a council's work moves an initiative on. Called by the services of `votes`, which
check the council's rules and the actor's right; `fonds` knows a decision only by the
reference it is given."""

from django.db import transaction
from django.urls import reverse

from accounts.audit import audit_record
from accounts.notifications import absolute
from fonds.models import Initiative
from fonds.notifications import notify_author

Status = Initiative.Status


class InitiativeNotReady(Exception):
    """The initiative is not in the state the council step expects."""


def _move(initiative, *, actor, allowed_from, to, action, data, notify=None):
    locked = Initiative.objects.select_for_update().get(pk=initiative.pk)
    if locked.status not in allowed_from:
        raise InitiativeNotReady(locked.status)
    previous = locked.status
    locked.status = to
    locked.save(update_fields=["status", "updated_at"])
    audit_record(actor=actor, action=action, target=locked, data={"from": previous, **data})
    if notify:
        extra = {key: data[key] for key in ("reference", "amount") if key in data}
        if "reference" in extra and notify != "decision_deferred":
            extra["decision_link"] = absolute(reverse("decision_detail", args=[data["reference"]]))
        notify_author(locked, notify, data.get("reason", ""), **extra)
    initiative.status = to
    return locked


def initiative_put_on_agenda(*, actor, initiative, session_label):
    with transaction.atomic():
        return _move(
            initiative,
            actor=actor,
            allowed_from=(Status.ADMISSIBLE,),
            to=Status.ON_AGENDA,
            action="fonds.initiative.on_agenda",
            data={"session": session_label},
        )


def initiative_take_off_agenda(*, actor, initiative, reason):
    with transaction.atomic():
        return _move(
            initiative,
            actor=actor,
            allowed_from=(Status.ON_AGENDA,),
            to=Status.ADMISSIBLE,
            action="fonds.initiative.off_agenda",
            data={"reason": reason},
        )


def initiative_record_decision(*, actor, initiative, outcome, reference, amount=None):
    """A published decision: granted, refused, or deferred (back to admissible, ready
    for a later agenda). The author is told."""
    to = {"granted": Status.GRANTED, "refused": Status.REFUSED, "deferred": Status.ADMISSIBLE}[
        outcome
    ]
    data = {"reference": reference, "outcome": outcome}
    if amount is not None:
        data["amount"] = str(amount)
    with transaction.atomic():
        return _move(
            initiative,
            actor=actor,
            allowed_from=(Status.ON_AGENDA,),
            to=to,
            action=f"fonds.initiative.decision_{outcome}",
            data=data,
            notify=f"decision_{outcome}",
        )
