from django.urls import path

from .backoffice import counter
from .views import bank, files, ledger, my_space, public, reports, submission

urlpatterns = [
    path("initiatives/", public.initiative_list, name="initiative_list"),
    path("initiatives/nouvelle/", submission.initiative_new, name="initiative_new"),
    path("initiatives/<id:pk>/", public.initiative_detail, name="initiative_detail"),
    path(
        "initiatives/<id:pk>/modifier/<slug:step>/",
        submission.initiative_edit,
        name="initiative_edit",
    ),
    path(
        "initiatives/<id:pk>/retirer/",
        submission.initiative_withdraw_view,
        name="initiative_withdraw",
    ),
    path(
        "initiatives/<id:pk>/soutenir/",
        public.initiative_support_view,
        name="initiative_support",
    ),
    path(
        "initiatives/<id:pk>/pieces/<id:attachment_pk>/",
        files.initiative_attachment,
        name="initiative_attachment",
    ),
    path("initiatives/<id:pk>/photo/", files.initiative_photo, name="initiative_photo"),
    path("mon-espace/", my_space.my_space, name="my_space"),
    path("mon-espace/notifications/", my_space.my_notifications, name="my_notifications"),
    path("mon-espace/reclamer/", counter.counter_claim_view, name="counter_claim"),
    path("initiatives/<id:pk>/bilan/", reports.report_file, name="report_file"),
    path("initiatives/<id:pk>/compte/", bank.bank_details, name="bank_details"),
    path("initiatives/<id:pk>/bilan/examen/", reports.report_review, name="report_review"),
    path(
        "initiatives/<id:pk>/bilan/pieces/<id:document_pk>/",
        reports.report_document,
        name="report_document",
    ),
    path("fonds/", ledger.fund_list, name="fund_list"),
    path("fonds/<slug:slug>/", ledger.fund_detail, name="fund_detail"),
    path("fonds/<slug:slug>/grand-livre/", ledger.fund_ledger, name="fund_ledger"),
    path("fonds/<slug:slug>/crediter/", ledger.fund_credit, name="fund_credit"),
    path("fonds/<slug:slug>/cloturer/", ledger.fund_close_view, name="fund_close"),
    path(
        "fonds/<slug:slug>/grand-livre/<id:sequence>/contre-passer/",
        ledger.fund_reverse,
        name="fund_reverse",
    ),
]
