from django.urls import include, path

from . import lockout_views, privacy_views, views

urlpatterns = [
    path("profil/", views.profile, name="accounts_profile"),
    path("profil/courriels/", views.email_preferences, name="accounts_email_preferences"),
    path("mes-donnees/", privacy_views.data_export, name="accounts_data_export"),
    path(
        "mes-donnees/<uuid:pk>/",
        privacy_views.data_export_download,
        name="accounts_data_export_download",
    ),
    path("supprimer-mon-compte/", privacy_views.erasure, name="accounts_erasure"),
    path("invitation/<str:token>/", views.invitation, name="accounts_invitation"),
    path("deverrouiller/", lockout_views.unlock_request, name="accounts_unlock_request"),
    path("deverrouiller/<str:token>/", lockout_views.unlock, name="accounts_unlock"),
    path("", include("allauth.urls")),
]
