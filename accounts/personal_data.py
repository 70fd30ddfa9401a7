"""What ``accounts`` holds about a person: the account and its profile, email addresses,
second factors, staff roles, invitations, previous archives, and the audit rows of what
they did or what was done to their account (see ``accounts.privacy``)."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.dates import long_date

from .models import AuditEntry, DataExport, Invitation, RoleAssignment, User
from .privacy import (
    Kept,
    PersonalData,
    data_exports_delete,
    personal_data_register,
    pseudonymised_email,
)

ERASED_INVITATION_EMAIL = "invitation@efface.invalid"


def _quartier(quartier):
    return None if quartier is None else {"id": quartier.pk, "name": quartier.name}


def _addresses(user):
    addresses = {user.email.lower()}
    addresses |= {
        email.lower()
        for email in EmailAddress.objects.filter(user=user).values_list("email", flat=True)
    }
    return addresses


def _invitations_received(user):
    query = Q(accepted_by=user)
    for address in _addresses(user):
        query |= Q(email__iexact=address)
    return Invitation.objects.filter(query)


def _wagtail_profile(user):
    """The Wagtail admin's preferences and avatar of the person, if they have any."""
    return getattr(user, "wagtail_userprofile", None)


def export(user):
    profile = _wagtail_profile(user)
    return {
        "account": {
            "id": user.pk,
            "email": user.email,
            "display_name": user.display_name,
            "quartier": _quartier(user.quartier),
            "language": user.language,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "is_active": user.is_active,
            "is_staff": user.is_staff,
            "groups": sorted(user.groups.values_list("name", flat=True)),
        },
        "email_addresses": list(
            EmailAddress.objects.filter(user=user)
            .order_by("pk")
            .values("email", "verified", "primary")
        ),
        # What kind of second factor, and when it was used: never its secret.
        "second_factors": list(
            Authenticator.objects.filter(user=user)
            .order_by("pk")
            .values("type", "created_at", "last_used_at")
        ),
        "admin_preferences": None
        if profile is None
        else {
            "preferred_language": profile.preferred_language,
            "current_time_zone": profile.current_time_zone,
            "avatar": bool(profile.avatar),
        },
        "staff_roles": [
            {
                "role": assignment.get_role_display(),
                "quartier": _quartier(assignment.quartier),
                "starts_on": assignment.starts_on,
                "ends_on": assignment.ends_on,
                "revoked_at": assignment.revoked_at,
                "revoked_reason": assignment.revoked_reason,
                "granted_at": assignment.granted_at,
            }
            for assignment in RoleAssignment.objects.filter(user=user)
            .select_related("quartier")
            .order_by("pk")
        ],
        "invitations_received": list(
            _invitations_received(user)
            .order_by("pk")
            .values("email", "kind", "payload", "created_at", "expires_at", "accepted_at")
        ),
        # Whom they invited is the invited person's data: only what and when.
        "invitations_sent": list(
            Invitation.objects.filter(invited_by=user)
            .order_by("pk")
            .values("kind", "created_at", "accepted_at", "cancelled_at")
        ),
        "account_history": [
            {
                "date": row.history_date,
                "change": row.get_history_type_display(),
                "quartier": row.quartier_id,
                "language": row.language,
                "is_active": row.is_active,
                "is_staff": row.is_staff,
            }
            for row in User.history.filter(id=user.pk).order_by("history_date", "history_id")
        ],
        "audit_log": {
            "actions": list(
                AuditEntry.objects.filter(actor=user)
                .order_by("created_at", "pk")
                .values("created_at", "action", "target_type", "target_id", "data")
            ),
            # Done to their account by someone else: what and when, not who.
            "about_the_account": list(
                AuditEntry.objects.filter(target_type="accounts.user", target_id=str(user.pk))
                .exclude(actor=user)
                .order_by("created_at", "pk")
                .values("created_at", "action", "data")
            ),
        },
        "data_exports": list(
            DataExport.objects.filter(user=user)
            .order_by("requested_at")
            .values("requested_at", "status", "ready_at", "expires_at")
        ),
        "notifications": list(
            user.notifications.order_by("created_at", "pk").values(
                "created_at", "kind", "params", "link", "read_at", "emailed"
            )
        ),
        "emails_turned_off": sorted(user.notification_opt_outs.values_list("kind", flat=True)),
    }


def files(user):
    profile = _wagtail_profile(user)
    if profile is not None and profile.avatar:
        name = profile.avatar.name
        yield profile.avatar.storage, name, f"fichiers/compte/{name.rsplit('/', 1)[-1]}"


def _day(value):
    return long_date(value)


def obstacles(user):
    """A staff role (today's or one to come) is the commune's to end, not the person's:
    the records of their work name their account."""
    today = timezone.localdate()
    found = []
    roles = RoleAssignment.objects.filter(revoked_at__isnull=True).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today)
    )
    for assignment in roles.filter(user=user).select_related("quartier").order_by("pk"):
        where = assignment.quartier or _("toute la commune")
        if assignment.ends_on:
            found.append(
                _(
                    "Vous exercez le rôle « %(role)s » (%(where)s) jusqu'au %(day)s : "
                    "un administrateur doit d'abord y mettre fin."
                )
                % {
                    "role": assignment.get_role_display(),
                    "where": where,
                    "day": _day(assignment.ends_on),
                }
            )
        else:
            found.append(
                _(
                    "Vous exercez le rôle « %(role)s » (%(where)s) : un administrateur doit "
                    "d'abord y mettre fin."
                )
                % {"role": assignment.get_role_display(), "where": where}
            )
    if user.is_superuser and not found:
        found.append(
            _(
                "Votre compte administre la plateforme : un autre administrateur doit d'abord "
                "lui retirer ce droit."
            )
        )
    return found


def kept(user):
    if not AuditEntry.objects.filter(actor=user).exists():
        return []
    return [
        Kept(
            what=_("Le journal d'audit de ce que vous avez fait sur la plateforme"),
            why=_(
                "Il ne se modifie jamais et désigne votre compte par son seul numéro, sans "
                "nom ni adresse."
            ),
        )
    ]


def erase(user):
    """Addresses, second factors, admin preferences, archives and notifications go; invitations sent
    to the person keep no address (those still open are cancelled); the account keeps
    its number and nothing that names the person."""
    now = timezone.now()
    invitations = _invitations_received(user)
    cancelled = invitations.filter(accepted_at__isnull=True, cancelled_at__isnull=True).update(
        cancelled_at=now
    )
    invited = invitations.update(email=ERASED_INVITATION_EMAIL)
    addresses, _by_model = EmailAddress.objects.filter(user=user).delete()
    factors, _by_model = Authenticator.objects.filter(user=user).delete()
    profile = _wagtail_profile(user)
    if profile is not None:
        avatar = profile.avatar.name if profile.avatar else ""
        storage = profile.avatar.storage
        profile.delete()
        if avatar:
            transaction.on_commit(lambda: storage.delete(avatar))
    exports = list(DataExport.objects.filter(user=user))
    data_exports_delete(exports)
    notifications, _by_model = user.notifications.all().delete()
    user.notification_opt_outs.all().delete()
    user.groups.clear()
    user.user_permissions.clear()
    user.email = pseudonymised_email(user)
    user.display_name = ""
    user.quartier = None
    user.set_unusable_password()
    user.is_active = user.is_staff = user.is_superuser = False
    user.last_login = None
    user.erased_at = now
    user.save()
    return {
        "email_addresses": addresses,
        "second_factors": factors,
        "invitations": invited,
        "invitations_cancelled": cancelled,
        "exports": len(exports),
        "notifications": notifications,
    }


personal_data_register(
    PersonalData(
        key="accounts", export=export, files=files, obstacles=obstacles, kept=kept, erase=erase
    )
)
