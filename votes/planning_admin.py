"""« Séances des conseils » in the Wagtail admin: for instructors and administrators, the
sessions of the councils they prepare, with links to plan a session and to each
session's planning page in the council space (one set of planning pages, made for a
phone as well as a desk).

Wagtail loads only ``votes/wagtail_hooks.py``; it registers the two hook functions
below::

    from votes import planning_admin

    hooks.register("register_admin_urls", planning_admin.register_admin_urls)
    hooks.register("register_admin_menu_item", planning_admin.register_menu_item)
"""

from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.menu import MenuItem

from accounts.backoffice import admin_forbidden
from accounts.predicates import has_role, is_administrator
from accounts.roles import Role
from votes.selectors import councils_to_prepare, sessions_of

URL_NAME = "votes_planning_sessions"


def may_see_menu_item(user):
    """Staff who prepare sessions: instructors and administrators (the chairs plan
    theirs from the council space). The list itself shows only their councils."""
    return is_administrator(user) or has_role(user, Role.INSTRUCTOR)


def sessions_view(request):
    councils = councils_to_prepare(request.user)
    if not councils:
        return admin_forbidden(request, _("Vous ne préparez les séances d'aucun conseil."))
    return TemplateResponse(
        request,
        "votes/planning/admin_sessions.html",
        {"councils": councils, "sessions": sessions_of(councils)},
    )


class PlanningMenuItem(MenuItem):
    def is_shown(self, request):
        return may_see_menu_item(request.user)


def register_admin_urls():
    """For the ``register_admin_urls`` hook."""
    return [path("seances/", sessions_view, name=URL_NAME)]


def register_menu_item():
    """For the ``register_admin_menu_item`` hook."""
    return PlanningMenuItem(
        gettext_lazy("Séances des conseils"),
        reverse(URL_NAME),
        name="seances-des-conseils",
        icon_name="calendar",
        order=160,
    )
