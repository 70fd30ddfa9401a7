"""When a right is in force: the one rule for council mandates and staff roles alike.
A right runs from its first day to its last day inclusive; with no last day, it runs
until it is ended."""

from django.db.models import Q
from django.utils import timezone


def in_force(day=None, prefix=""):
    """A ``Q`` for rows whose ``starts_on``/``ends_on`` period covers ``day`` (today
    by default, in the commune's time zone)."""
    day = day or timezone.localdate()
    return Q(**{f"{prefix}starts_on__lte": day}) & (
        Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gte": day})
    )
