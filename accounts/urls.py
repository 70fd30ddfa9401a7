from django.urls import include, path

from . import views

urlpatterns = [
    path("profil/", views.profile, name="accounts_profile"),
    path("", include("allauth.urls")),
]
