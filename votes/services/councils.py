"""Councils and their mandates: who sits on the council that decides a quartier's
fund, in which seat, for which period. Administrators only; each change writes an
audit row. Council rights follow from these mandates alone (accounts.predicates)."""

import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.dates import long_date
from accounts.dbutils import constraint_violated
from accounts.errors import DomainError, PermissionDenied
from accounts.invitations import (
    accepted_period,
    account_for_email,
    invitation_kind_register,
    invitation_send,
    payload_date,
)
from accounts.models import Invitation
from accounts.predicates import forget_rights, is_administrator
from accounts.system import is_system
from accounts.text import clean_text
from votes.models import Council, Mandate
from votes.models.council import role_label

RULE_FIELDS = ("quorum_rule", "majority_rule", "chair_casting_vote")
# The seats a council has one of at a time.
SINGLE_SEATS = (Mandate.Role.CHAIR, Mandate.Role.VICE_CHAIR)


def _require_administrator(actor):
    """An administrator, or the system (``accounts.system``: the demo, commands)."""
    if not (is_system(actor) or is_administrator(actor)):
        raise PermissionDenied()


def _clean_rules(kind, rules):
    if kind not in Council.Kind.values:
        raise DomainError(_("Type de conseil inconnu."), field="kind")
    unknown = set(rules) - set(RULE_FIELDS)
    if unknown:
        raise TypeError(f"Not a council rule: {sorted(unknown)}")
    if "quorum_rule" in rules and rules["quorum_rule"] not in Council.QuorumRule.values:
        raise DomainError(_("Règle de quorum inconnue."), field="quorum_rule")
    if "majority_rule" in rules and rules["majority_rule"] not in Council.MajorityRule.values:
        raise DomainError(_("Règle de majorité inconnue."), field="majority_rule")
    if "chair_casting_vote" in rules:
        rules["chair_casting_vote"] = bool(rules["chair_casting_vote"])
    return rules


def council_create(*, actor, quartier, name, kind=Council.Kind.QUARTIER, **rules):
    """Create the council that decides ``quartier``'s fund — one per quartier — and the
    rules it votes by. Administrators only."""
    _require_administrator(actor)
    name = clean_text(name, max_length=150, multiline=False, field="name")
    if not name:
        raise DomainError(_("Indiquez le nom du conseil."), field="name")
    rules = _clean_rules(kind, dict(rules))
    try:
        with transaction.atomic():
            council = Council.objects.create(quartier=quartier, name=name, kind=kind, **rules)
            audit_record(
                actor=actor,
                action="votes.council.create",
                target=council,
                data={"name": name, "kind": kind, "quartier": quartier.pk, **rules},
            )
    except IntegrityError as error:
        if constraint_violated(error, "council_one_per_quartier"):
            raise DomainError(
                _("Ce quartier a déjà son conseil : modifiez-le."), field="quartier"
            ) from None
        raise
    return council


def council_update(*, actor, council, name, kind, **rules):
    """Change a council's name, kind and rules. Administrators only. The rules apply to
    the votes opened from now on."""
    _require_administrator(actor)
    name = clean_text(name, max_length=150, multiline=False, field="name")
    if not name:
        raise DomainError(_("Indiquez le nom du conseil."), field="name")
    rules = _clean_rules(kind, dict(rules))
    with transaction.atomic():
        locked = Council.objects.select_for_update().get(pk=council.pk)
        changes = {}
        for field, value in {"name": name, "kind": kind, **rules}.items():
            if getattr(locked, field) != value:
                changes[field] = [getattr(locked, field), value]
                setattr(locked, field, value)
        if changes:
            locked.save(update_fields=list(changes))
            audit_record(actor=actor, action="votes.council.update", target=locked, data=changes)
    return locked


def _overlaps(queryset, starts_on, ends_on):
    """Mandates of ``queryset`` whose period meets [starts_on, ends_on]."""
    queryset = queryset.filter(Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on))
    if ends_on is not None:
        queryset = queryset.filter(starts_on__lte=ends_on)
    return queryset


def _check_wording(wording):
    if wording not in Mandate.Wording.values:
        raise DomainError(_("Intitulé du siège inconnu."), field="wording")


def _check_mandate(*, council, role, starts_on, ends_on, user=None):
    """The rules a new mandate obeys (``mandate_grant`` checks them again under the
    council's lock): a known seat, a start, an end not before it, no other mandate of
    the same person on this council meeting that period, one chair and one
    vice-chair at a time."""
    if role not in Mandate.Role.values:
        raise DomainError(_("Siège inconnu."), field="role")
    if not isinstance(starts_on, datetime.date):
        raise DomainError(_("Indiquez le début du mandat."), field="starts_on")
    if ends_on is not None and ends_on < starts_on:
        raise DomainError(_("La fin du mandat précède son début."), field="ends_on")
    if user is not None:
        same_person = Mandate.objects.filter(council=council, user=user)
        if _overlaps(same_person, starts_on, ends_on).exists():
            raise DomainError(
                _("Cette personne a déjà un mandat sur ce conseil pour ces dates."),
                field="user",
            )
    if role in SINGLE_SEATS:
        same_seat = Mandate.objects.filter(council=council, role=role)
        if _overlaps(same_seat, starts_on, ends_on).exists():
            raise DomainError(
                _("Ce siège est déjà occupé pour ces dates : mettez d'abord fin au mandat."),
                field="role",
            )


def mandate_grant(
    *,
    actor,
    council,
    user,
    role,
    starts_on,
    ends_on=None,
    wording=Mandate.Wording.INCLUSIVE,
):
    """Seat ``user`` on ``council`` from ``starts_on`` to ``ends_on`` (last day; open
    by default), the seat's title written in ``wording`` (as the person asked).
    Administrators only. Refused: an end before the start, a period meeting another
    mandate of the same person on this council, a second chair or vice-chair for the
    same days."""
    _require_administrator(actor)
    _check_wording(wording)
    _check_mandate(council=council, role=role, starts_on=starts_on, ends_on=ends_on)
    with transaction.atomic():
        Council.objects.select_for_update().get(pk=council.pk)
        _check_mandate(council=council, role=role, starts_on=starts_on, ends_on=ends_on, user=user)
        mandate = Mandate.objects.create(
            council=council,
            user=user,
            role=role,
            wording=wording,
            starts_on=starts_on,
            ends_on=ends_on,
        )
        audit_record(
            actor=actor,
            action="votes.mandate.grant",
            target=mandate,
            data={
                "council": council.pk,
                "user": user.pk,
                "role": role,
                "wording": wording,
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat() if ends_on else None,
            },
        )
    forget_rights(user)
    return mandate


def mandate_end(*, actor, mandate, ends_on, reason):
    """End a mandate early, with a reason: ``ends_on`` is its last day (yesterday ends
    it at once). Administrators only. The person keeps no right on the council after
    that day — every right reads the mandates in office."""
    _require_administrator(actor)
    reason = clean_text(reason, max_length=300, field="reason")
    if not reason:
        raise DomainError(_("Indiquez le motif de la fin du mandat."), field="reason")
    if not isinstance(ends_on, datetime.date):
        raise DomainError(_("Indiquez le dernier jour du mandat."), field="ends_on")
    with transaction.atomic():
        locked = Mandate.objects.select_for_update().get(pk=mandate.pk)
        if ends_on < locked.starts_on:
            raise DomainError(_("La fin du mandat précède son début."), field="ends_on")
        if locked.ends_on is not None and ends_on >= locked.ends_on:
            raise DomainError(
                _("Le mandat prend déjà fin le %(day)s.")
                % {"day": locked.ends_on.strftime("%d/%m/%Y")},
                field="ends_on",
            )
        if ends_on < timezone.localdate() - datetime.timedelta(days=1):
            raise DomainError(
                _("Une fin anticipée prend effet au plus tôt hier soir."), field="ends_on"
            )
        previous = locked.ends_on
        locked.ends_on = ends_on
        locked.end_reason = reason
        locked.save(update_fields=["ends_on", "end_reason"])
        audit_record(
            actor=actor,
            action="votes.mandate.end",
            target=locked,
            data={
                "ends_on": ends_on.isoformat(),
                "previous_end": previous.isoformat() if previous else None,
                "reason": reason,
            },
        )
    forget_rights(locked.user)
    forget_rights(mandate.user)
    return locked


# --- invitations to a seat ---------------------------------------------------------------

MANDATE_INVITATION = "mandate"


def _payload_council(payload):
    council_id = payload.get("council")
    council = None
    if isinstance(council_id, int) and not isinstance(council_id, bool):
        council = Council.objects.select_related("quartier").filter(pk=council_id).first()
    if council is None:
        raise DomainError(_("Ce conseil n'existe pas."), field="council")
    return council


def mandate_invite(
    *,
    actor,
    council,
    email,
    role,
    starts_on,
    ends_on=None,
    wording=Mandate.Wording.INCLUSIVE,
):
    """Invite ``email`` to a seat on ``council``. The account is created (or found)
    and the mandate granted — by the administrator who invited — when the person
    accepts. Checked now as a grant would be (seat taken, end before start, and when
    the address already has an account, a mandate of theirs meeting that period), and
    again on acceptance. Administrators only."""
    return invitation_send(
        actor=actor,
        email=email,
        kind=MANDATE_INVITATION,
        payload={
            "council": council.pk,
            "role": role,
            "wording": wording,
            "starts_on": starts_on,
            "ends_on": ends_on,
        },
    )


def mandate_invitations(council):
    """The invitations to a seat on ``council``, newest first."""
    return Invitation.objects.filter(kind=MANDATE_INVITATION, payload__council=council.pk)


def _invitation_clean(*, actor, email, payload):
    council = _payload_council(payload)
    role = payload.get("role")
    wording = payload.get("wording", Mandate.Wording.INCLUSIVE)
    _check_wording(wording)
    starts_on = payload_date(payload.get("starts_on"), "starts_on")
    ends_on = payload_date(payload.get("ends_on"), "ends_on")
    if ends_on is not None and ends_on < timezone.localdate():
        raise DomainError(_("Cette période est déjà terminée."), field="ends_on")
    _check_mandate(
        council=council,
        role=role,
        starts_on=starts_on,
        ends_on=ends_on,
        user=account_for_email(email),
    )
    return {
        "council": council.pk,
        "role": role,
        "wording": wording,
        "starts_on": starts_on.isoformat(),
        "ends_on": ends_on.isoformat() if ends_on else None,
    }


def _invitation_accept(*, invitation, user):
    payload = invitation.payload
    council = _payload_council(payload)
    starts_on, ends_on = accepted_period(
        payload, ended=_("La période de ce mandat est terminée : l'invitation ne vaut plus.")
    )
    return mandate_grant(
        actor=invitation.invited_by,
        council=council,
        user=user,
        role=payload["role"],
        wording=payload.get("wording", Mandate.Wording.INCLUSIVE),
        starts_on=starts_on,
        ends_on=ends_on,
    )


def _invitation_describe(payload):
    council = Council.objects.filter(pk=payload.get("council")).first()
    seat = role_label(payload.get("role"), payload.get("wording", Mandate.Wording.INCLUSIVE))
    if not seat:
        return ""
    starts_on = payload_date(payload.get("starts_on"), "starts_on")
    ends_on = payload_date(payload.get("ends_on"), "ends_on")
    values = {
        "seat": seat,
        "council": council or "?",
        "start": long_date(starts_on) if starts_on else "",
    }
    if ends_on:
        values["end"] = long_date(ends_on)
        return _("le siège « %(seat)s » au %(council)s, du %(start)s au %(end)s") % values
    return _("le siège « %(seat)s » au %(council)s, à partir du %(start)s") % values


def _may_invite(user):
    """Administrators. Not the system: the seat is granted, when the person accepts,
    in the name of the administrator who invited them."""
    return is_administrator(user)


def register_invitation_kind():
    """Called from ``VotesConfig.ready``: accounts carries out accepted invitations to a
    seat through the functions above."""
    invitation_kind_register(
        name=MANDATE_INVITATION,
        permitted=_may_invite,
        clean=_invitation_clean,
        accept=_invitation_accept,
        describe=_invitation_describe,
        landing_url=lambda: reverse("council_home"),
    )
