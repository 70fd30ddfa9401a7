"""Who reaches the back-office pages, and which quartiers each person sees there."""

from django.utils.translation import gettext as _

from accounts.backoffice import admin_forbidden
from accounts.predicates import has_role, is_administrator, is_instructor_of
from accounts.roles import Role
from fonds.models import Quartier

ALL_QUARTIERS = None


def backoffice_quartier_ids(user):
    """The ids of the quartiers whose dossiers ``user`` handles in the back-office:
    ``ALL_QUARTIERS`` (None) for administrators and commune-wide instructors, else a
    set, empty for anyone else."""
    if not user.is_authenticated:
        return set()
    if is_administrator(user):
        return ALL_QUARTIERS
    ids = set(
        user.role_assignments.in_force()
        .filter(role=Role.INSTRUCTOR)
        .values_list("quartier_id", flat=True)
    )
    return ALL_QUARTIERS if None in ids else ids


def backoffice_quartiers(ids):
    """The quartiers of ``backoffice_quartier_ids``, by name."""
    quartiers = Quartier.objects.order_by("name")
    return quartiers if ids is ALL_QUARTIERS else quartiers.filter(pk__in=ids)


def can_use_backoffice(user):
    """Shows the menu item and opens the queue: instructors and administrators."""
    return is_administrator(user) or has_role(user, Role.INSTRUCTOR)


def can_open_dossier(user, initiative):
    """Reads a whole dossier in the back-office: an instructor of its quartier (even
    the author, who may read but never instruct it) or an administrator."""
    return is_administrator(user) or is_instructor_of(user, initiative.fund.quartier_id)


def forbidden(request, message=None):
    """The admin's 403 page, for a dossier of another quartier by default."""
    return admin_forbidden(
        request, message or _("Ce dossier relève d'un autre quartier que les vôtres.")
    )
