"""The « Rôles du personnel » page of the Wagtail admin, for administrators."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from .backoffice import (
    role_grant_view,
    role_invite_view,
    role_revoke_view,
    roles_view,
    staff_invitation_cancel_view,
)
from .predicates import is_administrator


@hooks.register("register_admin_urls")
def register_roles_urls():
    return [
        path("roles/", roles_view, name="accounts_roles"),
        path("roles/attribuer/", role_grant_view, name="accounts_role_grant"),
        path("roles/inviter/", role_invite_view, name="accounts_role_invite"),
        path("roles/<id:pk>/retirer/", role_revoke_view, name="accounts_role_revoke"),
        path(
            "roles/invitations/<id:pk>/annuler/",
            staff_invitation_cancel_view,
            name="accounts_staff_invitation_cancel",
        ),
    ]


class AdministratorsMenuItem(MenuItem):
    def is_shown(self, request):
        return is_administrator(request.user)


@hooks.register("register_admin_menu_item")
def register_roles_menu_item():
    return AdministratorsMenuItem(
        _("Rôles du personnel"),
        reverse("accounts_roles"),
        name="roles-du-personnel",
        icon_name="user",
        order=230,
    )
