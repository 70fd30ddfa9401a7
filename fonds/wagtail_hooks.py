"""The fonds back-office in the Wagtail admin: the « Dossiers à instruire » menu item
and its pages, and the « Fonds des quartiers » lists for administrators."""

from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from fonds.backoffice import counter, desk
from fonds.backoffice.access import can_use_backoffice
from fonds.backoffice.dossier import dossier_view, instruct_view
from fonds.backoffice.queue import queue_view
from fonds.backoffice.referentials import FondsDesQuartiersGroup, register_policies

# Before the viewsets below are registered: Wagtail would otherwise fall back to
# Django model permissions for these models.
register_policies()


@hooks.register("register_admin_urls")
def register_backoffice_urls():
    return [
        path("dossiers/", queue_view, name="fonds_backoffice_queue"),
        path("guichet/", counter.counter_new, name="fonds_backoffice_counter"),
        path("guichet/<id:pk>/", counter.counter_done, name="fonds_backoffice_counter_done"),
        path(
            "guichet/<id:pk>/recepisse/",
            counter.counter_receipt,
            name="fonds_backoffice_counter_receipt",
        ),
        path("guichet/<id:pk>/code/", counter.counter_code, name="fonds_backoffice_counter_code"),
        path("dossiers/<id:pk>/", dossier_view, name="fonds_backoffice_dossier"),
        path(
            "dossiers/<id:pk>/instruire/<slug:action>/",
            instruct_view,
            name="fonds_backoffice_instruct",
        ),
        path("dossiers/<id:pk>/bilan/", desk.report_review, name="fonds_backoffice_report"),
        path(
            "dossiers/<id:pk>/bilan/<slug:action>/",
            desk.report_decide,
            name="fonds_backoffice_report_decide",
        ),
        path(
            "dossiers/<id:pk>/bilan/photos/<id:document_pk>/masquer/",
            desk.report_photo_hide,
            name="fonds_backoffice_photo_hide",
        ),
        path(
            "dossiers/<id:pk>/compte/confirmer/",
            desk.bank_confirm,
            name="fonds_backoffice_bank_confirm",
        ),
        path("subventions/<id:pk>/paiement/", desk.grant_payment, name="grant_payment"),
        path("subventions/<id:pk>/liberation/", desk.grant_release, name="grant_release"),
        path("subventions/<id:pk>/remboursement/", desk.repayment_ask, name="grant_repayment_ask"),
        path("remboursements/<id:pk>/", desk.repayment_receive, name="repayment_receive"),
        path("remboursements/<id:pk>/annuler/", desk.repayment_cancel, name="repayment_cancel"),
    ]


class BackofficeMenuItem(MenuItem):
    def is_shown(self, request):
        return can_use_backoffice(request.user)


@hooks.register("register_admin_menu_item")
def register_queue_menu_item():
    return BackofficeMenuItem(
        _("Dossiers à instruire"),
        reverse("fonds_backoffice_queue"),
        name="dossiers-a-instruire",
        icon_name="clipboard-list",
        order=150,
    )


class CounterMenuItem(MenuItem):
    def is_shown(self, request):
        return counter.counter_funds(request.user).exists()


@hooks.register("register_admin_menu_item")
def register_counter_menu_item():
    return CounterMenuItem(
        _("Dépôt au guichet"),
        reverse("fonds_backoffice_counter"),
        name="depot-au-guichet",
        icon_name="form",
        order=160,
    )


@hooks.register("register_admin_viewset")
def register_fonds_viewsets():
    return FondsDesQuartiersGroup()


@hooks.register("insert_global_admin_css")
def admin_css():
    return format_html('<link rel="stylesheet" href="{}">', static("css/admin.css"))
