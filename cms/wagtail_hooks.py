"""Editors may reshape the site, but not break its stable addresses: the home page at /
and the list of decisions at /decisions/ cannot be deleted, moved or unpublished.
Administrators find the register of processing (« Registre des traitements ») here."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from accounts.predicates import is_administrator

from .models import DecisionIndexPage, HomePage
from .privacy_views import register_view

STABLE = (HomePage, DecisionIndexPage)


def _refuse(request, page):
    messages.error(
        request,
        _(
            "« %(title)s » porte une adresse stable du site, que d'autres sites citent : "
            "elle ne peut être ni supprimée, ni déplacée, ni dépubliée."
        )
        % {"title": page.title},
    )
    return redirect("wagtailadmin_explore", page.get_parent().id)


@hooks.register("before_delete_page")
def keep_stable_pages_on_delete(request, page):
    if isinstance(page.specific, STABLE):
        return _refuse(request, page)
    return None


@hooks.register("before_move_page")
def keep_stable_pages_on_move(request, page, destination):
    if isinstance(page.specific, STABLE):
        return _refuse(request, page)
    return None


@hooks.register("before_unpublish_page")
def keep_stable_pages_on_unpublish(request, page):
    if isinstance(page.specific, STABLE):
        return _refuse(request, page)
    return None


@hooks.register("register_admin_urls")
def register_privacy_register_url():
    return [path("registre-des-traitements/", register_view, name="cms_privacy_register")]


class AdministratorsMenuItem(MenuItem):
    def is_shown(self, request):
        return is_administrator(request.user)


@hooks.register("register_admin_menu_item")
def register_privacy_register_menu_item():
    return AdministratorsMenuItem(
        gettext_lazy("Registre des traitements"),
        reverse("cms_privacy_register"),
        name="registre-des-traitements",
        icon_name="lock",
        order=240,
    )
