"""What the site tells people. ``notify`` records one notification per person — listed
under « Mon espace » — and, once the transaction commits, a task emails it (plain text
and HTML, in the commune's frame, in the person's language), unless the person turned
that kind of email off on « Mon profil ». The kinds a person cannot turn off are the
ones the service must send: their account, a decision on their dossier, a payment, a
council convocation.

Each app declares its kinds with ``register`` (fonds.notifications, votes.notifications):
a label for « Mon profil », the notification's title and its lines, both computed from
``params`` (plain JSON: titles, amounts, references) in the reader's language."""

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django_tasks import task


@dataclass(frozen=True)
class Kind:
    key: str
    label: object  # what « Mon profil » calls this kind of email
    title: object  # callable(params) -> str
    lines: object = field(default=lambda params: [])  # callable(params) -> [str]
    required: bool = False
    audience: object = ""  # who receives it, for « Mon profil »


KINDS = {}


def register(key, *, label, title, lines=None, required=False, audience=""):
    KINDS[key] = Kind(
        key=key,
        label=label,
        title=title,
        lines=lines or (lambda params: []),
        required=required,
        audience=audience,
    )
    return KINDS[key]


def kind_of(key):
    """The kind named ``key``; ``LookupError`` for a name no app declared."""
    try:
        return KINDS[key]
    except KeyError:
        raise LookupError(key) from None


def optional_kinds():
    return [kind for kind in KINDS.values() if not kind.required]


def required_kinds():
    return [kind for kind in KINDS.values() if kind.required]


# The site's address for links -------------------------------------------------------------

_site_url = contextvars.ContextVar("fq_site_url", default="")


class SiteAddressMiddleware:
    """Links written while answering a request (emails included, though a task sends
    them later) use the address the person reached the site at; elsewhere, SITE_URL."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            address = request.build_absolute_uri("/").rstrip("/")
        except Exception:  # a host outside ALLOWED_HOSTS: Django answers 400 itself
            address = ""
        token = _site_url.set(address)
        try:
            return self.get_response(request)
        finally:
            _site_url.reset(token)


def site_url():
    return _site_url.get() or settings.SITE_URL


def absolute(path):
    """``path`` (« /mon-espace/ ») as a full address of the site."""
    if not path or path.startswith(("http://", "https://")):
        return path
    return f"{site_url()}{path}"


# Sending -----------------------------------------------------------------------------------

_muted = contextvars.ContextVar("fq_notifications_muted", default=False)


def are_muted():
    """True while data is built without telling anyone (the demo)."""
    return _muted.get()


@contextmanager
def notifications_muted():
    """Build data (the demo) without notifying or emailing its made-up people."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def notify(users, key, *, params=None, path="", email=True):
    """Tell each of ``users`` (once each, whoever acts excluded by the caller) about
    ``key``; call inside the transaction that made it happen. ``email=False`` when the
    email is sent otherwise (a convocation carries its calendar invitation)."""
    from .models import Notification

    kind = kind_of(key)
    if are_muted():
        return []
    seen, people = set(), []
    for user in users:
        if user is None or user.pk in seen or not user.is_active or user.erased_at:
            continue
        seen.add(user.pk)
        people.append(user)
    if not people:
        return []
    link = absolute(path)
    notifications = Notification.objects.bulk_create(
        Notification(user=user, kind=kind.key, params=params or {}, link=link) for user in people
    )
    if email:
        ids = [notification.pk for notification in notifications]
        transaction.on_commit(lambda: send_notification_emails.enqueue(ids))
    return notifications


def wants_email(user, kind):
    return kind.required or not user.notification_opt_outs.filter(kind=kind.key).exists()


@task()
def send_notification_emails(notification_ids):
    """Email each notification to its person, unless they turned its kind off."""
    from .models import Notification

    notifications = Notification.objects.filter(pk__in=notification_ids, emailed=False)
    messages, sent, frame = [], [], None
    for notification in notifications.select_related("user"):
        kind = KINDS.get(notification.kind)
        if kind is None or not wants_email(notification.user, kind):
            continue
        frame = frame or _frame[0]()  # the commune's name and colour, read once
        messages.append(email_message(notification, kind, frame))
        sent.append(notification.pk)
    if messages:
        with get_connection() as connection:
            connection.send_messages(messages)
        Notification.objects.filter(pk__in=sent).update(emailed=True)
    return len(messages)


@task()
def send_contact_email(address, key, params, link, name=""):
    """Email ``address``, a person without an account (a dossier filed for them at the
    counter), about ``key``: in French, the commune's frame, no preferences to manage."""
    from types import SimpleNamespace

    kind = KINDS.get(key)
    if kind is None:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            **_frame[0](),
            **rendered(SimpleNamespace(kind=key, params=params), kind),
            "name": name or address,
            "link": link,
            "optional": False,
            "profile_link": "",
            "space_link": "",
        }
        text = render_to_string("accounts/email/notification.txt", context)
        html = render_to_string("accounts/email/notification.html", context)
    message = EmailMultiAlternatives(context["title"], text, None, [address])
    message.attach_alternative(html, "text/html")
    message.send()
    return 1


def notify_contact(address, key, *, params=None, path="", name=""):
    """Tell a person without an account, by email only, once the transaction commits."""
    if are_muted() or not address:
        return
    link = absolute(path)
    transaction.on_commit(
        lambda: send_contact_email.enqueue(address, key, params or {}, link, name)
    )


def rendered(notification, kind=None):
    """The notification's title and lines in the active language."""
    kind = kind or KINDS.get(notification.kind)
    if kind is None:
        return {"title": notification.kind, "lines": []}
    try:
        return {
            "title": kind.title(notification.params),
            "lines": list(kind.lines(notification.params)),
        }
    except (KeyError, TypeError, ValueError):
        # Parameters an older version of the kind did not record: its name still reads.
        return {"title": str(kind.label), "lines": []}


def _no_frame():
    return {"commune": "", "colour": "#0b5e57"}


_frame = [_no_frame]


def set_email_frame(provider):
    """``provider()`` gives the commune's name and colour that frame every email (set
    by the site, cms.apps)."""
    _frame[0] = provider


def commune_frame():
    """The commune's name and colour, as the site gives them (for documents the lower
    apps print, such as a receipt)."""
    return _frame[0]()


def email_message(notification, kind, frame):
    user = notification.user
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = {
            **frame,
            **rendered(notification, kind),
            "name": user.display_name or user.email,
            "link": notification.link,
            "optional": not kind.required,
            "profile_link": absolute("/comptes/profil/"),
            "space_link": absolute("/mon-espace/notifications/"),
        }
        subject = context["title"]
        text = render_to_string("accounts/email/notification.txt", context)
        html = render_to_string("accounts/email/notification.html", context)
    message = EmailMultiAlternatives(subject, text, None, [user.email])
    message.attach_alternative(html, "text/html")
    return message
