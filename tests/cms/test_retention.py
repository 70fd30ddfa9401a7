"""`manage.py retention`: abandoned drafts go with their files and history; closed
dossiers lose their files once the retention period set in the settings has passed, and
keep their row, bilan, decision and ledger; IP addresses older than a year go; a dry run
changes nothing; a second run finds nothing to do; each run writes one audit row."""

import datetime
import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, models
from django.test.utils import isolate_apps
from django.utils import timezone
from freezegun import freeze_time

from accounts import retention as traces
from accounts.errors import PermissionDenied
from accounts.models import AuditEntry
from fonds.ledger import ledger_disburse
from fonds.models import (
    Attachment,
    BudgetLine,
    Grant,
    Initiative,
    LedgerTransaction,
    Report,
    ReportDocument,
)
from fonds.retention import retention_run, years_before
from fonds.services import (
    initiative_attach,
    initiative_create,
    initiative_set_budget,
    report_accept,
    report_submit,
)
from fonds.services.initiatives import initiative_set_photo
from tests.fonds import conftest as fonds_fixtures
from tests.fonds.conftest import (
    BUDGET,
    complete_fields,
    give_account,
    image_bytes,
    pdf_bytes,
    stored_files,
)
from tests.votes import conftest as votes_fixtures
from votes.models import Decision
from votes.services import (
    agenda_add,
    attendance_record,
    decision_publish,
    decision_record,
    session_open,
    vote_cast,
    vote_close,
    vote_open,
)

# The fonds tests' fixtures, and the votes tests' council and its members.
quartier = fonds_fixtures.quartier
other_quartier = fonds_fixtures.other_quartier
fund = fonds_fixtures.fund
theme = fonds_fixtures.theme
people = votes_fixtures.people
author = fonds_fixtures.author
instructor = fonds_fixtures.instructor
draft = fonds_fixtures.draft
initiative_in = fonds_fixtures.initiative_in
pdf_upload = fonds_fixtures.pdf_upload
photo_upload = fonds_fixtures.photo_upload
council = votes_fixtures.council
members = votes_fixtures.members
chair = votes_fixtures.chair
credited = votes_fixtures.credited
session = votes_fixtures.session

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def years_after(moment, years):
    return years_before(moment, -years)


def run(*args):
    out = io.StringIO()
    call_command("retention", *args, stdout=out)
    return out.getvalue()


def runs():
    return AuditEntry.objects.filter(action="fonds.retention.run")


def snapshot():
    return {
        "initiatives": list(Initiative.objects.order_by("pk").values_list("pk", "photo")),
        "attachments": list(Attachment.objects.order_by("pk").values_list("pk", "file")),
        "documents": list(ReportDocument.objects.order_by("pk").values_list("pk", "file")),
        "history": Initiative.history.count(),
        "audit": AuditEntry.objects.count(),
        "files": stored_files(),
    }


# --- abandoned drafts ----------------------------------------------------------------------


@pytest.fixture
def two_drafts(fund, author, theme, pdf_upload, photo_upload):
    """Two drafts started the same day: ``old`` never touched again (budget, a PDF and a
    photo on its first day), ``recent`` given a PDF two days later. Returns them with
    their first day."""
    start = timezone.now()
    with freeze_time(start) as frozen:
        old = initiative_create(actor=author, fund=fund, **complete_fields(theme))
        initiative_set_budget(actor=author, initiative=old, lines=BUDGET)
        initiative_attach(actor=author, initiative=old, upload=pdf_upload(), label="Devis")
        initiative_set_photo(actor=author, initiative=old, upload=photo_upload())
        recent = initiative_create(actor=author, fund=fund, **complete_fields(theme))
        frozen.tick(2 * DAY)
        initiative_attach(actor=author, initiative=recent, upload=pdf_upload(), label="Devis")
    return old, recent, start


def test_a_draft_untouched_for_two_years_goes_with_its_files_and_history(
    two_drafts, django_capture_on_commit_callbacks
):
    old, recent, start = two_drafts
    recent_file = recent.attachments.get().file.name
    assert len(stored_files()) == 3
    # Two years and a day after the old draft's last change, two years less a day after
    # the recent one's.
    with freeze_time(years_after(start, 2) + DAY):
        with django_capture_on_commit_callbacks(execute=True):
            output = run()
    assert not Initiative.objects.filter(pk=old.pk).exists()
    assert Initiative.objects.filter(pk=recent.pk, status="draft").exists()
    assert stored_files() == [recent_file]
    assert not Initiative.history.filter(id=old.pk).exists()
    assert not BudgetLine.history.filter(initiative_id=old.pk).exists()
    assert not Attachment.history.filter(initiative_id=old.pk).exists()
    assert Initiative.history.filter(id=recent.pk).exists()
    assert "abandoned drafts, deleted: 1" in output
    assert "files of abandoned drafts, deleted: 2" in output
    entry = runs().get()
    assert entry.actor is None and entry.data["system"] == "retention"
    assert entry.data["drafts"] == 1 and entry.data["draft_ids"] == [old.pk]


def test_a_draft_untouched_for_two_years_less_a_day_stays(two_drafts):
    old, recent, start = two_drafts
    with freeze_time(years_after(start, 2) - DAY):
        output = run()
    assert Initiative.objects.filter(pk__in=[old.pk, recent.pk]).count() == 2
    assert len(stored_files()) == 3
    assert "abandoned drafts, deleted: 0" in output


def test_a_dry_run_changes_nothing(two_drafts, django_capture_on_commit_callbacks):
    old, _recent, start = two_drafts
    before = snapshot()
    with freeze_time(years_after(start, 2) + DAY):
        with django_capture_on_commit_callbacks(execute=True):
            output = run("--dry-run")
    assert snapshot() == before
    assert not runs().exists()
    assert "abandoned drafts, to delete (dry run, nothing changed): 1" in output


def test_a_second_run_finds_nothing_to_do(two_drafts, django_capture_on_commit_callbacks):
    _old, _recent, start = two_drafts
    with freeze_time(years_after(start, 2) + DAY):
        with django_capture_on_commit_callbacks(execute=True):
            run()
        after_first = snapshot()
        with django_capture_on_commit_callbacks(execute=True):
            output = run()
    second = runs().order_by("pk").last()
    assert runs().count() == 2
    assert {key: value for key, value in snapshot().items() if key != "audit"} == {
        key: value for key, value in after_first.items() if key != "audit"
    }
    assert all(second.data[key] == 0 for key in ("drafts", "dossiers", "ip_addresses"))
    assert "abandoned drafts, deleted: 0" in output


def test_only_the_system_runs_the_retention(two_drafts, people):
    _old, _recent, start = two_drafts
    with freeze_time(years_after(start, 2) + DAY):
        for actor in (None, people["administrator"]):
            with pytest.raises(PermissionDenied):
                retention_run(actor=actor)
    assert Initiative.objects.count() == 2 and not runs().exists()


# --- closed dossiers -----------------------------------------------------------------------


@pytest.fixture
def closed_dossier(draft, author, initiative_in, photo_upload):
    """A dossier closed today after its bilan: a photo and a PDF from its draft days, a
    receipt in its bilan, a grant and its ledger."""
    initiative_set_photo(actor=author, initiative=draft, upload=photo_upload())
    return initiative_in("closed", attachment=True)


def ledger_verifies():
    out = io.StringIO()
    call_command("ledger", "verify", stdout=out)
    return "ledger verify OK" in out.getvalue()


def test_a_closed_dossier_keeps_its_files_for_the_retention_period(closed_dossier):
    before = snapshot()
    assert len(before["files"]) == 3
    with freeze_time(years_after(timezone.now(), 10) - DAY):
        output = run()
    assert snapshot()["files"] == before["files"]
    assert Attachment.objects.filter(initiative=closed_dossier).count() == 1
    assert "closed dossiers past their retention period, deleted: 0" in output


def test_a_closed_dossier_loses_its_files_after_the_period_and_keeps_its_record(
    closed_dossier, django_capture_on_commit_callbacks
):
    grants = list(Grant.objects.filter(initiative=closed_dossier).values_list("pk", flat=True))
    transactions = LedgerTransaction.objects.count()
    assert grants
    with freeze_time(years_after(timezone.now(), 10) + DAY):
        with django_capture_on_commit_callbacks(execute=True):
            output = run()
    dossier = Initiative.objects.get(pk=closed_dossier.pk)
    assert dossier.status == "closed" and dossier.title == closed_dossier.title
    assert dossier.photo.name == ""
    assert not Attachment.objects.filter(initiative=dossier).exists()
    report = Report.objects.get(initiative=dossier)
    assert report.narrative and not report.documents.exists()
    assert stored_files() == []
    assert list(Grant.objects.filter(initiative=dossier).values_list("pk", flat=True)) == grants
    assert LedgerTransaction.objects.count() == transactions
    assert "files of those dossiers, deleted: 3" in output
    assert runs().get().data["dossier_ids"] == [dossier.pk]


@pytest.mark.parametrize("status", ["withdrawn", "inadmissible", "refused"])
def test_the_period_comes_from_the_settings_for_every_closed_status(
    status, initiative_in, settings, django_capture_on_commit_callbacks
):
    settings.FQ_DOCUMENT_RETENTION_YEARS = 3
    dossier = initiative_in(status, attachment=True)
    now = timezone.now()
    with freeze_time(years_after(now, 3) - DAY):
        run()
    assert Attachment.objects.filter(initiative=dossier).exists()
    with freeze_time(years_after(now, 3) + DAY):
        with django_capture_on_commit_callbacks(execute=True):
            run()
    assert not Attachment.objects.filter(initiative=dossier).exists()
    assert Initiative.objects.get(pk=dossier.pk).status == status
    assert stored_files() == []


def test_an_open_dossier_keeps_its_files(initiative_in):
    dossier = initiative_in("admissible", attachment=True)
    with freeze_time(years_after(timezone.now(), 30)):
        run()
    assert Attachment.objects.filter(initiative=dossier).exists()
    assert len(stored_files()) == 1


# --- IP addresses --------------------------------------------------------------------------


def test_every_ip_address_field_has_a_retention():
    listed = {(column.resolve(), column.field) for column in traces.IP_ADDRESS_COLUMNS}
    unlisted = [
        f"{model._meta.label}.{name}"
        for model, name in traces.ip_address_fields()
        if (model, name) not in listed
    ]
    assert unlisted == [], "add them to accounts.retention.IP_ADDRESS_COLUMNS"


@pytest.fixture
def ip_tables(monkeypatch):
    """Two tables that store addresses, for this test's connection only: visits whose
    old addresses are cleared, sign-ins whose old rows are deleted."""
    with isolate_apps("accounts"):

        class Visit(models.Model):  # noqa: DJ008
            ip = models.GenericIPAddressField(null=True)
            seen_at = models.DateTimeField()

            class Meta:
                app_label = "accounts"
                managed = False
                db_table = "retention_test_visit"

        class SignIn(models.Model):  # noqa: DJ008
            ip = models.GenericIPAddressField()
            at = models.DateTimeField()

            class Meta:
                app_label = "accounts"
                managed = False
                db_table = "retention_test_sign_in"

    with connection.cursor() as cursor:
        for table, column in (
            ("retention_test_visit", "seen_at"),
            ("retention_test_sign_in", "at"),
        ):
            cursor.execute(
                f"CREATE TEMPORARY TABLE {table} "
                f"(id bigserial PRIMARY KEY, ip inet, {column} timestamptz NOT NULL)"
            )
    monkeypatch.setattr(
        traces,
        "IP_ADDRESS_COLUMNS",
        (
            traces.IpColumn(Visit, "ip", "seen_at", traces.CLEAR),
            traces.IpColumn(SignIn, "ip", "at", traces.DELETE),
        ),
    )
    yield Visit, SignIn
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE retention_test_visit, retention_test_sign_in")


@pytest.mark.postgres
def test_ip_addresses_older_than_a_year_are_removed(ip_tables):
    Visit, SignIn = ip_tables
    now = timezone.now()
    old_visit = Visit.objects.create(ip="203.0.113.7", seen_at=now - 366 * DAY)
    new_visit = Visit.objects.create(ip="2001:db8::1", seen_at=now - 364 * DAY)
    SignIn.objects.create(ip="198.51.100.2", at=now - 366 * DAY)
    new_sign_in = SignIn.objects.create(ip="198.51.100.3", at=now - 364 * DAY)

    output = run("--dry-run")
    assert "IP addresses older than a year, to delete (dry run, nothing changed): 2" in output
    assert Visit.objects.get(pk=old_visit.pk).ip == "203.0.113.7"
    assert SignIn.objects.count() == 2

    output = run()
    assert "IP addresses older than a year, deleted: 2" in output
    assert Visit.objects.get(pk=old_visit.pk).ip is None
    assert Visit.objects.get(pk=new_visit.pk).ip == "2001:db8::1"
    assert list(SignIn.objects.values_list("pk", flat=True)) == [new_sign_in.pk]
    assert runs().get().data["ip_addresses"] == 2
    assert "IP addresses older than a year, deleted: 0" in run()


# --- sessions and deployment ---------------------------------------------------------------


def test_expired_sessions_go(client, author):
    from django.contrib.sessions.models import Session

    client.force_login(author)
    Session.objects.create(session_key="x" * 32, session_data="", expire_date=timezone.now() - DAY)
    assert "expired sessions, deleted: 1" in run()
    assert Session.objects.count() == 1 and not Session.objects.filter(pk="x" * 32).exists()


DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_the_deployment_runs_it_daily():
    cronjob = (DEPLOY / "k8s" / "retention-cronjob.yaml").read_text()
    assert "kind: CronJob" in cronjob and "concurrencyPolicy: Forbid" in cronjob
    assert '"retention"' in cronjob and "PRIVATE_MEDIA_ROOT" in cronjob
    timer = (DEPLOY / "fonds-quartiers-retention.timer").read_text()
    assert "OnCalendar=*-*-* 03:30:00" in timer and "Persistent=true" in timer
    service = (DEPLOY / "fonds-quartiers-retention.service").read_text()
    assert "manage.py retention" in service
    readme = (DEPLOY / "README.md").read_text()
    assert "manage.py retention" in readme


# --- a dossier decided in session ---------------------------------------------------------


@pytest.fixture
def admissible_with_files(draft, author, initiative_in, photo_upload):
    """An admissible dossier with a photo and a PDF from its draft days."""
    initiative_set_photo(actor=author, initiative=draft, upload=photo_upload())
    return initiative_in("admissible", attachment=True)


def test_a_dossier_decided_in_session_keeps_a_verified_ledger_after_its_files_go(
    admissible_with_files,
    credited,
    session,
    members,
    chair,
    instructor,
    author,
    django_capture_on_commit_callbacks,
):
    """Granted by the council in session, its decision published (the ledger's COMMIT),
    paid in part, closed after its bilan: every check of `ledger verify` has something
    to check, before and after the files go."""
    dossier = admissible_with_files
    item = agenda_add(actor=instructor, session=session, initiative=dossier)
    attendance_record(actor=chair, session=session, present=members[:4])
    session_open(actor=chair, session=session)
    vote = vote_open(actor=chair, item=item, mode="show_of_hands", proposed_amount="750")
    for member in members[:4]:
        vote_cast(actor=member, vote=vote, choice="for")
    vote_close(actor=chair, vote=vote)
    decision = decision_publish(actor=chair, decision=decision_record(actor=chair, item=item))
    grant = Grant.objects.get(initiative=dossier)
    give_account(dossier)
    ledger_disburse(
        actor=instructor,
        grant=grant,
        amount="500",
        payment_reference="MANDAT-2026-0042",
        payment_date=datetime.date.today(),
        idempotency_key="retention-pay",
    )
    report = report_submit(
        actor=author,
        initiative=dossier,
        narrative="Douze bacs construits, trois ateliers.",
        participants=40,
        actual_expenses="500",
        receipts=[SimpleUploadedFile("facture.pdf", pdf_bytes(), "application/pdf")],
        photos=[SimpleUploadedFile("fete.jpg", image_bytes(), "image/jpeg")],
    )
    report_accept(actor=instructor, report=report)
    assert Initiative.objects.get(pk=dossier.pk).status == "closed"
    assert len(stored_files()) == 4
    state = {
        "dossier": Initiative.objects.filter(pk=dossier.pk).values_list("status", "title").get(),
        "decision": Decision.objects.filter(pk=decision.pk).values_list("outcome", "amount").get(),
        "ledger": list(LedgerTransaction.objects.order_by("pk").values_list("pk", "hash")),
        "report": Report.objects.filter(pk=report.pk).values_list("narrative", "status").get(),
    }
    assert ledger_verifies()

    with freeze_time(years_after(timezone.now(), 10) + DAY):
        with django_capture_on_commit_callbacks(execute=True):
            output = run()

    assert "files of those dossiers, deleted: 4" in output
    assert stored_files() == []
    assert state == {
        "dossier": Initiative.objects.filter(pk=dossier.pk).values_list("status", "title").get(),
        "decision": Decision.objects.filter(pk=decision.pk).values_list("outcome", "amount").get(),
        "ledger": list(LedgerTransaction.objects.order_by("pk").values_list("pk", "hash")),
        "report": Report.objects.filter(pk=report.pk).values_list("narrative", "status").get(),
    }
    assert ledger_verifies()
