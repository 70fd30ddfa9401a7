import pytest
from django.test import RequestFactory

from cms.views import server_error

pytestmark = pytest.mark.django_db


def test_home_is_a_wagtail_page_in_french_with_the_frame(demo, client):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["page"].specific.__class__.__name__ == "HomePage"
    assert '<html lang="fr">' in html
    assert 'href="#contenu"' in html and 'id="contenu"' in html
    assert "Bellerive-sur-Loire" in html
    assert "logo-commune" in html  # logo from the site settings
    assert 'aria-label="Navigation principale"' in html
    for path in ("/accessibilite/", "/mentions-legales/", "/donnees-personnelles/"):
        assert f'href="{path}"' in html
    assert 'name="language" value="en"' in html


def test_footer_pages_exist_in_the_demo(demo, client):
    for path in ("/accessibilite/", "/mentions-legales/", "/donnees-personnelles/"):
        assert client.get(path).status_code == 200, path


def test_english_is_available_from_the_language_switch(demo, client):
    response = client.post("/langue/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="en">' in html
    assert "Skip to content" in html
    assert "Main navigation" in html


def test_browser_language_is_honoured(demo, client):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert '<html lang="en">' in html


def test_404_is_in_the_frame(demo, client):
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page introuvable" in html
    assert "Bellerive-sur-Loire" in html


def test_500_is_in_the_frame(demo):
    request = RequestFactory().get("/")
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    response = server_error(request)
    assert response.status_code == 500
    html = response.content.decode()
    assert "Une erreur est survenue" in html
    assert "Bellerive-sur-Loire" in html


def test_demo_is_idempotent(db):
    from wagtail.models import Page

    from accounts.models import AuditEntry, User
    from cms.demo import build_demo
    from fonds.models import Initiative, LedgerTransaction, Quartier

    def counts():
        return [
            model.objects.count()
            for model in (User, Quartier, Page, AuditEntry, Initiative, LedgerTransaction)
        ]

    build_demo()
    first = counts()
    build_demo()
    assert counts() == first
    assert Quartier.objects.count() >= 4
    from cms.demo.accounts import demo_logins

    emails = [email for email, _description in demo_logins()]
    assert User.objects.filter(email__in=emails).count() == 5


def test_every_demo_login_works(demo, client):
    from cms.demo import DEMO_PASSWORD
    from cms.demo.accounts import demo_logins

    for email, _description in demo_logins():
        response = client.post("/comptes/login/", {"login": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email
        assert response.wsgi_request.user.is_authenticated, email
        client.logout()
