"""What fonds tells people (accounts.notifications): the carrier, at every step of their
dossier and of each payment; the quartier's instructors, of each dossier and bilan that
waits for them."""

import datetime

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.dates import long_date
from accounts.models import RoleAssignment
from accounts.notifications import (
    absolute,
    are_muted,
    notifications_muted,
    notify,
    notify_contact,
    register,
)
from accounts.roles import Role
from fonds.money import euros

__all__ = [
    "are_muted",
    "notifications_muted",
    "notify_author",
    "notify_instructors",
    "notify_payment",
]

# The dossier's steps, as the carrier reads them: (title, first line).
STEPS = {
    "submitted": (
        lambda: _("Votre initiative « %(title)s » est déposée"),
        lambda: _(
            "Votre initiative « %(title)s » est bien déposée auprès du fonds du quartier "
            "%(quartier)s. Un agent de la ville va l'examiner."
        ),
    ),
    "incomplete": (
        lambda: _("Votre initiative « %(title)s » est à compléter"),
        lambda: _(
            "L'agent qui examine votre initiative « %(title)s » vous demande de la compléter."
        ),
    ),
    "admissible": (
        lambda: _("Votre initiative « %(title)s » est recevable"),
        lambda: _(
            "Votre initiative « %(title)s » est recevable : elle sera inscrite à l'ordre du "
            "jour du conseil de quartier."
        ),
    ),
    "inadmissible": (
        lambda: _("Votre initiative « %(title)s » n'est pas recevable"),
        lambda: _("Votre initiative « %(title)s » n'est pas recevable."),
    ),
    "withdrawn": (
        lambda: _("Votre initiative « %(title)s » est retirée"),
        lambda: _("Votre initiative « %(title)s » est retirée."),
    ),
    "decision_granted": (
        lambda: _("Une subvention est accordée à « %(title)s »"),
        lambda: _(
            "Le conseil de quartier a accordé une subvention de %(amount)s à votre "
            "initiative « %(title)s » (décision %(reference)s). La décision est publiée sur "
            "le site."
        ),
    ),
    "decision_refused": (
        lambda: _("Le conseil n'a pas retenu « %(title)s »"),
        lambda: _(
            "Le conseil de quartier n'a pas retenu votre initiative « %(title)s » (décision "
            "%(reference)s). La décision est publiée sur le site."
        ),
    ),
    "decision_deferred": (
        lambda: _("La décision sur « %(title)s » est ajournée"),
        lambda: _(
            "Le conseil de quartier a ajourné sa décision sur votre initiative « %(title)s » : "
            "elle sera examinée lors d'une prochaine séance."
        ),
    ),
    "closed": (
        lambda: _("Le bilan de « %(title)s » est accepté"),
        lambda: _(
            "Le bilan de votre initiative « %(title)s » est accepté : le dossier est clôturé. "
            "Merci pour votre engagement !"
        ),
    ),
    "report_completion_asked": (
        lambda: _("Le bilan de « %(title)s » est à compléter"),
        lambda: _(
            "L'agent qui examine le bilan de votre initiative « %(title)s » vous demande de le "
            "compléter. Complétez-le depuis votre espace."
        ),
    ),
    "report_refused": (
        lambda: _("Le bilan de « %(title)s » n'est pas accepté"),
        lambda: _(
            "Le bilan de votre initiative « %(title)s » n'est pas accepté. Le montant de la "
            "subvention qui n'est pas versé reste engagé jusqu'à ce qu'une décision en dispose."
        ),
    ),
    "repayment_asked": (
        lambda: _("Remboursement demandé pour « %(title)s »"),
        lambda: _(
            "La ville vous demande de rembourser %(amount)s de la subvention de votre "
            "initiative « %(title)s », avant le %(due_on)s. Le Trésor public vous adressera "
            "l'avis de paiement ; suivez la demande dans votre espace."
        ),
    ),
    "repayment_cancelled": (
        lambda: _("Demande de remboursement annulée pour « %(title)s »"),
        lambda: _(
            "La demande de remboursement de la subvention de votre initiative « %(title)s » "
            "est annulée."
        ),
    ),
    "question": (
        lambda: _("Le conseil de quartier a une question sur « %(title)s »"),
        lambda: _(
            "Le conseil de quartier vous pose une question sur votre initiative « %(title)s ». "
            "Répondez depuis votre espace."
        ),
    ),
}


def _granted_without_amount():
    return _(
        "Le conseil de quartier a accordé une subvention à votre initiative « %(title)s » "
        "(décision %(reference)s). La décision est publiée sur le site."
    )


def _values(params):
    values = dict(params)
    if "amount" in values:
        values["amount"] = euros(values["amount"])
    if "due_on" in values:
        values["due_on"] = long_date(datetime.date.fromisoformat(values["due_on"]))
    return values


def _step_title(params):
    title, _line = STEPS.get(params.get("event"), STEPS["submitted"])
    return title() % _values(params)


def _step_lines(params):
    _title, line = STEPS.get(params.get("event"), STEPS["submitted"])
    if params.get("event") == "decision_granted" and "amount" not in params:
        line = _granted_without_amount
    lines = [line() % _values(params)]
    if params.get("reason"):
        label = _("Message :")
        lines.append(f"{label}\n{params['reason']}")
    if params.get("decision_link"):
        lines.append(_("La décision : %(link)s") % {"link": params["decision_link"]})
    if params.get("space_link"):
        lines.append(
            _("Suivez votre dossier dans votre espace : %(link)s") % {"link": params["space_link"]}
        )
    return lines


register(
    "dossier",
    label=gettext_lazy("Les étapes de mon dossier et les décisions du conseil"),
    audience=gettext_lazy("Porteurs d'une initiative"),
    title=_step_title,
    lines=_step_lines,
    required=True,
)
register(
    "payment",
    label=gettext_lazy("Les versements de ma subvention"),
    audience=gettext_lazy("Porteurs d'une initiative"),
    title=lambda p: _("Versement de %(amount)s pour « %(title)s »") % _values(p),
    lines=lambda p: [
        _("Un versement de %(amount)s pour votre initiative « %(title)s » a été payé le %(date)s.")
        % {**_values(p), "date": long_date(datetime.date.fromisoformat(p["date"]))},
        _("Référence du paiement : %(reference)s.") % p,
    ],
    required=True,
)
register(
    "dossier_new",
    label=gettext_lazy("Un nouveau dossier est déposé dans mon quartier"),
    audience=gettext_lazy("Agents instructeurs"),
    title=lambda p: _("Nouveau dossier : « %(title)s »") % p,
    lines=lambda p: [
        _("« %(title)s » est déposé au fonds du quartier %(quartier)s : %(amount)s demandés.")
        % _values(p)
    ],
)
register(
    "dossier_resubmitted",
    label=gettext_lazy("Un porteur a complété son dossier"),
    audience=gettext_lazy("Agents instructeurs"),
    title=lambda p: _("Dossier complété : « %(title)s »") % p,
    lines=lambda p: [
        _(
            "Le porteur de « %(title)s » (quartier %(quartier)s) a complété son dossier et "
            "l'a déposé de nouveau."
        )
        % p
    ],
)
register(
    "report_filed",
    label=gettext_lazy("Un bilan est déposé dans mon quartier"),
    audience=gettext_lazy("Agents instructeurs"),
    title=lambda p: _("Bilan déposé : « %(title)s »") % p,
    lines=lambda p: [
        _(
            "Le porteur de « %(title)s » (quartier %(quartier)s) a déposé son bilan : il "
            "attend votre examen."
        )
        % p
    ],
)
register(
    "report_completed",
    label=gettext_lazy("Un porteur a complété son bilan"),
    audience=gettext_lazy("Agents instructeurs"),
    title=lambda p: _("Bilan complété : « %(title)s »") % p,
    lines=lambda p: [
        _(
            "Le porteur de « %(title)s » (quartier %(quartier)s) a complété son bilan : il "
            "attend de nouveau votre examen."
        )
        % p
    ],
)


register(
    "bank_changed",
    label=gettext_lazy("Un changement du compte où ma subvention est versée"),
    audience=gettext_lazy("Porteurs d'une initiative"),
    title=lambda p: _("Le compte de versement de « %(title)s » a changé") % p,
    lines=lambda p: [
        _(
            "Le compte où la subvention de « %(title)s » est versée est désormais %(account)s. "
            "Si vous n'êtes pas à l'origine de ce changement, prévenez la mairie sans attendre."
        )
        % p
    ],
    required=True,
)
register(
    "bank_to_confirm",
    label=gettext_lazy("Un porteur a changé de compte après la décision"),
    audience=gettext_lazy("Agents instructeurs"),
    title=lambda p: _("Compte à confirmer : « %(title)s »") % p,
    lines=lambda p: [
        _(
            "Le porteur de « %(title)s » (quartier %(quartier)s) a indiqué un nouveau compte "
            "après la décision : confirmez-le avant le prochain paiement."
        )
        % p
    ],
)


def _dossier(initiative):
    return {"title": initiative.title, "quartier": initiative.fund.quartier.name}


def notify_author(initiative, event, reason="", **extra):
    """Tell the carrier of ``event`` on their dossier (a decision with its amount,
    reference and link), once the current transaction commits."""
    space = reverse("my_space")
    params = {**_dossier(initiative), "event": str(event), "space_link": absolute(space), **extra}
    if reason:
        params["reason"] = reason
    if initiative.author_id is None:
        # Filed at the counter for a resident without an account: their email, if any
        # (a postal address is written to by staff).
        notify_contact(
            initiative.contact_email,
            "dossier",
            params=params,
            path=space,
            name=initiative.carrier_name,
        )
        return
    notify([initiative.author], "dossier", params=params, path=space)


def quartier_instructors(quartier_id):
    from accounts.models import User

    return User.objects.filter(
        role_assignments__in=RoleAssignment.objects.in_force().filter(
            role=Role.INSTRUCTOR, quartier_id=quartier_id
        )
    ).distinct()


def notify_instructors(initiative, key, *, path=None, exclude=None):
    """Tell the instructors of the dossier's quartier (not ``exclude``, who acted)."""
    if are_muted():
        return []
    people = [
        user
        for user in quartier_instructors(initiative.fund.quartier_id)
        if exclude is None or user.pk != exclude.pk
    ]
    params = {**_dossier(initiative), "amount": str(initiative.requested_amount)}
    path = path or reverse("initiative_detail", args=[initiative.pk])
    return notify(people, key, params=params, path=path)


def notify_payment(transaction_):
    """Tell the carrier of a payment: amount, date, reference."""
    initiative = transaction_.grant.initiative
    notify(
        [initiative.author],
        "payment",
        params={
            **_dossier(initiative),
            "amount": str(transaction_.amount),
            "date": transaction_.payment_date.isoformat(),
            "reference": transaction_.reference,
        },
        path=reverse("my_space"),
    )
