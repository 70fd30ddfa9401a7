"""Convocations: every member in office on the session's day receives its date, place
and agenda, with a link to each dossier and a calendar invitation; after that, every
change of date, place or agenda is sent again as an update of the same calendar event
(same UID, SEQUENCE one higher). Emails leave by a background task once the transaction
commits, each in its reader's language."""

import datetime
from email.mime.text import MIMEText
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from accounts.audit import audit_record
from accounts.dates import long_date
from accounts.errors import DomainError, PermissionDenied
from fonds.money import euros
from fonds.notifications import are_muted as notifications_are_muted
from votes import ics
from votes.models import AgendaItem, Mandate, Session
from votes.notifications import notify_convocation
from votes.predicates import can_prepare_sessions

from .common import locked_session, require_status

# How long the calendar event lasts: the invitation needs an end.
MEETING_LENGTH = datetime.timedelta(hours=2)


def convened_members(session):
    """The mandates in office on the session's day, with their holder."""
    day = timezone.localdate(session.starts_at)
    return (
        Mandate.objects.in_office(day)
        .filter(council=session.council_id)
        .select_related("user")
        .order_by("user__display_name", "user_id")
    )


def session_convene(*, actor, session):
    """Send the convocation of a planned session to come, whose agenda is not empty, to
    every member in office on its day. Sent once; changes are sent as updates."""
    if not can_prepare_sessions(actor, session.council):
        raise PermissionDenied()
    with transaction.atomic():
        session = locked_session(session)
        require_status(session, Session.Status.PLANNED)
        if session.convened_at is not None:
            raise DomainError(
                _(
                    "La convocation est déjà envoyée : chaque changement de date, de lieu ou "
                    "d'ordre du jour est envoyé aux membres."
                )
            )
        if session.starts_at < timezone.now():
            raise DomainError(_("La date de la séance est passée : changez-la avant de convoquer."))
        if not session.items.exists():
            raise DomainError(
                _("L'ordre du jour est vide : inscrivez au moins un dossier avant de convoquer.")
            )
        count = len({mandate.user_id for mandate in convened_members(session)})
        if not count:
            raise DomainError(_("Aucun membre du conseil n'est en exercice à cette date."))
        session.convened_at = timezone.now()
        session.save(update_fields=["convened_at"])
        audit_record(
            actor=actor,
            action="votes.session.convene",
            target=session,
            data={"members": count, "sequence": session.convocation_sequence},
        )
        _schedule(session)
    return session


def convocation_update(session):
    """Called by the services that change a convened session, inside their
    transaction, the session locked: the next SEQUENCE, and the update sent once the
    change commits."""
    session.convocation_sequence += 1
    session.save(update_fields=["convocation_sequence"])
    _schedule(session)


def _schedule(session):
    if notifications_are_muted():
        return
    session_id, sequence = session.pk, session.convocation_sequence
    transaction.on_commit(lambda: send_convocation.enqueue(session_id, sequence))


# Sending ---------------------------------------------------------------------------------


@task()
def send_convocation(session_id, sequence):
    """Email the convocation (sequence 0) or its update to every member in office. A
    task overtaken by a later change sends nothing: the later one carries it."""
    session = Session.objects.select_related("council__quartier").get(pk=session_id)
    if session.convocation_sequence != sequence:
        return 0
    items = list(
        AgendaItem.objects.filter(session=session)
        .select_related("initiative__fund")
        .order_by("position")
    )
    users = {mandate.user_id: mandate.user for mandate in convened_members(session)}
    messages = [convocation_message(session, items, user) for user in users.values()]
    with get_connection() as connection:
        connection.send_messages(messages)
    notify_convocation(session, users.values(), items=len(items), place=str(place_label(session)))
    return len(messages)


def _link(name, pk):
    return f"{settings.SITE_URL}{reverse(name, args=[pk])}"


def place_label(session):
    if session.procedure == Session.Procedure.WRITTEN and not session.place:
        return _("Procédure écrite")
    return session.place


def convocation_message(session, items, user):
    """One member's email, in their language: plain text, HTML and the invitation."""
    with translation.override(user.language or settings.LANGUAGE_CODE):
        local = timezone.localtime(session.starts_at)
        context = {
            "session": session,
            "council": session.council,
            "name": user.display_name or user.email,
            "date": long_date(local, weekday=True),
            "time": formats.time_format(local, "H:i"),
            "place": place_label(session),
            "written": session.procedure == Session.Procedure.WRITTEN,
            "update": session.convocation_sequence > 0,
            "items": [
                {
                    "position": item.position,
                    "title": item.initiative.title,
                    "amount": euros(item.initiative.requested_amount),
                    "link": _link("council_item", item.pk),
                }
                for item in items
            ],
            "session_link": _link("council_session", session.pk),
        }
        if context["update"]:
            subject = _("Convocation modifiée : %(council)s, séance du %(date)s")
        else:
            subject = _("Convocation : %(council)s, séance du %(date)s")
        subject %= {"council": session.council.name, "date": context["date"]}
        text = render_to_string("votes/email/convocation.txt", context)
        html = render_to_string("votes/email/convocation.html", context)
        invitation = session_calendar(session, context, user)
    message = EmailMultiAlternatives(subject, text, None, [user.email])
    message.attach_alternative(html, "text/html")
    message.attach(_calendar_part(invitation))
    return message


def session_calendar(session, context, user):
    """The session as a calendar event, its agenda in the description."""
    lines = [_("Ordre du jour :")]
    lines += [
        _("%(position)d. %(title)s (%(amount)s demandés) — %(link)s") % item
        for item in context["items"]
    ]
    lines += ["", context["session_link"]]
    organizer_name, organizer_email = parseaddr(settings.DEFAULT_FROM_EMAIL)
    event = ics.Event(
        uid=f"seance-{session.pk}@{_host()}",
        sequence=session.convocation_sequence,
        starts_at=session.starts_at,
        ends_at=session.starts_at + MEETING_LENGTH,
        stamp=timezone.now(),
        summary=(
            _("Procédure écrite — %(council)s") if context["written"] else _("Séance — %(council)s")
        )
        % {"council": session.council.name},
        location=context["place"],
        description="\n".join(lines),
        url=context["session_link"],
        organizer=ics.Person(organizer_name or session.council.name, organizer_email),
        attendees=(ics.Person(context["name"], user.email),),
    )
    return ics.calendar(event, method="REQUEST")


def _host():
    return settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]


def _calendar_part(invitation):
    part = MIMEText(invitation, "calendar", "utf-8")
    part.set_param("method", "REQUEST")
    part.add_header("Content-Disposition", "attachment", filename="convocation.ics")
    return part
