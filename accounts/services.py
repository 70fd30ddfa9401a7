from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from .audit import audit_record
from .errors import DomainError, PermissionDenied
from .models import RoleAssignment, User
from .predicates import can_edit_profile, forget_rights, is_administrator
from .roles import ADMIN_ROLES, STAFF_ROLES, Role, group_for_role
from .system import is_system
from .text import clean_text

PROFILE_FIELDS = ("display_name", "quartier", "language")
# Changed, but not copied into the append-only audit log: a name lives in the account
# row only, which erasure pseudonymises.
UNLOGGED_VALUES = frozenset({"display_name"})


def profile_update(*, actor, user, display_name, quartier, language):
    """Change a user's display name, quartier of residence and language. Only the user
    themself or an administrator may; the audit row records what changed (the name
    itself is not copied there)."""
    if not can_edit_profile(actor, user):
        raise PermissionDenied()
    display_name = (display_name or "").strip()
    if len(display_name) > 120:
        raise DomainError(_("Le nom affiché ne peut dépasser 120 caractères."))
    if language not in {code for code, _name in User._meta.get_field("language").choices}:
        raise DomainError(_("Cette langue n'est pas proposée."))
    new = {"display_name": display_name, "quartier": quartier, "language": language}
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        changes = {}
        for field in PROFILE_FIELDS:
            before, after = getattr(locked, field), new[field]
            if before != after:
                changes[field] = (
                    "changed" if field in UNLOGGED_VALUES else [_plain(before), _plain(after)]
                )
                setattr(locked, field, after)
        if not changes:
            return locked
        locked.save(update_fields=list(changes))
        audit_record(actor=actor, action="accounts.profile.update", target=locked, data=changes)
    for field in changes:
        setattr(user, field, getattr(locked, field))
    return locked


def _plain(value):
    return getattr(value, "pk", value)


def role_grant(*, actor, user, role, quartier=None, starts_on=None, ends_on=None):
    """Give ``user`` a staff role — instructor (for one quartier, or every quartier when
    ``quartier`` is None) or administrator — from ``starts_on`` (today by default) to
    ``ends_on`` (last day, open-ended by default). Administrators only, or the system
    (``accounts.system``: the demo, commands). Council rights are not roles: they
    follow from a mandate (``votes.services.mandate_grant``)."""
    if not (is_system(actor) or is_administrator(actor)):
        raise PermissionDenied()
    try:
        role = Role(role)
    except ValueError:
        raise DomainError(_("Rôle inconnu."), field="role") from None
    if role not in STAFF_ROLES:
        raise DomainError(
            _("Les droits d'un conseil viennent d'un mandat, pas d'un rôle."), field="role"
        )
    if role == Role.ADMINISTRATOR:
        quartier = None
    starts_on = starts_on or timezone.localdate()
    if ends_on is not None and ends_on < starts_on:
        raise DomainError(_("Le dernier jour précède le premier."), field="ends_on")
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        current = RoleAssignment.objects.filter(
            user=user, role=role, quartier=quartier, revoked_at__isnull=True
        ).first()
        if current is not None and current.ends_on is not None and current.ends_on < starts_on:
            # Ended on its own last day: close the row so a new period can begin.
            current.revoked_at = timezone.now()
            current.revoked_reason = gettext("Arrivé à son terme.")
            current.save(update_fields=["revoked_at", "revoked_reason"])
            current = None
        if current is not None:
            raise DomainError(_("Cette personne a déjà ce rôle pour ce périmètre."))
        assignment = RoleAssignment.objects.create(
            user=user, role=role, quartier=quartier, starts_on=starts_on, ends_on=ends_on
        )
        user.groups.add(group_for_role(role))
        if role in ADMIN_ROLES and not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        audit_record(
            actor=actor,
            action="accounts.role.grant",
            target=user,
            data={
                "assignment": assignment.pk,
                "role": role.value,
                "quartier": getattr(quartier, "pk", None),
                "starts_on": starts_on.isoformat(),
                "ends_on": ends_on.isoformat() if ends_on else None,
            },
        )
    forget_rights(user)
    return assignment


def role_revoke(*, actor, assignment, reason):
    """End a staff role now, with a reason: the person loses its rights at once.
    Administrators only; an administrator does not revoke their own administrator
    role (another must, so that the commune always keeps one)."""
    if not (is_system(actor) or is_administrator(actor)):
        raise PermissionDenied()
    reason = clean_text(reason, max_length=300)
    if not reason:
        raise DomainError(_("Indiquez le motif du retrait."), field="reason")
    if (
        not is_system(actor)
        and assignment.user_id == actor.pk
        and assignment.role == Role.ADMINISTRATOR
    ):
        raise DomainError(_("Un autre administrateur doit vous retirer ce rôle."))
    with transaction.atomic():
        locked = RoleAssignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.revoked_at is not None:
            raise DomainError(_("Ce rôle est déjà retiré."))
        locked.revoked_at = timezone.now()
        locked.revoked_reason = reason
        locked.save(update_fields=["revoked_at", "revoked_reason"])
        user = locked.user
        if not RoleAssignment.objects.filter(
            user=user, role=locked.role, revoked_at__isnull=True
        ).exists():
            user.groups.remove(group_for_role(Role(locked.role)))
        audit_record(
            actor=actor,
            action="accounts.role.revoke",
            target=user,
            data={"assignment": locked.pk, "role": locked.role, "reason": reason},
        )
    forget_rights(user)
    forget_rights(assignment.user)
    return locked


def notification_preferences_set(*, actor, user, muted):
    """The kinds of email ``user`` no longer wants (``muted``: kind names). Kinds the
    service must send cannot be muted; an unknown name is refused. Only the person
    themself may choose."""
    from .models import NotificationOptOut
    from .notifications import kind_of

    if actor is None or actor.pk != user.pk:
        raise PermissionDenied()
    wanted = set()
    for key in muted:
        try:
            kind = kind_of(key)
        except LookupError:
            raise DomainError(_("Ce type de courriel n'existe pas."), code="unknown_kind") from None
        if kind.required:
            raise DomainError(
                _("« %(label)s » est un courriel que le service doit vous envoyer.")
                % {"label": kind.label},
                code="required_kind",
            )
        wanted.add(kind.key)
    with transaction.atomic():
        User.objects.select_for_update().get(pk=user.pk)
        current = set(NotificationOptOut.objects.filter(user=user).values_list("kind", flat=True))
        if current == wanted:
            return wanted
        NotificationOptOut.objects.filter(user=user).exclude(kind__in=wanted).delete()
        NotificationOptOut.objects.bulk_create(
            NotificationOptOut(user=user, kind=kind) for kind in sorted(wanted - current)
        )
        audit_record(
            actor=actor,
            action="accounts.notifications.preferences",
            target=user,
            data={"muted": sorted(wanted)},
        )
    return wanted
