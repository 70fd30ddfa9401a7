"""The council's deliberation on a dossier: discussion among members and the
instructor, questions to the carrier and their answers. Never public."""

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.errors import DomainError, PermissionDenied
from accounts.text import clean_text
from fonds.notifications import notify_author
from votes.models import Council, Message
from votes.notifications import notify_answer
from votes.predicates import can_read_deliberation

MAX_BODY = 5000


def _clean(body):
    """The message as typed, stripped: not empty, at most ``MAX_BODY`` characters, no
    control character but line breaks and tabs (PostgreSQL cannot store a NUL)."""
    body = clean_text(body, max_length=MAX_BODY, field="body")
    if not body:
        raise DomainError(_("Le message est vide."), field="body")
    return body


def _councils(initiative):
    return Council.objects.filter(quartier_id=initiative.fund.quartier_id)


def can_deliberate(user, initiative):
    return any(can_read_deliberation(user, council) for council in _councils(initiative))


def message_post(*, actor, initiative, body, question=False):
    """A member of the quartier's council or an instructor writes in the dossier's
    thread; a question is also sent to the carrier, who answers from their space."""
    if not can_deliberate(actor, initiative) or initiative.author_id == actor.pk:
        raise PermissionDenied()
    body = _clean(body)
    kind = Message.Kind.QUESTION if question else Message.Kind.DISCUSSION
    with transaction.atomic():
        message = Message.objects.create(initiative=initiative, author=actor, kind=kind, body=body)
        audit_record(
            actor=actor,
            action=f"votes.message.{kind}",
            target=initiative,
            data={"message": message.pk},
        )
        if question:
            notify_author(initiative, "question")
    return message


def answer_post(*, actor, question, body):
    """The carrier answers a question of the council."""
    initiative = question.initiative
    if initiative.author_id != actor.pk:
        raise PermissionDenied()
    if question.kind != Message.Kind.QUESTION:
        raise DomainError(_("On ne répond qu'à une question du conseil."))
    body = _clean(body)
    with transaction.atomic():
        answer = Message.objects.create(
            initiative=initiative,
            author=actor,
            kind=Message.Kind.ANSWER,
            body=body,
            answers=question,
        )
        audit_record(
            actor=actor,
            action="votes.message.answer",
            target=initiative,
            data={"message": answer.pk, "question": question.pk},
        )
        notify_answer(answer)
    return answer
