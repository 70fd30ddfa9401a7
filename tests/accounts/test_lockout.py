"""Wrong passwords are counted per real client and never let anyone lock out a chosen
person (accounts.lockout, accounts.network)."""

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core import mail
from django.test import Client, RequestFactory
from freezegun import freeze_time

from accounts import lockout
from accounts.models import User
from accounts.network import client_ip

pytestmark = pytest.mark.django_db

MAIRE = "maire@bellerive.example.org"
RESIDENT = "habitante@bellerive.example.org"
PASSWORD = "Bellerive-2026!"
NGINX = "127.0.0.1"
LOCKED = "Trop de tentatives de connexion ont échoué"


def _account(email):
    user = User.objects.create_user(email=email, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.fixture
def accounts(db):
    return {"maire": _account(MAIRE), "resident": _account(RESIDENT)}


@pytest.fixture
def behind_nginx(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1


def attempt(client, email, password, *, via=None, remote=NGINX):
    """POST the login form as nginx forwards it: ``via`` is what nginx puts in
    X-Forwarded-For (what the client sent, then the address nginx saw)."""
    extra = {"REMOTE_ADDR": remote}
    if via is not None:
        extra["HTTP_X_FORWARDED_FOR"] = via
    return client.post("/comptes/login/", {"login": email, "password": password}, **extra)


def signed_in(client):
    return client.get("/comptes/profil/").status_code == 200


def refused_as_locked(response):
    html = response.content.decode()
    return (
        response.status_code == 200
        and not response.wsgi_request.user.is_authenticated
        and LOCKED in html
        and 'href="/comptes/deverrouiller/"' in html
    )


def hammer(email, count, *, first_host=1):
    """``count`` wrong passwords for ``email``, each from another client address."""
    responses = []
    for n in range(first_host, first_host + count):
        responses.append(attempt(Client(), email, "devine-1234", via=f"203.0.113.{n}"))
    return responses


# --- whose address counts --------------------------------------------------------------


def test_client_ip_reads_the_last_trusted_proxys_entry(settings):
    request = RequestFactory().get(
        "/", REMOTE_ADDR=NGINX, HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.4"
    )
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == NGINX
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "198.51.100.4"
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "10.9.9.9"
    settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = "X-Real-IP"
    assert client_ip(RequestFactory().get("/", HTTP_X_REAL_IP="192.0.2.8")) == "192.0.2.8"


def test_one_client_failing_behind_nginx_does_not_block_another(accounts, behind_nginx):
    attacker = Client()
    for n in range(10):
        response = attempt(attacker, f"personne{n}@example.org", "devine-1234", via="203.0.113.7")
        assert response.status_code == 200 and not refused_as_locked(response)
    # The attacker's own address is now refused, even when it pretends to be another
    # client: nginx appends the address it saw, and only that entry is believed.
    assert refused_as_locked(attempt(attacker, RESIDENT, PASSWORD, via="203.0.113.7"))
    assert refused_as_locked(
        attempt(attacker, RESIDENT, PASSWORD, via="198.51.100.20, 203.0.113.7")
    )
    assert not signed_in(attacker)

    resident = Client()
    response = attempt(resident, RESIDENT, PASSWORD, via="198.51.100.20")
    assert response.status_code == 302
    assert signed_in(resident)


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(accounts, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    attacker = Client()
    for n in range(10):
        attempt(attacker, f"personne{n}@example.org", "devine-1234", via=f"198.51.100.{n}")
    # A new X-Forwarded-For does not make a new client: the socket's address counts.
    assert refused_as_locked(attempt(Client(), RESIDENT, PASSWORD, via="192.0.2.99"))
    # Another real client is not affected.
    other = Client()
    assert attempt(other, RESIDENT, PASSWORD, remote="192.0.2.50").status_code == 302
    assert signed_in(other)


# --- no one can lock out the maire ---------------------------------------------------------


def test_an_attack_from_many_addresses_never_blocks_the_maires_own_browser(accounts, behind_nginx):
    maire = Client()
    assert attempt(maire, MAIRE, PASSWORD, via="198.51.100.30").status_code == 302
    assert lockout.DEVICE_COOKIE in maire.cookies
    maire.post("/comptes/logout/")
    assert not signed_in(maire)

    responses = hammer(MAIRE, 20)
    # The attack is slowed down: after 5 failures the account refuses every password
    # from unknown browsers, right or wrong.
    assert not any(refused_as_locked(r) for r in responses[:5])
    assert all(refused_as_locked(r) for r in responses[5:])
    assert refused_as_locked(attempt(Client(), MAIRE, PASSWORD, via="203.0.113.99"))

    # The maire, in the browser she used before, signs in as usual, from any address.
    response = attempt(maire, MAIRE, PASSWORD, via="192.0.2.40")
    assert response.status_code == 302
    assert signed_in(maire)


def test_the_maire_on_a_new_browser_unlocks_it_by_email_and_signs_in(accounts, behind_nginx):
    hammer(MAIRE, 8)
    laptop = Client()
    response = attempt(laptop, MAIRE, PASSWORD, via="192.0.2.41")
    assert refused_as_locked(response)

    page = laptop.get("/comptes/deverrouiller/")
    assert page.status_code == 200
    assert "Déverrouiller la connexion" in page.content.decode()
    mail.outbox.clear()
    sent = laptop.post(
        "/comptes/deverrouiller/", {"email": MAIRE.upper()}, HTTP_X_FORWARDED_FOR="192.0.2.41"
    )
    assert sent.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [MAIRE]
    link = re.search(r"https?://[^/\s]+(/comptes/deverrouiller/[^\s]+/)", mail.outbox[0].body)
    assert link, mail.outbox[0].body
    path = link.group(1)

    # Opening the link changes nothing until its button is pressed.
    assert laptop.get(path).status_code == 200
    assert refused_as_locked(attempt(laptop, MAIRE, PASSWORD, via="192.0.2.41"))
    unlocked = laptop.post(path, follow=True)
    assert "Ce navigateur est déverrouillé" in unlocked.content.decode()
    assert not signed_in(laptop)  # the link alone signs no one in

    hammer(MAIRE, 10, first_host=100)  # the attack goes on
    typo = attempt(laptop, MAIRE, "encore-faux", via="192.0.2.41")
    assert not typo.wsgi_request.user.is_authenticated and not refused_as_locked(typo)
    assert attempt(laptop, MAIRE, PASSWORD, via="192.0.2.41").status_code == 302
    assert signed_in(laptop)

    # The link served once; the attacker's browsers stay locked.
    assert Client().post(path).status_code == 410
    assert refused_as_locked(attempt(Client(), MAIRE, PASSWORD, via="203.0.113.200"))


def test_a_known_browser_is_slowed_down_by_its_own_failures_only(accounts, behind_nginx):
    maire = Client()
    attempt(maire, MAIRE, PASSWORD, via="198.51.100.30")
    maire.post("/comptes/logout/")
    for _ in range(5):
        assert not refused_as_locked(attempt(maire, MAIRE, "mal-tape-1234", via="198.51.100.30"))
    assert refused_as_locked(attempt(maire, MAIRE, PASSWORD, via="198.51.100.30"))
    # Her typos count against this browser only, not against the account elsewhere.
    other_browser = Client()
    assert attempt(other_browser, MAIRE, PASSWORD, via="198.51.100.31").status_code == 302


def test_with_a_second_factor_the_browser_is_known_only_once_it_is_passed(accounts, behind_nginx):
    secret = generate_totp_secret()
    TOTP.activate(accounts["maire"], secret)
    maire = Client()
    response = attempt(maire, MAIRE, PASSWORD, via="198.51.100.30")
    assert response["Location"] == "/comptes/2fa/authenticate/"
    assert lockout.DEVICE_COOKIE not in maire.cookies
    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    response = maire.post("/comptes/2fa/authenticate/", {"code": code})
    assert response.status_code == 302
    assert signed_in(maire)
    assert lockout.DEVICE_COOKIE in maire.cookies


def test_a_forged_device_cookie_is_an_unknown_browser(accounts, behind_nginx):
    hammer(MAIRE, 6)
    forger = Client()
    forger.cookies[lockout.DEVICE_COOKIE] = "eyJkIjoieCIsImEiOltdfQ:forged:signature"
    assert refused_as_locked(attempt(forger, MAIRE, PASSWORD, via="203.0.113.50"))


# --- the unlock link -------------------------------------------------------------------------


def test_asking_for_a_link_says_nothing_about_who_has_an_account(accounts):
    mail.outbox.clear()
    known = Client().post("/comptes/deverrouiller/", {"email": MAIRE}, follow=True)
    unknown = Client().post("/comptes/deverrouiller/", {"email": "nobody@example.org"}, follow=True)
    assert len(mail.outbox) == 1
    message = "Si un compte utilise cette adresse, un lien de déverrouillage vient"
    assert message in known.content.decode() and message in unknown.content.decode()


def test_links_are_sent_at_most_once_in_five_minutes_per_address(accounts):
    mail.outbox.clear()
    Client().post("/comptes/deverrouiller/", {"email": MAIRE}, REMOTE_ADDR="192.0.2.1")
    again = Client().post("/comptes/deverrouiller/", {"email": MAIRE}, REMOTE_ADDR="192.0.2.2")
    assert again.status_code == 200
    assert "Un lien de déverrouillage a déjà été demandé il y a peu" in again.content.decode()
    assert len(mail.outbox) == 1


def test_an_unlock_link_lasts_an_hour(accounts):
    mail.outbox.clear()
    with freeze_time("2026-03-02 09:00:00"):
        Client().post("/comptes/deverrouiller/", {"email": MAIRE})
    path = re.search(r"(/comptes/deverrouiller/[^\s]+/)", mail.outbox[0].body).group(1)
    with freeze_time("2026-03-02 10:01:00"):
        response = Client().post(path)
    assert response.status_code == 410
    assert "Ce lien de déverrouillage n'est plus valable" in response.content.decode()
    assert Client().get("/comptes/deverrouiller/not-a-token/").status_code == 410


def test_a_flood_from_one_address_gets_a_french_page(accounts, behind_nginx):
    flood = Client()
    statuses = [
        attempt(flood, f"personne{n}@example.org", "devine-1234", via="203.0.113.9").status_code
        for n in range(30)
    ]
    assert statuses == [200] * 30
    response = attempt(flood, RESIDENT, PASSWORD, via="203.0.113.9")
    assert response.status_code == 429
    assert "Trop de demandes" in response.content.decode()
    assert attempt(Client(), RESIDENT, PASSWORD, via="198.51.100.21").status_code == 302
