"""The roles of the platform. Each role is a Django group (what the person may do) and,
for roles tied to a place, a per-quartier scope (where they may do it)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RESIDENT = "resident", _("Habitant·e")
    INSTRUCTOR = "instructor", _("Agent instructeur")
    COUNCIL_MEMBER = "council_member", _("Membre de conseil")
    CHAIR = "chair", _("Maire de quartier")
    ADMINISTRATOR = "administrator", _("Administrateur")


# Group name of each role, as staff see it in the Wagtail admin.
GROUP_NAMES = {
    Role.RESIDENT: "Habitants",
    Role.INSTRUCTOR: "Agents instructeurs",
    Role.COUNCIL_MEMBER: "Membres de conseil",
    Role.CHAIR: "Maires de quartier",
    Role.ADMINISTRATOR: "Administrateurs",
}

# Roles whose holders work on dossiers and must use multi-factor authentication.
MFA_ROLES = frozenset({Role.INSTRUCTOR, Role.COUNCIL_MEMBER, Role.CHAIR, Role.ADMINISTRATOR})

# Roles that reach the Wagtail admin (/cms/).
ADMIN_ROLES = frozenset({Role.INSTRUCTOR, Role.ADMINISTRATOR})

# Roles granted by a role assignment. Council seats (member, chair) are mandates.
STAFF_ROLES = ADMIN_ROLES

# Django permissions each role's group holds. None: reaching the admin follows from a
# role in force (accounts.backends), so that a group never outlives the role.
GROUP_PERMISSIONS = {}


def group_for_role(role, *, group_model=None, permission_model=None):
    """The group of ``role`` with its permissions, created if missing. Takes the
    historical models when called from a migration."""
    if group_model is None:
        from django.contrib.auth.models import Group as group_model
        from django.contrib.auth.models import Permission as permission_model
    group, _created = group_model.objects.get_or_create(name=GROUP_NAMES[role])
    for code in GROUP_PERMISSIONS.get(role, []):
        app_label, codename = code.split(".")
        permission = permission_model.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if permission is not None:
            group.permissions.add(permission)
    return group
