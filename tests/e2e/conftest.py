"""Browser tests: Debian's Chromium driven by Playwright, with axe-core run on every
page a test visits. Any WCAG 2.1 A/AA violation fails the test."""

import json
import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core import mail
from playwright.sync_api import expect

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

RUN_AXE = """async (tags) => {
    if (window.__fqAxeDone || document.contentType !== 'text/html') { return null; }
    window.__fqAxeDone = true;
    const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
    return result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' — ' + n.failureSummary),
    }));
}"""


def _chromium_path():
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    path = _chromium_path()
    missing = not os.path.exists(path) or not AXE.exists()
    if missing:
        reason = f"Chromium ({path}) or axe-core ({AXE}) missing"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {reason}.", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class AxeAuditor:
    """Runs axe-core once on each document the browser shows, after every action of the
    test, and fails at once on a violation."""

    def __init__(self):
        self.audited = []

    def audit(self, page):
        if page.is_closed():
            return
        for _attempt in range(3):
            try:
                page.wait_for_load_state("load")
                violations = page.evaluate(RUN_AXE, AXE_TAGS)
                break
            except Exception as error:  # navigation replaced the document meanwhile
                if "context was destroyed" not in str(error) and "navigat" not in str(error):
                    raise
        else:
            return
        if violations is None:
            return
        self.audited.append(page.url)
        if violations:
            report = json.dumps(violations, indent=2, ensure_ascii=False)
            raise AssertionError(f"axe-core violations on {page.url}:\n{report}")


_ACTIONS = {
    "Page": [
        "goto",
        "reload",
        "go_back",
        "go_forward",
        "click",
        "fill",
        "press",
        "check",
        "select_option",
        "set_input_files",
    ],
    "Locator": [
        "click",
        "fill",
        "press",
        "check",
        "uncheck",
        "select_option",
        "set_input_files",
        "dblclick",
        "tap",
    ],
}


@pytest.fixture
def axe(monkeypatch):
    """Wraps Playwright's navigation and input actions so that each new document is
    audited with axe-core before the test goes on."""
    from playwright.sync_api import Locator, Page

    auditor = AxeAuditor()
    classes = {"Page": Page, "Locator": Locator}
    for class_name, methods in _ACTIONS.items():
        cls = classes[class_name]
        for name in methods:
            original = getattr(cls, name)

            def wrapper(self, *args, __original=original, __is_page=class_name == "Page", **kw):
                result = __original(self, *args, **kw)
                auditor.audit(self if __is_page else self.page)
                return result

            monkeypatch.setattr(cls, name, wrapper)
    return auditor


@pytest.fixture
def new_context(browser, live_server, axe, request):
    """Opens browser contexts on the live server (one per person in a test); every page
    is audited, and the last page of each context too at the end."""
    contexts = []

    def make(viewport=None, locale="fr-FR"):
        context = browser.new_context(
            base_url=live_server.url,
            viewport=viewport or {"width": 1280, "height": 900},
            locale=locale,
        )
        context.add_init_script(path=str(AXE))
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield make
    try:
        for context in contexts:
            for page in context.pages:
                axe.audit(page)
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


@pytest.fixture
def screenshot(request):
    """Keeps a screenshot of a page as a test artefact in test-artifacts/."""

    def take(page, name):
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


PASSWORD = "Bellerive-2026!"


def verified_user(email, display_name="", password=PASSWORD):
    """An account whose email address is confirmed, so that it can log in."""
    from allauth.account.models import EmailAddress

    from accounts.models import User

    user = User.objects.create_user(email=email, password=password, display_name=display_name)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def header_link(page, name):
    """A link of the site's header. On a phone the header's search, language choice and
    navigation are behind « Menu », opened here with the keyboard."""
    open_menu(page)
    return page.get_by_role("banner").get_by_role("link", name=name, exact=True)


def open_menu(page):
    toggle = page.locator(".menu-toggle")
    if toggle.is_visible() and toggle.get_attribute("aria-expanded") != "true":
        toggle.focus()
        page.keyboard.press("Enter")
        expect(toggle).to_have_attribute("aria-expanded", "true")


def last_link(pattern, to):
    """The path of the last link matching ``pattern`` in an email sent to ``to``: the
    emails name the public address (SITE_URL), the browser uses the live server."""
    for message in reversed(mail.outbox):
        if to in message.to:
            found = re.search(pattern, message.body)
            if found:
                return urlsplit(found.group(0)).path
    raise AssertionError(f"No email to {to} with a link matching {pattern!r}.")


def labelled(page, text):
    """The field whose label reads ``text``, its required mark (« * ») aside: a field
    apart from those whose label only begins the same way."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(text)}\s*\*?\s*$"))


def log_in(page, email, path, password=PASSWORD):
    """Go to ``path`` (which asks for a login) and log in through the allauth form."""
    page.goto(path)
    page.get_by_label("E-mail").fill(email)
    labelled(page, "Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def reauthenticate_if_asked(page, password=PASSWORD):
    """Money actions ask for a fresh login when the last one is a few minutes old:
    the password, typed, then Enter."""
    if "/comptes/reauthenticate/" not in page.url:
        return False
    field = page.get_by_label(re.compile("Mot de passe"))
    field.fill(password)
    field.press("Enter")
    expect(page).not_to_have_url(re.compile("/comptes/reauthenticate/"))
    return True
