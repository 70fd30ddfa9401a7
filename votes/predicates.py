"""Who may do what in a council. Mandates decide: a person acts on a council while a
mandate of theirs on it is in office (``Mandate.objects.in_office``, the same rule as
``accounts.predicates.council_seats``)."""

from django.utils import timezone

from accounts.predicates import has_role, is_administrator, is_instructor_of
from accounts.roles import Role

from .models import Mandate


def mandate_of(user, council, on=None):
    """The user's mandate on ``council`` in office on that day (today by default)."""
    if not user.is_authenticated:
        return None
    day = on or timezone.localdate()
    cache = user.__dict__.setdefault("_mandates", {})
    key = (council.pk, day)
    if key not in cache:
        cache[key] = (
            Mandate.objects.in_office(day)
            .filter(council=council, user=user)
            .order_by("-starts_on")
            .first()
        )
    return cache[key]


def is_member_of(user, council, on=None):
    """Any seat in office, ex officio included: reads dossiers and deliberates."""
    return mandate_of(user, council, on) is not None


def is_voting_member_of(user, council, on=None):
    mandate = mandate_of(user, council, on)
    return mandate is not None and mandate.role != Mandate.Role.EX_OFFICIO


def is_chair_of_council(user, council, on=None):
    mandate = mandate_of(user, council, on)
    return mandate is not None and mandate.role == Mandate.Role.CHAIR


def is_vice_chair_of_council(user, council, on=None):
    mandate = mandate_of(user, council, on)
    return mandate is not None and mandate.role == Mandate.Role.VICE_CHAIR


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


def can_read_composition(user):
    """Councils and their mandates in the admin: administrators change them,
    instructors read them."""
    return is_administrator(user) or has_role(user, Role.INSTRUCTOR)
