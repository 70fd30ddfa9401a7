from django.urls import include, path

from . import views

urlpatterns = [
    path("profil/", views.profile, name="accounts_profile"),
    path("invitation/<str:token>/", views.invitation, name="accounts_invitation"),
    path("", include("allauth.urls")),
]
