"""The lifecycle of an initiative, from draft to admissible dossier. Each function is
one action: it checks the actor's right and the current state, writes inside one
transaction with its audit row, and tells the author by email after commit."""

import re
from contextlib import contextmanager

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siret as siret_number

from accounts.audit import audit_record
from accounts.dbutils import constraint_violated
from accounts.errors import DomainError, PermissionDenied
from accounts.text import control_characters_message, has_control_characters
from fonds.models import Attachment, BudgetLine, Fund, Initiative, Support, Theme
from fonds.money import euros, parse_amount
from fonds.notifications import notify_author, notify_instructors
from fonds.predicates import can_support, is_author, is_instructor_for, lives_elsewhere
from fonds.selectors import budget_totals
from fonds.storage import private_storage
from fonds.uploads import checked_pdf, checked_photo

Status = Initiative.Status
RNA_PATTERN = re.compile(r"W[0-9]{9}")
MAX_BUDGET_LINES = 30
MAX_REASON = 2000
TEXT_LIMITS = {
    "carrier_name": 200,
    "host_name": 200,
    "title": 150,
    "summary": 300,
    "description": 10_000,
    "place_name": 200,
}
MULTILINE_FIELDS = frozenset({"description"})
EDITABLE_FIELDS = frozenset(
    {
        "carrier_kind",
        "carrier_name",
        "rna",
        "siret",
        "host_name",
        "host_siret",
        "host_rna",
        "title",
        "summary",
        "description",
        "theme",
        "place_name",
        "latitude",
        "longitude",
        "starts_on",
        "ends_on",
        "expected_participants",
    }
)


class IllegalTransition(DomainError):
    def __init__(self, initiative):
        super().__init__(
            _("Cette action n'est pas possible pour une initiative au statut « %(status)s ».")
            % {"status": initiative.get_status_display()},
            code="illegal_transition",
        )


def _clean_fields(fields, *, required=()):
    """Shape and range of the editable fields; every problem at once, by field."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"Not editable: {sorted(unknown)}")
    errors, cleaned = {}, {}

    def fail(field, message):
        errors.setdefault(field, []).append(message)

    for field, value in fields.items():
        if field in TEXT_LIMITS:
            value = (value or "").strip()
            if len(value) > TEXT_LIMITS[field]:
                fail(field, _("%(n)d caractères au plus.") % {"n": TEXT_LIMITS[field]})
            multiline = field in MULTILINE_FIELDS
            if has_control_characters(value, multiline=multiline):
                fail(field, control_characters_message(multiline=multiline))
        cleaned[field] = value
    for field in required:
        if not cleaned.get(field):
            fail(field, _("Ce champ est obligatoire."))
    if "carrier_kind" in cleaned and cleaned["carrier_kind"] not in Initiative.CarrierKind.values:
        fail("carrier_kind", _("Choisissez qui porte le projet."))
    for field in ("rna", "host_rna"):
        if cleaned.get(field):
            cleaned[field] = cleaned[field].strip().upper()
            if not RNA_PATTERN.fullmatch(cleaned[field]):
                fail(
                    field,
                    _("Un numéro RNA s'écrit W suivi de 9 chiffres, par exemple W491234567."),
                )
    for field in ("siret", "host_siret"):
        if cleaned.get(field):
            try:
                # Stored in its compact form (14 ASCII digits), which is what validate()
                # returns: "732.829.320.00074" or full-width digits pass the check too.
                cleaned[field] = siret_number.validate(re.sub(r"\s", "", cleaned[field]))
            except StdnumError:
                fail(field, _("Ce numéro SIRET n'est pas valide (14 chiffres, clé de contrôle)."))
    if {"host_name", "host_siret", "host_rna"} & cleaned.keys():
        host = cleaned.get("host_name", "")
        numbered = cleaned.get("host_siret") or cleaned.get("host_rna")
        if host and not numbered and "host_siret" not in errors and "host_rna" not in errors:
            fail("host_siret", _("Indiquez le numéro SIRET ou RNA de l'association hôte."))
        if not host and numbered:
            fail("host_name", _("Indiquez le nom de l'association hôte."))
        if host and cleaned.get("carrier_kind") == Initiative.CarrierKind.ASSOCIATION:
            fail(
                "host_name",
                _(
                    "Une association reçoit elle-même la subvention : l'association hôte est "
                    "pour un collectif d'habitant·es."
                ),
            )
    if cleaned.get("theme") is not None and "theme" in cleaned:
        if not isinstance(cleaned["theme"], Theme):
            fail("theme", _("Choisissez un thème de la liste."))
    for field, bound in (("latitude", 90), ("longitude", 180)):
        value = cleaned.get(field)
        try:
            in_range = value is None or -bound <= value <= bound
        except ArithmeticError:  # Decimal("NaN") refuses to be compared
            in_range = False
        if not in_range:
            fail(field, _("Coordonnée hors limites."))
    if ("latitude" in cleaned) != ("longitude" in cleaned) or (
        (cleaned.get("latitude") is None) != (cleaned.get("longitude") is None)
    ):
        fail("latitude", _("Indiquez la latitude et la longitude, ou aucune des deux."))
    starts, ends = cleaned.get("starts_on"), cleaned.get("ends_on")
    if starts and ends and ends < starts:
        fail("ends_on", _("La date de fin précède la date de début."))
    participants = cleaned.get("expected_participants")
    if participants is not None and not (0 <= participants <= 100_000):
        fail("expected_participants", _("Indiquez un nombre entre 0 et 100 000."))
    if errors:
        raise DomainError(_("Certains champs sont à corriger."), errors=errors)
    return cleaned


def _locked(initiative):
    return (
        Initiative.objects.select_for_update(of=("self",))
        .select_related("fund")
        .get(pk=initiative.pk)
    )


def _require_author(actor, initiative):
    if not is_author(actor, initiative):
        raise PermissionDenied()


def _require_editable(actor, initiative):
    _require_author(actor, initiative)
    if initiative.status not in Initiative.EDITABLE_STATUSES:
        raise IllegalTransition(initiative)


def _clean_reason(reason, *, required=True):
    reason = (reason or "").strip()
    if required and not reason:
        raise DomainError(_("Indiquez le motif : l'auteur le lira."), field="reason")
    if len(reason) > MAX_REASON:
        raise DomainError(
            _("Le motif dépasse %(n)d caractères.") % {"n": MAX_REASON}, field="reason"
        )
    if has_control_characters(reason, multiline=True):
        raise DomainError(control_characters_message(multiline=True), field="reason")
    return reason


def _refresh(initiative, locked):
    initiative.__dict__.update(
        {f.attname: getattr(locked, f.attname) for f in Initiative._meta.concrete_fields}
    )
    return initiative


def initiative_create(*, actor, fund, **fields):
    """Start a draft in a fund that accepts submissions today. Any signed-in person
    may; they become its author."""
    if not actor.is_authenticated:
        raise PermissionDenied()
    if not Fund.objects.accepting_submissions().filter(pk=fund.pk).exists():
        raise DomainError(_("Ce fonds n'accepte pas de nouvelles initiatives en ce moment."))
    cleaned = _clean_fields(fields, required=("carrier_name", "title"))
    with transaction.atomic():
        initiative = Initiative.objects.create(fund=fund, author=actor, **cleaned)
        audit_record(
            actor=actor,
            action="fonds.initiative.create",
            target=initiative,
            data={"fund": fund.pk, "title": initiative.title},
        )
    return initiative


def initiative_update(*, actor, initiative, **fields):
    """Edit a dossier: its author, while it is a draft or sent back for completion."""
    _require_author(actor, initiative)
    cleaned = _clean_fields(fields)
    for field in ("carrier_name", "title"):
        if field in cleaned and not cleaned[field]:
            raise DomainError(_("Ce champ est obligatoire."), field=field)
    with transaction.atomic():
        locked = _locked(initiative)
        _require_editable(actor, locked)
        changed = [f for f, v in cleaned.items() if getattr(locked, f) != v]
        for field in changed:
            setattr(locked, field, cleaned[field])
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
            audit_record(
                actor=actor,
                action="fonds.initiative.update",
                target=locked,
                data={"fields": changed},
            )
    return _refresh(initiative, locked)


def initiative_set_budget(*, actor, initiative, lines):
    """Replace the budget: ``lines`` is a list of (kind, label, amount). The requested
    amount is what the expenses leave after co-funding."""
    _require_author(actor, initiative)
    clean = clean_budget(lines)
    with transaction.atomic():
        locked = _locked(initiative)
        _require_editable(actor, locked)
        write_budget(actor, locked, clean)
    return _refresh(initiative, locked)


def clean_budget(lines):
    """The budget's lines checked, each as (kind, label, amount); every problem at once."""
    if len(lines) > MAX_BUDGET_LINES:
        raise DomainError(_("%(n)d lignes de budget au plus.") % {"n": MAX_BUDGET_LINES})
    clean, errors = [], {}
    for index, (kind, label, amount) in enumerate(lines):
        label = (label or "").strip()
        try:
            if kind not in BudgetLine.Kind.values:
                raise DomainError(_("Nature de ligne inconnue."))
            if not label or len(label) > 200:
                raise DomainError(_("Chaque ligne a un libellé de 200 caractères au plus."))
            if has_control_characters(label):
                raise DomainError(control_characters_message())
            clean.append((kind, label, parse_amount(amount)))
        except DomainError as error:
            errors.setdefault(f"line-{index}", []).append(error.message)
    if errors:
        raise DomainError(_("Certaines lignes du budget sont à corriger."), errors=errors)
    expenses = sum((a for k, _label, a in clean if k == BudgetLine.Kind.EXPENSE), start=0)
    cofunding = sum((a for k, _label, a in clean if k == BudgetLine.Kind.COFUNDING), start=0)
    if cofunding > expenses:
        raise DomainError(_("Les cofinancements dépassent le total des dépenses."))
    return clean


def write_budget(actor, locked, clean):
    """Replace the locked dossier's budget with the checked lines, and its request."""
    expenses = sum((a for k, _label, a in clean if k == BudgetLine.Kind.EXPENSE), start=0)
    cofunding = sum((a for k, _label, a in clean if k == BudgetLine.Kind.COFUNDING), start=0)
    locked.budget_lines.all().delete()
    BudgetLine.objects.bulk_create(
        BudgetLine(initiative=locked, kind=k, label=label, amount=a, position=i)
        for i, (k, label, a) in enumerate(clean)
    )
    locked.requested_amount = expenses - cofunding
    locked.save(update_fields=["requested_amount", "updated_at"])
    audit_record(
        actor=actor,
        action="fonds.initiative.budget",
        target=locked,
        data={
            "expenses": str(expenses),
            "cofunding": str(cofunding),
            "requested": str(locked.requested_amount),
        },
    )


def initiative_attach(*, actor, initiative, upload, label, public=False):
    """Join a PDF (a quote, statutes…) to an editable dossier. It stays private unless
    its author asks for it to be public."""
    _require_author(actor, initiative)
    label = (label or "").strip() or _("Pièce jointe")
    if len(label) > 200:
        raise DomainError(_("L'intitulé compte 200 caractères au plus."), field="label")
    if has_control_characters(label):
        raise DomainError(control_characters_message(), field="label")
    content = checked_pdf(upload)
    limit = settings.MAX_ATTACHMENTS_PER_INITIATIVE
    with _stored(content, "pieces") as name, transaction.atomic():
        locked = _locked(initiative)
        _require_editable(actor, locked)
        if locked.attachments.count() >= limit:
            raise DomainError(_("%(n)d pièces jointes au plus.") % {"n": limit})
        attachment = Attachment.objects.create(
            initiative=locked,
            label=label,
            file=name,
            size=content.size,
            uploaded_by=actor,
            public=bool(public),
        )
        audit_record(
            actor=actor,
            action="fonds.initiative.attach",
            target=locked,
            data={
                "attachment": attachment.pk,
                "label": label,
                "size": content.size,
                "public": attachment.public,
            },
        )
    return attachment


def initiative_attachment_set_public(*, actor, attachment, public):
    """The dossier's author, and only they, decides whether a piece is public — at any
    stage of the dossier, so that one published by mistake can always be taken back."""
    initiative = attachment.initiative
    _require_author(actor, initiative)
    public = bool(public)
    with transaction.atomic():
        locked = _locked(initiative)
        _require_author(actor, locked)
        piece = Attachment.objects.select_for_update().get(pk=attachment.pk, initiative=locked)
        if piece.public == public:
            return piece
        piece.public = public
        piece.save(update_fields=["public"])
        audit_record(
            actor=actor,
            action="fonds.initiative.attachment_public"
            if public
            else "fonds.initiative.attachment_private",
            target=locked,
            data={"attachment": piece.pk, "label": piece.label, "public": public},
        )
    attachment.public = public
    return piece


@contextmanager
def _stored(content, folder):
    """Store a checked file in the private storage and yield its name; if the write
    that follows fails, the file is removed again."""
    storage = private_storage()
    name = storage.save(f"{folder}/{timezone.now():%Y}/{content.name}", content)
    try:
        yield name
    except BaseException:
        storage.delete(name)
        raise


def initiative_detach(*, actor, attachment):
    initiative = attachment.initiative
    _require_author(actor, initiative)
    with transaction.atomic():
        locked = _locked(initiative)
        _require_editable(actor, locked)
        name, storage = attachment.file.name, attachment.file.storage
        attachment.delete()
        audit_record(
            actor=actor,
            action="fonds.initiative.detach",
            target=locked,
            data={"label": attachment.label},
        )
        transaction.on_commit(lambda: storage.delete(name))


def initiative_set_photo(*, actor, initiative, upload):
    """Set (or replace) the dossier's photo, re-encoded without its metadata."""
    _require_author(actor, initiative)
    content = checked_photo(upload)
    with _stored(content, "photos") as name, transaction.atomic():
        locked = _locked(initiative)
        _require_editable(actor, locked)
        old = locked.photo.name or None
        locked.photo.name = name
        locked.save(update_fields=["photo", "updated_at"])
        audit_record(actor=actor, action="fonds.initiative.photo", target=locked, data={})
        if old:
            transaction.on_commit(lambda: private_storage().delete(old))
    return _refresh(initiative, locked)


def submission_problems(initiative, *, today=None):
    """Every reason the dossier cannot be submitted yet, in words for its author."""
    today = today or timezone.localdate()
    fund = initiative.fund
    problems = []
    if not Fund.objects.accepting_submissions(today).filter(pk=fund.pk).exists():
        problems.append(
            _("Le fonds « %(fund)s » n'accepte pas de dépôt en ce moment.") % {"fund": fund.label}
        )
    required = {
        "carrier_name": _("le nom du porteur"),
        "title": _("le titre"),
        "summary": _("le résumé"),
        "description": _("la description"),
        "theme_id": _("le thème"),
        "starts_on": _("la date de début"),
        "ends_on": _("la date de fin"),
        "expected_participants": _("le nombre de participants attendus"),
    }
    missing = [
        label for field, label in required.items() if getattr(initiative, field) in (None, "")
    ]
    if missing:
        problems.append(_("À renseigner : %(fields)s.") % {"fields": ", ".join(missing)})
    if initiative.starts_on and initiative.starts_on < today:
        problems.append(_("La date de début est passée."))
    totals = budget_totals(initiative)
    expenses, cofunding = totals["expenses"], totals["cofunding"]
    terms = initiative.terms
    if not expenses:
        problems.append(_("Le budget doit comporter au moins une dépense."))
    elif initiative.requested_amount <= 0:
        problems.append(_("Le montant demandé doit être supérieur à zéro."))
    if initiative.requested_amount > terms.max_grant:
        problems.append(
            _("Le montant demandé (%(asked)s) dépasse le plafond du fonds (%(max)s).")
            % {
                "asked": euros(initiative.requested_amount),
                "max": euros(terms.max_grant),
            }
        )
    if expenses and terms.min_cofunding_percent > 0:
        share = cofunding * 100 / expenses
        if share < terms.min_cofunding_percent:
            problems.append(
                _(
                    "Les cofinancements couvrent %(share)s %% des dépenses ; "
                    "le fonds en demande au moins %(min)s %%."
                )
                % {"share": f"{share:.0f}", "min": f"{terms.min_cofunding_percent:.0f}"}
            )
    return problems


def initiative_submit(*, actor, initiative):
    """Send the dossier to the instructors. The fund must be open and its rules met
    (ceiling, co-funding share, required fields); every unmet rule is listed. The
    first submission fixes the dossier's money rules (``Initiative.terms``): sent back
    for completion and submitted again, it answers to the rules it was first submitted
    under, whatever the fund's rules have become since."""
    _require_author(actor, initiative)
    with transaction.atomic():
        locked = _locked(initiative)
        submit_locked(actor, locked)
    return _refresh(initiative, locked)


def submit_locked(actor, locked):
    """Submit the locked dossier: its fund's rules met (every unmet rule listed), its
    money rules fixed at its first submission, the carrier and instructors told."""
    if locked.status not in Initiative.EDITABLE_STATUSES:
        raise IllegalTransition(locked)
    # The fund's row too: a change of its rules (``fund_update``) waits for this
    # submission, or this submission reads the rules as changed.
    locked.fund = Fund.objects.select_for_update(no_key=True).get(pk=locked.fund_id)
    problems = submission_problems(locked)
    if problems:
        raise DomainError(
            _("Le dossier ne peut pas encore être déposé."), errors={"__all__": problems}
        )
    previous = locked.status
    locked.status = Status.SUBMITTED
    locked.submitted_at = timezone.now()
    written = ["status", "submitted_at", "updated_at"]
    if locked.submitted_max_grant is None:
        locked.submitted_max_grant, locked.submitted_min_cofunding_percent = locked.fund.terms
        written += ["submitted_max_grant", "submitted_min_cofunding_percent"]
    locked.save(update_fields=written)
    audit_record(
        actor=actor,
        action="fonds.initiative.submit",
        target=locked,
        data={"from": previous, "requested": str(locked.requested_amount)},
    )
    notify_author(locked, "submitted")
    notify_instructors(
        locked,
        "dossier_resubmitted" if previous == Status.INCOMPLETE else "dossier_new",
        path=reverse("fonds_backoffice_dossier", args=[locked.pk]),
        exclude=actor if getattr(actor, "is_authenticated", False) else None,
    )


def _instruct(actor, initiative, *, to, action, reason):
    if not is_instructor_for(actor, initiative):
        raise PermissionDenied()
    reason = _clean_reason(reason)
    with transaction.atomic():
        locked = _locked(initiative)
        if locked.status != Status.SUBMITTED:
            raise IllegalTransition(locked)
        locked.status = to
        locked.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, action=action, target=locked, data={"reason": reason})
        notify_author(locked, to, reason)
    return _refresh(initiative, locked)


def initiative_request_completion(*, actor, initiative, reason):
    """An instructor of the quartier sends a submitted dossier back to its author,
    saying what is missing."""
    return _instruct(
        actor,
        initiative,
        to=Status.INCOMPLETE,
        action="fonds.initiative.request_completion",
        reason=reason,
    )


def initiative_declare_admissible(*, actor, initiative, reason):
    """An instructor of the quartier finds a submitted dossier admissible."""
    return _instruct(
        actor, initiative, to=Status.ADMISSIBLE, action="fonds.initiative.admissible", reason=reason
    )


def initiative_declare_inadmissible(*, actor, initiative, reason):
    """An instructor of the quartier finds a submitted dossier inadmissible, with the
    reason."""
    return _instruct(
        actor,
        initiative,
        to=Status.INADMISSIBLE,
        action="fonds.initiative.inadmissible",
        reason=reason,
    )


def initiative_withdraw(*, actor, initiative, reason=""):
    """The author withdraws the dossier, at any time before a decision."""
    _require_author(actor, initiative)
    reason = _clean_reason(reason, required=False)
    with transaction.atomic():
        locked = _locked(initiative)
        if locked.status not in Initiative.WITHDRAWABLE_STATUSES:
            raise IllegalTransition(locked)
        previous = locked.status
        locked.status = Status.WITHDRAWN
        locked.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="fonds.initiative.withdraw",
            target=locked,
            data={"from": previous, "reason": reason},
        )
        notify_author(locked, Status.WITHDRAWN, reason)
    return _refresh(initiative, locked)


def initiative_support(*, actor, initiative):
    """A signed-in resident supports a public dossier that is not their own; once."""
    if not actor.is_authenticated or is_author(actor, initiative):
        raise PermissionDenied()
    duplicate = DomainError(_("Vous soutenez déjà cette initiative."), code="duplicate")
    try:
        with transaction.atomic():
            # The caller's copy may be stale: the dossier may have been withdrawn or
            # found inadmissible since the page was shown. Only the initiative's row is
            # locked (not its fund's, as _locked would): supports of one dossier queue,
            # those of others do not.
            locked = (
                Initiative.objects.select_for_update(of=("self",))
                .select_related("fund__quartier")
                .get(pk=initiative.pk)
            )
            if lives_elsewhere(actor, locked):
                raise DomainError(
                    _("Seuls les habitants du quartier %(quartier)s soutiennent ses initiatives.")
                    % {"quartier": locked.fund.quartier.name},
                    code="other_quartier",
                )
            if not can_support(actor, locked):
                raise IllegalTransition(locked)
            if Support.objects.filter(initiative=initiative, user=actor).exists():
                raise duplicate
            support = Support.objects.create(initiative=initiative, user=actor)
            audit_record(actor=actor, action="fonds.initiative.support", target=initiative, data={})
    except IntegrityError as error:
        if constraint_violated(error, "support_one_per_user"):
            raise duplicate from None
        raise
    return support
