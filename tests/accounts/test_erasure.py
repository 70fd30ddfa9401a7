"""Erasure on request: from « Mon profil », with their password, a person has their
account and personal data pseudonymised everywhere. What the law keeps is said, with
its end; no append-only row changes, so public decisions, the ledger and its hashes
stay as they were and ``ledger verify`` passes; the person is signed out, cannot sign
in, and their address may open a new account. Afterwards no text column of any table
holds their address or name outside the rows kept."""

import datetime
import html as html_text
import io
import re
from collections import Counter
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.dates import long_date
from accounts.invitations import invitation_send
from accounts.models import AuditEntry, Invitation, User
from accounts.privacy import pseudonymised_email
from accounts.roles import Role
from cms.demo import DEMO_PASSWORD
from fonds.ledger import ledger_credit
from fonds.models import Attachment, Initiative, LedgerAccount, ReportDocument
from fonds.personal_data import ERASED_CARRIER, retained_until
from fonds.services import (
    initiative_attach,
    initiative_create,
    initiative_declare_admissible,
    initiative_set_budget,
    initiative_set_photo,
    initiative_submit,
    initiative_support,
    initiative_withdraw,
    report_submit,
)
from tests.fonds import conftest as fonds_fixtures
from tests.fonds.conftest import BUDGET, complete_fields, image_bytes, pdf_bytes
from tests.system import SYSTEM
from votes.models import Cast, Council, Decision, Mandate, Session
from votes.selectors import minutes_context
from votes.services import (
    agenda_add,
    attendance_record,
    decision_publish,
    decision_record,
    mandate_end,
    session_open,
    session_plan,
    vote_cast,
    vote_close,
    vote_open,
)

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

quartier = fonds_fixtures.quartier
other_quartier = fonds_fixtures.other_quartier
fund = fonds_fixtures.fund
theme = fonds_fixtures.theme
people = fonds_fixtures.people

RESIDENT = "habitante@demo.fonds-quartiers.fr"
COUNCILLOR = "conseillere@demo.fonds-quartiers.fr"
INSTRUCTOR = "instructeur@demo.fonds-quartiers.fr"
ADMIN = "admin@demo.fonds-quartiers.fr"
PASSWORD = "motdepasse-test"
ERASURE = "/comptes/supprimer-mon-compte/"


# --- what the database holds ---------------------------------------------------------------

TEXT_COLUMNS = """
SELECT c.table_name, array_agg(c.column_name::text ORDER BY c.ordinal_position),
       bool_or(c.column_name = 'id')
  FROM information_schema.columns c
  JOIN information_schema.tables t
    ON t.table_schema = c.table_schema AND t.table_name = c.table_name
 WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
   AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')
 GROUP BY c.table_name
"""


def rows_mentioning(text):
    """{table: sorted row ids (or ctids)} of every row of every table where a text or
    JSON column contains ``text``, whatever the case: the whole database, dumped."""
    pattern = "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"
    found = {}
    with connection.cursor() as cursor:
        cursor.execute(TEXT_COLUMNS)
        for table, columns, has_id in cursor.fetchall():
            key = "id::text" if has_id else "ctid::text"
            where = " OR ".join(f'"{column}"::text ILIKE %s' for column in columns)
            cursor.execute(f'SELECT {key} FROM "{table}" WHERE {where}', [pattern] * len(columns))
            rows = sorted(row[0] for row in cursor.fetchall())
            if rows:
                found[table] = rows
    return found


GUARDED_TABLES = """
SELECT DISTINCT c.relname
  FROM pg_trigger t
  JOIN pg_class c ON c.oid = t.tgrelid
  JOIN pg_proc p ON p.oid = t.tgfoid
 WHERE NOT t.tgisinternal AND (t.tgtype & 24) <> 0
   AND p.proname IN ('fq_refuse_change', 'fq_history_guard', 'fq_decision_published_guard')
"""


def append_only_rows():
    """Every row of every table PostgreSQL guards against UPDATE or DELETE (audit log,
    ledger, grants, casts, ballots, participations, decisions, history of the money
    models), as a multiset of row digests per table."""
    with connection.cursor() as cursor:
        cursor.execute(GUARDED_TABLES)
        tables = sorted(row[0] for row in cursor.fetchall())
        rows = {}
        for table in tables:
            cursor.execute(f'SELECT md5(t::text) FROM "{table}" t')
            rows[table] = Counter(row[0] for row in cursor.fetchall())
    assert {"accounts_auditentry", "fonds_ledgertransaction", "votes_cast"} <= set(rows)
    return rows


def assert_no_row_changed(before, after, *, deleted=None):
    """Every row of ``before`` is in ``after``, unchanged — but the history rows of a
    deleted draft (``deleted``: {table: digests}), which the guard lets go with it."""
    deleted = deleted or {}
    for table, digests in before.items():
        missing = digests - after[table]
        assert missing == deleted.get(table, Counter()), f"{table}: rows changed or deleted"


def draft_history_rows(*drafts):
    """The history rows of drafts and of their budget lines, if any (guarded tables)."""
    ids = [draft.pk for draft in drafts]
    with connection.cursor() as cursor:
        rows = {}
        for table, column in [
            ("fonds_historicalinitiative", "id"),
            ("fonds_historicalbudgetline", "initiative_id"),
        ]:
            cursor.execute(f'SELECT md5(t::text) FROM "{table}" t WHERE {column} = ANY(%s)', [ids])
            rows[table] = Counter(row[0] for row in cursor.fetchall())
    assert rows["fonds_historicalinitiative"]
    return rows


def ledger_heads():
    return dict(LedgerAccount.objects.values_list("pk", "head_hash"))


def ledger_verify():
    out = io.StringIO()
    call_command("ledger", "verify", stdout=out)
    return out.getvalue()


VOLATILE = [
    re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"'),
    re.compile(r'name="form_once" value="[^"]*"'),
    re.compile(r'nonce="[^"]*"'),
]


def page(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    html = response.content.decode()
    for pattern in VOLATILE:
        html = pattern.sub("", html)
    return html


def public_decision_pages():
    anonymous = Client()
    references = Decision.objects.filter(published_at__isnull=False).values_list(
        "reference", flat=True
    )
    return {ref: page(anonymous, reverse("decision_detail", args=[ref])) for ref in references}


def text(response):
    """The page as a reader sees it (entities such as ``&#x27;`` decoded)."""
    return html_text.unescape(response.content.decode())


def erase(client, user, password):
    client.force_login(user)
    return client.post(ERASURE, {"password": password, "understood": "on"})


def _pdf(name="devis.pdf"):
    return SimpleUploadedFile(name, pdf_bytes(), content_type="application/pdf")


def _photo():
    return SimpleUploadedFile("photo.jpg", image_bytes(), content_type="image/jpeg")


# --- from an empty database ------------------------------------------------------------


@pytest.fixture
def carrier(people, fund, theme, django_capture_on_commit_callbacks):
    """Jeanne Dupont (shown as « Jeanne D. ») and her dossiers: a draft with a file; a
    submitted one she carries in her own name; a withdrawn one with a photo and a file;
    a granted one (an association's, decided by the council) with its bilan and
    receipt, not closed yet; a support to a neighbour's dossier; an invitation still
    pending."""
    author = people["author"]
    author.display_name = "Jeanne D."
    author.save()
    EmailAddress.objects.create(user=author, email=author.email, verified=True, primary=True)
    fields = complete_fields(theme)

    def dossier(title, **changes):
        created = initiative_create(
            actor=author, fund=fund, **(fields | {"title": title} | changes)
        )
        return initiative_set_budget(actor=author, initiative=created, lines=BUDGET)

    draft = dossier("Un brouillon")
    initiative_attach(actor=author, initiative=draft, upload=_pdf(), label="Devis")
    personal = dossier("Une fête des voisins", carrier_kind="person", carrier_name="Jeanne Dupont")
    initiative_submit(actor=author, initiative=personal)
    withdrawn = dossier("Un atelier", carrier_kind="person", carrier_name="Jeanne Dupont")
    initiative_attach(
        actor=author, initiative=withdrawn, upload=_pdf("statuts.pdf"), label="Lettre"
    )
    initiative_set_photo(actor=author, initiative=withdrawn, upload=_photo())
    initiative_withdraw(actor=author, initiative=withdrawn, reason="Plus le temps.")
    granted = dossier("Un jardin partagé")
    initiative_attach(actor=author, initiative=granted, upload=_pdf("budget.pdf"), label="Budget")
    initiative_submit(actor=author, initiative=granted)
    ledger_credit(actor=SYSTEM, fund=fund, amount=Decimal("5000"), idempotency_key="credit")
    with django_capture_on_commit_callbacks(execute=True):
        decision = _granted_by_the_council(granted, people)
    assert decision.reference.startswith("CQ-BELLEVUE-")
    report_submit(
        actor=author,
        initiative=Initiative.objects.get(pk=granted.pk),
        narrative="Douze bacs.",
        participants=30,
        actual_expenses="850",
        receipts=[_pdf("facture.pdf")],
    )
    neighbour = dossier("Chez la voisine", carrier_name="Les Voisins")
    Initiative.objects.filter(pk=neighbour.pk).update(author=people["resident"])
    initiative_submit(actor=people["resident"], initiative=Initiative.objects.get(pk=neighbour.pk))
    initiative_support(actor=author, initiative=Initiative.objects.get(pk=neighbour.pk))
    with django_capture_on_commit_callbacks(execute=True):
        invitation_send(
            actor=people["administrator"],
            email=author.email,
            kind="staff_role",
            payload={"role": Role.INSTRUCTOR.value, "quartier": fund.quartier_id},
        )
    return {
        "user": author,
        "draft": draft,
        "personal": personal,
        "withdrawn": Initiative.objects.get(pk=withdrawn.pk),
        "granted": Initiative.objects.get(pk=granted.pk),
        "neighbour": neighbour,
    }


def _granted_by_the_council(initiative, people):
    """The dossier examined, put on the agenda, voted by the council's two members,
    and the decision published (with its COMMIT to the ledger)."""
    chair, member, instructor = people["chair"], people["council_member"], people["instructor"]
    initiative = initiative_declare_admissible(
        actor=instructor, initiative=initiative, reason="Dossier complet."
    )
    council = Council.objects.get(quartier=initiative.fund.quartier)
    session = session_plan(actor=chair, council=council, starts_at=timezone.now(), place="Salle")
    item = agenda_add(actor=instructor, session=session, initiative=initiative)
    attendance_record(actor=chair, session=session, present=[chair, member])
    session_open(actor=chair, session=session)
    vote = vote_open(actor=chair, item=item, mode="show_of_hands", proposed_amount="900")
    for voter in (chair, member):
        vote_cast(actor=voter, vote=vote, choice="for")
    vote_close(actor=chair, vote=vote)
    return decision_publish(actor=chair, decision=decision_record(actor=chair, item=item))


def _stored_files(*initiatives):
    names = []
    for initiative in initiatives:
        if initiative.photo:
            names.append(initiative.photo.name)
        names += [a.file.name for a in Attachment.objects.filter(initiative=initiative)]
        names += [d.file.name for d in ReportDocument.objects.filter(report__initiative=initiative)]
    return names


def test_erasure_keeps_the_granted_dossier_and_erases_the_rest(
    client, carrier, django_capture_on_commit_callbacks
):
    from fonds.storage import private_storage

    user, granted = carrier["user"], carrier["granted"]
    storage = private_storage()
    gone = _stored_files(carrier["draft"], carrier["withdrawn"])
    kept = _stored_files(granted)
    assert gone and kept and all(storage.exists(name) for name in gone + kept)
    elsewhere = Client()
    elsewhere.force_login(user)
    before, heads = append_only_rows(), ledger_heads()
    draft_history = draft_history_rows(carrier["draft"])
    audit = AuditEntry.objects.count()

    client.force_login(user)
    preview = client.get(ERASURE)
    assert preview.status_code == 200
    assert "Un jardin partagé" in text(preview)
    with django_capture_on_commit_callbacks(execute=True):
        response = erase(client, user, PASSWORD)
    assert response.status_code == 200
    html = text(response)
    assert "Votre compte est effacé" in html
    reference = granted.grants.get().decision_reference
    assert f"« Un jardin partagé » (décision {reference})" in html
    assert "10 ans après la clôture du dossier" in html
    assert not response.wsgi_request.user.is_authenticated

    # The account names nobody, and opens no door.
    user.refresh_from_db()
    assert user.email == pseudonymised_email(user) == f"compte-{user.pk}@efface.invalid"
    assert (user.display_name, user.quartier, user.is_active) == ("", None, False)
    assert not user.has_usable_password() and user.erased_at is not None
    assert str(user) == f"Compte supprimé n° {user.pk}"
    assert not EmailAddress.objects.filter(user=user).exists()
    assert client.get("/comptes/profil/").status_code == 302
    assert elsewhere.get("/comptes/profil/").status_code == 302
    assert not Client().login(email="autrice@example.org", password=PASSWORD)

    # Dossiers: the draft is gone with its history; the pending one is withdrawn; those
    # without a grant lose their files and a private carrier's name; the granted one
    # stays whole.
    draft = carrier["draft"]
    assert not Initiative.objects.filter(pk=draft.pk).exists()
    assert not Initiative.history.filter(id=draft.pk).exists()
    personal = Initiative.objects.get(pk=carrier["personal"].pk)
    assert personal.status == Initiative.Status.WITHDRAWN
    withdrawn = Initiative.objects.get(pk=carrier["withdrawn"].pk)
    for dossier in (personal, withdrawn):
        assert dossier.carrier_name == ERASED_CARRIER
        assert not dossier.photo and not dossier.attachments.exists()
    assert not any(storage.exists(name) for name in gone)
    granted_now = Initiative.objects.get(pk=granted.pk)
    assert granted_now.carrier_name == granted.carrier_name
    assert _stored_files(granted_now) == kept and all(storage.exists(name) for name in kept)
    invitation = Invitation.objects.get()
    assert invitation.email == "invitation@efface.invalid" and invitation.cancelled_at

    # The append-only record: nothing rewritten, the ledger whole.
    assert_no_row_changed(before, append_only_rows(), deleted=draft_history)
    assert ledger_heads() == heads
    ledger_verify()
    erased = AuditEntry.objects.filter(action="accounts.user.erase").get()
    assert erased.actor_id == user.pk and erased.target_id == str(user.pk)
    assert erased.data["erased"]["fonds"]["drafts_deleted"] == 1
    assert erased.data["erased"]["fonds"]["withdrawn"] == 1
    assert AuditEntry.objects.filter(action="fonds.initiative.withdraw").count() == 2
    assert AuditEntry.objects.count() == audit + 2  # the withdrawal, and the erasure

    # Nothing left that names her: her address and her name, nowhere.
    assert rows_mentioning("autrice@example.org") == {}
    assert rows_mentioning("Jeanne D.") == {}
    # Nor her name as a private carrier: the initiatives' history, which no one may
    # rewrite, never copied it.
    assert rows_mentioning("Jeanne Dupont") == {}


def test_a_private_carriers_name_survives_in_no_history_row(
    client, carrier, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        erase(client, carrier["user"], PASSWORD)
    assert rows_mentioning("Jeanne Dupont") == {}


def test_the_address_opens_a_new_account_after_erasure(
    client, carrier, django_capture_on_commit_callbacks
):
    user = carrier["user"]
    with django_capture_on_commit_callbacks(execute=True):
        erase(client, user, PASSWORD)
    response = Client().post(
        "/comptes/signup/",
        {
            "email": "autrice@example.org",
            "password1": "Bellerive-2026!",
            "password2": "Bellerive-2026!",
        },
    )
    assert response.status_code == 302
    fresh = User.objects.get(email="autrice@example.org")
    assert fresh.pk != user.pk and fresh.erased_at is None
    assert not Initiative.objects.filter(author=fresh).exists()


def test_a_wrong_password_or_no_confirmation_erases_nothing(client, carrier):
    user = carrier["user"]
    before = append_only_rows()
    fields = ("email", "display_name", "password", "is_active", "erased_at")
    state = list(User.objects.filter(pk=user.pk).values(*fields))
    response = erase(client, user, "pas-le-bon")
    assert response.status_code == 200
    assert "Ce mot de passe n'est pas le bon." in text(response)
    response = client.post(ERASURE, {"password": PASSWORD})
    assert response.status_code == 200 and "field--error" in response.content.decode()
    assert list(User.objects.filter(pk=user.pk).values(*fields)) == state
    assert append_only_rows() == before
    assert client.get("/comptes/profil/").status_code == 200


def test_a_staff_role_in_force_stops_the_erasure_with_the_reason(client, people):
    instructor = people["instructor"]
    client.force_login(instructor)
    html = text(client.get(ERASURE))
    assert "un administrateur doit d'abord y mettre fin" in html
    assert 'name="password"' not in html
    before = append_only_rows()
    response = erase(client, instructor, PASSWORD)
    assert "un administrateur doit d'abord y mettre fin" in text(response)
    instructor.refresh_from_db()
    assert instructor.erased_at is None and instructor.is_active
    assert append_only_rows() == before


def test_erasure_is_for_signed_in_people_only(client):
    response = client.get(ERASURE)
    assert response.status_code == 302 and response["Location"].startswith("/comptes/login/")


# --- from the demo -----------------------------------------------------------------------


def test_the_demo_resident_is_erased_and_the_public_record_is_unchanged(
    client, demo, django_capture_on_commit_callbacks
):
    resident = User.objects.get(email=RESIDENT)
    name = resident.display_name
    mine = Initiative.objects.filter(author=resident)
    granted = list(mine.filter(grants__isnull=False).distinct().order_by("pk"))
    closed = [dossier for dossier in granted if dossier.status == Initiative.Status.CLOSED]
    assert granted and closed
    kept_rows = list(Initiative.objects.filter(pk__in=[g.pk for g in granted]).values())
    pages = public_decision_pages()
    before, heads = append_only_rows(), ledger_heads()
    draft_history = draft_history_rows(*mine.filter(status=Initiative.Status.DRAFT))
    assert rows_mentioning(RESIDENT) and rows_mentioning(name)

    response = erase(client, resident, DEMO_PASSWORD)
    assert response.status_code == 200
    html = text(response)
    assert "Votre compte est effacé" in html
    until = long_date(retained_until(closed[0]))
    assert f"Conservé jusqu'au {until}." in html
    assert retained_until(closed[0]).year == timezone.localdate().year + 10

    assert client.get("/comptes/profil/").status_code == 302
    login = Client().post("/comptes/login/", {"login": RESIDENT, "password": DEMO_PASSWORD})
    assert not login.wsgi_request.user.is_authenticated
    # Granted dossiers kept whole; undecided ones withdrawn; drafts gone.
    assert list(Initiative.objects.filter(pk__in=[g.pk for g in granted]).values()) == kept_rows
    assert not mine.filter(status__in=["draft", "submitted", "admissible", "on_agenda"]).exists()

    assert_no_row_changed(before, append_only_rows(), deleted=draft_history)
    assert ledger_heads() == heads
    ledger_verify()
    assert public_decision_pages() == pages
    assert rows_mentioning(RESIDENT) == {}
    assert rows_mentioning(name) == {}


def test_a_sitting_councillor_is_told_to_end_her_mandate_first_then_is_erased(
    client, demo, django_capture_on_commit_callbacks
):
    councillor = User.objects.get(email=COUNCILLOR)
    name, pseudonym = councillor.display_name, f"Compte supprimé n° {councillor.pk}"
    client.force_login(councillor)
    html = text(client.get(ERASURE))
    assert "la commune doit d'abord mettre fin à ce mandat" in html
    fields = ("email", "display_name", "password", "is_active", "erased_at")
    state = list(User.objects.filter(pk=councillor.pk).values(*fields))
    erase(client, councillor, DEMO_PASSWORD)
    assert list(User.objects.filter(pk=councillor.pk).values(*fields)) == state

    mandate = Mandate.objects.get(user=councillor)
    mandate_end(
        actor=User.objects.get(email=ADMIN),
        mandate=mandate,
        ends_on=timezone.localdate() - datetime.timedelta(days=1),
        reason="Démission",
    )
    casts = list(Cast.objects.filter(member=councillor).order_by("pk").values())
    assert casts
    sessions = Session.objects.filter(
        items__votes__casts__member=councillor, minutes_signed_at__isnull=False
    ).distinct()
    assert sessions
    minutes = {s.pk: render_to_string("votes/minutes.html", minutes_context(s)) for s in sessions}
    assert all(name in html for html in minutes.values())
    pages = public_decision_pages()
    before, heads = append_only_rows(), ledger_heads()

    response = erase(client, councillor, DEMO_PASSWORD)
    assert "Votre compte est effacé" in text(response)
    assert "votes nominatifs" in text(response)

    assert list(Cast.objects.filter(member=councillor).order_by("pk").values()) == casts
    assert_no_row_changed(before, append_only_rows())
    assert ledger_heads() == heads
    ledger_verify()
    # Public pages: the same, but for the name, which the account no longer gives.
    assert public_decision_pages() == {
        ref: html.replace(name, pseudonym) for ref, html in pages.items()
    }
    for session in sessions:
        after = render_to_string("votes/minutes.html", minutes_context(session))
        assert name not in after and pseudonym in after
        assert after == minutes[session.pk].replace(name, pseudonym)
    assert rows_mentioning(COUNCILLOR) == {}
    assert rows_mentioning(name) == {}
