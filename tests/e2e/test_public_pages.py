"""Every public page of the demo, in French and in English, on a phone (360 px) and a
desktop (1280 px): it loads, does not scroll sideways, says its language, passes axe-core
(the auditor of tests/e2e/conftest.py runs on each new document), and is kept as a
screenshot."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (360, 1280)
LANGUAGES = {"fr": "fr-FR", "en": "en-US"}


@pytest.fixture
def demo_site(committed_demo):
    return committed_demo


def public_addresses():
    """(name, path) of every public page, read from the demo's data."""
    from fonds.models import Fund, Initiative
    from votes.models import Decision

    fund = Fund.objects.exclude(status=Fund.Status.DRAFT).order_by("pk").first()
    initiative = Initiative.objects.public().order_by("pk").first()
    decision = Decision.objects.filter(published_at__isnull=False).order_by("pk").first()
    return [
        ("accueil", "/"),
        ("quartiers", "/quartiers/"),
        ("quartier-bellevue", "/quartiers/bellevue/"),
        ("quartier-centre-ville", "/quartiers/centre-ville/"),
        ("actualites", "/actualites/"),
        ("actualite", "/actualites/premiere-seance/"),
        ("decisions", "/decisions/"),
        ("decisions-filtrees", "/decisions/?quartier=bellevue&decision=granted"),
        ("decision", f"/decisions/{decision.reference}/"),
        ("statistiques", "/statistiques/"),
        ("comment-ca-marche", "/comment-ca-marche/"),
        ("accessibilite", "/accessibilite/"),
        ("mentions-legales", "/mentions-legales/"),
        ("donnees-personnelles", "/donnees-personnelles/"),
        ("recherche", "/recherche/?q=jardin"),
        ("initiatives", "/initiatives/"),
        ("initiative", f"/initiatives/{initiative.pk}/"),
        ("fonds", "/fonds/"),
        ("fonds-detail", f"/fonds/{fund.slug}/"),
        ("grand-livre", f"/fonds/{fund.slug}/grand-livre/"),
        ("connexion", "/initiatives/nouvelle/"),
    ]


# The elements that reach past the right edge of the window outside any box that scrolls
# or clips them (a table in its scroll region, the map's tiles), to name the culprit.
OVERFLOWING = """() => {
    const width = window.innerWidth;
    const clipped = el => {
        for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
            if (getComputedStyle(up).overflowX !== 'visible') { return true; }
        }
        return false;
    };
    const wide = [...document.querySelectorAll('body *')].filter(
        el => el.getBoundingClientRect().right > width + 0.5 && !clipped(el));
    return wide.filter(el => !wide.some(other => other !== el && el.contains(other)))
        .slice(0, 5)
        .map(el => el.tagName.toLowerCase()
             + (el.getAttribute('class') ? '.' + el.getAttribute('class').split(' ').join('.') : '')
             + ' "' + (el.textContent || '').trim().slice(0, 30) + '"'
             + ' (right edge ' + Math.round(el.getBoundingClientRect().right) + ' px)');
}"""


def visit(page, path):
    """Go to ``path``; return the status of the document shown at the end (after any
    redirect) and the axe-core report if the auditor refused the page, so that one run
    tells every page's problems."""
    statuses = []

    def on_response(response):
        if response.request.is_navigation_request() and response.frame == page.main_frame:
            statuses.append(response.status)

    page.on("response", on_response)
    try:
        page.goto(path)
        violations = None
    except AssertionError as error:  # axe-core violations, raised by the auditor
        violations = str(error)
    finally:
        page.remove_listener("response", on_response)
    return (statuses[-1] if statuses else None), violations


def test_every_public_page_in_both_languages_at_both_widths(
    demo_site, new_context, screenshot, axe
):
    addresses = public_addresses()
    problems = []
    for language, locale in LANGUAGES.items():
        for width in WIDTHS:
            context = new_context(viewport={"width": width, "height": 800}, locale=locale)
            page = context.new_page()
            for name, path in addresses:
                where = f"{language}-{width} {path}"
                status, violations = visit(page, path)
                if violations:
                    problems.append(f"{where}: {violations}")
                if status is None or status >= 400:
                    problems.append(f"{where}: status {status}")
                if name == "connexion" and "/comptes/login/" not in page.url:
                    problems.append(f"{where}: not sent to the login page but to {page.url}")
                lang = page.evaluate("() => document.documentElement.lang")
                if lang != language:
                    problems.append(f'{where}: <html lang="{lang}">')
                scroll = page.evaluate(
                    "() => [document.documentElement.scrollWidth, window.innerWidth]"
                )
                if scroll[0] > scroll[1]:
                    wide = page.evaluate(OVERFLOWING)
                    problems.append(
                        f"{where}: scrolls sideways ({scroll[0]} > {scroll[1]} px): {wide}"
                    )
                screenshot(page, f"{language}-{width}-{name}")
    # axe-core ran on every document shown (the login page stands for the form).
    assert len(axe.audited) == len(LANGUAGES) * len(WIDTHS) * len(addresses)
    assert not problems, "\n".join(problems)
