import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail

from accounts.models import User
from accounts.predicates import requires_mfa
from cms.demo import DEMO_PASSWORD

pytestmark = pytest.mark.django_db

ADMIN = "admin@demo.fonds-quartiers.fr"
INSTRUCTOR = "instructeur@demo.fonds-quartiers.fr"
COUNCILLOR = "conseillere@demo.fonds-quartiers.fr"
RESIDENT = "habitante@demo.fonds-quartiers.fr"


def test_signup_requires_email_confirmation(db, client):
    response = client.post(
        "/comptes/signup/",
        {
            "email": "nouvelle@example.org",
            "password1": "Bellerive-2026!",
            "password2": "Bellerive-2026!",
        },
    )
    assert response.status_code == 302
    assert not client.get("/comptes/profil/").wsgi_request.user.is_authenticated
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/\s]+(/comptes/confirm-email/[^\s]+/)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    assert client.post(link.group(1)).status_code == 302
    assert client.get("/comptes/profil/").status_code == 200
    assert User.objects.get(email="nouvelle@example.org").emailaddress_set.get().verified


def test_login_refused_until_email_is_verified(db, client):
    client.post(
        "/comptes/signup/",
        {"email": "x@example.org", "password1": "Bellerive-2026!", "password2": "Bellerive-2026!"},
    )
    client.logout()
    client.post("/comptes/login/", {"login": "x@example.org", "password": "Bellerive-2026!"})
    assert client.get("/comptes/profil/").status_code == 302


def test_failed_logins_are_rate_limited(demo, client):
    for _ in range(6):
        client.post("/comptes/login/", {"login": RESIDENT, "password": "mauvais"})
    response = client.post("/comptes/login/", {"login": RESIDENT, "password": DEMO_PASSWORD})
    assert not response.wsgi_request.user.is_authenticated
    assert "Trop de tentatives" in response.content.decode()


def test_wagtail_admin_login_goes_through_allauth(db, client):
    response = client.get("/cms/")
    assert response.status_code == 302
    assert response["Location"].startswith("/comptes/login/")


@pytest.mark.parametrize(
    ("email", "must"), [(ADMIN, True), (INSTRUCTOR, True), (COUNCILLOR, True), (RESIDENT, False)]
)
def test_who_must_use_mfa(demo, email, must):
    assert requires_mfa(User.objects.get(email=email)) is must


def test_staff_without_mfa_cannot_reach_the_admin_when_enforced(demo, client, settings):
    settings.MFA_ENFORCED = True
    client.force_login(User.objects.get(email=ADMIN))
    for path in ("/cms/", "/", "/comptes/profil/"):
        response = client.get(path)
        if path.startswith("/comptes/"):
            assert response.status_code == 200
        else:
            assert response.status_code == 302, path
            assert response["Location"] == "/comptes/2fa/totp/activate/"
    # MFA setup itself stays reachable (after re-entering the password).
    response = client.get("/comptes/2fa/totp/activate/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].startswith("/comptes/reauthenticate/")


def test_staff_with_mfa_reaches_the_admin_when_enforced(demo, client, settings):
    settings.MFA_ENFORCED = True
    admin = User.objects.get(email=ADMIN)
    TOTP.activate(admin, generate_totp_secret())
    client.force_login(admin)
    assert client.get("/cms/").status_code == 200


def test_councillor_is_sent_to_mfa_setup_but_resident_is_not(demo, client, settings):
    settings.MFA_ENFORCED = True
    client.force_login(User.objects.get(email=COUNCILLOR))
    assert client.get("/")["Location"] == "/comptes/2fa/totp/activate/"
    client.force_login(User.objects.get(email=RESIDENT))
    assert client.get("/").status_code == 200


def test_demo_offers_mfa_with_a_banner(demo, client, settings):
    settings.MFA_ENFORCED = False
    client.force_login(User.objects.get(email=INSTRUCTOR))
    html = client.get("/").content.decode()
    assert "Activez la double authentification" in html
    client.force_login(User.objects.get(email=RESIDENT))
    assert "Activez la double authentification" not in client.get("/").content.decode()


def test_instructor_reaches_the_wagtail_admin(demo, client):
    client.force_login(User.objects.get(email=INSTRUCTOR))
    assert client.get("/cms/").status_code == 200
    client.force_login(User.objects.get(email=RESIDENT))
    assert client.get("/cms/").status_code == 302
