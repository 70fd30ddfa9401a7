"""Who may do what in a council. Mandates (not only role groups) decide: a person acts
on a council while a mandate of theirs on it is in office."""

from django.utils import timezone

from accounts.predicates import is_administrator, is_instructor_of

from .models import Mandate


def _mandate(user, council, on=None):
    if not user.is_authenticated:
        return None
    cache = user.__dict__.setdefault("_mandates", {})
    key = (council.pk, on)
    if key not in cache:
        cache[key] = (
            Mandate.objects.in_office(on or timezone.localdate())
            .filter(council=council, user=user)
            .order_by("-starts_on")
            .first()
        )
    return cache[key]


def is_member_of(user, council, on=None):
    """Any seat in office, ex officio included: reads dossiers and deliberates."""
    return _mandate(user, council, on) is not None


def is_voting_member_of(user, council, on=None):
    mandate = _mandate(user, council, on)
    return mandate is not None and mandate.role != Mandate.Role.EX_OFFICIO


def is_chair_of_council(user, council, on=None):
    mandate = _mandate(user, council, on)
    return mandate is not None and mandate.role == Mandate.Role.CHAIR


def can_prepare_sessions(user, council):
    """The chair, the quartier's instructors and administrators plan sessions and set
    agendas."""
    return (
        is_chair_of_council(user, council)
        or is_instructor_of(user, council.quartier_id)
        or is_administrator(user)
    )


def can_read_deliberation(user, council):
    """The council's members and the quartier's instructors — never the public."""
    return is_member_of(user, council) or is_instructor_of(user, council.quartier_id)
