"""Invitations by email to take up a mandate or a staff role, for someone who may not
have an account yet: the account is created (or found) when the person accepts.

What an invitation offers is its ``kind`` and ``payload``; the app that owns the offer
registers, for its kind, how to check a payload when it is sent and how to carry it out
when it is accepted (``invitation_kind_register``). ``accounts`` imports no other app:
``votes`` registers its "mandate" kind from its ``AppConfig.ready``; the "staff_role"
kind is registered here.

Only a sha256 of the token is stored. The link is emailed after the commit by a task;
the token travels to that task encrypted with a key derived from ``SECRET_KEY`` (the
task queue is a database table), so that the database alone never holds a usable link.
"""

import base64
import datetime
import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from allauth.account.models import EmailAddress
from cryptography.fernet import Fernet
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from accounts.dates import long_date

from .audit import audit_record
from .dbutils import constraint_violated
from .errors import DomainError, PermissionDenied
from .models import Invitation, RoleAssignment, User
from .predicates import forget_rights, is_administrator
from .roles import STAFF_ROLES, Role
from .services import role_grant
from .text import clean_text

VALIDITY = datetime.timedelta(days=14)
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{20,100}")

STAFF_ROLE = "staff_role"


class State:
    """Where an invitation stands (computed: the model stores only dates)."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class InvitationUnusable(DomainError):
    """The token leads to no invitation that can still be accepted; ``code`` says why
    (``unknown``, ``expired``, ``cancelled``, ``accepted``)."""


# --- the registry ----------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationKind:
    """How one kind of invitation is checked, described and carried out.

    * ``permitted(user)``: may ``user`` send (and cancel) invitations of this kind;
    * ``clean(*, actor, email, payload)``: the payload made JSON-ready, or a
      ``DomainError`` naming the field at fault (checked when it is sent);
    * ``accept(*, invitation, user)``: carries it out for ``user``, inside the
      transaction of the acceptance (a ``DomainError`` rolls everything back);
    * ``describe(payload)``: what is offered, in words, in the active language;
    * ``landing_url()``: where the person goes once they accepted.
    """

    name: str
    permitted: Callable
    clean: Callable
    accept: Callable
    describe: Callable
    landing_url: Callable


_KINDS: dict[str, InvitationKind] = {}


def invitation_kind_register(*, name, permitted, clean, accept, describe, landing_url):
    """Register (or replace, for the same name) the handler of one kind."""
    _KINDS[name] = InvitationKind(
        name=name,
        permitted=permitted,
        clean=clean,
        accept=accept,
        describe=describe,
        landing_url=landing_url,
    )


def invitation_kind(name):
    try:
        return _KINDS[name]
    except KeyError:
        raise DomainError(_("Type d'invitation inconnu."), field="kind") from None


# --- reading -----------------------------------------------------------------------------


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_state(invitation, now=None):
    now = now or timezone.now()
    if invitation.accepted_at is not None:
        return State.ACCEPTED
    if invitation.cancelled_at is not None:
        return State.CANCELLED
    if invitation.expires_at <= now:
        return State.EXPIRED
    return State.PENDING


def pending_invitations(now=None):
    """Invitations that can still be accepted."""
    return Invitation.objects.filter(
        accepted_at__isnull=True, cancelled_at__isnull=True, expires_at__gt=now or timezone.now()
    )


def invitation_description(invitation):
    """What ``invitation`` offers, in words (empty if its kind is no longer known)."""
    kind = _KINDS.get(invitation.kind)
    return kind.describe(invitation.payload) if kind else ""


def account_for_email(email):
    """The account that signs in with ``email``, or owns it as a verified address."""
    email = (email or "").strip()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        address = (
            EmailAddress.objects.filter(email__iexact=email, verified=True)
            .select_related("user")
            .first()
        )
        user = address.user if address else None
    return user


def email_matches(user, email):
    """True if ``user`` signs in with ``email`` or has it as a verified address."""
    if not user.is_authenticated:
        return False
    if user.email.lower() == email.lower():
        return True
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


def invitation_for_token(token, *, lock=False):
    """The invitation of ``token`` if it can still be accepted, else
    ``InvitationUnusable``. With ``lock``, the row is locked until the end of the
    transaction, so that two acceptances run one after the other."""
    invitations = Invitation.objects.select_for_update() if lock else Invitation.objects
    invitation = None
    if TOKEN_PATTERN.fullmatch(token or ""):
        invitation = invitations.filter(token_hash=token_hash(token)).first()
    if invitation is None:
        raise InvitationUnusable(
            _("Ce lien d'invitation n'existe pas : vérifiez qu'il est complet."), code="unknown"
        )
    state = invitation_state(invitation)
    if state == State.ACCEPTED:
        raise InvitationUnusable(_("Cette invitation a déjà été acceptée."), code=state)
    if state == State.CANCELLED:
        raise InvitationUnusable(_("Cette invitation a été annulée."), code=state)
    if state == State.EXPIRED:
        raise InvitationUnusable(
            _("Cette invitation a expiré : demandez-en une nouvelle à la mairie."), code=state
        )
    invitation.state = state
    return invitation


# --- writing ------------------------------------------------------------------------------


def _clean_email(email):
    email = clean_text(email, max_length=254, multiline=False, field="email").lower()
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(_("Saisissez une adresse électronique valide."), field="email") from None
    return email


def invitation_send(*, actor, email, kind, payload, valid_for=VALIDITY):
    """Invite ``email`` to what ``kind`` and ``payload`` offer, for ``valid_for``.
    Refused: an actor the kind does not permit, a payload its handler refuses, a
    second pending invitation to the same address for the same offer. The email
    leaves after the commit. The token is set on the returned invitation
    (``invitation.token``) and stored nowhere."""
    handler = invitation_kind(kind)
    if not handler.permitted(actor):
        raise PermissionDenied()
    email = _clean_email(email)
    payload = handler.clean(actor=actor, email=email, payload=dict(payload))
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        duplicate = pending_invitations().filter(email=email, kind=kind, payload=payload)
        if duplicate.exists():
            raise DomainError(
                _("Une invitation identique attend déjà la réponse de cette personne."),
                field="email",
            )
        invitation = Invitation.objects.create(
            email=email,
            kind=kind,
            payload=payload,
            token_hash=token_hash(token),
            invited_by=actor if actor is not None and actor.is_authenticated else None,
            expires_at=timezone.now() + valid_for,
        )
        # The address is personal data: the audit log keeps the row's id, not it.
        audit_record(
            actor=actor,
            action="accounts.invitation.send",
            target=invitation,
            data={"kind": kind, "payload": payload},
        )
        sealed = _seal(token)
        invitation_id = invitation.pk
        transaction.on_commit(lambda: send_invitation_email.enqueue(invitation_id, sealed))
    invitation.token = token
    return invitation


def invitation_cancel(*, actor, invitation):
    """Cancel a pending invitation: its link no longer works. Whoever may send its
    kind may cancel it."""
    handler = invitation_kind(invitation.kind)
    if not handler.permitted(actor):
        raise PermissionDenied()
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        state = invitation_state(locked)
        if state != State.PENDING:
            raise DomainError(
                {
                    State.ACCEPTED: _("Cette invitation a déjà été acceptée."),
                    State.CANCELLED: _("Cette invitation est déjà annulée."),
                    State.EXPIRED: _("Cette invitation a déjà expiré."),
                }[state]
            )
        locked.cancelled_at = timezone.now()
        locked.save(update_fields=["cancelled_at"])
        audit_record(
            actor=actor,
            action="accounts.invitation.cancel",
            target=locked,
            data={"kind": locked.kind},
        )
    return locked


def invitation_accept(*, token, user):
    """``user`` — signed in with the invited address — accepts the invitation: its
    kind's handler carries out the offer in the same transaction as the acceptance and
    its audit row. A second acceptance finds the invitation used and changes nothing.
    An invitation whose sender has since lost the right to send it is refused."""
    if not user.is_authenticated:
        raise PermissionDenied()
    with transaction.atomic():
        invitation = invitation_for_token(token, lock=True)
        if not email_matches(user, invitation.email):
            raise PermissionDenied(_("Cette invitation est adressée à une autre adresse."))
        handler = invitation_kind(invitation.kind)
        sender = invitation.invited_by
        if not handler.permitted(sender):
            raise DomainError(
                _(
                    "Cette invitation n'est plus valable : la personne qui l'a envoyée n'en a "
                    "plus le droit. Demandez-en une nouvelle."
                ),
                code="sender_lost_right",
            )
        result = handler.accept(invitation=invitation, user=user)
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        audit_record(
            actor=user,
            action="accounts.invitation.accept",
            target=invitation,
            data={"kind": invitation.kind, "user": user.pk, "result": getattr(result, "pk", None)},
        )
    forget_rights(user)
    invitation.result = result
    return invitation


def invitation_signup(*, token, display_name, password, language="fr"):
    """Create the account of an invited person who has none, and accept the
    invitation, in one transaction: the address is marked verified, since the link
    that reached it proves it. Refused when an account already uses the address (the
    person signs in and accepts instead)."""
    display_name = clean_text(display_name, max_length=120, multiline=False, field="display_name")
    if not display_name:
        raise DomainError(_("Indiquez le nom que les autres verront."), field="display_name")
    try:
        with transaction.atomic():
            invitation = invitation_for_token(token, lock=True)
            if account_for_email(invitation.email) is not None:
                raise DomainError(
                    _("Un compte utilise déjà cette adresse : connectez-vous pour accepter."),
                    code="account_exists",
                )
            user = User(email=invitation.email, display_name=display_name, language=language)
            try:
                validate_password(password, user)
            except ValidationError as error:
                raise DomainError(
                    " ".join(error.messages), field="password", errors={"password": error.messages}
                ) from None
            user.set_password(password)
            user.save()
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
            audit_record(
                actor=user,
                action="accounts.user.create",
                target=user,
                data={"invitation": invitation.pk},
            )
            invitation_accept(token=token, user=user)
    except IntegrityError as error:
        if not constraint_violated(error, "accounts_user_email_key"):
            raise
        raise DomainError(
            _("Un compte utilise déjà cette adresse : connectez-vous pour accepter."),
            code="account_exists",
        ) from None
    return user


# --- the email ----------------------------------------------------------------------------


def _fernet():
    key = hashlib.sha256(f"accounts.invitations:{settings.SECRET_KEY}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _seal(token):
    return _fernet().encrypt(token.encode()).decode()


def _unseal(sealed):
    return _fernet().decrypt(sealed.encode()).decode()


def invitation_url(token):
    return f"{settings.SITE_URL}{reverse('accounts_invitation', args=[token])}"


@task()
def send_invitation_email(invitation_id, sealed_token):
    invitation = Invitation.objects.select_related("invited_by").filter(pk=invitation_id).first()
    if invitation is None or invitation_state(invitation) != State.PENDING:
        return  # cancelled (or gone) before the email left
    with translation.override(settings.LANGUAGE_CODE):
        offer = invitation_description(invitation)
        subject = _("Invitation : %(offer)s") % {"offer": offer}
        body = render_to_string(
            "accounts/email/invitation.txt",
            {
                "invitation": invitation,
                "offer": offer,
                "sender": invitation.invited_by,
                "link": invitation_url(_unseal(sealed_token)),
                "expires_at": invitation.expires_at,
                "site_name": settings.WAGTAIL_SITE_NAME,
            },
        )
    send_mail(subject, body, None, [invitation.email])


# --- the staff-role kind -----------------------------------------------------------------


def _quartiers():
    """The quartier model, named through the relation: accounts imports no other app."""
    return RoleAssignment._meta.get_field("quartier").related_model.objects


def payload_date(value, field):
    """A date of an invitation's payload (ISO text), or ``None``; a French error naming
    ``field`` when it is not a date."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise DomainError(_("Saisissez une date valide."), field=field) from None


def _clean_staff_role(*, actor, email, payload):
    try:
        role = Role(payload.get("role"))
    except ValueError:
        raise DomainError(_("Rôle inconnu."), field="role") from None
    if role not in STAFF_ROLES:
        raise DomainError(
            _("Les droits d'un conseil viennent d'un mandat, pas d'un rôle."), field="role"
        )
    quartier = payload.get("quartier")
    quartier_id = getattr(quartier, "pk", quartier)
    if role == Role.ADMINISTRATOR:
        quartier_id = None
    elif quartier_id is not None and not _quartiers().filter(pk=quartier_id).exists():
        raise DomainError(_("Ce quartier n'existe pas."), field="quartier")
    starts_on = payload_date(payload.get("starts_on"), "starts_on") or timezone.localdate()
    ends_on = payload_date(payload.get("ends_on"), "ends_on")
    if ends_on is not None and ends_on < starts_on:
        raise DomainError(_("Le dernier jour précède le premier."), field="ends_on")
    if ends_on is not None and ends_on < timezone.localdate():
        raise DomainError(_("Cette période est déjà terminée."), field="ends_on")
    return {
        "role": role.value,
        "quartier": quartier_id,
        "starts_on": starts_on.isoformat(),
        "ends_on": ends_on.isoformat() if ends_on else None,
    }


def _accept_staff_role(*, invitation, user):
    payload = invitation.payload
    quartier = None
    if payload.get("quartier") is not None:
        quartier = _quartiers().filter(pk=payload["quartier"]).first()
        if quartier is None:
            raise DomainError(_("Le quartier de cette invitation n'existe plus."))
    starts_on, ends_on = accepted_period(
        payload, ended=_("La période de ce rôle est terminée : l'invitation ne vaut plus.")
    )
    return role_grant(
        actor=invitation.invited_by,
        user=user,
        role=payload["role"],
        quartier=quartier,
        starts_on=starts_on,
        ends_on=ends_on,
    )


def accepted_period(payload, *, ended):
    """The first and last days of a right taken up on acceptance: it starts the day it
    is accepted at the earliest — never a right in the past — and ``ended`` (a French
    message) refuses it once its last day has passed."""
    today = timezone.localdate()
    ends_on = payload_date(payload.get("ends_on"), "ends_on")
    if ends_on is not None and ends_on < today:
        raise DomainError(ended)
    return max(payload_date(payload["starts_on"], "starts_on"), today), ends_on


def _period(payload):
    starts_on = payload_date(payload.get("starts_on"), "starts_on")
    ends_on = payload_date(payload.get("ends_on"), "ends_on")
    start = long_date(starts_on) if starts_on else ""
    if ends_on:
        return _("du %(start)s au %(end)s") % {
            "start": start,
            "end": long_date(ends_on),
        }
    return _("à partir du %(start)s") % {"start": start}


def _describe_staff_role(payload):
    try:
        role = Role(payload.get("role")).label
    except ValueError:
        return ""
    if payload.get("role") == Role.ADMINISTRATOR:
        where = _("pour toute la commune")
    elif payload.get("quartier") is None:
        where = _("pour tous les quartiers")
    else:
        quartier = _quartiers().filter(pk=payload["quartier"]).first()
        where = _("pour le quartier %(name)s") % {"name": quartier or "?"}
    return _("le rôle « %(role)s » %(where)s, %(period)s") % {
        "role": role,
        "where": where,
        "period": _period(payload),
    }


def role_invite(*, actor, email, role, quartier=None, starts_on=None, ends_on=None):
    """Invite ``email`` to a staff role (see ``accounts.services.role_grant``): the role
    is granted when the person accepts, by the administrator who invited them."""
    return invitation_send(
        actor=actor,
        email=email,
        kind=STAFF_ROLE,
        payload={"role": role, "quartier": quartier, "starts_on": starts_on, "ends_on": ends_on},
    )


def _administrators_only(user):
    """Administrators. Not the system: the role is granted, when the person accepts,
    in the name of the administrator who invited them."""
    return is_administrator(user)


invitation_kind_register(
    name=STAFF_ROLE,
    permitted=_administrators_only,
    clean=_clean_staff_role,
    accept=_accept_staff_role,
    describe=_describe_staff_role,
    landing_url=lambda: reverse("wagtailadmin_home"),
)

__all__ = [
    "InvitationUnusable",
    "State",
    "account_for_email",
    "invitation_accept",
    "invitation_cancel",
    "invitation_kind_register",
    "invitation_send",
    "invitation_signup",
    "invitation_state",
    "pending_invitations",
    "role_invite",
]
