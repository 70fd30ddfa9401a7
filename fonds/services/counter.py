"""Filing at the counter: an instructor files a dossier for a resident who came to the
town hall, with or without an account. The resident's email or postal address is kept
for what the commune tells them; without an account, the receipt carries a code with
which they claim the dossier online later."""

import hashlib
import hmac
import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.errors import DomainError, PermissionDenied
from accounts.models import User
from accounts.predicates import is_instructor_of
from accounts.text import control_characters_message, has_control_characters
from fonds.models import Fund, Initiative

from .initiatives import _clean_fields, clean_budget, submit_locked, write_budget

# No 0/O, 1/I/L: read aloud at a counter, copied from paper.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
MAX_ADDRESS = 500


def code_hash(code):
    """The stored form of a claim code: keyed, so the table alone gives nothing away."""
    compact = "".join(ch for ch in (code or "").upper() if ch.isalnum())
    return hmac.new(settings.SECRET_KEY.encode(), compact.encode(), hashlib.sha256).hexdigest()


def new_code():
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def _clean_contact(email, address):
    errors = {}
    email = (email or "").strip().lower()
    address = (address or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["contact_email"] = [_("Cette adresse électronique n'est pas valide.")]
    if len(address) > MAX_ADDRESS:
        errors["contact_address"] = [_("%(n)d caractères au plus.") % {"n": MAX_ADDRESS}]
    elif has_control_characters(address, multiline=True):
        errors["contact_address"] = [control_characters_message(multiline=True)]
    if not email and not address:
        errors["contact_email"] = [
            _(
                "Indiquez l'adresse électronique du déposant ou son adresse postale : la "
                "commune lui écrira à chaque étape."
            )
        ]
    if errors:
        raise DomainError(_("Le dépôt n'est pas enregistré."), errors=errors)
    return email, address


def counter_file(*, actor, fund, contact_email="", contact_address="", lines=(), **fields):
    """File and submit a dossier at the counter, for the resident who came. Instructors
    of the fund's quartier. The dossier is the resident's account's when one uses their
    email; otherwise it has no author yet and the returned code (printed on the receipt,
    kept only hashed) lets the resident claim it. Returns (initiative, code or None)."""
    if not is_instructor_of(actor, fund.quartier_id):
        raise PermissionDenied()
    if not Fund.objects.accepting_submissions().filter(pk=fund.pk).exists():
        raise DomainError(_("Ce fonds n'accepte pas de nouvelles initiatives en ce moment."))
    errors = {}
    try:
        contact_email, contact_address = _clean_contact(contact_email, contact_address)
    except DomainError as error:
        errors.update(error.errors)
    try:
        cleaned = _clean_fields(fields, required=("carrier_name", "title"))
    except DomainError as error:
        errors.update(error.errors)
    try:
        budget = clean_budget(list(lines))
    except DomainError as error:
        errors.update(error.errors or {"lines": [error.message]})
    if errors:
        raise DomainError(_("Le dépôt n'est pas enregistré."), errors=errors)
    resident = (
        User.objects.filter(email__iexact=contact_email, is_active=True).first()
        if contact_email
        else None
    )
    if resident is not None and resident.pk == actor.pk:
        raise DomainError(
            _("Un agent ne dépose pas au guichet un dossier pour lui-même."),
            errors={"contact_email": [_("C'est votre propre adresse.")]},
        )
    code = None if resident is not None else new_code()
    with transaction.atomic():
        initiative = Initiative.objects.create(
            fund=fund,
            author=resident,
            filed_at_counter=True,
            contact_email=contact_email,
            contact_address=contact_address,
            claim_code_hash=code_hash(code) if code else "",
            **cleaned,
        )
        audit_record(
            actor=actor,
            action="fonds.initiative.counter_file",
            target=initiative,
            data={"fund": fund.pk, "title": initiative.title, "account": resident is not None},
        )
        locked = Initiative.objects.select_for_update(of=("self",)).get(pk=initiative.pk)
        write_budget(actor, locked, budget)
        submit_locked(actor, locked)
    return locked, code


def counter_new_code(*, actor, initiative):
    """A new claim code for a dossier filed at the counter and not claimed yet (the
    receipt was lost): the old code no longer works."""
    if not is_instructor_of(actor, initiative.fund.quartier_id):
        raise PermissionDenied()
    code = new_code()
    with transaction.atomic():
        locked = Initiative.objects.select_for_update(of=("self",)).get(pk=initiative.pk)
        if not locked.filed_at_counter or locked.author_id is not None:
            raise DomainError(_("Ce dossier a déjà un compte : il n'a pas de code à réclamer."))
        locked.claim_code_hash = code_hash(code)
        locked.save(update_fields=["claim_code_hash", "updated_at"])
        audit_record(actor=actor, action="fonds.initiative.counter_new_code", target=locked)
    return code


def counter_claim(*, actor, code):
    """A signed-in resident claims, with the code of their receipt, the dossier filed
    for them at the counter: it becomes theirs. A code works once."""
    if not actor.is_authenticated:
        raise PermissionDenied()
    digest = code_hash(code)
    refused = DomainError(
        _(
            "Ce code ne correspond à aucun dossier à réclamer : vérifiez-le sur votre "
            "récépissé (il ne sert qu'une fois)."
        ),
        errors={"code": [_("Code inconnu ou déjà utilisé.")]},
    )
    if len("".join(ch for ch in (code or "") if ch.isalnum())) != CODE_LENGTH:
        raise refused
    with transaction.atomic():
        locked = (
            Initiative.objects.select_for_update(of=("self",))
            .select_related("fund__quartier")
            .filter(claim_code_hash=digest, author__isnull=True, filed_at_counter=True)
            .first()
        )
        if locked is None:
            raise refused
        locked.author = actor
        locked.claim_code_hash = ""
        locked.save(update_fields=["author", "claim_code_hash", "updated_at"])
        audit_record(actor=actor, action="fonds.initiative.counter_claim", target=locked)
    return locked
