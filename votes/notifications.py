"""What votes tells people (accounts.notifications): council members of each
convocation (emailed with its calendar invitation by votes.services.convocations), and
members and instructors of a carrier's answer to the council's question."""

import datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.dates import long_date
from accounts.notifications import notify, register
from fonds.notifications import quartier_instructors
from votes.models import Mandate


def _moment(params):
    return long_date(datetime.datetime.fromisoformat(params["starts_at"]), weekday=True, time=True)


register(
    "convocation",
    label=gettext_lazy("Les convocations du conseil et leurs modifications"),
    audience=gettext_lazy("Membres d'un conseil de quartier"),
    title=lambda p: (
        (
            _("Convocation modifiée : %(council)s, séance du %(date)s")
            if p.get("update")
            else _("Convocation : %(council)s, séance du %(date)s")
        )
        % {**p, "date": _moment(p)}
    ),
    lines=lambda p: [
        ngettext(
            "%(n)d point à l'ordre du jour.", "%(n)d points à l'ordre du jour.", p.get("items", 0)
        )
        % {"n": p.get("items", 0)},
        *([_("Lieu : %(place)s") % p] if p.get("place") else []),
    ],
    required=True,
)
register(
    "carrier_answer",
    label=gettext_lazy("Un porteur répond à une question du conseil"),
    audience=gettext_lazy("Membres d'un conseil de quartier et agents instructeurs"),
    title=lambda p: _("Réponse du porteur : « %(title)s »") % p,
    lines=lambda p: [
        _("Le porteur de « %(title)s » a répondu à la question du conseil de quartier.") % p
    ],
)


def notify_convocation(session, users, *, items, place):
    notify(
        users,
        "convocation",
        params={
            "council": session.council.name,
            "starts_at": timezone.localtime(session.starts_at).isoformat(),
            "update": session.convocation_sequence > 0,
            "items": items,
            "place": place,
        },
        path=reverse("council_session", args=[session.pk]),
        email=False,
    )


def notify_answer(answer):
    """Tell the quartier's council members in office and its instructors that the
    carrier answered; the carrier is not told of their own answer."""
    initiative = answer.initiative
    quartier_id = initiative.fund.quartier_id
    members = [
        mandate.user
        for mandate in Mandate.objects.in_office()
        .filter(council__quartier_id=quartier_id)
        .select_related("user")
    ]
    people = [
        user
        for user in [*members, *quartier_instructors(quartier_id)]
        if user.pk != answer.author_id
    ]
    notify(
        people,
        "carrier_answer",
        params={"title": initiative.title},
        path=reverse("initiative_detail", args=[initiative.pk]),
    )
