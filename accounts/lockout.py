"""Wrong passwords slow an attacker down without locking out the person they aim at.

allauth counts failed passwords per client address (10 a minute) and per account
(5 in 5 minutes), and refuses a password while a count is full. Counted per account
alone, anyone who knows an address could keep its owner out. So a browser where an
account has signed in before carries a *device cookie* (signed; it names the browser
and, by a keyed hash, the accounts that signed in there, never their addresses), and
its attempts for those accounts are counted against that browser alone (5 in
5 minutes): failures sent from anywhere else never reach it. A browser without one
(a new computer, cookies cleared) is refused while the account's count is full, and is
offered an unlock link by email; opened within an hour, once, it makes that browser a
known one for the account. The link lifts the lock only: the password, and the second
factor where there is one, are still asked for. This is the "device cookies" defence
described by OWASP ("Slow Down Online Guessing Attacks with Device Cookies").

Rates live in ``ACCOUNT_RATE_LIMITS`` (``login_failed``, ``login_failed_device``,
``unlock_request``); client addresses are read as ``accounts.network`` explains.
"""

import datetime
import logging
import secrets

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django_tasks import task

from .models import User

logger = logging.getLogger(__name__)

DEVICE_COOKIE = "fq_navigateur"
DEVICE_COOKIE_PATH = "/comptes/"
DEVICE_MAX_AGE = datetime.timedelta(days=180)
DEVICE_MAX_ACCOUNTS = 5
UNLOCK_MAX_AGE = datetime.timedelta(hours=1)

_DEVICE_SALT = "accounts.lockout.device"
_UNLOCK_SALT = "accounts.lockout.unlock"


def account_key(login):
    """What failed logins for the address ``login`` are counted under: the address
    alone, so that no ``Host`` header splits one account's count in several."""
    return f"login:{(login or '').strip().lower()}"


def account_keys(user):
    """The keys of every address ``user`` may sign in with."""
    emails = {user.email.lower()} if user.email else set()
    emails.update(
        email.lower()
        for email in EmailAddress.objects.filter(user=user, verified=True).values_list(
            "email", flat=True
        )
    )
    return [account_key(email) for email in sorted(emails)]


# --- the device cookie -------------------------------------------------------------------


def _tag(key):
    return salted_hmac(_DEVICE_SALT, key).hexdigest()[:32]


def _read_device(request):
    raw = request.COOKIES.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        data = signing.loads(raw, salt=_DEVICE_SALT, max_age=DEVICE_MAX_AGE)
    except signing.BadSignature:
        return None
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("d"), str)
        or not isinstance(data.get("a"), list)
    ):
        return None
    return data


def known_device(request, key):
    """This browser's id if the account counted under ``key`` signed in from it (or
    was unlocked in it), else ``None``."""
    data = _read_device(request)
    if data is not None and _tag(key) in data["a"]:
        return data["d"]
    return None


def remember_device(request, response, keys, *, fresh=False):
    """Make this browser a known one for ``keys`` on ``response``. ``fresh`` gives it a
    new id, so that its own count of failures starts again (an unlock link does)."""
    data = _read_device(request)
    device = data["d"] if data is not None and not fresh else secrets.token_urlsafe(16)
    tags = [_tag(key) for key in keys] + (data["a"] if data is not None else [])
    value = {"d": device, "a": list(dict.fromkeys(tags))[:DEVICE_MAX_ACCOUNTS]}
    response.set_cookie(
        DEVICE_COOKIE,
        signing.dumps(value, salt=_DEVICE_SALT),
        max_age=DEVICE_MAX_AGE,
        path=DEVICE_COOKIE_PATH,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def locked_error():
    """The login form's error while the password is refused on this browser."""
    return ValidationError(
        format_html(
            '{} <a href="{}">{}</a>',
            _(
                "Trop de tentatives de connexion ont échoué : par sécurité, la connexion "
                "par mot de passe est suspendue quelques minutes sur ce navigateur. Pour "
                "vous connecter sans attendre :"
            ),
            reverse("accounts_unlock_request"),
            _("recevoir un lien de déverrouillage par courriel"),
        ),
        code="too_many_login_attempts",
    )


# --- the unlock link ---------------------------------------------------------------------


def unlock_link_send(*, email):
    """Email an unlock link to ``email`` when it is a verified address of an active
    account; otherwise do nothing, and say nothing different (no enumeration)."""
    address = (
        EmailAddress.objects.filter(
            email__iexact=email.strip(), verified=True, user__is_active=True
        )
        .select_related("user")
        .first()
    )
    if address is not None:
        send_unlock_email.enqueue(address.user_id, address.email)


def unlock_url(user):
    token = signing.dumps({"u": user.pk, "n": secrets.token_urlsafe(12)}, salt=_UNLOCK_SALT)
    return f"{settings.SITE_URL}{reverse('accounts_unlock', args=[token])}"


@task()
def send_unlock_email(user_id, email):
    """The token is made here, so the task queue's table never holds a usable link."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = _("Déverrouiller votre connexion")
        body = render_to_string(
            "accounts/email/unlock.txt",
            {
                "link": unlock_url(user),
                "site_name": settings.WAGTAIL_SITE_NAME,
            },
        )
    send_mail(subject, body, None, [email])


def _unlock_payload(token):
    try:
        data = signing.loads(token, salt=_UNLOCK_SALT, max_age=UNLOCK_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("n"), str):
        return None
    return data


def _used_key(payload):
    return f"accounts:unlock-used:{payload['n']}"


def unlock_user(token):
    """The active account an unused, unexpired unlock link was sent for, else ``None``."""
    payload = _unlock_payload(token)
    if payload is None or cache.get(_used_key(payload)):
        return None
    return User.objects.filter(pk=payload.get("u"), is_active=True).first()


def unlock_claim(request, response, token):
    """Use the link once: this browser becomes a known one for its account, with a
    fresh count of failures. ``None`` when the link is no longer usable."""
    user = unlock_user(token)
    if user is None:
        return None
    payload = _unlock_payload(token)
    if not cache.add(_used_key(payload), 1, int(UNLOCK_MAX_AGE.total_seconds())):
        return None
    remember_device(request, response, account_keys(user), fresh=True)
    logger.info("login unlocked for user %s by an email link", user.pk)
    return user
