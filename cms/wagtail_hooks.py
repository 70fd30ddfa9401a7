"""Editors may reshape the site, but not break its stable addresses: the home page at /
and the list of decisions at /decisions/ cannot be deleted, moved or unpublished."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from wagtail import hooks

from .models import DecisionIndexPage, HomePage

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
