"""The whole cycle from an empty database — what ``migrate`` and ``createsuperuser``
leave, nothing else — done through the pages only: the administrator sets up the
commune, a quartier, its fund, its council and an instructor; a resident submits an
initiative; the instructor admits it; the maire de quartier plans, convenes and holds
the session on a phone; the council votes; the decision is published; the grant is
paid; the instructor asks for more in the bilan, the resident completes it, the bilan
is accepted and what was not spent goes back to the fund, which the initiative's page
shows. axe-core checks every page; admin pages at 1280 px, council pages and the
money's public trail at 360 px."""

import datetime
import io
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import labelled, last_link
from tests.e2e.conftest import reauthenticate_if_asked as shared_reauthenticate
from tests.fonds.conftest import pdf_bytes

pytestmark = pytest.mark.django_db(transaction=True)

WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 360, "height": 800}
PASSWORD = "Coteaux-Loire-2026!"

COMMUNE = "Saint-Aubin-des-Coteaux"
ADMIN = "secretariat@saint-aubin.example.org"
QUARTIER, CODE, QUARTIER_SLUG = "Les Coteaux", "COTEAUX", "les-coteaux"
FUND_LABEL = "Fonds citoyen"
FUND_SLUG = "les-coteaux-fonds-citoyen"
COUNCIL = "Conseil de quartier des Coteaux"
THEME = "Jardins partagés"
INSTRUCTOR = ("Agent Coteaux", "instruction@saint-aubin.example.org")
RESIDENT = "nora.benali@example.org"
TITLE = "Des bacs potagers au lavoir"

# (name, email, seat, how the account is made)
CHAIR = ("Jean Moreau", "jean.moreau@example.org", "Maire de quartier (préside)", "invite")
VICE = ("Sophie Martin", "sophie.martin@example.org", "Vice-président·e", "invite")
MEMBER = ("Ali Benali", "ali.benali@example.org", "Conseiller·e de quartier", "invite")
PROXY_GIVER = ("Claire Petit", "claire.petit@example.org", "Conseiller·e de quartier", "signup")
ABSENT = ("Hugo Lemoine", "hugo.lemoine@example.org", "Conseiller·e de quartier", "signup")
COUNCILLORS = [CHAIR, VICE, MEMBER, PROXY_GIVER, ABSENT]


# Helpers ---------------------------------------------------------------------------------


def log_in(page, email, path, password=PASSWORD):
    """Go to ``path``, which asks for a login, and log in with the keyboard."""
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/comptes/login/"))
    page.get_by_label("E-mail").fill(email)
    field = labelled(page, "Mot de passe")
    field.fill(password)
    field.press("Enter")


def reauthenticate_if_asked(page):
    return shared_reauthenticate(page, PASSWORD)


def sign_up(page, email, display_name=""):
    """Create an account at /comptes/signup/, confirm it from the email, and give it a
    name in the profile."""
    page.goto("/comptes/signup/")
    page.get_by_label("E-mail").fill(email)
    labelled(page, "Mot de passe").fill(PASSWORD)
    page.get_by_label("Mot de passe (confirmation)").fill(PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()
    page.goto(last_link(r"https?://\S+/comptes/confirm-email/\S+/", email))
    page.get_by_role("button", name="Confirmer").click()
    if display_name:
        page.goto("/comptes/profil/")
        page.get_by_label("Nom affiché").fill(display_name)
        page.get_by_role("button", name="Enregistrer").click()
        expect(page.locator("main")).to_contain_text("Votre profil est enregistré")


def accept_invitation(page, email, display_name):
    """Follow the invitation's link, choose a name and a password: the account is
    created and the invitation accepted."""
    page.goto(last_link(r"https?://\S+/comptes/invitation/\S+/", email))
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre invitation")
    page.get_by_label("Nom affiché").fill(display_name)
    page.get_by_label(re.compile(r"^Mot de passe")).fill(PASSWORD)
    page.get_by_label("Le même mot de passe, à nouveau").fill(PASSWORD)
    page.get_by_role("button", name="Créer mon compte et accepter").click()
    expect(page.locator("body")).to_contain_text("Bienvenue ! Vous avez accepté")


def tab_to(page, target, limit=200):
    """Press Tab until ``target`` has the focus, as a keyboard user would."""
    element = target.element_handle()
    for _press in range(limit):
        page.keyboard.press("Tab")
        if element.evaluate("el => el === document.activeElement"):
            return page.locator(":focus")
    raise AssertionError(f"{target} never got the focus with Tab.")


def fund_figures(page):
    """The figures table of a fund's page, label → amount (plain spaces)."""
    table = page.locator("table.figures")
    amounts = [" ".join(text.split()) for text in table.locator("td").all_inner_texts()]
    return dict(zip(table.locator("th").all_inner_texts(), amounts, strict=True))


def admin_field(page, name, role="textbox"):
    """A field of a Wagtail form by its label (Wagtail adds a « * » to required ones)."""
    return page.get_by_role(role, name=re.compile(rf"^{re.escape(name)}\*?$"))


def save_admin_form(page, name="Enregistrer"):
    page.get_by_role("button", name=name, exact=True).click()


# The journey ---------------------------------------------------------------------------


def test_a_commune_from_an_empty_database(new_context, screenshot, monkeypatch, tmp_path):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("createsuperuser", interactive=False, email=ADMIN, verbosity=0)
    today = timezone.localdate()

    # 1. The administrator logs in to the admin at once: createsuperuser takes the
    # address of the account it makes as verified.
    admin = new_context(viewport=WIDE).new_page()
    log_in(admin, ADMIN, "/cms/")
    expect(admin).to_have_url(re.compile(r"/cms/$"))
    screenshot(admin, "01-tableau-de-bord")

    # The commune's identity (Wagtail settings).
    admin.get_by_role("button", name="Paramètres").click()
    admin.get_by_role("link", name="Identité de la commune").click()
    admin_field(admin, "Nom de la commune").fill(COMMUNE)
    admin_field(admin, "Adresse de contact").fill("contact@saint-aubin.example.org")
    admin_field(admin, "Adresse postale").fill("1 place de la Mairie, 49000 Saint-Aubin")
    save_admin_form(admin)
    expect(admin.locator(".messages")).to_contain_text("mis à jour")
    screenshot(admin, "02-identite")

    # A quartier: its page appears under « Les quartiers ».
    admin.goto("/cms/quartiers/new/")
    admin_field(admin, "Nom").fill(QUARTIER)
    admin_field(admin, "Code").fill(CODE)
    admin_field(admin, "Description").fill("Le quartier des coteaux, du lavoir à l'école.")
    save_admin_form(admin, "Créer")
    expect(admin.locator(".messages")).to_contain_text(QUARTIER)
    admin.goto(f"/quartiers/{QUARTIER_SLUG}/")
    expect(admin.get_by_role("heading", level=1)).to_contain_text(QUARTIER)
    screenshot(admin, "03-page-du-quartier")

    # A theme (a dossier needs one), then the quartier's fund, open for submissions.
    admin.goto("/cms/themes/new/")
    admin_field(admin, "Nom").fill(THEME)
    save_admin_form(admin, "Créer")
    expect(admin.locator(".messages")).to_contain_text(THEME)

    admin.goto("/cms/fonds-initiative/new/")
    admin_field(admin, "Quartier", "combobox").select_option(label=QUARTIER)
    admin_field(admin, "Intitulé").fill(FUND_LABEL)
    admin_field(admin, "Début de la période").fill(
        (today - datetime.timedelta(days=30)).isoformat()
    )
    admin_field(admin, "Fin de la période").fill((today + datetime.timedelta(days=335)).isoformat())
    admin_field(admin, "Ouverture des dépôts").fill(
        (today - datetime.timedelta(days=1)).isoformat()
    )
    admin_field(admin, "Clôture des dépôts").fill((today + datetime.timedelta(days=90)).isoformat())
    admin_field(admin, "Montant maximal par initiative (€)", "spinbutton").fill("2000")
    admin_field(admin, "Part minimale de cofinancement (%)", "spinbutton").fill("10")
    admin_field(admin, "Statut", "combobox").select_option(label="Ouvert")
    screenshot(admin, "04-nouveau-fonds")
    save_admin_form(admin, "Créer")
    expect(admin.locator(".messages")).to_contain_text(FUND_LABEL)

    # The envelope is credited from the fund's page, with a confirmation step.
    admin.goto(f"/fonds/{FUND_SLUG}/")
    admin.get_by_role("link", name="Créditer l'enveloppe").click()
    reauthenticate_if_asked(admin)
    admin.get_by_label("Montant de l'enveloppe (€)").fill("10 000")
    admin.get_by_label("Libellé").fill("Budget 2026 voté par le conseil municipal")
    admin.get_by_role("button", name="Vérifier avant d'inscrire").click()
    expect(admin.get_by_role("heading", name="Confirmez l'opération")).to_be_visible()
    screenshot(admin, "05-credit-confirmation")
    admin.get_by_role("button", name="Confirmer et inscrire au grand livre").click()
    expect(admin.locator(".messages")).to_contain_text("inscrite au grand livre")
    expect(admin.locator("main")).to_contain_text("10 000,00")
    screenshot(admin, "06-fonds-credite")

    # The quartier's council, and its five seats: three people invited by email, two
    # who made their own accounts and are granted a mandate.
    admin.goto("/cms/conseils/new/")
    admin_field(admin, "Quartier", "combobox").select_option(label=QUARTIER)
    admin_field(admin, "Nom").fill(COUNCIL)
    save_admin_form(admin, "Créer")
    expect(admin.get_by_role("heading", level=1)).to_contain_text(COUNCIL)
    expect(admin.locator("main")).to_contain_text("Personne ne siège aujourd'hui.")
    composition_url = urlsplit(admin.url).path
    assert re.fullmatch(r"/cms/conseils/\d+/composition/", composition_url), composition_url

    people = {}
    for name, email, seat, how in COUNCILLORS:
        person = new_context(viewport=NARROW).new_page()
        people[email] = person
        if how == "invite":
            form = admin.get_by_role("form", name="Inviter par courriel")
            form.get_by_label("Adresse électronique").fill(email)
            form.get_by_label("Siège").select_option(label=seat)
            form.get_by_role("button", name="Envoyer l'invitation").click()
            expect(admin.locator(".messages")).to_contain_text(
                f"L'invitation est envoyée à {email}"
            )
            accept_invitation(person, email, name)
        else:
            sign_up(person, email, name)
            form = admin.get_by_role("form", name="Attribuer un mandat à un compte existant")
            form.get_by_label("Adresse électronique du compte").fill(email)
            form.get_by_label("Siège").select_option(label=seat)
            form.get_by_role("button", name="Attribuer le mandat").click()
            expect(admin.locator(".messages")).to_contain_text(f"{name} siège au conseil")
    admin.goto(composition_url)
    current = admin.get_by_role("table", name="Membres en exercice aujourd'hui, par siège")
    for name, _email, seat, _how in COUNCILLORS:
        expect(current.locator("tr", has_text=name)).to_contain_text(seat)
    screenshot(admin, "07-composition")

    # The instructor, invited to the role from « Rôles du personnel ».
    admin.goto("/cms/roles/")
    form = admin.get_by_role("form", name="Inviter par courriel")
    form.get_by_label("Adresse électronique").fill(INSTRUCTOR[1])
    form.get_by_label("Rôle").select_option(label="Agent instructeur")
    form.get_by_label("Quartier (agent instructeur)").select_option(label=QUARTIER)
    form.get_by_role("button", name="Envoyer l'invitation").click()
    expect(admin.locator(".messages")).to_contain_text("L'invitation est envoyée")
    instructor = new_context(viewport=WIDE).new_page()
    accept_invitation(instructor, INSTRUCTOR[1], INSTRUCTOR[0])
    admin.goto("/cms/roles/")
    expect(admin.locator("tr", has_text=INSTRUCTOR[0])).to_contain_text(QUARTIER)
    screenshot(admin, "08-roles")

    # 2. A resident signs up and submits an initiative in five steps.
    resident = new_context(viewport=WIDE).new_page()
    resident.goto("/")
    resident.get_by_role("link", name="Créer un compte").first.click()
    resident.get_by_label("E-mail").fill(RESIDENT)
    labelled(resident, "Mot de passe").fill(PASSWORD)
    confirmation = resident.get_by_label("Mot de passe (confirmation)")
    confirmation.fill(PASSWORD)
    confirmation.press("Enter")
    resident.goto(last_link(r"https?://\S+/comptes/confirm-email/\S+/", RESIDENT))
    resident.get_by_role("button", name="Confirmer").click()

    resident.goto(f"/quartiers/{QUARTIER_SLUG}/")
    resident.get_by_role("link", name="Proposer une initiative").last.click()
    expect(resident.get_by_role("heading", level=2)).to_contain_text("Étape 1")
    resident.get_by_label("Une association").check()
    resident.get_by_label("Nom du porteur").fill("Les Jardiniers des Coteaux")
    resident.get_by_label(re.compile("Numéro RNA")).fill("W491234567")
    resident.get_by_label("Titre du projet").fill(TITLE)
    resident.get_by_role("button", name="Enregistrer et continuer").click()

    expect(resident.get_by_role("heading", level=2)).to_contain_text("Étape 2")
    resident.get_by_label("Résumé").fill("Douze bacs potagers ouverts à tous, près du lavoir.")
    resident.get_by_label("Description").fill("Avec l'école, des ateliers chaque mercredi.")
    resident.get_by_label("Thème").select_option(label=THEME)
    resident.get_by_label("Lieu").fill("Place du Lavoir")
    resident.get_by_label("Date de début").fill((today + datetime.timedelta(days=30)).isoformat())
    resident.get_by_label("Date de fin").fill((today + datetime.timedelta(days=60)).isoformat())
    resident.get_by_label("Nombre de participants attendus").fill("40")
    resident.get_by_role("button", name="Enregistrer et continuer").click()

    # The budget asks for 1 000 € (ceiling 2 000 €, co-funding 13 % ≥ 10 %).
    expect(resident.get_by_role("heading", level=2)).to_contain_text("Étape 3")
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
    quote = tmp_path / "devis.pdf"
    quote.write_bytes(pdf_bytes())
    resident.get_by_label("Intitulé de la pièce").fill("Devis de la jardinerie")
    resident.get_by_label(re.compile("Fichier PDF")).set_input_files(str(quote))
    resident.get_by_role("button", name="Ajouter la pièce").click()
    expect(resident.get_by_role("link", name="Devis de la jardinerie")).to_be_visible()
    resident.get_by_role("button", name="Continuer").click()

    expect(resident.locator("table.budget")).to_contain_text("1 000,00")
    screenshot(resident, "09-depot")
    resident.get_by_role("button", name="Déposer mon initiative").click()
    expect(resident.get_by_role("status")).to_contain_text("est déposée")
    resident.goto("/mon-espace/")
    card = resident.locator(".card", has_text=TITLE)
    expect(card).to_contain_text("Déposée")
    link = card.get_by_role("link", name=re.compile(re.escape(TITLE))).first
    initiative_id = int(re.search(r"/initiatives/(\d+)/", link.get_attribute("href")).group(1))

    # 3. The instructor (signed in since accepting the invitation) admits it from the
    # back-office, with a reason.
    instructor.goto("/cms/")
    instructor.get_by_role("link", name="Dossiers à instruire").first.click()
    instructor.get_by_role("table").get_by_role("link", name=TITLE).click()
    expect(instructor.locator("#dossier-status")).to_have_text("Déposée")
    instructor.get_by_label("Motif de la recevabilité").fill(
        "Dossier complet, budget équilibré, cofinancement au-delà de 10 % : recevable."
    )
    instructor.get_by_role("button", name="Déclarer recevable").click()
    expect(instructor.get_by_role("status")).to_contain_text("est déclaré recevable")
    expect(instructor.locator("#dossier-status")).to_have_text("Recevable")
    screenshot(instructor, "10-recevable")

    # 4. The maire de quartier, on a phone, plans a public session in a few minutes,
    # puts the dossier on its agenda and convenes the council.
    chair = people[CHAIR[1]]
    chair.goto("/conseil/preparation/")
    expect(chair.get_by_role("heading", level=1)).to_have_text("Préparer les séances")
    chair.get_by_role("link", name=re.compile("^Planifier une séance")).click()
    starts_at = timezone.localtime() + datetime.timedelta(minutes=10)
    chair.get_by_label("Séance en réunion").check()
    chair.get_by_label(re.compile(r"^Date")).fill(starts_at.date().isoformat())
    chair.get_by_label(re.compile(r"^Heure")).fill(starts_at.strftime("%H:%M"))
    chair.get_by_label(re.compile(r"^Lieu")).fill("Salle du lavoir, rue des Coteaux")
    chair.get_by_label(re.compile("^Séance publique")).check()
    screenshot(chair, "11-planifier-360")
    chair.get_by_role("button", name="Planifier la séance").click()
    expect(chair.locator(".messages")).to_contain_text("Séance planifiée")
    chair.get_by_role("button", name=re.compile("^Inscrire à l'ordre du jour")).click()
    agenda = chair.locator("ol.planning-agenda")
    expect(agenda).to_contain_text(TITLE)
    expect(agenda).to_contain_text("Inscrite à l'ordre du jour")
    sent_before = len(mail.outbox)
    chair.get_by_role("button", name="Envoyer la convocation").click()
    expect(chair.locator(".messages")).to_contain_text("Convocation envoyée")
    screenshot(chair, "12-convocation-360")
    convocations = [m for m in mail.outbox[sent_before:] if m.subject.startswith("Convocation")]
    calendars = {
        m.to[0]
        for m in convocations
        for part in m.attachments
        if getattr(part, "get_content_type", lambda: "")() == "text/calendar"
        and part.get_filename() == "convocation.ics"
    }
    assert calendars == {email for _name, email, _seat, _how in COUNCILLORS}, calendars

    # The public list of sessions announces it.
    visitor = new_context(viewport=WIDE).new_page()
    visitor.goto("/seances/")
    upcoming = visitor.locator(
        "section", has=visitor.get_by_role("heading", name="Prochaines séances")
    )
    expect(upcoming).to_contain_text(COUNCIL)
    expect(upcoming).to_contain_text(TITLE)
    screenshot(visitor, "13-seances-publiques")

    # 5. The session is held. Attendance: three present, one proxy, one absent.
    chair.get_by_role("link", name="La séance dans l'espace du conseil").click()
    session_url = urlsplit(chair.url).path
    for name in (CHAIR[0], VICE[0], MEMBER[0]):
        chair.get_by_label(re.compile(name)).check()
    chair.get_by_role("button", name="Enregistrer les présences").click()
    expect(chair.locator(".messages")).to_contain_text("Présences enregistrées")
    chair.get_by_label("Membre absent qui donne pouvoir").select_option(label=PROXY_GIVER[0])
    chair.get_by_label("Membre présent qui le reçoit").select_option(label=MEMBER[0])
    chair.get_by_role("button", name="Enregistrer le pouvoir").click()
    expect(chair.locator(".messages")).to_contain_text("Pouvoir enregistré")
    expect(chair.locator("main")).to_contain_text(f"{PROXY_GIVER[0]} a donné pouvoir à {MEMBER[0]}")
    chair.get_by_role("button", name="Ouvrir la séance").click()
    expect(chair.locator(".messages")).to_contain_text("Séance ouverte")
    expect(chair.locator("main")).to_contain_text("Quorum : 3 présents, 3 requis.")
    expect(chair.locator(".card__meta .badge")).to_have_text("Ouverte")
    screenshot(chair, "14-seance-ouverte-360")

    # A show-of-hands vote on the amount requested.
    chair.locator("ol.agenda").get_by_role("link", name=TITLE).click()
    item_url = urlsplit(chair.url).path
    chair.get_by_label("Mode de scrutin").select_option(label="À main levée")
    expect(chair.get_by_label("Montant proposé (€)")).to_have_value("1000,00")
    chair.get_by_role("button", name="Ouvrir le vote").click()
    expect(chair.locator(".messages")).to_contain_text("Vote ouvert")

    # Each present member votes from their own phone, with the keyboard; Ali also
    # votes for Claire, whose proxy he holds.
    ballots = [(CHAIR, "Votre vote", "Pour"), (VICE, "Votre vote", "Pour")]
    ballots += [
        (MEMBER, "Votre vote", "Pour"),
        (MEMBER, f"Vote pour {PROXY_GIVER[0]}", "Abstention"),
    ]
    for number, ((_name, email, _seat, _how), group, choice) in enumerate(ballots, start=1):
        voter = people[email]
        if urlsplit(voter.url).path != item_url:
            voter.goto(item_url)
        button = voter.get_by_role("group", name=re.compile(re.escape(group))).get_by_role(
            "button", name=choice, exact=True
        )
        tab_to(voter, button).press("Space")
        expect(voter.locator(".messages")).to_contain_text("Vote enregistré")
        # The focus is on the confirmation, not at the top of the page.
        expect(voter.locator(".messages")).to_be_focused()
        screenshot(voter, f"15-vote-{number}-{email.split('@')[0]}-360")
    expect(people[MEMBER[1]].get_by_role("button", name="Pour")).to_have_count(0)

    chair.goto(item_url)
    expect(chair.locator("#decompte")).to_contain_text("Pour : 3 · Contre : 0 · Abstention : 1")
    chair.get_by_role("button", name="Clore le vote").click()
    chair.get_by_role("button", name="Enregistrer la décision").click()
    decision_text = chair.locator("main").inner_text()
    reference = re.search(rf"CQ-{CODE}-\d{{4}}-\d{{3}}", decision_text).group(0)
    expect(chair.locator("main")).to_contain_text("Subvention accordée, 1 000,00 €")
    screenshot(chair, "16-decision-360")

    # Publication: a confirmation page shows the effect on the ledger.
    tab_to(chair, chair.get_by_role("link", name="Publier la décision")).press("Enter")
    reauthenticate_if_asked(chair)
    expect(chair.get_by_role("heading", level=1)).to_have_text(f"Publier la décision {reference}")
    facts = chair.locator("dl.facts")
    expect(facts).to_contain_text("1 000,00 €")
    expect(facts).to_contain_text("10 000,00 €")
    expect(facts).to_contain_text("9 000,00 €")
    screenshot(chair, "17-publier-360")
    confirm = chair.get_by_role("button", name="Confirmer la publication et l'engagement")
    tab_to(chair, confirm).press("Space")
    reauthenticate_if_asked(chair)
    expect(chair.locator(".messages")).to_contain_text("Décision publiée")
    screenshot(chair, "18-publiee-360")

    # The chair closes the session and signs its minutes.
    chair.goto(session_url)
    chair.get_by_role("button", name="Clore la séance").click()
    expect(chair.locator(".messages")).to_contain_text("Séance close.")
    chair.get_by_role("button", name="Signer le procès-verbal").click()
    expect(chair.locator(".messages")).to_contain_text("Procès-verbal signé.")
    expect(chair.locator("main")).to_contain_text(f"par {CHAIR[0]}")
    screenshot(chair, "18-seance-close-360")

    # The decision is public, and its COMMIT is on the fund's figures.
    visitor.goto(f"/decisions/{reference}/")
    expect(visitor.get_by_role("heading", level=1)).to_have_text(f"Décision {reference}")
    facts = visitor.locator("dl.facts")
    expect(facts).to_contain_text("Subvention accordée : 1 000,00 €")
    expect(facts).to_contain_text("3 pour, 0 contre, 1 abstention")
    expect(facts).to_contain_text(COUNCIL)
    screenshot(visitor, "19-decision-publique")
    visitor.goto(f"/fonds/{FUND_SLUG}/")
    figures = fund_figures(visitor)
    assert figures == {
        "Enveloppe": "10 000,00 €",
        "Engagé, à verser": "1 000,00 €",
        "Versé": "0,00 €",
        "Disponible": "9 000,00 €",
    }, figures

    # The carrier gives the account the grant is paid to; given after the decision, it
    # waits for an instructor's confirmation before the first payment.
    from fonds.models import Initiative

    granted = Initiative.objects.get(grants__decision_reference=reference)
    resident.goto("/mon-espace/")
    resident.get_by_role("link", name=re.compile("Compte de versement")).first.click()
    resident.get_by_label(re.compile("Titulaire du compte")).fill("Association des Coteaux")
    resident.get_by_label(re.compile("^IBAN")).fill("FR76 3000 6000 0112 3456 7890 189")
    resident.get_by_label(re.compile("^IBAN")).press("Enter")
    expect(resident.locator(".messages")).to_contain_text("Un agent de la ville le confirmera")
    instructor.goto(f"/cms/dossiers/{granted.pk}/")
    expect(instructor.locator("#dossier-bank")).to_contain_text("à confirmer")
    instructor.get_by_role("button", name="Confirmer le nouveau compte").click()
    expect(instructor.locator(".messages")).to_contain_text("Le nouveau compte est confirmé")

    # 6. The instructor records a payment of 800 € from the fund's page.
    instructor.goto("/")
    instructor.get_by_role("navigation", name="Navigation principale").get_by_role(
        "link", name="Fonds et grand livre"
    ).click()
    instructor.get_by_role("link", name=QUARTIER, exact=True).click()
    grants = instructor.get_by_role("region", name="Subventions accordées")
    expect(grants).to_contain_text(reference)
    grants.get_by_role("link", name=f"Paiement — {reference}").click()
    reauthenticate_if_asked(instructor)
    expect(instructor.get_by_role("heading", level=1)).to_have_text("Enregistrer un paiement")
    instructor.get_by_label(re.compile(r"Montant versé")).fill("800")
    instructor.get_by_label(re.compile(r"Référence du paiement")).fill("Mandat 2026-0412")
    expect(instructor.get_by_label(re.compile(r"Date du paiement"))).to_have_value(
        today.isoformat()
    )
    instructor.get_by_role("button", name="Vérifier avant d'inscrire").click()
    confirmation = instructor.locator("#confirmation")
    expect(confirmation).to_contain_text("800,00 €")
    expect(confirmation).to_contain_text(f"{today.day} ")
    expect(instructor.locator("main")).to_contain_text("FR76 3000 6000 0112 3456 7890 189")
    screenshot(instructor, "20-paiement-confirmation")
    instructor.get_by_role("button", name="Confirmer et inscrire au grand livre").click()
    expect(instructor.locator(".messages")).to_contain_text("inscrit au grand livre")
    # Back at the dossier's desk: its money and its history, in words.
    money = instructor.locator("#dossier-money")
    expect(money).to_contain_text("1 000,00 €")
    expect(money).to_contain_text("800,00 €")
    expect(instructor.locator("#dossier-history")).to_contain_text(
        f"Décision publiée : subvention de 1 000,00 € ({reference})"
    )
    expect(instructor.locator("#dossier-history")).to_contain_text("Paiement de 800,00 €")
    desk_url = instructor.url

    # The resident files the bilan: 950 € spent, with a receipt.
    resident.goto("/mon-espace/")
    card = resident.locator(".card", has_text=TITLE)
    expect(card).to_contain_text("Subvention accordée")
    card.get_by_role("link", name=re.compile("^Bilan de l'action")).click()
    expect(resident).to_have_url(re.compile(rf"/initiatives/{initiative_id}/bilan/$"))
    resident.get_by_label("Ce qui s'est passé").fill(
        "Douze bacs construits avec l'école ; quarante voisins aux ateliers du mercredi."
    )
    resident.get_by_label("Nombre de participants").fill("42")
    resident.get_by_label("Dépenses réelles en euros").fill("950,00")
    receipt = tmp_path / "facture.pdf"
    receipt.write_bytes(pdf_bytes())
    resident.get_by_label(re.compile("^Justificatifs de dépense")).set_input_files(str(receipt))
    screenshot(resident, "21-bilan")
    resident.get_by_role("button", name="Déposer le bilan").click()
    expect(resident.locator(".messages")).to_contain_text("Votre bilan est déposé")

    # The instructor asks for more from the desk; the resident completes it from « Mon
    # espace ».
    # On a phone too: the review page is read at 360 px.
    instructor.set_viewport_size(NARROW)
    instructor.goto(desk_url)
    instructor.get_by_role("link", name="Examiner le bilan").click()
    expect(instructor).to_have_url(re.compile(rf"/cms/dossiers/{initiative_id}/bilan/$"))
    expect(instructor.locator("main")).to_contain_text("950,00 €")
    reason = instructor.get_by_label("Ce qui manque au bilan")
    reason.fill("Il manque le résumé public pour la page de l'initiative.")
    tab_to(
        instructor, instructor.get_by_role("button", name="Demander des compléments au porteur")
    ).press("Enter")
    reauthenticate_if_asked(instructor)
    expect(instructor.locator(".messages")).to_contain_text("prié de compléter")
    expect(instructor.locator("#report-status")).to_have_text("À compléter par le porteur")
    screenshot(instructor, "22-bilan-complements-360")
    instructor.set_viewport_size(WIDE)

    resident.goto("/mon-espace/")
    card = resident.locator(".card", has_text=TITLE)
    expect(card).to_contain_text("compléter votre bilan")
    card.get_by_role("link", name=re.compile("^Compléter le bilan")).click()
    expect(resident.locator("#completion-asked")).to_contain_text("Il manque le résumé public")
    resident.get_by_label("Résumé public (facultatif)").fill(
        "Douze bacs potagers au lavoir, plantés avec l'école et les voisins."
    )
    resident.get_by_role("button", name="Envoyer le bilan complété").click()
    expect(resident.locator(".messages")).to_contain_text("Votre bilan est complété")

    # The instructor accepts it: the 200 € not paid go back to the fund, the dossier
    # is closed.
    instructor.reload()
    expect(instructor.locator("#report-status")).to_have_text("Déposé, en cours d'examen")
    expect(instructor.locator("main")).to_contain_text("200,00 €")
    instructor.get_by_role("button", name="Accepter le bilan…").click()
    reauthenticate_if_asked(instructor)
    expect(instructor.locator("#accept-confirmation")).to_contain_text("200,00 €")
    screenshot(instructor, "22-bilan-confirmation")
    tab_to(
        instructor, instructor.get_by_role("button", name="Confirmer : accepter et clôturer")
    ).press("Enter")
    reauthenticate_if_asked(instructor)
    expect(instructor.locator(".messages")).to_contain_text("Bilan accepté")
    expect(instructor.locator("#dossier-money")).to_contain_text("200,00 €")
    screenshot(instructor, "22-bilan-accepte")

    # 7. What anyone can check: the dossier, the fund, its ledger, the sessions.
    visitor.goto(f"/initiatives/{initiative_id}/")
    expect(visitor.locator(".card__meta")).to_contain_text("Réalisée, bilan accepté")
    # Where each euro went, on a phone: granted, paid, given back, and the bilan.
    visitor.set_viewport_size(NARROW)
    trail = visitor.get_by_role("region", name="Où va l'argent")
    expect(trail.locator("#trail-totals")).to_contain_text("1 000,00 €")
    expect(trail).to_contain_text("Versement de 800,00 € au porteur")
    expect(trail).to_contain_text("200,00 € non dépensés rendus au fonds du quartier")
    expect(trail).to_contain_text("Douze bacs potagers au lavoir, plantés avec l'école")
    tab_to(visitor, trail.get_by_role("link", name=f"décision {reference}"))
    screenshot(visitor, "23-trace-de-l-argent-360")
    visitor.set_viewport_size(WIDE)
    visitor.goto(f"/fonds/{FUND_SLUG}/")
    figures = fund_figures(visitor)
    assert figures == {
        "Enveloppe": "10 000,00 €",
        "Engagé, à verser": "0,00 €",
        "Versé": "800,00 €",
        "Disponible": "9 200,00 €",
    }, figures
    screenshot(visitor, "23-fonds")
    visitor.get_by_role("link", name="Consulter le grand livre").click()
    rows = visitor.locator("table.ledger tbody tr")
    expect(rows).to_have_count(4)
    kinds = [row.locator("td").nth(2).inner_text().split("\n")[0] for row in rows.all()]
    assert sorted(kinds) == sorted(
        ["Crédit de l'enveloppe", "Engagement", "Versement", "Libération"]
    ), kinds
    expect(rows.filter(has_text="Engagement")).to_contain_text("1 000,00 €")
    expect(rows.filter(has_text="Versement")).to_contain_text("800,00 €")
    expect(rows.filter(has_text="Libération")).to_contain_text("200,00 €")
    head = visitor.locator("code.hash--full").inner_text()
    screenshot(visitor, "24-grand-livre")
    # The head hash shown is the one a replay of the whole ledger arrives at.
    report = io.StringIO()
    call_command("ledger", "verify", stdout=report)
    assert f"{FUND_SLUG}: 4 transactions, head {head}" in report.getvalue(), report.getvalue()
    visitor.goto("/seances/")
    past = visitor.locator("section", has=visitor.get_by_role("heading", name="Séances passées"))
    expect(past.locator(".card", has_text=COUNCIL)).to_contain_text(TITLE)
    expect(past.get_by_role("link", name=re.compile("^Procès-verbal signé"))).to_be_visible()
    screenshot(visitor, "25-seances")
