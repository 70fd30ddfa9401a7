from django.db import transaction
from django.utils.translation import gettext as _

from .audit import audit_record
from .errors import DomainError, PermissionDenied
from .models import RoleAssignment, User
from .predicates import can_edit_profile, is_administrator
from .roles import ADMIN_ROLES, Role, group_for_role

PROFILE_FIELDS = ("display_name", "quartier", "language")


def profile_update(*, actor, user, display_name, quartier, language):
    """Change a user's display name, quartier of residence and language. Only the user
    themself or an administrator may; the audit row records what changed."""
    if not can_edit_profile(actor, user):
        raise PermissionDenied()
    display_name = (display_name or "").strip()
    if len(display_name) > 120:
        raise DomainError(_("Le nom affiché ne peut dépasser 120 caractères."))
    if language not in {code for code, _name in User._meta.get_field("language").choices}:
        raise DomainError(_("Cette langue n'est pas proposée."))
    new = {"display_name": display_name, "quartier": quartier, "language": language}
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        changes = {}
        for field in PROFILE_FIELDS:
            before, after = getattr(locked, field), new[field]
            if before != after:
                changes[field] = [_plain(before), _plain(after)]
                setattr(locked, field, after)
        if not changes:
            return locked
        locked.save(update_fields=list(changes))
        audit_record(actor=actor, action="accounts.profile.update", target=locked, data=changes)
    for field in changes:
        setattr(user, field, getattr(locked, field))
    return locked


def _plain(value):
    return getattr(value, "pk", value)


def role_grant(*, actor, user, role, quartier=None):
    """Give ``user`` a role, scoped to ``quartier`` when given. Administrators only
    (``actor=None`` is the system, for data migrations and the demo)."""
    if actor is not None and not is_administrator(actor):
        raise PermissionDenied()
    role = Role(role)
    with transaction.atomic():
        assignment, created = RoleAssignment.objects.get_or_create(
            user=user, role=role, quartier=quartier
        )
        user.groups.add(group_for_role(role))
        fields = []
        if role in ADMIN_ROLES and not user.is_staff:
            user.is_staff = True
            fields.append("is_staff")
        if fields:
            user.save(update_fields=fields)
        if created:
            audit_record(
                actor=actor,
                action="accounts.role.grant",
                target=user,
                data={"role": role.value, "quartier": getattr(quartier, "pk", None)},
            )
    user.__dict__.pop("_role_pairs", None)
    return assignment
