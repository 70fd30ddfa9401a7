"""The bilan: filed by the author of a granted initiative, accepted by an instructor of
the quartier, who thereby releases what the grant did not pay and closes the dossier."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.errors import DomainError, PermissionDenied
from accounts.models import AuditEntry
from fonds.ledger import fund_balances, ledger_commit, ledger_credit, ledger_disburse
from fonds.models import Initiative, Report, ReportDocument
from fonds.services import report_accept, report_submit
from tests.conftest import sign_in
from tests.system import SYSTEM

from .conftest import give_account, image_bytes, pdf_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def granted(initiative_in, fund):
    initiative = initiative_in("granted")
    ledger_credit(actor=SYSTEM, fund=fund, amount="5000", idempotency_key="r-credit")
    ledger_commit(
        actor=SYSTEM,
        initiative=initiative,
        amount="1000",
        decision_reference="CQ-BELLEVUE-2026-001",
        idempotency_key="r-commit",
    )
    give_account(initiative)
    return initiative


def receipt():
    return SimpleUploadedFile("facture.pdf", pdf_bytes(), "application/pdf")


def filed(initiative, author, **overrides):
    values = {
        "narrative": "Douze bacs construits, trois ateliers.",
        "participants": 42,
        "actual_expenses": "850,00",
        "receipts": [receipt()],
        "photos": [SimpleUploadedFile("p.jpg", image_bytes(), "image/jpeg")],
    }
    values.update(overrides)
    return report_submit(actor=author, initiative=initiative, **values)


def test_author_files_and_instructor_accepts_releasing_the_rest(granted, people, fund):
    report = filed(granted, people["author"])
    assert report.documents.count() == 2
    grant = granted.grants.get()
    ledger_disburse(
        actor=people["instructor"],
        grant=grant,
        amount="600",
        payment_reference="MANDAT-1",
        payment_date=datetime.date.today(),
        idempotency_key="r-pay",
    )
    report_accept(actor=people["instructor"], report=report)
    grant.account.refresh_from_db()
    assert grant.account.balance == 0
    assert grant.transactions.get(kind="release").amount == Decimal("400.00")
    assert Initiative.objects.get(pk=granted.pk).status == "closed"
    assert fund_balances(fund) == {
        "envelope": Decimal("5000.00"),
        "committed": Decimal("0.00"),
        "paid": Decimal("600.00"),
        "available": Decimal("4400.00"),
    }
    with pytest.raises(DomainError):
        report_accept(actor=people["instructor"], report=report)


@pytest.mark.parametrize("who", ["resident", "instructor", "council_member", "administrator"])
def test_only_the_author_files_a_bilan(granted, people, who):
    with pytest.raises(PermissionDenied):
        filed(granted, people[who])
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    "who", ["author", "resident", "other_instructor", "chair", "administrator"]
)
def test_only_an_instructor_of_the_quartier_accepts(granted, people, who):
    report = filed(granted, people["author"])
    with pytest.raises(PermissionDenied):
        report_accept(actor=people[who], report=report)
    report.refresh_from_db()
    assert report.status == "submitted"


def test_no_bilan_before_a_grant(initiative_in, people):
    admissible = initiative_in("admissible")
    with pytest.raises(DomainError):
        filed(admissible, people["author"])
    assert not Report.objects.exists()


def test_no_second_bilan(granted, people):
    filed(granted, people["author"])
    with pytest.raises(DomainError) as twice:
        filed(granted, people["author"])
    assert twice.value.code == "duplicate"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"narrative": "  "}, "narrative"),
        ({"participants": -1}, "participants"),
        ({"actual_expenses": "abc"}, "actual_expenses"),
        ({"actual_expenses": "-5"}, "actual_expenses"),
        ({"receipts": []}, "receipts"),
    ],
)
def test_bad_bilan_is_refused_and_nothing_written(granted, people, settings, overrides, field):
    before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as refused:
        filed(granted, people["author"], **overrides)
    assert field in refused.value.errors
    assert not Report.objects.exists() and AuditEntry.objects.count() == before


def test_disguised_receipt_is_refused_and_no_file_left(granted, people, settings):
    fake = SimpleUploadedFile("facture.pdf", image_bytes(), "application/pdf")
    with pytest.raises(DomainError):
        filed(granted, people["author"], receipts=[receipt(), fake])
    assert not ReportDocument.objects.exists()
    stored = (
        list(settings.PRIVATE_MEDIA_ROOT.rglob("*.*"))
        if settings.PRIVATE_MEDIA_ROOT.exists()
        else []
    )
    assert [p for p in stored if "bilans" in str(p)] == []


def test_bilan_pages(client, granted, people):
    client.force_login(people["author"])
    assert "Bilan de l'action" in client.get("/mon-espace/").content.decode()
    response = client.post(
        f"/initiatives/{granted.pk}/bilan/",
        {
            "narrative": "Tout s'est bien passé.",
            "participants": "30",
            "actual_expenses": "900",
            "receipts": [receipt()],
        },
    )
    assert response.status_code == 302
    report = Report.objects.get()
    document = report.documents.get()
    url = f"/initiatives/{granted.pk}/bilan/pieces/{document.pk}/"
    assert client.get(url).status_code == 200
    client.force_login(people["resident"])
    assert client.get(url).status_code == 404
    assert client.get(f"/initiatives/{granted.pk}/bilan/examen/").status_code == 404
    sign_in(client, people["instructor"])
    page = client.get(f"/initiatives/{granted.pk}/bilan/examen/").content.decode()
    assert f"/cms/dossiers/{granted.pk}/bilan/" in page
    desk = client.get(f"/cms/dossiers/{granted.pk}/bilan/").content.decode()
    assert "Accepter le bilan" in desk
    # First the amount acceptance releases, then the acceptance.
    asked = client.post(f"/cms/dossiers/{granted.pk}/bilan/accepter/").content.decode()
    assert "Accepter ce bilan libère 1\u202f000,00\u00a0€ au profit du fonds" in asked
    report.refresh_from_db()
    assert report.status == "submitted"
    done = client.post(f"/cms/dossiers/{granted.pk}/bilan/accepter/", {"confirmed": "1"})
    assert done.status_code == 302
    report.refresh_from_db()
    assert report.status == "accepted"
