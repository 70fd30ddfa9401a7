"""Named permission predicates. Services check them; views use them to show or hide
actions.

Where rights come from, read here and nowhere else: staff rights from a role
assignment in force today (``RoleAssignment.objects.in_force``), council rights from a
mandate in office today (the user's ``mandates``, held by ``votes.Mandate``, named here
through the relation so that accounts imports no other app). Both end on their last
day without anyone acting."""

from .periods import in_force
from .roles import MFA_ROLES, Role


def _signed_in(user):
    """A person logged in. ``None`` (no actor at all) and the system
    (``accounts.system``) are not: they hold no right through these predicates."""
    return user is not None and user.is_authenticated


def _roles(user):
    """The (role, quartier_id) pairs of the staff roles a user holds today, cached on
    the user object for the length of a request."""
    if not _signed_in(user):
        return frozenset()
    cached = getattr(user, "_role_pairs", None)
    if cached is None:
        cached = frozenset(user.role_assignments.in_force().values_list("role", "quartier_id"))
        user._role_pairs = cached
    return cached


def council_seats(user):
    """The (quartier_id, mandate role) pairs of the council seats a user holds today,
    cached on the user object for the length of a request."""
    if not _signed_in(user):
        return frozenset()
    cached = getattr(user, "_council_seats", None)
    if cached is None:
        cached = frozenset(
            user.mandates.filter(in_force()).values_list("council__quartier_id", "role")
        )
        user._council_seats = cached
    return cached


def forget_rights(user):
    """Drop what the predicates cached on ``user`` (after a grant or an end)."""
    for name in ("_role_pairs", "_council_seats", "_mandates"):
        user.__dict__.pop(name, None)


def has_role(user, role, quartier=None):
    """True if the user holds ``role`` — for that quartier when one is given (a
    commune-wide assignment covers every quartier)."""
    pairs = _roles(user)
    if quartier is None:
        return any(r == role for r, _ in pairs)
    quartier_id = getattr(quartier, "pk", quartier)
    return (role, quartier_id) in pairs or (role, None) in pairs


def is_administrator(user):
    return _signed_in(user) and (user.is_superuser or has_role(user, Role.ADMINISTRATOR))


def is_instructor_of(user, quartier):
    return has_role(user, Role.INSTRUCTOR, quartier)


def is_council_member_of(user, quartier):
    """A seat in office today on the quartier's council, ex officio included."""
    quartier_id = getattr(quartier, "pk", quartier)
    return any(q == quartier_id for q, _role in council_seats(user))


def is_voting_council_member_of(user, quartier):
    """A seat in office today on the quartier's council with a deliberative vote (not
    ex officio, ``votes.Mandate.Role.EX_OFFICIO``)."""
    quartier_id = getattr(quartier, "pk", quartier)
    return any(q == quartier_id and role != "ex_officio" for q, role in council_seats(user))


def requires_mfa(user):
    """Staff and council members must protect their account with a second factor."""
    if not user.is_authenticated:
        return False
    return (
        user.is_staff
        or user.is_superuser
        or any(r in MFA_ROLES for r, _ in _roles(user))
        or bool(council_seats(user))
    )


def has_mfa(user):
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def can_edit_profile(actor, user):
    return actor.is_authenticated and (actor.pk == user.pk or is_administrator(actor))
