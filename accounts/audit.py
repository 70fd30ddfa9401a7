"""The append-only audit log. Service functions call ``audit_record`` inside their own
``transaction.atomic()`` block, so the log and the change commit or roll back together."""

from django.db import transaction

from .models import AuditEntry


def audit_record(*, actor, action, target, data=None):
    """Write one audit row for ``action`` (a dotted code such as
    ``accounts.profile.update``) on ``target``. Refuses to run outside a transaction:
    an audit row that could survive a rolled-back change would lie."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside transaction.atomic().")
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        data=data or {},
    )


def audit_entries_for(target):
    return AuditEntry.objects.filter(
        target_type=target._meta.label_lower, target_id=str(target.pk)
    ).select_related("actor")
