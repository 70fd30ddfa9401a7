"""Emails to the author of an initiative, sent by a background task after commit, in
the author's language."""

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

SUBJECTS = {
    "submitted": lambda: _("Votre initiative « %(title)s » est déposée"),
    "incomplete": lambda: _("Votre initiative « %(title)s » est à compléter"),
    "admissible": lambda: _("Votre initiative « %(title)s » est recevable"),
    "inadmissible": lambda: _("Votre initiative « %(title)s » n'est pas recevable"),
    "withdrawn": lambda: _("Votre initiative « %(title)s » est retirée"),
    "decision_granted": lambda: _("Une subvention est accordée à « %(title)s »"),
    "decision_refused": lambda: _("Le conseil n'a pas retenu « %(title)s »"),
    "decision_deferred": lambda: _("La décision sur « %(title)s » est ajournée"),
    "closed": lambda: _("Le bilan de « %(title)s » est accepté"),
    "question": lambda: _("Le conseil de quartier a une question sur « %(title)s »"),
}


def notify_author(initiative, event, reason=""):
    """Schedule the email for ``event`` once the current transaction commits."""
    if _muted.get():
        return
    initiative_id = initiative.pk
    transaction.on_commit(lambda: send_initiative_email.enqueue(initiative_id, str(event), reason))


@task()
def send_initiative_email(initiative_id, event, reason=""):
    from fonds.models import Initiative

    initiative = Initiative.objects.select_related("author", "fund__quartier").get(pk=initiative_id)
    author = initiative.author
    with translation.override(author.language or settings.LANGUAGE_CODE):
        subject = SUBJECTS[event]() % {"title": initiative.title}
        body = render_to_string(
            "fonds/email/initiative_event.txt",
            {
                "initiative": initiative,
                "event": event,
                "reason": reason,
                "name": author.display_name or author.email,
                "link": f"{settings.SITE_URL}/mon-espace/",
            },
        )
    send_mail(subject, body, None, [author.email])


_muted = ContextVar("fonds_notifications_muted", default=False)


def are_muted():
    """True while data is built without emailing anyone (the demo)."""
    return _muted.get()


@contextmanager
def notifications_muted():
    """Build data (the demo) without emailing its made-up people."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)
