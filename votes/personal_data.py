"""What ``votes`` holds about a person: their mandates, presence and proxies, declared
interests, votes by name (a secret vote records only that they took part), what they
wrote in the council's threads, and the decisions and minutes they recorded or signed
(see ``accounts.privacy``).

These are the council's acts: erasure leaves them as they are — they name the account
by id, and the account no longer names the person. A carrier's answers to the
council's questions on a dossier that received no grant are erased with the dossier's
other personal content. A mandate in office (or to come) stops an erasure: the
commune ends it first."""

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.dates import long_date
from accounts.privacy import Kept, PersonalData, personal_data_register
from votes.models import (
    AgendaItem,
    Attendance,
    Cast,
    Decision,
    Interest,
    Mandate,
    Message,
    Participation,
    Proxy,
    Session,
)

ERASED_MESSAGE = gettext_noop("Message effacé à la demande de son auteur.")


def _session(session):
    return {"council": session.council.name, "starts_at": session.starts_at}


def _item(item):
    return {
        "session": _session(item.session),
        "initiative": item.initiative_id,
        "title": item.initiative.title,
    }


ITEM = ("session__council", "initiative")


def export(user):
    votes = "vote__item__session__council", "vote__item__initiative"
    return {
        "mandates": [
            {
                "council": mandate.council.name,
                "role": mandate.role_label,
                "starts_on": mandate.starts_on,
                "ends_on": mandate.ends_on,
                "end_reason": mandate.end_reason,
            }
            for mandate in Mandate.objects.filter(user=user)
            .select_related("council")
            .order_by("starts_on", "pk")
        ],
        "attendance": [
            {"session": _session(row.session), "present": row.present}
            for row in Attendance.objects.filter(user=user)
            .select_related("session__council")
            .order_by("session__starts_at", "pk")
        ],
        # Which session, and whether they gave or held it: the other member is theirs.
        "proxies": [
            {"session": _session(proxy.session), "given": proxy.giver_id == user.pk}
            for proxy in Proxy.objects.filter(Q(giver=user) | Q(holder=user))
            .select_related("session__council")
            .order_by("session__starts_at", "pk")
        ],
        "interests": [
            {"item": _item(interest.item), "note": interest.note, "at": interest.declared_at}
            for interest in Interest.objects.filter(user=user)
            .select_related(*(f"item__{path}" for path in ITEM))
            .order_by("declared_at", "pk")
        ],
        "votes_by_name": [
            {
                "item": _item(cast.vote.item),
                "mode": cast.vote.get_mode_display(),
                "choice": cast.get_choice_display(),
                "by_proxy": cast.cast_by_id != cast.member_id,
                "at": cast.cast_at,
            }
            for cast in Cast.objects.filter(member=user)
            .select_related("vote", *votes)
            .order_by("cast_at", "pk")
        ],
        # A secret vote keeps who took part, never a choice.
        "secret_votes_taken_part_in": [
            {"item": _item(row.vote.item), "by_proxy": row.cast_by_id != row.member_id}
            for row in Participation.objects.filter(member=user)
            .select_related(*votes)
            .order_by("vote__opened_at", "vote_id")
        ],
        "messages": [
            {
                "initiative": message.initiative_id,
                "kind": message.get_kind_display(),
                "body": message.body,
                "at": message.created_at,
            }
            for message in Message.objects.filter(author=user).order_by("created_at", "pk")
        ],
        "decisions_recorded": list(
            Decision.objects.filter(recorded_by=user)
            .order_by("recorded_at")
            .values("reference", "outcome", "recorded_at")
        ),
        "decisions_published": list(
            Decision.objects.filter(published_by=user)
            .order_by("published_at")
            .values("reference", "published_at")
        ),
        "items_presided": [
            _item(item)
            for item in AgendaItem.objects.filter(acting_chair=user)
            .select_related(*ITEM)
            .order_by("session__starts_at", "position")
        ],
        "minutes_signed": [
            {"session": _session(session), "signed_at": session.minutes_signed_at}
            for session in Session.objects.filter(minutes_signed_by=user)
            .select_related("council")
            .order_by("starts_at")
        ],
    }


def obstacles(user):
    """A seat on a council is a public office: the commune ends it (from the council's
    composition page) before the person's account can be erased."""
    today = timezone.localdate()
    mandates = (
        Mandate.objects.filter(user=user)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .select_related("council")
        .order_by("starts_on")
    )
    found = []
    for mandate in mandates:
        values = {"role": mandate.role_label, "council": mandate.council.name}
        if mandate.ends_on:
            values["day"] = long_date(mandate.ends_on)
            message = _(
                "Vous siégez au « %(council)s » (%(role)s) jusqu'au %(day)s : la commune doit "
                "d'abord mettre fin à ce mandat."
            )
        else:
            message = _(
                "Vous siégez au « %(council)s » (%(role)s) : la commune doit d'abord mettre "
                "fin à ce mandat."
            )
        found.append(message % values)
    return found


def _council_records(user):
    return (
        Mandate.objects.filter(user=user).exists()
        or Attendance.objects.filter(user=user).exists()
        or Cast.objects.filter(Q(member=user) | Q(cast_by=user)).exists()
        or Participation.objects.filter(Q(member=user) | Q(cast_by=user)).exists()
        or Decision.objects.filter(Q(recorded_by=user) | Q(published_by=user)).exists()
    )


def _erasable_answers(user):
    return Message.objects.filter(
        author=user, kind=Message.Kind.ANSWER, initiative__grants__isnull=True
    ).exclude(body=ERASED_MESSAGE)


def kept(user):
    found = []
    if _council_records(user):
        found.append(
            Kept(
                what=_(
                    "Vos mandats, présences, pouvoirs, déclarations d'intérêt et votes "
                    "nominatifs, et les décisions et procès-verbaux que vous avez enregistrés "
                    "ou signés"
                ),
                why=_(
                    "Ce sont les actes publics du conseil : ils ne désignent que le numéro de "
                    "votre compte, et votre nom y est remplacé par « Compte supprimé »."
                ),
            )
        )
    others = Message.objects.filter(author=user).exclude(
        pk__in=_erasable_answers(user).values("pk")
    )
    if others.exists():
        found.append(
            Kept(
                what=_("Vos messages dans les échanges du conseil sur les dossiers"),
                why=_("Ils font partie de l'instruction des dossiers, conservée avec eux."),
            )
        )
    return found


def erase(user):
    answers = _erasable_answers(user).update(body=ERASED_MESSAGE)
    return {"answers_erased": answers}


personal_data_register(
    PersonalData(key="votes", export=export, obstacles=obstacles, kept=kept, erase=erase)
)
