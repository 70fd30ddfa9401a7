"""A council session in four browsers: the chair records attendance and opens the
session; one member declares an interest and cannot vote; three members vote; the chair
closes the vote, records the decision and publishes it from its confirmation page
(after confirming the password); the COMMIT appears on the fund's
ledger page; the signed minutes download as a PDF whose text holds the tally."""

import datetime
import io
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from fonds.ledger import ledger_credit
from fonds.models import Initiative
from fonds.services import (
    fund_create,
    initiative_create,
    initiative_declare_admissible,
    initiative_set_budget,
    initiative_submit,
    quartier_create,
    theme_create,
)
from tests.system import SYSTEM
from votes.models import Mandate
from votes.services import agenda_add, council_create, mandate_grant, session_plan

from .conftest import PASSWORD, log_in, verified_user

pytestmark = pytest.mark.django_db(transaction=True)

NAMES = ["Jean Moreau", "Sophie Martin", "Ali Benali", "Claire Petit", "Hugo Lemoine"]


@pytest.fixture
def setting(transactional_db):
    from accounts.roles import Role
    from accounts.services import role_grant
    from cms.demo.pages import demo_pages

    demo_pages()
    today = timezone.localdate()
    quartier = quartier_create(actor=SYSTEM, name="Bellevue")
    fund = fund_create(
        actor=SYSTEM,
        quartier=quartier,
        label=f"Fonds {today.year}",
        period_start=today.replace(month=1, day=1),
        period_end=today.replace(month=12, day=31),
        submissions_open_on=today - datetime.timedelta(days=10),
        submissions_close_on=today + datetime.timedelta(days=30),
        max_grant=2000,
    )
    ledger_credit(actor=SYSTEM, fund=fund, amount="5000", idempotency_key="e2e-credit")
    council = council_create(actor=SYSTEM, quartier=quartier, name="Conseil de quartier Bellevue")
    members = [verified_user(f"membre{i}@example.org", name) for i, name in enumerate(NAMES)]
    for index, member in enumerate(members):
        mandate_grant(
            actor=SYSTEM,
            council=council,
            user=member,
            role=Mandate.Role.CHAIR if index == 0 else Mandate.Role.MEMBER,
            starts_on=today - datetime.timedelta(days=100),
        )
    author = verified_user("porteuse@example.org", "Nadia Porteuse")
    instructor = verified_user("agent@example.org", "Agent Bellevue")
    role_grant(actor=SYSTEM, user=instructor, role=Role.INSTRUCTOR, quartier=quartier)
    initiative = initiative_create(
        actor=author,
        fund=fund,
        carrier_kind="association",
        carrier_name="Les Jardiniers",
        title="Des bacs potagers au square",
        summary="Douze bacs ouverts à tous.",
        description="Ateliers chaque samedi.",
        theme=theme_create(actor=SYSTEM, name="Jardins"),
        starts_on=today + datetime.timedelta(days=20),
        ends_on=today + datetime.timedelta(days=40),
        expected_participants=40,
    )
    initiative_set_budget(
        actor=author,
        initiative=initiative,
        lines=[("expense", "Bois", "1000"), ("cofunding", "Bailleur", "200")],
    )
    initiative_submit(actor=author, initiative=initiative)
    initiative_declare_admissible(actor=instructor, initiative=initiative, reason="Complet.")
    session = session_plan(
        actor=members[0], council=council, starts_at=timezone.now(), place="Centre social Bellevue"
    )
    item = agenda_add(actor=instructor, session=session, initiative=initiative)
    return {
        "fund": fund,
        "members": members,
        "session": session,
        "item": item,
        "initiative": initiative,
    }


def logged_in(new_context, email, path, width=360):
    """A phone-sized browser of its own, logged in."""
    page = new_context(viewport={"width": width, "height": 844}).new_page()
    log_in(page, email, path)
    return page


def test_council_session_from_attendance_to_minutes(setting, new_context, screenshot):
    session, item, fund = setting["session"], setting["item"], setting["fund"]
    session_url, item_url = f"/conseil/seances/{session.pk}/", f"/conseil/points/{item.pk}/"

    # The chair records attendance (four of five present) and opens the session.
    chair = logged_in(new_context, "membre0@example.org", "/conseil/")
    chair.get_by_role("link", name=re.compile(session.starts_at.strftime("%Y"))).first.click()
    for name in NAMES[:4]:
        chair.get_by_label(re.compile(name)).check()
    chair.get_by_role("button", name="Enregistrer les présences").click()
    expect(chair.get_by_role("status")).to_contain_text("Présences enregistrées")
    chair.get_by_role("button", name="Ouvrir la séance").click()
    expect(chair.locator("main")).to_contain_text("Quorum : 4 présents, 3 requis")
    screenshot(chair, "seance-chair")

    # Ali declares an interest before the vote opens.
    ali = logged_in(new_context, "membre2@example.org", item_url)
    ali.get_by_label(re.compile("Déclarer un intérêt")).fill("Membre de l'association")
    ali.get_by_role("button", name="Déclarer un intérêt").click()
    expect(ali.get_by_role("status")).to_contain_text("Intérêt déclaré")

    # The chair opens a show-of-hands vote on the requested 800 €.
    chair.goto(item_url)
    chair.get_by_label("Mode de scrutin").select_option(label="À main levée")
    chair.get_by_role("button", name="Ouvrir le vote").click()
    expect(chair.get_by_role("status").first).to_contain_text("Vote ouvert")

    # Three members vote from their own phones; Ali cannot.
    chair.get_by_role("button", name="Pour").click()
    sophie = logged_in(new_context, "membre1@example.org", item_url)
    sophie.get_by_role("button", name="Pour").click()
    expect(sophie.get_by_role("status")).to_contain_text("Vote enregistré")
    claire = logged_in(new_context, "membre3@example.org", item_url)
    claire.get_by_role("button", name="Contre").click()
    expect(claire.get_by_role("status")).to_contain_text("Vote enregistré")
    ali.goto(item_url)
    expect(ali.get_by_role("button", name="Pour")).to_have_count(0)
    expect(ali.locator("main")).to_contain_text("Vous n'avez pas (ou plus) de vote")

    # The chair sees the tally, closes the vote, records and publishes the decision.
    chair.goto(item_url)
    expect(chair.locator("#decompte")).to_contain_text("Pour : 2 · Contre : 1 · Abstention : 0")
    chair.get_by_role("button", name="Clore le vote").click()
    chair.get_by_role("button", name="Enregistrer la décision").click()
    reference = f"CQ-BELLEVUE-{timezone.localtime(session.starts_at).year}-001"
    expect(chair.locator("main")).to_contain_text(reference)
    # Publishing moves money: a confirmation page shows the ledger effect, behind a
    # fresh authentication.
    chair.get_by_role("link", name="Publier la décision").click()
    expect(chair).to_have_url(re.compile("/comptes/reauthenticate/"))
    chair.get_by_label(re.compile("Mot de passe")).fill(PASSWORD)
    chair.get_by_role("button", name="Confirmer").click()
    expect(chair.locator("main")).to_contain_text(reference)
    expect(chair.locator("main")).to_contain_text("800,00")
    expect(chair.locator("main")).to_contain_text("5\u202f000,00")
    expect(chair.locator("main")).to_contain_text("4\u202f200,00")
    chair.get_by_role("button", name="Confirmer la publication et l'engagement").click()
    expect(chair.locator(".messages")).to_contain_text("Décision publiée")
    assert Initiative.objects.get(pk=setting["initiative"].pk).status == "granted"

    # The COMMIT is on the fund's public ledger page.
    chair.goto(f"/fonds/{fund.slug}/grand-livre/")
    row = chair.locator("table.ledger tbody tr", has_text=reference)
    expect(row).to_contain_text("Engagement")
    expect(row).to_contain_text("800,00")

    # The chair closes the session and signs the minutes; the PDF holds the tally.
    chair.goto(session_url)
    chair.get_by_role("button", name="Clore la séance").click()
    chair.get_by_role("button", name="Signer le procès-verbal").click()
    with chair.expect_download() as download:
        chair.get_by_role("link", name=re.compile("procès-verbal")).click()
    text = "".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(open(download.value.path(), "rb").read())).pages
    )
    flat = " ".join(text.split())
    assert reference in flat
    assert "Pour : 2 ; contre : 1 ; abstention : 0" in flat
    assert "Ali Benali a déclaré un intérêt" in flat
    assert "Signé par Jean Moreau" in flat

    # The public decision page links the minutes.
    chair.goto(f"/decisions/{reference}/")
    expect(chair.get_by_role("link", name=re.compile("procès-verbal signé"))).to_be_visible()
