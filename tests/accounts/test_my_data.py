"""« Mes données »: from « Mon profil », a person asks for an archive of everything the
platform holds about them; a task builds it (JSON and their files, zipped) in the
private storage and emails them a link that only they can open, for 24 hours."""

import datetime
import io
import json
import re
import uuid
import zipfile
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from freezegun import freeze_time

from accounts.models import AuditEntry, DataExport, User
from accounts.privacy import EXPORT_VALIDITY, export_storage, exports_purge_expired
from fonds.ledger import ledger_commit, ledger_credit, ledger_disburse
from fonds.models import Initiative, ReportDocument
from fonds.services import (
    initiative_attach,
    initiative_set_photo,
    initiative_submit,
    report_submit,
)
from tests.fonds import conftest as fonds_fixtures
from tests.fonds.conftest import give_account, image_bytes, pdf_bytes
from tests.system import SYSTEM
from votes.models import Cast, Mandate

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

quartier = fonds_fixtures.quartier
other_quartier = fonds_fixtures.other_quartier
fund = fonds_fixtures.fund
theme = fonds_fixtures.theme
people = fonds_fixtures.people
author = fonds_fixtures.author
instructor = fonds_fixtures.instructor
draft = fonds_fixtures.draft

RESIDENT = "habitante@demo.fonds-quartiers.fr"
COUNCILLOR = "conseillere@demo.fonds-quartiers.fr"
PASSWORD = "motdepasse-test"


def _request(client, user, capture):
    """Ask for the archive from the profile, the task running once the request commits;
    returns the download link the email gives."""
    client.force_login(user)
    with capture(execute=True):
        response = client.post(reverse("accounts_data_export"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts_profile")
    message = mail.outbox[-1]
    assert message.to == [user.email]
    link = re.search(r"https?://\S+/comptes/mes-donnees/[0-9a-f-]+/", message.body).group(0)
    return urlsplit(link).path


def _archive(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    return archive, json.loads(archive.read("donnees.json"))


def _others(user):
    """Every other person's address and name, as the archive must not show them."""
    values = set()
    for other in User.objects.exclude(pk=user.pk):
        values.add(other.email)
        if other.display_name and other.display_name != user.display_name:
            values.add(other.display_name)
    values |= set(EmailAddress.objects.exclude(user=user).values_list("email", flat=True))
    return values


def _text_of(archive):
    return "\n".join(
        archive.read(name).decode()
        for name in archive.namelist()
        if name.endswith((".json", ".txt"))
    )


@pytest.fixture
def granted(draft, author, instructor, fund):
    """The author's dossier with a photo and an attachment, submitted, granted 800 €
    (the council's path is the votes tests' business: the status is set directly and
    the system commits), 500 € paid by the instructor, and its bilan with a receipt."""
    initiative_attach(actor=author, initiative=draft, upload=_pdf("devis.pdf"), label="Devis")
    initiative_set_photo(actor=author, initiative=draft, upload=_photo())
    initiative_submit(actor=author, initiative=draft)
    Initiative.objects.filter(pk=draft.pk).update(status=Initiative.Status.GRANTED)
    ledger_credit(actor=SYSTEM, fund=fund, amount=Decimal("5000"), idempotency_key="credit-1")
    commit = ledger_commit(
        actor=SYSTEM,
        initiative=draft,
        amount=Decimal("800"),
        decision_reference="CQ-BELLEVUE-2026-001",
        idempotency_key="commit-1",
    )
    give_account(draft)
    ledger_disburse(
        actor=instructor,
        grant=commit.grant,
        amount=Decimal("500"),
        payment_reference="MANDAT-42",
        payment_date=datetime.date.today(),
        idempotency_key="pay-1",
    )
    report_submit(
        actor=author,
        initiative=Initiative.objects.get(pk=draft.pk),
        narrative="Douze bacs construits.",
        participants=40,
        actual_expenses="700",
        receipts=[_pdf("facture.pdf")],
    )
    return Initiative.objects.get(pk=draft.pk)


def _pdf(name):
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


def _photo():
    return SimpleUploadedFile("photo.jpg", image_bytes(), content_type="image/jpeg")


# --- from an empty database --------------------------------------------------------------


def test_a_new_account_downloads_its_own_data(client, django_capture_on_commit_callbacks):
    user = User.objects.create_user(email="nouvelle@example.org", password=PASSWORD)
    user.display_name = "Nina Nouvelle"
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    path = _request(client, user, django_capture_on_commit_callbacks)
    archive, data = _archive(client, path)
    account = data["data"]["accounts"]["account"]
    assert (account["id"], account["email"], account["display_name"]) == (
        user.pk,
        "nouvelle@example.org",
        "Nina Nouvelle",
    )
    assert data["data"]["accounts"]["email_addresses"] == [
        {"email": "nouvelle@example.org", "verified": True, "primary": True}
    ]
    assert data["data"]["fonds"]["initiatives"] == []
    assert data["data"]["votes"]["mandates"] == []
    assert data["files"] == []
    assert sorted(archive.namelist()) == ["LISEZMOI.txt", "donnees.json"]
    entry = AuditEntry.objects.get(action="accounts.data_export.request")
    assert entry.actor == user and entry.data == {}


def test_the_archive_holds_the_carriers_dossier_and_files_and_nothing_of_others(
    client, django_capture_on_commit_callbacks, granted, author, people
):
    path = _request(client, author, django_capture_on_commit_callbacks)
    archive, data = _archive(client, path)
    (dossier,) = data["data"]["fonds"]["initiatives"]
    assert dossier["title"] == granted.title
    assert dossier["carrier_name"] == "Les Jardiniers de Bellevue"
    # The account given for the grant (the fixture's, confirmed after the decision).
    (account,) = dossier["bank_details"]
    assert account["iban"] == "FR7630006000011234567890189" and account["confirmed_at"]
    assert sorted(line["label"] for line in dossier["budget_lines"]) == [
        "Bailleur social",
        "Bois et terreau",
        "Outils",
    ]
    (grant,) = dossier["grants"]
    assert grant["decision_reference"] == "CQ-BELLEVUE-2026-001"
    assert [(op["kind"], Decimal(op["amount"])) for op in grant["ledger"]] == [
        ("commit", Decimal("800")),
        ("disburse", Decimal("500")),
    ]
    assert dossier["report"]["narrative"] == "Douze bacs construits."
    # Every file of the dossier, byte for byte, where the JSON says it is.
    attachment = granted.attachments.get()
    document = ReportDocument.objects.get(report__initiative=granted)
    expected = {
        dossier["photo"]: granted.photo,
        dossier["attachments"][0]["file"]: attachment.file,
        dossier["report"]["documents"][0]["file"]: document.file,
    }
    assert sorted(data["files"]) == sorted(expected)
    for path_in_archive, stored in expected.items():
        with stored.storage.open(stored.name, "rb") as source:
            assert archive.read(path_in_archive) == source.read()
    # Nobody else's address or name; the instructor who paid appears nowhere.
    text = _text_of(archive)
    assert [value for value in _others(author) if value in text] == []
    assert "MANDAT-42" in text


def test_the_link_opens_for_24_hours_then_answers_410_and_the_file_is_gone(
    client, django_capture_on_commit_callbacks, author
):
    with freeze_time("2026-03-02 10:00:00+00:00") as clock:
        path = _request(client, author, django_capture_on_commit_callbacks)
        export = DataExport.objects.get(user=author)
        assert (
            export.expires_at - export.ready_at == EXPORT_VALIDITY == datetime.timedelta(hours=24)
        )
        assert export_storage().exists(export.file)
        clock.tick(datetime.timedelta(hours=23, minutes=59))
        _archive(client, path)
        clock.tick(datetime.timedelta(minutes=1))
        with django_capture_on_commit_callbacks(execute=True):
            response = client.get(path)
        assert response.status_code == 410
        assert not export_storage().exists(export.file)
        assert client.get(path).status_code == 410
        assert DataExport.objects.get(pk=export.pk).status == DataExport.Status.EXPIRED
        # The profile offers a new archive, no longer the old link.
        profile = client.get(reverse("accounts_profile")).content.decode()
        assert path not in profile
        assert reverse("accounts_data_export") in profile


def test_the_retention_purge_deletes_expired_archives(
    client, django_capture_on_commit_callbacks, author
):
    with freeze_time("2026-03-02 10:00:00+00:00") as clock:
        _request(client, author, django_capture_on_commit_callbacks)
        export = DataExport.objects.get(user=author)
        assert exports_purge_expired() == 0
        clock.tick(EXPORT_VALIDITY)
        assert exports_purge_expired(dry_run=True) == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert exports_purge_expired() == 1
    assert not DataExport.objects.exists()
    assert not export_storage().exists(export.file)


def test_only_its_owner_opens_the_archive(client, django_capture_on_commit_callbacks, people):
    owner, other = people["author"], people["resident"]
    path = _request(client, owner, django_capture_on_commit_callbacks)
    client.force_login(other)
    assert client.get(path).status_code == 404
    assert (
        client.get(reverse("accounts_data_export_download", args=[uuid.UUID(int=0)])).status_code
        == 404
    )
    client.logout()
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith("/comptes/login/")


def test_one_archive_is_prepared_at_a_time_and_a_new_one_replaces_the_last(
    client, django_capture_on_commit_callbacks, author
):
    client.force_login(author)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("accounts_data_export"))
    assert DataExport.objects.get(user=author).status == DataExport.Status.PENDING
    profile = client.get(reverse("accounts_profile")).content.decode()
    assert "Votre archive est en préparation." in profile
    response = client.post(reverse("accounts_data_export"), follow=True)
    assert "en cours de préparation" in response.content.decode()
    assert DataExport.objects.filter(user=author).count() == 1
    DataExport.objects.filter(user=author).delete()
    first = _request(client, author, django_capture_on_commit_callbacks)
    old = DataExport.objects.get(user=author)
    second = _request(client, author, django_capture_on_commit_callbacks)
    assert first != second
    assert not export_storage().exists(old.file)
    assert client.get(first).status_code == 404
    _archive(client, second)


def test_a_get_does_not_ask_for_an_archive(client, author):
    client.force_login(author)
    assert client.get(reverse("accounts_data_export")).status_code == 405
    assert not DataExport.objects.exists()


# --- from the demo -----------------------------------------------------------------------


def test_the_demo_resident_gets_her_dossiers_grants_and_files(
    client, django_capture_on_commit_callbacks, demo
):
    resident = User.objects.get(email=RESIDENT)
    path = _request(client, resident, django_capture_on_commit_callbacks)
    archive, data = _archive(client, path)
    dossiers = data["data"]["fonds"]["initiatives"]
    mine = Initiative.objects.filter(author=resident)
    assert sorted(d["id"] for d in dossiers) == sorted(mine.values_list("pk", flat=True))
    granted = [d for d in dossiers if d["grants"]]
    assert {g["decision_reference"] for d in granted for g in d["grants"]} == set(
        mine.filter(grants__isnull=False).values_list("grants__decision_reference", flat=True)
    )
    stored = [
        *ReportDocument.objects.filter(report__initiative__author=resident),
        *[a for i in mine for a in i.attachments.all()],
    ]
    assert len(data["files"]) >= len(stored) > 0
    assert set(data["files"]) <= set(archive.namelist())
    assert data["data"]["accounts"]["account"]["display_name"] == "Camille Durand"
    text = _text_of(archive)
    assert [value for value in _others(resident) if value in text] == []


def test_the_demo_councillor_gets_her_mandate_and_named_votes(
    client, django_capture_on_commit_callbacks, demo
):
    councillor = User.objects.get(email=COUNCILLOR)
    path = _request(client, councillor, django_capture_on_commit_callbacks)
    archive, data = _archive(client, path)
    votes = data["data"]["votes"]
    assert len(votes["mandates"]) == Mandate.objects.filter(user=councillor).count() == 1
    casts = Cast.objects.filter(member=councillor)
    assert len(votes["votes_by_name"]) == casts.count() > 0
    assert sorted(v["choice"] for v in votes["votes_by_name"]) == sorted(
        cast.get_choice_display() for cast in casts
    )
    text = _text_of(archive)
    assert [value for value in _others(councillor) if value in text] == []
