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
