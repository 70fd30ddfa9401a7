"""The append-only audit log. Service functions call ``audit_record`` inside their own
``transaction.atomic()`` block, so the log and the change commit or roll back together.

A row the system wrote (``accounts.system``) has no actor and carries the system's label
under ``SYSTEM_KEY`` in its data; a row with neither was written for nobody in
particular (an anonymous visitor)."""

from django.db import transaction

from .models import AuditEntry
from .system import is_system

# The key of an audit row's data that names the command or task the system acted for.
SYSTEM_KEY = "system"


def audit_record(*, actor, action, target, data=None):
    """Write one audit row for ``action`` (a dotted code such as
    ``accounts.profile.update``) on ``target``. Refuses to run outside a transaction:
    an audit row that could survive a rolled-back change would lie."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside transaction.atomic().")
    data = dict(data or {})
    if SYSTEM_KEY in data:
        raise ValueError(f"{SYSTEM_KEY!r} is reserved in audit data.")
    if is_system(actor):
        data[SYSTEM_KEY] = actor.label
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        data=data,
    )


def audit_by_system(entry):
    """True if the system wrote ``entry`` (not a person, and not a missing actor)."""
    return entry.actor_id is None and SYSTEM_KEY in (entry.data or {})


def audit_entries_for(target):
    return AuditEntry.objects.filter(
        target_type=target._meta.label_lower, target_id=str(target.pk)
    ).select_related("actor")
