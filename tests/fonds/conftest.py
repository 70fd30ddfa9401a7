"""Fixtures for the fonds tests: two quartiers, an open fund in each, themes, and one
person per role (scoped to the first quartier unless the name says otherwise)."""

import datetime
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.models import AuditEntry, User
from accounts.roles import Role
from accounts.services import role_grant
from fonds.models import Attachment, BudgetLine, Fund, Initiative, Support
from fonds.services import (
    fund_create,
    initiative_attach,
    initiative_create,
    initiative_declare_admissible,
    initiative_declare_inadmissible,
    initiative_request_completion,
    initiative_set_budget,
    initiative_submit,
    initiative_withdraw,
    quartier_create,
    theme_create,
)
from tests.system import SYSTEM


@pytest.fixture
def quartier(db):
    return quartier_create(actor=SYSTEM, name="Bellevue")


@pytest.fixture
def other_quartier(db):
    return quartier_create(actor=SYSTEM, name="Les Tilleuls")


def _open_fund(quartier, **overrides):
    today = timezone.localdate()
    values = {
        "label": f"Fonds {today.year}",
        "period_start": today.replace(month=1, day=1),
        "period_end": today.replace(month=12, day=31),
        "submissions_open_on": today - datetime.timedelta(days=30),
        "submissions_close_on": today + datetime.timedelta(days=60),
        "max_grant": Decimal("1500.00"),
        "min_cofunding_percent": Decimal("10"),
    }
    values.update(overrides)
    return fund_create(actor=SYSTEM, quartier=quartier, **values)


@pytest.fixture
def open_fund():
    return _open_fund


@pytest.fixture
def fund(quartier):
    return _open_fund(quartier)


@pytest.fixture
def other_fund(other_quartier):
    return _open_fund(other_quartier)


@pytest.fixture
def closed_fund(quartier):
    return _open_fund(quartier, label="Fonds clos", status=Fund.Status.CLOSED)


@pytest.fixture
def theme(db):
    return theme_create(actor=SYSTEM, name="Jardins partagés")


def _user(email, role=None, quartier=None):
    user = User.objects.create_user(email=email, password="motdepasse-test")
    if role == Role.ADMINISTRATOR:
        role_grant(actor=SYSTEM, user=user, role=role)
    elif role is not None:
        role_grant(actor=SYSTEM, user=user, role=role, quartier=quartier)
    return user


def _seated(email, quartier, seat):
    """A person with a mandate in office on the quartier's council (created if
    missing): council rights follow from it."""
    from votes.models import Council
    from votes.services import council_create, mandate_grant

    user = _user(email)
    council = Council.objects.filter(quartier=quartier).first() or council_create(
        actor=SYSTEM, quartier=quartier, name=f"Conseil de quartier {quartier.name}"
    )
    mandate_grant(
        actor=SYSTEM,
        council=council,
        user=user,
        role=seat,
        starts_on=datetime.date.today() - datetime.timedelta(days=30),
    )
    return user


@pytest.fixture
def people(quartier, other_quartier):
    """One person per role; the instructor, council member and chair of the first
    quartier, and an instructor of the other quartier only."""
    return {
        "author": _user("autrice@example.org"),
        "resident": _user("voisin@example.org"),
        "instructor": _user("agent@example.org", Role.INSTRUCTOR, quartier),
        "other_instructor": _user("agent-tilleuls@example.org", Role.INSTRUCTOR, other_quartier),
        "council_member": _seated("conseil@example.org", quartier, "member"),
        "chair": _seated("maire@example.org", quartier, "chair"),
        "administrator": _user("admin@example.org", Role.ADMINISTRATOR),
    }


@pytest.fixture
def author(people):
    return people["author"]


@pytest.fixture
def instructor(people):
    return people["instructor"]


def complete_fields(theme):
    today = timezone.localdate()
    return {
        "carrier_kind": "association",
        "carrier_name": "Les Jardiniers de Bellevue",
        "rna": "W491234567",
        "title": "Un jardin partagé au pied des tours",
        "summary": "Créer douze bacs potagers ouverts à tous les habitants.",
        "description": "Avec le centre social, nous construisons des bacs et animons des ateliers.",
        "theme": theme,
        "place_name": "Square Bellevue",
        "starts_on": today + datetime.timedelta(days=20),
        "ends_on": today + datetime.timedelta(days=80),
        "expected_participants": 60,
    }


BUDGET = [
    (BudgetLine.Kind.EXPENSE, "Bois et terreau", "900.00"),
    (BudgetLine.Kind.EXPENSE, "Outils", "300,50"),
    (BudgetLine.Kind.COFUNDING, "Bailleur social", "200"),
]


@pytest.fixture
def draft(fund, author, theme):
    """A complete draft that can be submitted: 1 200,50 € of expenses, 200 € of
    co-funding, 1 000,50 € requested."""
    initiative = initiative_create(actor=author, fund=fund, **complete_fields(theme))
    return initiative_set_budget(actor=author, initiative=initiative, lines=BUDGET)


@pytest.fixture
def submitted(draft, author):
    return initiative_submit(actor=author, initiative=draft)


def pdf_bytes(pages=1):
    """A small valid PDF made with Pillow."""
    buffer = io.BytesIO()
    images = [Image.new("RGB", (60, 80), "white") for _ in range(pages)]
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:])
    return buffer.getvalue()


def image_bytes(fmt="JPEG", size=(40, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "seagreen").save(buffer, fmt)
    return buffer.getvalue()


@pytest.fixture
def pdf_upload():
    return lambda name="devis.pdf", data=None: SimpleUploadedFile(
        name, pdf_bytes() if data is None else data, content_type="application/pdf"
    )


@pytest.fixture
def photo_upload():
    return lambda name="photo.jpg", data=None, fmt="JPEG": SimpleUploadedFile(
        name, image_bytes(fmt) if data is None else data, content_type="image/jpeg"
    )


REASON = "Il manque le devis du menuisier."


def _through_council(initiative, target, actor):
    """Take an admissible dossier on to the agenda and, if asked, to a decision — the
    steps the council's services take."""
    from fonds.services.council import initiative_put_on_agenda, initiative_record_decision

    initiative_put_on_agenda(actor=actor, initiative=initiative, session_label="Séance test")
    if target != Initiative.Status.ON_AGENDA:
        outcome = "refused" if target == Initiative.Status.REFUSED else "granted"
        initiative_record_decision(
            actor=actor, initiative=initiative, outcome=outcome, reference="CQ-TEST-2026-001"
        )
    if target == Initiative.Status.CLOSED:
        _close_with_bilan(initiative, actor)
    initiative.refresh_from_db()
    return initiative


def _close_with_bilan(initiative, instructor):
    """A granted dossier closed the real way: a grant, a bilan, its acceptance."""
    from fonds.ledger import ledger_commit, ledger_credit
    from fonds.services import report_accept, report_submit

    ledger_credit(actor=SYSTEM, fund=initiative.fund, amount="5000", idempotency_key="t-credit")
    ledger_commit(
        actor=SYSTEM,
        initiative=initiative,
        amount="500",
        decision_reference="CQ-TEST-2026-001",
        idempotency_key="t-commit",
    )
    report = report_submit(
        actor=initiative.author,
        initiative=initiative,
        narrative="Fait.",
        participants=10,
        actual_expenses="500",
        receipts=[SimpleUploadedFile("f.pdf", pdf_bytes(), content_type="application/pdf")],
    )
    report_accept(actor=instructor, report=report)


@pytest.fixture
def initiative_in(draft, author, instructor, pdf_upload):
    """``initiative_in(status, attachment=False)``: the complete draft, taken to
    ``status`` through the services (optionally with one PDF attached while it was
    still a draft)."""

    def make(status, *, attachment=False):
        initiative = draft
        if attachment:
            initiative_attach(
                actor=author, initiative=initiative, upload=pdf_upload(), label="Devis"
            )
        if status == Initiative.Status.DRAFT:
            return initiative
        if status == Initiative.Status.WITHDRAWN:
            return initiative_withdraw(actor=author, initiative=initiative)
        initiative = initiative_submit(actor=author, initiative=initiative)
        council_stage = status in (
            Initiative.Status.ON_AGENDA,
            Initiative.Status.GRANTED,
            Initiative.Status.REFUSED,
            Initiative.Status.CLOSED,
        )
        if council_stage:
            status, target = Initiative.Status.ADMISSIBLE, status
        instruct = {
            Initiative.Status.SUBMITTED: None,
            Initiative.Status.INCOMPLETE: initiative_request_completion,
            Initiative.Status.ADMISSIBLE: initiative_declare_admissible,
            Initiative.Status.INADMISSIBLE: initiative_declare_inadmissible,
        }[status]
        if instruct is not None:
            initiative = instruct(actor=instructor, initiative=initiative, reason=REASON)
        if council_stage:
            initiative = _through_council(initiative, target, instructor)
            status = target
        assert initiative.status == status
        return initiative

    return make


def stored_files():
    """Relative paths of every file in the private media folder (one per test)."""
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    if not root.exists():
        return []
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def written_state(initiative):
    """Everything a service could write about ``initiative``, read fresh from the
    database and the private storage: compare it before and after a refused action to
    show that nothing was written."""
    return {
        "row": Initiative.objects.filter(pk=initiative.pk).values().get(),
        "history": Initiative.history.filter(id=initiative.pk).count(),
        "budget": list(
            BudgetLine.objects.filter(initiative=initiative)
            .order_by("pk")
            .values_list("pk", "kind", "label", "amount")
        ),
        "attachments": list(
            Attachment.objects.filter(initiative=initiative).order_by("pk").values_list("pk")
        ),
        "supports": list(Support.objects.filter(initiative=initiative).values_list("pk")),
        "initiatives": Initiative.objects.count(),
        "audit": AuditEntry.objects.count(),
        "files": stored_files(),
    }


ACCOUNT = "FR7630006000011234567890189"


def give_account(initiative, iban=ACCOUNT):
    """The carrier's account for the grant, usable at once (confirmed by the system when
    it was given after the decision)."""
    from fonds.services.bank import bank_details_confirm, bank_details_set

    details = bank_details_set(
        actor=initiative.author, initiative=initiative, iban=iban, holder=initiative.carrier_name
    )
    if not details.usable:
        details = bank_details_confirm(actor=SYSTEM, details=details)
    return details
