"""The « Conseils » of the Wagtail admin: each quartier's council, its rules and its
composition (votes.backoffice)."""

from wagtail import hooks

from votes import planning_admin
from votes.backoffice.councils import CouncilViewSet, register_policies

# Before the viewset is registered: Wagtail would otherwise fall back to Django model
# permissions for councils.
register_policies()


@hooks.register("register_admin_viewset")
def register_council_viewset():
    return CouncilViewSet()


# The sessions of the councils an instructor or administrator prepares, linking to the
# planning pages of the council space (votes.views.planning).
hooks.register("register_admin_urls", planning_admin.register_admin_urls)
hooks.register("register_admin_menu_item", planning_admin.register_menu_item)
