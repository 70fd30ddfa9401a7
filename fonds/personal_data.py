"""What ``fonds`` holds about a person: the dossiers they carry (with their budget,
files, bilan, grants and the ledger's movements of those grants), the supports they
gave, and what they recorded as staff (see ``accounts.privacy``).

At erasure: drafts are deleted with their files and history (nothing was ever sent);
dossiers awaiting a decision are withdrawn by their author; a dossier that received
no grant loses its files and, for a private carrier, the carrier's name. A dossier
that received a grant is kept whole — carrier, budget, files, bilan — until
``FQ_DOCUMENT_RETENTION_YEARS`` after it was closed, the time public accounting keeps
supporting documents (RGPD art. 17(3)(b)); the retention command deletes its files
then. The ledger never names anyone, and is kept for good."""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.privacy import Kept, PersonalData, personal_data_register
from fonds.models import (
    Attachment,
    BudgetLine,
    Initiative,
    LedgerTransaction,
    Report,
    ReportDocument,
    Support,
)
from fonds.notifications import notifications_muted
from fonds.services import initiative_withdraw
from fonds.storage import private_storage

Status = Initiative.Status
# Stored in place of a private carrier's name (data, not interface text).
ERASED_CARRIER = gettext_noop("Porteur effacé à sa demande")
WITHDRAWAL_REASON = gettext_noop("Retrait lors de l'effacement du compte de son auteur.")
AWAITING_DECISION = (Status.SUBMITTED, Status.INCOMPLETE, Status.ADMISSIBLE, Status.ON_AGENDA)


def retention_years():
    return int(getattr(settings, "FQ_DOCUMENT_RETENTION_YEARS", 10))


def _authored(user):
    return Initiative.objects.filter(author=user).order_by("pk")


def _base(name):
    return name.rsplit("/", 1)[-1]


def _photo_path(initiative):
    return f"fichiers/initiatives/{initiative.pk}/photo-{_base(initiative.photo.name)}"


def _attachment_path(attachment):
    return (
        f"fichiers/initiatives/{attachment.initiative_id}/pieces/"
        f"{attachment.pk}-{_base(attachment.file.name)}"
    )


def _document_path(document, initiative_id):
    return f"fichiers/initiatives/{initiative_id}/bilan/{document.pk}-{_base(document.file.name)}"


def _report(initiative):
    report = Report.objects.filter(initiative=initiative).first()
    if report is None:
        return None
    return {
        "narrative": report.narrative,
        "participants": report.participants,
        "actual_expenses": report.actual_expenses,
        "status": report.get_status_display(),
        "submitted_at": report.submitted_at,
        "accepted_at": report.accepted_at,
        "documents": [
            {
                "kind": document.get_kind_display(),
                "size": document.size,
                "file": _document_path(document, initiative.pk),
            }
            for document in report.documents.order_by("pk")
        ],
    }


def _grants(initiative):
    return [
        {
            "decision_reference": grant.decision_reference,
            "created_at": grant.created_at,
            "ledger": list(
                grant.transactions.order_by("fund", "sequence").values(
                    "kind", "amount", "reference", "payment_date", "created_at"
                )
            ),
        }
        for grant in initiative.grants.order_by("pk")
    ]


def _initiative(initiative):
    return {
        "id": initiative.pk,
        "fund": initiative.fund.label,
        "quartier": initiative.fund.quartier.name,
        "status": initiative.get_status_display(),
        "carrier_kind": initiative.get_carrier_kind_display(),
        "carrier_name": initiative.carrier_name,
        "rna": initiative.rna,
        "siret": initiative.siret,
        "host_name": initiative.host_name,
        "host_siret": initiative.host_siret,
        "host_rna": initiative.host_rna,
        "filed_at_counter": initiative.filed_at_counter,
        "contact_email": initiative.contact_email,
        "contact_address": initiative.contact_address,
        # The accounts the carrier gave for the grant, the current one last.
        "bank_details": list(
            initiative.bank_details.order_by("given_at", "pk").values(
                "holder", "iban", "given_at", "confirmed_at", "replaced_at"
            )
        ),
        "title": initiative.title,
        "summary": initiative.summary,
        "description": initiative.description,
        "theme": initiative.theme.name if initiative.theme else None,
        "place_name": initiative.place_name,
        "latitude": initiative.latitude,
        "longitude": initiative.longitude,
        "starts_on": initiative.starts_on,
        "ends_on": initiative.ends_on,
        "expected_participants": initiative.expected_participants,
        "requested_amount": initiative.requested_amount,
        "submitted_at": initiative.submitted_at,
        "created_at": initiative.created_at,
        "updated_at": initiative.updated_at,
        "photo": _photo_path(initiative) if initiative.photo else None,
        "budget_lines": list(
            initiative.budget_lines.order_by("kind", "position", "pk").values(
                "kind", "label", "amount"
            )
        ),
        "attachments": [
            {
                "label": attachment.label,
                "size": attachment.size,
                "public": attachment.public,
                "created_at": attachment.created_at,
                "file": _attachment_path(attachment),
            }
            for attachment in initiative.attachments.order_by("pk")
        ],
        # How many supported it; who did is theirs to know.
        "supports": initiative.supports.count(),
        "report": _report(initiative),
        "grants": _grants(initiative),
    }


def export(user):
    initiatives = _authored(user).select_related("fund__quartier", "theme")
    return {
        "initiatives": [_initiative(initiative) for initiative in initiatives],
        "supports_given": [
            {
                "initiative": support.initiative_id,
                "title": support.initiative.title,
                "created_at": support.created_at,
            }
            for support in Support.objects.filter(user=user)
            .select_related("initiative")
            .order_by("created_at", "pk")
        ],
        "attachments_added_to_other_dossiers": list(
            Attachment.objects.filter(uploaded_by=user)
            .exclude(initiative__author=user)
            .order_by("pk")
            .values("initiative_id", "created_at")
        ),
        "ledger_operations_recorded": list(
            LedgerTransaction.objects.filter(actor=user)
            .order_by("fund", "sequence")
            .values("fund__slug", "sequence", "kind", "amount", "reference", "created_at")
        ),
        "reports_accepted": list(
            Report.objects.filter(accepted_by=user)
            .order_by("accepted_at", "pk")
            .values("initiative_id", "accepted_at")
        ),
    }


def files(user):
    for initiative in _authored(user):
        if initiative.photo:
            yield initiative.photo.storage, initiative.photo.name, _photo_path(initiative)
        for attachment in initiative.attachments.order_by("pk"):
            yield attachment.file.storage, attachment.file.name, _attachment_path(attachment)
        for document in ReportDocument.objects.filter(report__initiative=initiative).order_by("pk"):
            yield (
                document.file.storage,
                document.file.name,
                _document_path(document, initiative.pk),
            )


# --- erasure -------------------------------------------------------------------------


def _granted(user):
    return _authored(user).filter(grants__isnull=False).distinct()


def _closed_on(initiative):
    """The day the dossier was closed (its bilan accepted), or None while it is open."""
    if initiative.status != Status.CLOSED:
        return None
    accepted = Report.objects.filter(initiative=initiative).values_list("accepted_at", flat=True)
    moment = accepted.first()
    if moment is None:
        row = Initiative.history.filter(id=initiative.pk, status=Status.CLOSED)
        row = row.order_by("history_date").first()
        moment = row.history_date if row is not None else initiative.updated_at
    return moment.date()


def _years_after(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def retained_until(initiative):
    """The last day a granted dossier's documents are kept, or None while it is open
    (the period starts at its closing)."""
    closed = _closed_on(initiative)
    return None if closed is None else _years_after(closed, retention_years())


def kept(user):
    years = retention_years()
    found = []
    granted = list(_granted(user).prefetch_related("grants"))
    for initiative in granted:
        references = ", ".join(grant.decision_reference for grant in initiative.grants.all())
        until = retained_until(initiative)
        found.append(
            Kept(
                what=_(
                    "Le dossier « %(title)s » (décision %(reference)s) : l'identité de son "
                    "porteur, son budget, ses pièces et son bilan"
                )
                % {"title": initiative.title, "reference": references},
                why=_(
                    "Il a reçu une subvention : la comptabilité publique conserve les pièces "
                    "justificatives %(years)s ans après la clôture du dossier."
                )
                % {"years": years},
                until=until,
                until_text=""
                if until
                else _("%(years)s ans après la clôture du dossier (bilan accepté)")
                % {"years": years},
            )
        )
    if granted:
        found.append(
            Kept(
                what=_("Les opérations du grand livre de ces subventions"),
                why=_(
                    "Le grand livre est public et ne se modifie jamais ; il ne porte que des "
                    "montants et des références, aucun nom."
                ),
            )
        )
    decided = _authored(user).filter(status=Status.REFUSED).exclude(pk__in=[i.pk for i in granted])
    for initiative in decided:
        found.append(
            Kept(
                what=_(
                    "Le titre, le résumé et le budget du dossier « %(title)s », sur lequel le "
                    "conseil a publié une décision (son porteur, sa photo et ses pièces sont "
                    "effacés)"
                )
                % {"title": initiative.title},
                why=_("Les décisions publiées sont des actes publics de la commune."),
            )
        )
    if Support.objects.filter(user=user).exists():
        found.append(
            Kept(
                what=_("Vos soutiens aux initiatives, qui restent comptés"),
                why=_("Ils ne désignent plus que le numéro d'un compte effacé."),
            )
        )
    return found


def _delete_drafts(user):
    drafts = list(_authored(user).filter(status=Status.DRAFT))
    ids = [draft.pk for draft in drafts]
    names = [draft.photo.name for draft in drafts if draft.photo]
    names += list(Attachment.objects.filter(initiative_id__in=ids).values_list("file", flat=True))
    if ids:
        Initiative.objects.filter(pk__in=ids).delete()
        # Once the draft is gone its history may go too: it was never sent.
        Initiative.history.filter(id__in=ids).delete()
        for model in (BudgetLine, Attachment, Support):
            model.history.filter(initiative_id__in=ids).delete()
    return ids, names


def _withdraw_pending(user):
    withdrawn = 0
    with notifications_muted():
        for initiative in _authored(user).filter(status__in=AWAITING_DECISION):
            initiative_withdraw(actor=user, initiative=initiative, reason=_(WITHDRAWAL_REASON))
            withdrawn += 1
    return withdrawn


def _strip_ungranted(user):
    """Dossiers without a grant: their files go, and a private carrier's name. A
    queryset update writes no history row (history keeps what it held)."""
    ungranted = _authored(user).filter(grants__isnull=True).exclude(status=Status.DRAFT)
    ids = list(ungranted.values_list("pk", flat=True))
    names = [name for name in ungranted.exclude(photo="").values_list("photo", flat=True) if name]
    attachments = Attachment.objects.filter(initiative_id__in=ids)
    names += list(attachments.values_list("file", flat=True))
    deleted_attachments, _by_model = attachments.delete()
    carriers = Initiative.objects.filter(
        pk__in=ids, carrier_kind=Initiative.CarrierKind.PERSON
    ).update(carrier_name=ERASED_CARRIER)
    Initiative.objects.filter(pk__in=ids).exclude(photo="").update(photo="")
    return carriers, deleted_attachments, names


def erase(user):
    drafts, names = _delete_drafts(user)
    withdrawn = _withdraw_pending(user)
    carriers, attachments, more = _strip_ungranted(user)
    names += more
    if names:
        transaction.on_commit(lambda: _delete_files(names))
    return {
        "drafts_deleted": len(drafts),
        "withdrawn": withdrawn,
        "carriers_erased": carriers,
        "attachments_deleted": attachments,
        "files_deleted": len(names),
        "kept": _granted(user).count(),
    }


def _delete_files(names):
    storage = private_storage()
    for name in names:
        storage.delete(name)


personal_data_register(
    PersonalData(key="fonds", export=export, files=files, kept=kept, erase=erase)
)
