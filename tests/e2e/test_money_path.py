"""The money's full path in a browser, at 1280 px, axe-core auditing every page: an
instructor files a dossier at the counter, the resident claims it online and gives the
account, the grant is paid to that account, the bilan is refused, the money comes back,
and the administrator closes the period."""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.roles import Role
from accounts.services import role_grant
from fonds.ledger import ledger_commit, ledger_credit
from fonds.models import FundClosing, Initiative, LedgerTransaction, Report
from fonds.services import fund_create, quartier_create, report_submit, theme_create
from fonds.services.council import initiative_record_decision
from tests.fonds.conftest import pdf_bytes
from tests.system import SYSTEM

from .conftest import labelled, log_in, reauthenticate_if_asked, verified_user

pytestmark = pytest.mark.django_db(transaction=True)

INSTRUCTOR, RESIDENT, ADMIN = (
    "agent.guichet@example.org",
    "simone@example.org",
    "admin.finances@example.org",
)
REFERENCE = "CQ-BELLEVUE-2026-077"


def world():
    today = timezone.localdate()
    quartier = quartier_create(actor=SYSTEM, name="Bellevue")
    theme_create(actor=SYSTEM, name="Vivre ensemble")

    def fund(year, **window):
        return fund_create(
            actor=SYSTEM,
            quartier=quartier,
            label=f"Fonds {year}",
            period_start=datetime.date(year, 1, 1),
            period_end=datetime.date(year, 12, 31),
            submissions_open_on=window.get("opens", datetime.date(year, 1, 1)),
            submissions_close_on=window.get("closes", datetime.date(year, 12, 31)),
            max_grant=Decimal("1500"),
            min_cofunding_percent=Decimal("10"),
        )

    this = fund(
        today.year,
        opens=today - datetime.timedelta(days=10),
        closes=today + datetime.timedelta(days=60),
    )
    following = fund(today.year + 1)
    ledger_credit(actor=SYSTEM, fund=this, amount="5000", idempotency_key="j-credit")
    instructor = verified_user(INSTRUCTOR, "Agent du guichet")
    role_grant(actor=SYSTEM, user=instructor, role=Role.INSTRUCTOR, quartier=quartier)
    verified_user(RESIDENT, "Simone")
    admin = verified_user(ADMIN, "Service des finances")
    role_grant(actor=SYSTEM, user=admin, role=Role.ADMINISTRATOR)
    return this, following


def press_submit(page, name):
    button = page.get_by_role("button", name=name)
    button.focus()
    page.keyboard.press("Enter")


def test_counter_claim_payment_refused_bilan_repayment_and_closing(new_context, screenshot):
    this, following = world()
    today = timezone.localdate()

    # 1. At the counter: the instructor files for Simone, who has no account yet.
    staff = new_context().new_page()
    log_in(staff, INSTRUCTOR, "/cms/guichet/")
    expect(staff.get_by_role("heading", level=1)).to_have_text("Dépôt au guichet")
    labelled(staff, "Adresse postale du déposant").fill("14 rue des Glycines\n49000 Angers")
    labelled(staff, "Nom du porteur").fill("Simone Bernard")
    labelled(staff, "Titre du projet").fill("Un atelier tricot au foyer")
    labelled(staff, "Résumé").fill("Un atelier de tricot chaque mardi.")
    labelled(staff, "Description").fill("Laine, aiguilles et un goûter, ouverts à tous.")
    staff.get_by_label("Thème").select_option(label="Vivre ensemble")
    labelled(staff, "Lieu").fill("Foyer des Aînés")
    labelled(staff, "Date de début").fill((today + datetime.timedelta(days=20)).isoformat())
    labelled(staff, "Date de fin").fill((today + datetime.timedelta(days=50)).isoformat())
    labelled(staff, "Nombre de participants attendus").fill("15")
    staff.get_by_label("Libellé de la ligne 1").fill("Laine et aiguilles")
    staff.get_by_label("Montant de la ligne 1").fill("900")
    staff.get_by_label("Nature de la ligne 2").select_option("cofunding")
    staff.get_by_label("Libellé de la ligne 2").fill("Le foyer")
    staff.get_by_label("Montant de la ligne 2").fill("100")
    press_submit(staff, "Déposer le dossier au guichet")
    expect(staff.get_by_role("heading", level=1)).to_have_text("Récépissé du dépôt au guichet")
    code = staff.locator("#claim-code code").inner_text()
    with staff.expect_download() as download:
        staff.get_by_role("link", name="Télécharger le récépissé (PDF)").click()
    assert download.value.suggested_filename.startswith("recepisse-")
    screenshot(staff, "receipt")
    initiative = Initiative.objects.get()
    assert initiative.author is None and initiative.status == Initiative.Status.SUBMITTED

    # 2. Simone claims it online, and gives the account the grant is paid to.
    resident = new_context().new_page()
    log_in(resident, RESIDENT, "/mon-espace/reclamer/")
    labelled(resident, "Code du récépissé").fill(code)
    press_submit(resident, "Réclamer le dossier")
    expect(resident.get_by_role("heading", level=1)).to_have_text("Mon espace")
    expect(resident.locator("main")).to_contain_text("Un atelier tricot au foyer")
    expect(resident.locator("main")).to_contain_text("Déposée au guichet")
    resident.get_by_role("link", name=re.compile("Compte de versement")).click()
    labelled(resident, "Titulaire du compte").fill("Simone Bernard")
    labelled(resident, "IBAN").fill("FR76 3000 6000 0112 3456 7890 180")
    press_submit(resident, "Enregistrer le compte")
    expect(resident.locator(".field__error")).to_contain_text("IBAN n'est pas valide")
    labelled(resident, "IBAN").fill("FR76 3000 6000 0112 3456 7890 189")
    press_submit(resident, "Enregistrer le compte")
    expect(resident.get_by_role("status")).to_contain_text("compte de versement est enregistré")

    # 3. The council grants it (its votes are the council tests' business).
    Initiative.objects.filter(pk=initiative.pk).update(status=Initiative.Status.ON_AGENDA)
    initiative_record_decision(
        actor=SYSTEM, initiative=initiative, outcome="granted", reference=REFERENCE, amount="800"
    )
    grant = ledger_commit(
        actor=SYSTEM,
        initiative=initiative,
        amount="800",
        decision_reference=REFERENCE,
        idempotency_key="j-commit",
    ).grant

    # 4. The instructor pays it, to the account Simone gave.
    staff.goto(f"/cms/dossiers/{initiative.pk}/")
    expect(staff.locator("#dossier-bank")).to_contain_text("FR76 3000 6000 0112 3456 7890 189")
    staff.get_by_role("link", name=re.compile("Enregistrer un paiement")).click()
    reauthenticate_if_asked(staff)
    expect(staff.locator("main")).to_contain_text(
        "Simone Bernard — FR76 3000 6000 0112 3456 7890 189"
    )
    labelled(staff, "Montant versé (€)").fill("600")
    labelled(staff, "Référence du paiement (mandat, virement)").fill("MANDAT-2026-0101")
    press_submit(staff, "Vérifier avant d'inscrire")
    press_submit(staff, "Confirmer et inscrire au grand livre")
    expect(staff.get_by_role("status")).to_contain_text("Le paiement est inscrit")

    # 5. The bilan, filed, is refused: two sessions out of eight took place.
    report_submit(
        actor=initiative.__class__.objects.get(pk=initiative.pk).author,
        initiative=Initiative.objects.get(pk=initiative.pk),
        narrative="Deux séances sur huit : la salle a fermé.",
        participants=6,
        actual_expenses="250",
        receipts=[_pdf()],
    )
    staff.goto(f"/cms/dossiers/{initiative.pk}/bilan/")
    reauthenticate_if_asked(staff)
    staff.get_by_label("Motif du refus").fill("Les dépenses justifiées ne couvrent pas le versé.")
    press_submit(staff, "Refuser le bilan")
    expect(staff.get_by_role("status")).to_contain_text("Le bilan est refusé")
    assert Report.objects.get().status == Report.Status.REFUSED

    # 6. The money is asked back, then received.
    staff.goto(f"/cms/dossiers/{initiative.pk}/")
    staff.get_by_role("link", name=re.compile("Demander un remboursement")).click()
    reauthenticate_if_asked(staff)
    labelled(staff, "Montant à rembourser (€)").fill("350")
    labelled(staff, "Motif de la demande").fill("Bilan refusé : 350 € versés non dépensés.")
    press_submit(staff, "Vérifier avant d'inscrire")
    press_submit(staff, "Confirmer et envoyer la demande")
    expect(staff.get_by_role("status")).to_contain_text("demande de remboursement est enregistrée")
    staff.get_by_role("link", name=re.compile("Enregistrer un remboursement reçu")).click()
    reauthenticate_if_asked(staff)
    labelled(staff, "Référence de l'encaissement (titre de recette)").fill("TITRE-2026-0009")
    press_submit(staff, "Vérifier avant d'inscrire")
    press_submit(staff, "Confirmer et inscrire au grand livre")
    expect(staff.get_by_role("status")).to_contain_text("Le remboursement est inscrit")
    repayment = LedgerTransaction.objects.get(kind="repayment")
    assert (repayment.amount, repayment.grant_id) == (Decimal("350.00"), grant.pk)
    resident.goto(f"/initiatives/{initiative.pk}/")
    expect(resident.locator("#trail-title")).to_be_visible()
    expect(resident.locator("main")).to_contain_text("remboursés par le porteur")

    # 7. The administrator closes the period: the 200 € still committed go on in next
    # year's fund, the unspent envelope returns to the budget.
    admin = new_context().new_page()
    log_in(admin, ADMIN, "/mon-espace/")
    admin.goto(this.get_absolute_url())
    admin.get_by_role("link", name="Clore la période").click()
    reauthenticate_if_asked(admin)
    expect(admin.locator("main")).to_contain_text(REFERENCE)
    admin.get_by_label("Rendue au budget de la commune").check()
    labelled(admin, "Motif de la clôture").fill("Fin de l'exercice.")
    press_submit(admin, "Vérifier avant d'inscrire")
    press_submit(admin, "Confirmer et clore la période")
    expect(admin.locator("#cloture")).to_contain_text("Période close le")
    expect(admin.locator("#cloture")).to_contain_text("200,00")
    closing = FundClosing.objects.get()
    assert (closing.next_fund, closing.carried_grants) == (following, Decimal("200.00"))
    admin.goto(following.get_absolute_url())
    expect(admin.locator("#reports-recus")).to_contain_text("200,00")
    screenshot(admin, "next-fund")


def _pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("facture.pdf", pdf_bytes(), "application/pdf")
