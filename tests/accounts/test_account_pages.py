"""The account pages in the site's components: an error summary that takes the focus and
counts the errors, « Erreur — » at the head of the title, each field in error marked
invalid and tied to its message; the confirmation of an email address logs the person in."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.utils import translation

from accounts.models import User

pytestmark = pytest.mark.django_db

PASSWORD = "Bellerive-2026!"


def title(html):
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


def input_tag(html, name):
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)


def test_a_sign_up_sent_empty_tells_each_error_and_where(client):
    html = client.post("/comptes/signup/", {}).content.decode()
    assert title(html).startswith("Erreur — Créer un compte")
    summary = re.search(r'<div class="form-errors"[^>]*>(.*?)</div>', html, re.S)
    assert 'tabindex="-1" autofocus' in summary.group(0)
    assert "Le formulaire contient 3 erreurs." in summary.group(1)
    assert summary.group(1).count('<a href="#id_') == 3
    for name in ("email", "password1", "password2"):
        tag = input_tag(html, name)
        assert 'aria-invalid="true"' in tag
        assert re.search(rf'aria-describedby="id_{name}-errors( id_{name}-helptext)?"', tag)
        assert f'id="id_{name}-errors"' in html
    assert "<button" in html and 'class="button"' in html
    assert "Créer mon compte" in html


def test_a_refused_login_says_so_at_the_top_and_names_no_field(client, db):
    User.objects.create_user(email="ines.morel@example.org", password=PASSWORD)
    html = client.post(
        "/comptes/login/", {"login": "ines.morel@example.org", "password": "pas-le-bon"}
    ).content.decode()
    assert title(html).startswith("Erreur — Se connecter")
    assert "Le formulaire contient une erreur." in html
    assert "le mot de passe sont incorrects" in html
    empty = client.post("/comptes/login/", {"login": "", "password": ""}).content.decode()
    for name in ("login", "password"):
        tag = input_tag(empty, name)
        assert 'aria-invalid="true"' in tag
        assert f"id_{name}-errors" in tag


def test_pages_without_errors_have_their_plain_title(client):
    html = client.get("/comptes/login/").content.decode()
    assert title(html).startswith("Se connecter —")
    assert "form-errors" not in html
    assert "aria-invalid" not in html


def test_confirming_the_email_address_logs_the_person_in(client):
    response = client.post(
        "/comptes/signup/",
        {"email": "ines.morel@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/comptes/profil/").status_code == 302  # not yet logged in
    link = re.search(r"https?://\S+(/comptes/confirm-email/\S+/)", mail.outbox[-1].body).group(1)
    page = client.get(link).content.decode()
    assert "Confirmer mon adresse" in page
    assert "ines.morel@example.org" in page
    assert client.post(link).status_code == 302
    assert EmailAddress.objects.get(email="ines.morel@example.org").verified
    assert client.get("/comptes/profil/").status_code == 200


def test_a_broken_confirmation_link_says_what_to_do(client):
    html = client.get("/comptes/confirm-email/pas-une-cle/").content.decode()
    assert "Ce lien de confirmation a expiré ou n'est pas valable." in html
    assert 'href="/comptes/email/"' in html


def test_a_site_form_sent_with_errors_starts_its_title_with_erreur(client, db):
    html = client.post("/comptes/deverrouiller/", {"email": "pas-une-adresse"}).content.decode()
    assert title(html).startswith("Erreur — ")
    assert 'class="form-errors" role="alert" tabindex="-1" autofocus' in html


def test_the_english_pages_read_in_english(client):
    client.cookies["langue"] = "en"
    # The language the request activates stays with this test.
    with translation.override("fr"):
        html = client.get("/comptes/signup/").content.decode()
    assert "Create an account" in html
    assert "Créer un compte" not in html
