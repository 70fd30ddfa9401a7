"""The account a grant is paid to: given by the carrier, checked (python-stdnum), read
whole only by the carrier and the quartier's payment officers. A change once a grant
exists is told to the carrier's email and waits for an instructor's confirmation before
the next payment."""

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum import iban as iban_number
from stdnum.exceptions import ValidationError as StdnumError

from accounts.audit import audit_record
from accounts.errors import DomainError, PermissionDenied
from accounts.notifications import notify
from accounts.system import is_system
from accounts.text import control_characters_message, has_control_characters
from fonds.models import BankDetails, Grant, Initiative
from fonds.notifications import notify_instructors
from fonds.predicates import is_author, is_instructor_for

MAX_HOLDER = 200
# Accounts a French commune's treasury pays by SEPA transfer.
SEPA_COUNTRIES = frozenset(
    "AD AT BE BG CH CY CZ DE DK EE ES FI FR GB GI GR HR HU IE IS IT LI LT LU LV MC MT NL NO "
    "PL PT RO SE SI SK SM VA".split()
)


def current_bank_details(initiative):
    return BankDetails.objects.filter(initiative=initiative, replaced_at__isnull=True).first()


def clean_iban(value):
    value = "".join((value or "").split()).upper()
    try:
        compact = iban_number.validate(value)
    except StdnumError:
        raise DomainError(
            _(
                "Cet IBAN n'est pas valide : vérifiez-le sur votre RIB (FR76 suivi de 23 "
                "caractères)."
            ),
            errors={"iban": [_("Cet IBAN n'est pas valide.")]},
        ) from None
    if compact[:2] not in SEPA_COUNTRIES:
        raise DomainError(
            _("La commune paie par virement SEPA : donnez un compte d'un pays de la zone SEPA."),
            errors={"iban": [_("Ce compte n'est pas dans la zone SEPA.")]},
        )
    return compact


def bank_details_set(*, actor, initiative, iban, holder):
    """The carrier gives (or changes) the account the grant is paid to. Given once a
    grant exists, it waits for an instructor's confirmation; the carrier is told by
    email in any case of a change."""
    if not is_author(actor, initiative):
        raise PermissionDenied()
    holder = (holder or "").strip()
    errors = {}
    if not holder:
        errors["holder"] = [_("Indiquez le titulaire du compte, tel qu'il figure sur le RIB.")]
    elif len(holder) > MAX_HOLDER:
        errors["holder"] = [_("%(n)d caractères au plus.") % {"n": MAX_HOLDER}]
    elif has_control_characters(holder):
        errors["holder"] = [control_characters_message()]
    try:
        iban = clean_iban(iban)
    except DomainError as error:
        errors.update(error.errors)
    if errors:
        raise DomainError(_("Les coordonnées bancaires sont à corriger."), errors=errors)
    with transaction.atomic():
        locked = Initiative.objects.select_for_update().get(pk=initiative.pk)
        current = current_bank_details(locked)
        if current is not None and (current.iban, current.holder) == (iban, holder):
            return current
        granted = Grant.objects.filter(initiative=locked).exists()
        now = timezone.now()
        if current is not None:
            current.replaced_at = now
            current.save(update_fields=["replaced_at"])
        details = BankDetails.objects.create(
            initiative=locked,
            holder=holder,
            iban=iban,
            given_by=actor,
            needs_confirmation=granted,
        )
        audit_record(
            actor=actor,
            action="fonds.bank.set",
            target=locked,
            data={"account": details.masked, "changed": current is not None, "granted": granted},
        )
        if current is not None:
            notify(
                [locked.author],
                "bank_changed",
                params={"title": locked.title, "account": details.masked},
                path=reverse("bank_details", args=[locked.pk]),
            )
        if granted:
            notify_instructors(
                locked,
                "bank_to_confirm",
                path=reverse("fonds_backoffice_dossier", args=[locked.pk]),
                exclude=actor,
            )
    return details


def bank_details_confirm(*, actor, details):
    """An instructor of the quartier (not the carrier) confirms an account given after
    the grant, having checked it (a RIB, a call): payments may go to it."""
    initiative = details.initiative
    if not (is_system(actor) or is_instructor_for(actor, initiative)):
        raise PermissionDenied()
    with transaction.atomic():
        held = BankDetails.objects.select_for_update().get(pk=details.pk)
        if held.replaced_at is not None:
            raise DomainError(_("Ce compte a été remplacé depuis : confirmez le compte actuel."))
        if held.usable:
            return held
        held.confirmed_by = actor if actor is not None and actor.is_authenticated else None
        held.confirmed_at = timezone.now()
        held.save(update_fields=["confirmed_by", "confirmed_at"])
        audit_record(
            actor=actor,
            action="fonds.bank.confirm",
            target=initiative,
            data={"account": held.masked},
        )
    return held


def payment_account(grant):
    """The account a payment on ``grant`` goes to; refused, with the reason, when there
    is none the commune may pay."""
    details = current_bank_details(grant.initiative)
    if details is None:
        raise DomainError(
            _("Le porteur n'a pas encore indiqué le compte où verser la subvention."),
            code="no_account",
        )
    if not details.usable:
        raise DomainError(
            _(
                "Le porteur a changé de compte après la décision : un agent doit confirmer le "
                "nouveau compte avant le prochain paiement."
            ),
            code="account_unconfirmed",
        )
    return details
