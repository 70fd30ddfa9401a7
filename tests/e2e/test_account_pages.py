"""The account pages in the site's frame, by keyboard, at 360 and 1280 px: sign-up with
its errors, the email's confirmation that logs the person in, a refused login, the
forgotten password, then the pages of an account (password, addresses, two-factor).
After an error the focus is on the summary at the top, the page's title starts with
« Erreur » and each field in error is marked invalid and tied to its message. axe-core
audits every page; each is kept as a screenshot."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import labelled, last_link

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Bellerive-2026!"
NEW_PASSWORD = "Loire-et-Coteaux-2027!"
EMAIL = "ines.morel@example.org"


def summary_has_focus(page, count):
    summary = page.locator(".form-errors")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text(
        "Le formulaire contient une erreur."
        if count == 1
        else f"Le formulaire contient {count} erreurs."
    )
    assert page.title().startswith("Erreur — "), page.title()
    return summary


def is_described_invalid(locator):
    expect(locator).to_have_attribute("aria-invalid", "true")
    described = locator.get_attribute("aria-describedby") or ""
    page = locator.page
    messages = [page.locator(f"#{name}").inner_text() for name in described.split()]
    assert any(messages), described
    return messages


@pytest.mark.parametrize("width", [360, 1280])
def test_account_pages_by_keyboard(committed_demo, new_context, screenshot, width):
    page = new_context(viewport={"width": width, "height": 800}).new_page()

    # Sign-up: sent empty, then with two passwords that differ.
    page.goto("/comptes/signup/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Créer un compte")
    screenshot(page, f"01-inscription-{width}")
    page.get_by_role("button", name="Créer mon compte").press("Enter")
    summary = summary_has_focus(page, 3)
    is_described_invalid(labelled(page, "E-mail"))
    screenshot(page, f"02-inscription-erreurs-{width}")
    # Each error in the summary links to its field.
    summary.get_by_role("link").first.press("Enter")
    expect(labelled(page, "E-mail")).to_be_focused()

    labelled(page, "E-mail").fill(EMAIL)
    labelled(page, "Mot de passe").fill(PASSWORD)
    labelled(page, "Mot de passe (confirmation)").fill(PASSWORD)
    labelled(page, "Mot de passe (confirmation)").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez votre adresse e-mail")
    screenshot(page, f"03-verification-envoyee-{width}")

    # The email's link: confirming the address logs the person in.
    page.goto(last_link(r"https?://\S+/comptes/confirm-email/\S+/", EMAIL))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirmer votre adresse e-mail")
    expect(page.locator("main")).to_contain_text(EMAIL)
    screenshot(page, f"04-confirmation-{width}")
    page.get_by_role("button", name="Confirmer mon adresse").press("Enter")
    expect(page.locator(".messages")).to_contain_text(EMAIL)
    page.goto("/comptes/profil/")
    expect(page).to_have_url(re.compile(r"/comptes/profil/$"))

    # A wrong password on the login page.
    page.goto("/comptes/logout/")
    screenshot(page, f"05-deconnexion-{width}")
    page.get_by_role("button", name="Se déconnecter").press("Enter")
    page.goto("/comptes/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
    screenshot(page, f"06-connexion-{width}")
    labelled(page, "E-mail").fill(EMAIL)
    labelled(page, "Mot de passe").fill("pas-le-bon")
    labelled(page, "Mot de passe").press("Enter")
    summary = summary_has_focus(page, 1)
    expect(summary).to_contain_text("le mot de passe sont incorrects")
    screenshot(page, f"07-connexion-erreur-{width}")

    # The forgotten password: the link, then a new password.
    page.get_by_role("link", name="Mot de passe oublié ?").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mot de passe oublié")
    screenshot(page, f"08-mot-de-passe-oublie-{width}")
    labelled(page, "E-mail").fill(EMAIL)
    page.get_by_role("button", name="Recevoir le lien").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Lien envoyé")
    screenshot(page, f"09-lien-envoye-{width}")
    page.goto(last_link(r"https?://\S+/comptes/password/reset/key/\S+/", EMAIL))
    expect(page.get_by_role("heading", level=1)).to_have_text("Modifier le mot de passe")
    screenshot(page, f"10-nouveau-mot-de-passe-{width}")
    labelled(page, "Nouveau mot de passe").fill(NEW_PASSWORD)
    labelled(page, "Nouveau mot de passe (confirmation)").fill(NEW_PASSWORD)
    labelled(page, "Nouveau mot de passe (confirmation)").press("Enter")
    expect(page.locator("main")).to_contain_text("mot de passe a été modifié")
    screenshot(page, f"11-mot-de-passe-modifie-{width}")

    page.goto("/comptes/login/")
    labelled(page, "E-mail").fill(EMAIL)
    labelled(page, "Mot de passe").fill(NEW_PASSWORD)
    labelled(page, "Mot de passe").press("Enter")
    expect(page).not_to_have_url(re.compile(r"/comptes/login/"))

    # The pages of an account.
    page.goto("/comptes/password/change/")
    screenshot(page, f"12-changer-mot-de-passe-{width}")
    page.get_by_role("button", name=re.compile("Modifier le mot de passe", re.I)).press("Enter")
    summary_has_focus(page, 3)
    screenshot(page, f"13-changer-mot-de-passe-erreurs-{width}")
    page.goto("/comptes/email/")
    expect(page.locator("main")).to_contain_text(EMAIL)
    screenshot(page, f"14-adresses-{width}")
    page.goto("/comptes/2fa/")
    screenshot(page, f"15-double-authentification-{width}")
    page.goto("/comptes/2fa/totp/activate/")
    screenshot(page, f"16-activer-totp-{width}")
    expect(page.locator("main").get_by_role("button").first).to_have_class(
        re.compile(r"\bbutton\b")
    )
