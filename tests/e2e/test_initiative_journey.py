"""A new resident submits an initiative with a PDF quote; the instructor asks for
completion; the resident completes; the instructor declares it admissible; the resident
sees it in « mon espace ». Every page visited is checked with axe-core."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import Role
from accounts.services import role_grant
from fonds.models import Initiative
from fonds.services import fund_create, quartier_create, theme_create
from tests.fonds.conftest import pdf_bytes
from tests.system import SYSTEM

from .conftest import PASSWORD, header_link, labelled, log_in, verified_user

pytestmark = pytest.mark.django_db(transaction=True)

INSTRUCTOR = "agent.bellevue@example.org"


@pytest.fixture
def commune(transactional_db):
    from cms.demo.pages import demo_pages

    demo_pages()
    quartier = quartier_create(actor=SYSTEM, name="Bellevue")
    today = timezone.localdate()
    fund = fund_create(
        actor=SYSTEM,
        quartier=quartier,
        label=f"Fonds {today.year}",
        period_start=today.replace(month=1, day=1),
        period_end=today.replace(month=12, day=31),
        submissions_open_on=today - datetime.timedelta(days=5),
        submissions_close_on=today + datetime.timedelta(days=60),
        max_grant=Decimal("2000"),
        min_cofunding_percent=Decimal("10"),
    )
    theme_create(actor=SYSTEM, name="Jardins partagés")
    instructor = verified_user(INSTRUCTOR, "Agent Bellevue")
    role_grant(actor=SYSTEM, user=instructor, role=Role.INSTRUCTOR, quartier=quartier)
    return fund


def focused(page):
    """What the keyboard's focus is on: its tag, id, class and name."""
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return [e.tagName, e.id, e.className, e.name || ''].join(' '); }"
    )


def test_a_submission_by_keyboard_lands_the_focus_where_the_person_reads(
    commune, new_context, tmp_path
):
    """After each error the focus is on the error summary, after each action on its
    confirmation; « Ajouter une ligne » puts it in the new line."""
    verified_user("nora.benali@example.org")
    resident = new_context(viewport={"width": 360, "height": 780}).new_page()
    resident.goto("/comptes/login/")
    resident.get_by_label("E-mail").fill("nora.benali@example.org")
    labelled(resident, "Mot de passe").fill(PASSWORD)
    labelled(resident, "Mot de passe").press("Enter")
    expect(resident.locator(".messages")).to_be_focused()

    # Step 1, sent empty: the summary has the focus and links the first field.
    resident.goto("/initiatives/nouvelle/")
    resident.get_by_role("button", name="Enregistrer et continuer").press("Enter")
    summary = resident.locator(".form-errors")
    expect(summary).to_be_focused()
    assert resident.title().startswith("Erreur — ")
    summary.get_by_role("link").first.press("Enter")
    assert focused(resident).startswith(("INPUT", "SELECT")), focused(resident)
    resident.get_by_label("Une association").press("Space")
    resident.get_by_label("Nom du porteur").fill("Les Jardiniers de Bellevue")
    resident.get_by_label(re.compile("Numéro RNA")).fill("W491234567")
    resident.get_by_label("Titre du projet").fill("Des bacs potagers au square")
    resident.get_by_label("Titre du projet").press("Enter")
    expect(resident.locator(".messages")).to_contain_text("Brouillon enregistré")
    expect(resident.locator(".messages")).to_be_focused()

    # Step 2.
    today = timezone.localdate()
    resident.get_by_label("Résumé").fill("Douze bacs potagers ouverts à tous.")
    resident.get_by_label("Description").fill("Avec le centre social, des ateliers.")
    resident.get_by_label("Thème").select_option(label="Jardins partagés")
    resident.get_by_label("Lieu").fill("Square Bellevue")
    resident.get_by_label("Date de début").fill((today + datetime.timedelta(days=20)).isoformat())
    resident.get_by_label("Date de fin").fill((today + datetime.timedelta(days=50)).isoformat())
    resident.get_by_label("Nombre de participants attendus").fill("40")
    resident.get_by_role("button", name="Enregistrer et continuer").press("Enter")
    expect(resident.locator(".messages")).to_be_focused()

    # Step 3: a line typed, then « Ajouter une ligne »: the focus is in the new line.
    first = resident.get_by_role("group", name="Ligne 1")
    first.get_by_label("Libellé").fill("Bois et terreau")
    first.get_by_label("Montant en euros").fill("900,00")
    resident.get_by_role("button", name="Ajouter une ligne").press("Enter")
    new_line = resident.get_by_role("group", name="Ligne 5")
    expect(new_line.get_by_label("Nature")).to_be_focused()
    new_line.get_by_label("Nature").select_option(label="Cofinancement")
    new_line.get_by_label("Libellé").fill("Bailleur social")
    new_line.get_by_label("Montant en euros").fill("150")
    # Enter in a field saves the budget; it removes no line.
    new_line.get_by_label("Montant en euros").press("Enter")
    expect(resident.locator(".messages")).to_contain_text("Budget enregistré")
    expect(resident.locator(".messages")).to_be_focused()
    initiative = Initiative.objects.get(title="Des bacs potagers au square")
    assert [line.label for line in initiative.budget_lines.order_by("position")] == [
        "Bois et terreau",
        "Bailleur social",
    ]

    # Step 4: a document added, its confirmation has the focus.
    quote = tmp_path / "devis.pdf"
    quote.write_bytes(pdf_bytes())
    resident.get_by_label("Intitulé de la pièce").fill("Devis de la jardinerie")
    resident.get_by_label(re.compile("Fichier PDF")).set_input_files(str(quote))
    resident.get_by_role("button", name="Ajouter la pièce").press("Enter")
    expect(resident.locator(".messages")).to_contain_text("Pièce jointe ajoutée")
    expect(resident.locator(".messages")).to_be_focused()


def instructor_acts(page, title, button, reason):
    page.goto("/cms/")
    page.get_by_role("link", name="Dossiers à instruire").first.click()
    page.get_by_role("link", name=title).first.click()
    page.get_by_role("button", name=button).click()
    page.get_by_label(re.compile("Motif")).fill(reason)
    confirm = re.compile("Confirmer|Envoyer|Enregistrer|" + button)
    page.get_by_role("button", name=confirm).last.click()


def test_resident_submits_instructor_asks_completion_then_admits(
    commune, new_context, screenshot, tmp_path
):
    resident = new_context(viewport={"width": 360, "height": 780}).new_page()

    # Sign up and confirm the email address from the test mailbox.
    resident.goto("/")
    header_link(resident, "Créer un compte").click()
    resident.get_by_label("E-mail").fill("nora.benali@example.org")
    labelled(resident, "Mot de passe").fill(PASSWORD)
    resident.get_by_label("Mot de passe (confirmation)").fill(PASSWORD)
    resident.get_by_role("button", name="Créer mon compte").click()
    link = re.search(r"https?://\S+/comptes/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    resident.goto(link)
    resident.get_by_role("button", name="Confirmer").click()

    # Step 1: the fund and the carrier.
    resident.goto("/initiatives/nouvelle/")
    resident.get_by_label("Une association").check()
    resident.get_by_label("Nom du porteur").fill("Les Jardiniers de Bellevue")
    resident.get_by_label(re.compile("Numéro RNA")).fill("W491234567")
    resident.get_by_label("Titre du projet").fill("Des bacs potagers au square")
    resident.get_by_role("button", name="Enregistrer et continuer").click()

    # Step 2: the project.
    today = timezone.localdate()
    resident.get_by_label("Résumé").fill("Douze bacs potagers ouverts à tous.")
    resident.get_by_label("Description").fill("Avec le centre social, des ateliers chaque samedi.")
    resident.get_by_label("Thème").select_option(label="Jardins partagés")
    resident.get_by_label("Lieu").fill("Square Bellevue")
    resident.get_by_label("Date de début").fill((today + datetime.timedelta(days=20)).isoformat())
    resident.get_by_label("Date de fin").fill((today + datetime.timedelta(days=50)).isoformat())
    resident.get_by_label("Nombre de participants attendus").fill("40")
    resident.get_by_role("button", name="Enregistrer et continuer").click()

    # Step 3: the budget (French decimal comma).
    lines = [
        ("Dépense", "Bois et terreau", "900,00"),
        ("Dépense", "Outils", "250"),
        ("Cofinancement", "Bailleur social", "150"),
    ]
    for index, (kind, label, amount) in enumerate(lines):
        line = resident.get_by_role("group", name=f"Ligne {index + 1}")
        line.get_by_label("Nature").select_option(label=kind)
        line.get_by_label("Libellé").fill(label)
        line.get_by_label("Montant en euros").fill(amount)
    resident.get_by_role("button", name="Enregistrer et continuer").click()
    expect(resident.get_by_role("heading", level=2)).to_contain_text("Pièces jointes")

    # Step 4: the PDF quote.
    quote = tmp_path / "devis.pdf"
    quote.write_bytes(pdf_bytes())
    resident.get_by_label("Intitulé de la pièce").fill("Devis de la jardinerie")
    resident.get_by_label(re.compile("Fichier PDF")).set_input_files(str(quote))
    resident.get_by_role("button", name="Ajouter la pièce").click()
    expect(resident.get_by_role("link", name="Devis de la jardinerie")).to_be_visible()
    resident.get_by_role("button", name="Continuer").click()

    # Step 5: check and submit.
    expect(resident.locator("table.budget")).to_contain_text("1 000,00")
    screenshot(resident, "depot-360")
    resident.get_by_role("button", name="Déposer mon initiative").click()
    expect(resident.get_by_role("status")).to_contain_text("est déposée")
    initiative = Initiative.objects.get(title="Des bacs potagers au square")
    assert initiative.status == "submitted"
    assert initiative.attachments.count() == 1

    # The instructor asks for completion, with a reason.
    instructor = new_context().new_page()
    log_in(instructor, INSTRUCTOR, "/cms/")
    instructor_acts(
        instructor,
        initiative.title,
        "Demander des compléments",
        "Merci de préciser les horaires des ateliers.",
    )
    initiative.refresh_from_db()
    assert initiative.status == "incomplete"

    # The resident reads the message and completes the dossier.
    resident.goto("/mon-espace/")
    expect(resident.locator("main")).to_contain_text("Merci de préciser les horaires des ateliers.")
    resident.get_by_role("link", name=re.compile("Compléter le dossier")).click()
    resident.get_by_label("Description").fill(
        "Avec le centre social, des ateliers chaque samedi de 10 h à 12 h."
    )
    resident.get_by_role("button", name="Enregistrer et continuer").click()
    resident.goto(f"/initiatives/{initiative.pk}/modifier/depot/")
    resident.get_by_role("button", name="Déposer mon initiative").click()
    initiative.refresh_from_db()
    assert initiative.status == "submitted"

    # The instructor declares it admissible.
    instructor_acts(instructor, initiative.title, "Déclarer recevable", "Dossier complet.")
    initiative.refresh_from_db()
    assert initiative.status == "admissible"

    # The resident sees it in « mon espace ».
    resident.goto("/mon-espace/")
    card = resident.locator(".card", has_text=initiative.title)
    expect(card).to_contain_text("Recevable")
    expect(card).to_contain_text("Dossier déclaré recevable")
    screenshot(resident, "mon-espace-360")
    subjects = [message.subject for message in mail.outbox]
    assert any("à compléter" in subject for subject in subjects)
    assert any("est recevable" in subject for subject in subjects)


@pytest.mark.parametrize("width", [360, 1280])
def test_visitor_browses_the_public_list_and_a_dossier(
    committed_demo, new_context, width, screenshot
):
    page = new_context(viewport={"width": width, "height": 800}).new_page()
    page.goto("/initiatives/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Les initiatives des quartiers")
    page.get_by_label("Quartier").select_option(label="Bellevue")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator(".card").first).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"initiatives-{width}")
    page.locator(".card__title a").first.click()
    expect(page.get_by_role("heading", level=2, name="Budget")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [360, 1280])
def test_visitor_checks_funds_ledger_and_decisions(committed_demo, new_context, width, screenshot):
    page = new_context(viewport={"width": width, "height": 800}).new_page()
    from fonds.ledger import fund_balances
    from fonds.models import Fund
    from fonds.money import format_euros

    # The first fund listed: this year's, of the first quartier by name (its envelope
    # holds what the year before carried over to it).
    first = Fund.objects.order_by("-period_start", "quartier__name").first()
    envelope = format_euros(fund_balances(first)["envelope"]).replace("\u202f", " ")
    page.goto("/fonds/")
    expect(page.locator("table.figures").first).to_contain_text(envelope)
    page.get_by_role("link", name="Bellevue").first.click()
    page.get_by_role("link", name="Consulter le grand livre").click()
    expect(page.locator("table.ledger")).to_contain_text("Crédit de l'enveloppe")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, f"grand-livre-{width}")
    page.goto("/decisions/")
    page.locator("table a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Décision CQ-")
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
