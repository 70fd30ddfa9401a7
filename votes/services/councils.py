from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.errors import DomainError, PermissionDenied
from accounts.predicates import is_administrator
from accounts.roles import Role
from accounts.services import role_grant
from votes.models import Council, Mandate


def council_create(*, actor, quartier, name, kind=Council.Kind.QUARTIER, **rules):
    """Create a council and its rules. Administrators only (``actor=None``: the system)."""
    if actor is not None and not is_administrator(actor):
        raise PermissionDenied()
    with transaction.atomic():
        council = Council.objects.create(quartier=quartier, name=name, kind=kind, **rules)
        audit_record(
            actor=actor, action="votes.council.create", target=council, data={"name": name, **rules}
        )
    return council


def mandate_grant(*, actor, council, user, role, starts_on, ends_on=None):
    """Seat ``user`` on ``council``. Administrators only. The person also joins the role
    group (for multi-factor authentication and the back-office)."""
    if actor is not None and not is_administrator(actor):
        raise PermissionDenied()
    if ends_on is not None and ends_on < starts_on:
        raise DomainError(_("La fin du mandat précède son début."))
    with transaction.atomic():
        mandate = Mandate.objects.create(
            council=council, user=user, role=role, starts_on=starts_on, ends_on=ends_on
        )
        role_grant(
            actor=actor,
            user=user,
            role=Role.CHAIR if role == Mandate.Role.CHAIR else Role.COUNCIL_MEMBER,
            quartier=council.quartier,
        )
        audit_record(
            actor=actor,
            action="votes.mandate.grant",
            target=mandate,
            data={"council": council.pk, "user": user.pk, "role": role},
        )
    return mandate
