"""The register of processing (/cms/registre-des-traitements/, administrators only) and the
privacy page (/donnees-personnelles/), both made from cms.privacy_register: they say
the retention periods the code applies, read from the settings when shown."""

import io
import re

import pytest
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from wagtail.admin.menu import admin_menu

from accounts.models import User
from accounts.roles import Role
from accounts.services import role_grant
from cms import privacy_register
from cms.models import HomePage, StandardPage
from fonds.services import quartier_create
from tests.system import SYSTEM

pytestmark = pytest.mark.django_db

REGISTER = reverse("cms_privacy_register")
PRIVACY = "/donnees-personnelles/"


def _person(email, role=None, quartier=None):
    user = User.objects.create_user(email=email, password="x" * 12)
    if role is not None:
        role_grant(actor=SYSTEM, user=user, role=role, quartier=quartier)
    return user


@pytest.fixture
def admin(db):
    return _person("admin@example.org", Role.ADMINISTRATOR)


@pytest.fixture
def instructor(db):
    quartier = quartier_create(actor=SYSTEM, name="Bellevue")
    return _person("agent@example.org", Role.INSTRUCTOR, quartier)


def text_of(response):
    """The page's text, tags removed and spaces collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'")


# --- the register, for administrators ------------------------------------------------------


def test_an_administrator_reads_the_register_with_every_processing(client, admin, settings):
    settings.FQ_DOCUMENT_RETENTION_YEARS = 10
    client.force_login(admin)
    response = client.get(REGISTER)
    assert response.status_code == 200
    text = text_of(response)
    for processing in privacy_register.processings():
        assert processing.name in text
        for line in (processing.purpose, processing.legal_basis, *processing.retention):
            assert line in text, line
        for measure in processing.security:
            assert measure in text, measure
    assert "supprimés 10 ans après sa clôture" in text
    assert "2 ans après sa dernière modification" in text
    assert "effacée après 365 jours" in text
    assert "n'a encore jamais tourné" in text


def test_the_register_shows_the_last_retention_run(client, admin):
    call_command("retention", stdout=io.StringIO())
    client.force_login(admin)
    text = text_of(client.get(REGISTER))
    assert "Dernière exécution de la commande de conservation" in text
    assert "Brouillons abandonnés supprimés : 0 (0 fichiers)" in text
    assert "n'a encore jamais tourné" not in text


def test_the_register_follows_the_setting(client, admin, settings):
    settings.FQ_DOCUMENT_RETENTION_YEARS = 7
    client.force_login(admin)
    text = text_of(client.get(REGISTER))
    assert "supprimés 7 ans après sa clôture" in text
    assert "10 ans" not in text


def test_an_instructor_is_refused_the_register(client, instructor):
    client.force_login(instructor)
    response = client.get(REGISTER)
    assert response.status_code == 403
    assert "Registre des traitements" not in text_of(response).split("Accès refusé")[-1]


@pytest.mark.parametrize("who", ["resident", None])
def test_residents_and_visitors_are_sent_to_log_in(client, who):
    if who:
        client.force_login(_person("voisine@example.org"))
    response = client.get(REGISTER)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def _menu_names(user):
    request = RequestFactory().get("/cms/")
    request.user = user
    return {item.name for item in admin_menu.menu_items_for_request(request)}


def test_the_menu_shows_the_register_to_administrators_only(admin, instructor):
    assert "registre-des-traitements" in _menu_names(admin)
    assert "registre-des-traitements" not in _menu_names(instructor)


# --- the public privacy page ---------------------------------------------------------------


def test_the_privacy_page_says_what_the_code_does(client, settings):
    settings.FQ_DOCUMENT_RETENTION_YEARS = 10
    response = client.get(PRIVACY)
    assert response.status_code == 200
    text = text_of(response)
    for processing in privacy_register.processings():
        assert processing.name in text
        for line in (*processing.retention, *processing.data, *processing.recipients):
            assert line in text, line
    assert "supprimés 10 ans après sa clôture" in text
    html = response.content.decode()
    profile = reverse("accounts_profile")
    for link in (profile, f"{profile}#mes-donnees", f"{profile}#supprimer"):
        assert f'href="{link}"' in html
    assert "« Mes données »" in text and "« Mon profil »" in text
    for name, _purpose, _lifetime in privacy_register.cookies():
        assert name in text
    assert "fq_navigateur" in text and "180 jours" in text


def test_the_privacy_page_shows_the_configured_retention(client, settings):
    settings.FQ_DOCUMENT_RETENTION_YEARS = 12
    text = text_of(client.get(PRIVACY))
    assert "supprimés 12 ans après sa clôture" in text
    assert "10 ans" not in text
    settings.FQ_DOCUMENT_RETENTION_YEARS = 1
    assert "supprimés 1 an après sa clôture" in text_of(client.get(PRIVACY))


def test_the_editors_words_come_first_and_the_footer_links_the_page(client):
    response = client.get("/")
    assert f'href="{PRIVACY}"' in response.content.decode()
    home = HomePage.objects.get()
    home.add_child(
        instance=StandardPage(
            title="Vos données et nous",
            slug="donnees-personnelles",
            intro="Ce que fait la commune de vos données.",
            body=[("paragraph", "<p>Délégué à la protection des données : dpo@example.org</p>")],
        )
    )
    text = text_of(client.get(PRIVACY))
    assert text.index("Vos données et nous") < text.index("dpo@example.org")
    assert text.index("dpo@example.org") < text.index("Responsable du traitement")
    assert "Durée de conservation" in text


def test_the_tile_server_is_named_when_the_maps_use_one(client, settings):
    settings.MAP_TILE_URL = ""
    assert "serveur de fonds de carte" not in text_of(client.get(PRIVACY))
    settings.MAP_TILE_URL = "https://tuiles.example.net/{z}/{x}/{y}.png"
    assert "serveur de fonds de carte (tuiles.example.net)" in text_of(client.get(PRIVACY))
