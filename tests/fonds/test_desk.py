"""The instructors' desk in /cms/: a dossier's money and its history in words, the
payment form's checks, the review of the bilan (accept, ask for more, refuse), and the
public trail of every euro on the initiative's page."""

import datetime
import re
from decimal import Decimal
from html import unescape

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import AuditEntry
from fonds.ledger import ledger_commit, ledger_credit, ledger_disburse
from fonds.models import LedgerAccount, LedgerTransaction, Report, ReportDocument
from fonds.services import report_submit
from fonds.services.council import initiative_record_decision
from tests.conftest import sign_in
from tests.system import SYSTEM

from .conftest import give_account, image_bytes, pdf_bytes

pytestmark = pytest.mark.django_db

REFERENCE = "CQ-BELLEVUE-2026-008"
CONFIRMING = '<input type="hidden" name="confirmed" value="1">'


def text(response):
    """The page with entities decoded and the no-break spaces of French figures plain."""
    return re.sub(r"[\u00a0\u202f]", " ", unescape(response.content.decode()))


@pytest.fixture
def granted(initiative_in, fund, instructor):
    """A dossier granted 1 000 € by a published decision, 600 € of it paid."""
    initiative = initiative_in("on_agenda")
    ledger_credit(actor=SYSTEM, fund=fund, amount="5000", idempotency_key="d-credit")
    initiative_record_decision(
        actor=SYSTEM, initiative=initiative, outcome="granted", reference=REFERENCE, amount="1000"
    )
    grant = ledger_commit(
        actor=SYSTEM,
        initiative=initiative,
        amount="1000",
        decision_reference=REFERENCE,
        idempotency_key="d-commit",
    ).grant
    give_account(initiative)
    ledger_disburse(
        actor=instructor,
        grant=grant,
        amount="600",
        payment_reference="MANDAT-1",
        payment_date=datetime.date(2026, 3, 12),
        idempotency_key="d-pay",
    )
    initiative.refresh_from_db()
    return initiative


def _report(initiative, author, *, consent=True, photos=1, expenses="850,00"):
    return report_submit(
        actor=author,
        initiative=initiative,
        narrative="Douze bacs construits, trois ateliers.",
        public_summary="Douze bacs de jardinage au pied des tours.",
        participants=42,
        actual_expenses=expenses,
        receipts=[SimpleUploadedFile("facture.pdf", pdf_bytes(), "application/pdf")],
        photos=[
            SimpleUploadedFile(f"p{n}.jpg", image_bytes(), "image/jpeg") for n in range(photos)
        ],
        photos_consent=consent,
    )


def _desk(initiative):
    return f"/cms/dossiers/{initiative.pk}/"


def test_the_dossier_shows_its_money_and_history_in_words(client, granted, instructor):
    sign_in(client, instructor)
    html = text(client.get(_desk(granted)))
    money = re.search(r'<dl class="fq-facts" id="dossier-money">(.*?)</dl>', html, re.S).group(1)
    figures = re.findall(r"<dt>([^<]+)</dt>\s*<dd>([^<]+)</dd>", money)
    assert figures == [
        ("Accordé", "1 000,00 €"),
        ("Versé", "600,00 €"),
        ("Libéré au profit du fonds", "0,00 €"),
        ("Reste à verser", "400,00 €"),
    ]
    history = re.search(r'<table class="listing" id="dossier-history">(.*?)</table>', html, re.S)
    rows = re.findall(r'<th scope="row">([^<]+)</th>', history.group(1))
    assert f"Décision publiée : subvention de 1 000,00 € ({REFERENCE})" in rows
    assert "Paiement de 600,00 € le 12 mars 2026 (référence MANDAT-1)" in rows
    assert f"Engagement au grand livre : 1 000,00 € ({REFERENCE})" in rows
    assert "Inscrit à l'ordre du jour : Séance test" in rows
    assert "fonds." not in history.group(1)
    grant = granted.grants.get()
    assert f"/cms/subventions/{grant.pk}/paiement/" in html
    assert f"/cms/subventions/{grant.pk}/liberation/" in html


def test_the_payment_form_reads_todays_date_and_confirms_in_french(client, granted, instructor):
    grant = granted.grants.get()
    sign_in(client, instructor)
    url = f"/cms/subventions/{grant.pk}/paiement/"
    form = text(client.get(url))
    today = timezone.localdate()
    assert re.search(
        rf'<input type="date" name="payment_date" value="{today.isoformat()}"', form
    ), "the date input arrives filled with today, as it reads it (YYYY-MM-DD)"
    key = re.search(r'name="key" value="([0-9a-f]{32})"', form).group(1)
    data = {
        "amount": "1234,5",
        "payment_reference": "MANDAT-2",
        "payment_date": "2026-11-01",
        "key": key,
    }
    # More than what is still committed: refused before the confirmation.
    html = text(client.post(url, data))
    assert CONFIRMING not in html
    assert "Le montant dépasse ce qui reste engagé sur cette subvention : 400,00 €." in html
    assert "<title>Erreur" in html
    data["amount"] = "250,5"
    confirmation = text(client.post(url, data))
    assert CONFIRMING in confirmation
    shown = re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", confirmation)
    assert ("Montant versé (€)", "250,50 €") in shown
    assert ("Date du paiement", "1er novembre 2026") in shown
    assert LedgerTransaction.objects.filter(kind="disburse").count() == 1
    done = client.post(url, {**data, "confirmed": "1"})
    assert done.status_code == 302 and done["Location"] == _desk(granted)
    assert LedgerAccount.objects.get(grant=grant).balance == Decimal("149.50")


def test_a_reference_already_used_on_the_grant_asks_for_confirmation(client, granted, instructor):
    grant = granted.grants.get()
    sign_in(client, instructor)
    url = f"/cms/subventions/{grant.pk}/paiement/"
    key = re.search(r'name="key" value="([0-9a-f]{32})"', text(client.get(url))).group(1)
    data = {"amount": "100", "payment_reference": "MANDAT-1", "payment_date": "2026-11-02"}
    data["key"] = key
    warning = "Un paiement de 600,00 € porte déjà la référence « MANDAT-1 » sur cette subvention"
    asked = text(client.post(url, data))
    assert warning in asked and 'name="acknowledge"' in asked
    # Confirmed without ticking the box: asked again, nothing written.
    again = text(client.post(url, {**data, "confirmed": "1"}))
    assert "Cochez la case pour confirmer" in again and CONFIRMING in again
    assert LedgerTransaction.objects.filter(kind="disburse").count() == 1
    done = client.post(url, {**data, "confirmed": "1", "acknowledge": "1"})
    assert done.status_code == 302
    assert LedgerTransaction.objects.filter(kind="disburse", reference="MANDAT-1").count() == 2


def test_an_instructor_asks_for_more_the_carrier_completes_then_acceptance_releases(
    client, granted, author, instructor, django_capture_on_commit_callbacks
):
    report = _report(granted, author)
    grant = granted.grants.get()
    sign_in(client, instructor)
    review = f"/cms/dossiers/{granted.pk}/bilan/"
    page = text(client.get(review))
    comparison = re.search(r'id="report-comparison">(.*?)</table>', page, re.S).group(1)
    rows = dict(re.findall(r'<th scope="row">([^<]+)</th><td>([^<]+)</td>', comparison))
    assert rows["Subvention accordée"] == "1 000,00 €"
    assert rows["Déjà versé au porteur"] == "600,00 €"
    assert rows["Dépenses réelles déclarées au bilan"] == "850,00 €"
    assert rows["Reste engagé, libéré si le bilan est accepté"] == "400,00 €"

    # No message, no request: the carrier must be told what is missing.
    before = AuditEntry.objects.count()
    empty = text(client.post(f"{review}completer/", {"completer-reason": "  "}))
    assert "Dites au porteur ce qui manque à son bilan." in empty
    assert AuditEntry.objects.count() == before
    report.refresh_from_db()
    assert report.status == Report.Status.SUBMITTED

    message = "Il manque la facture des planches."
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post(f"{review}completer/", {"completer-reason": message})
    assert asked.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.review_reason) == (Report.Status.COMPLETION_ASKED, message)
    email = [m for m in mail.outbox if m.to == [author.email]][-1]
    assert "est à compléter" in email.subject and message in email.body
    # Nothing can be accepted while the carrier completes it.
    sign_in(client, instructor)
    client.post(f"{review}accepter/", {"confirmed": "1"})
    report.refresh_from_db()
    assert report.status == Report.Status.COMPLETION_ASKED

    sign_in(client, author)
    space = text(client.get("/mon-espace/"))
    assert "Compléter le bilan" in space and f"Dossier n° {granted.pk}" in space
    form = text(client.get(f"/initiatives/{granted.pk}/bilan/"))
    assert message in form and "Douze bacs construits" in form
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        completed = client.post(
            f"/initiatives/{granted.pk}/bilan/",
            {
                "narrative": "Douze bacs construits, trois ateliers, facture jointe.",
                "participants": "45",
                "actual_expenses": "900",
                "receipts": [SimpleUploadedFile("planches.pdf", pdf_bytes(), "application/pdf")],
            },
        )
    assert completed.status_code == 302
    report.refresh_from_db()
    assert report.status == Report.Status.SUBMITTED
    assert (report.participants, report.actual_expenses) == (45, Decimal("900.00"))
    assert report.documents.filter(kind=ReportDocument.Kind.RECEIPT).count() == 2
    assert [m.to for m in mail.outbox if "Bilan complété" in m.subject] == [[instructor.email]]

    sign_in(client, instructor)
    confirm = text(client.post(f"{review}accepter/"))
    assert "Accepter ce bilan libère 400,00 € au profit du fonds et clôture le dossier." in confirm
    assert LedgerAccount.objects.get(grant=grant).balance == Decimal("400.00")
    done = client.post(f"{review}accepter/", {"confirmed": "1"})
    assert done.status_code == 302
    report.refresh_from_db()
    granted.refresh_from_db()
    assert (report.status, granted.status) == (Report.Status.ACCEPTED, "closed")
    assert LedgerAccount.objects.get(grant=grant).balance == 0
    history = text(client.get(_desk(granted)))
    for line in (
        "Compléments du bilan demandés",
        "Bilan complété : 900,00 € de dépenses, 45 participants",
        "Bilan accepté, dossier clôturé",
        "Libération de 400,00 € au profit du fonds",
    ):
        assert line in history, line


def test_a_refused_bilan_releases_nothing_and_tells_the_carrier(
    client, granted, author, instructor, django_capture_on_commit_callbacks
):
    report = _report(granted, author)
    grant = granted.grants.get()
    sign_in(client, instructor)
    review = f"/cms/dossiers/{granted.pk}/bilan/"
    reason = "Les justificatifs ne correspondent pas à l'action."
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{review}refuser/", {"refuser-reason": reason}).status_code == 302
    report.refresh_from_db()
    granted.refresh_from_db()
    assert (report.status, granted.status) == (Report.Status.REFUSED, "granted")
    assert LedgerAccount.objects.get(grant=grant).balance == Decimal("400.00")
    email = [m for m in mail.outbox if m.to == [author.email]][-1]
    assert "n'est pas accepté" in email.subject and reason in email.body
    # A refused bilan is not accepted later by a stale form.
    client.post(f"{review}accepter/", {"confirmed": "1"})
    report.refresh_from_db()
    assert report.status == Report.Status.REFUSED
    assert LedgerAccount.objects.get(grant=grant).balance == Decimal("400.00")


def test_review_actions_refuse_bad_input_and_other_people(client, granted, author, people):
    report = _report(granted, author)
    review = f"/cms/dossiers/{granted.pk}/bilan/"
    before = AuditEntry.objects.count()
    sign_in(client, people["instructor"])
    assert client.post(f"{review}inconnue/", {"confirmed": "1"}).status_code == 404
    nul = text(client.post(f"{review}refuser/", {"refuser-reason": "Motif\x00caché"}))
    assert "caractères de contrôle" in nul or "caractère" in nul
    assert client.post(f"{review}refuser/", {"refuser-reason": "x" * 2001}).status_code == 200
    sign_in(client, people["other_instructor"])
    assert client.post(f"{review}refuser/", {"refuser-reason": "Non."}).status_code == 403
    sign_in(client, author)
    assert client.post(f"{review}refuser/", {"refuser-reason": "Non."}).status_code == 302
    report.refresh_from_db()
    assert report.status == Report.Status.SUBMITTED
    assert AuditEntry.objects.count() == before


def test_the_public_page_shows_the_trail_of_every_euro(client, granted, author, instructor):
    report = _report(granted, author)
    sign_in(client, instructor)
    client.post(f"/cms/dossiers/{granted.pk}/bilan/accepter/", {"confirmed": "1"})
    client.logout()
    html = text(client.get(f"/initiatives/{granted.pk}/"))
    trail = re.search(r'<section aria-labelledby="trail-title".*?</section>', html, re.S).group(0)
    assert f'href="/decisions/{REFERENCE}/"' in trail
    assert "Subvention de 1 000,00 € accordée" in trail
    assert "12 mars 2026</time> — Versement de 600,00 € au porteur" in trail
    assert "400,00 € non dépensés rendus au fonds du quartier" in trail
    assert "Douze bacs de jardinage au pied des tours." in trail
    assert "42 participants" in trail and "850,00 € dépensés" in trail
    photo = report.documents.get(kind=ReportDocument.Kind.PHOTO)
    photo_url = f"/initiatives/{granted.pk}/bilan/pieces/{photo.pk}/"
    assert photo_url in trail
    assert client.get(photo_url).status_code == 200
    receipt = report.documents.get(kind=ReportDocument.Kind.RECEIPT)
    assert client.get(f"/initiatives/{granted.pk}/bilan/pieces/{receipt.pk}/").status_code == 404
    assert "Douze bacs construits, trois ateliers." not in html  # the narrative stays private

    # An instructor hides the photo, with a reason: gone from the page and the address.
    sign_in(client, instructor)
    hide = f"/cms/dossiers/{granted.pk}/bilan/photos/{photo.pk}/masquer/"
    assert "Indiquez pourquoi la photo est masquée." in text(client.post(hide, {"reason": ""}))
    assert client.post(hide, {"reason": "Un enfant reconnaissable"}).status_code == 302
    client.logout()
    assert photo_url not in text(client.get(f"/initiatives/{granted.pk}/"))
    assert client.get(photo_url).status_code == 404


def test_photos_stay_private_without_the_carriers_confirmation(client, granted, author, people):
    report = _report(granted, author, consent=False)
    sign_in(client, people["instructor"])
    client.post(f"/cms/dossiers/{granted.pk}/bilan/accepter/", {"confirmed": "1"})
    photo = report.documents.get(kind=ReportDocument.Kind.PHOTO)
    photo_url = f"/initiatives/{granted.pk}/bilan/pieces/{photo.pk}/"
    for user in (None, people["resident"]):
        sign_in(client, user)
        assert photo_url not in text(client.get(f"/initiatives/{granted.pk}/"))
        assert client.get(photo_url).status_code == 404
    sign_in(client, people["council_member"])
    assert client.get(photo_url).status_code == 200
