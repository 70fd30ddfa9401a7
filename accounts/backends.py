"""Reaching the Wagtail admin follows from a staff role in force today, never from a
group that could outlive it."""

from .predicates import has_role, is_administrator
from .roles import ADMIN_ROLES

ADMIN_ACCESS = "wagtailadmin.access_admin"


class RightsBackend:
    """Answers the admin-access permission from the roles in force; authenticates
    nobody (the other backends do)."""

    def authenticate(self, request, **credentials):
        return None

    def get_user(self, user_id):
        return None

    def has_perm(self, user, perm, obj=None):
        if perm != ADMIN_ACCESS or not user.is_active:
            return False
        return is_administrator(user) or any(has_role(user, role) for role in ADMIN_ROLES)
