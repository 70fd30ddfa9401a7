"""Named permission predicates. Services check them; views use them to show or hide
actions."""

from .roles import MFA_ROLES, Role


def _roles(user):
    """The (role, quartier_id) pairs a user holds, cached on the user object for the
    length of a request."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_role_pairs", None)
    if cached is None:
        cached = frozenset(user.role_assignments.values_list("role", "quartier_id"))
        user._role_pairs = cached
    return cached


def has_role(user, role, quartier=None):
    """True if the user holds ``role`` — for that quartier when one is given (a
    commune-wide assignment covers every quartier)."""
    pairs = _roles(user)
    if quartier is None:
        return any(r == role for r, _ in pairs)
    quartier_id = getattr(quartier, "pk", quartier)
    return (role, quartier_id) in pairs or (role, None) in pairs


def is_administrator(user):
    return user.is_authenticated and (user.is_superuser or has_role(user, Role.ADMINISTRATOR))


def is_instructor_of(user, quartier):
    return has_role(user, Role.INSTRUCTOR, quartier)


def is_council_member_of(user, quartier):
    return has_role(user, Role.COUNCIL_MEMBER, quartier) or has_role(user, Role.CHAIR, quartier)


def is_chair_of(user, quartier):
    return has_role(user, Role.CHAIR, quartier)


def requires_mfa(user):
    """Staff and council members must protect their account with a second factor."""
    if not user.is_authenticated:
        return False
    return user.is_staff or user.is_superuser or any(r in MFA_ROLES for r, _ in _roles(user))


def has_mfa(user):
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def can_edit_profile(actor, user):
    return actor.is_authenticated and (actor.pk == user.pk or is_administrator(actor))
