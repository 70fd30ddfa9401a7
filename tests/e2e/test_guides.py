"""The screenshots of the demo's guides (cms.demo.guides), taken on the demo commune:
each role logs in, goes where a step of its guide shows, and leaves a PNG in
``cms/demo/guides/`` (viewport 1280×800, the part of the page the step speaks of),
overwriting the committed file. axe-core audits every page on the way (the ``axe``
fixture of tests/e2e/conftest.py), and the guide pages themselves, in French and in
English.

Each screenshot is written again by every run: the demo's dates move with the day, so
commit the files when the pages they show have changed."""

import re
import struct

import pytest
from playwright.sync_api import expect

from cms.demo import DEMO_PASSWORD
from cms.demo.guides import ADMINISTRATOR, CHAIR, COUNCIL_MEMBER, GUIDES, INSTRUCTOR, RESIDENT
from cms.demo.guides import SCREENSHOTS as FOLDER

from .conftest import log_in
from .conftest import reauthenticate_if_asked as shared_reauthenticate

pytestmark = pytest.mark.django_db(transaction=True)

DOMAIN = "demo.fonds-quartiers.fr"
VIEWPORT = {"width": 1280, "height": 800}
# Space kept around the element a screenshot shows.
MARGIN = 16
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FRAME = "#8a959e"
# The width of the public pages' content, and of the admin's, with their margin; where
# the admin's content starts, right of its menu.
WIDE = 1088
WIDE_ADMIN = 952
ADMIN = {"left": 200, "width": 1080}

# Scrolls a region's top to ``margin`` pixels below the window's (as far as the page
# scrolls), in whichever box scrolls it: the page, or the admin's content.
SCROLL_TO = """(el, margin) => {
    el.style.scrollMarginTop = margin + 'px';
    el.scrollIntoView({block: 'start', behavior: 'instant'});
}"""


@pytest.fixture
def demo(committed_demo):
    return committed_demo


class Screenshots:
    """The screenshots a test took, with the size each was cut to."""

    def __init__(self):
        self.sizes = {}

    def take(
        self, page, region, name, *, width=800, height=None, max_height=640, left=None, above=0
    ):
        """Cut ``region`` (a locator) out of the window: ``width`` × ``height`` pixels
        from its top left corner, less a margin (``None``: the region's own size, at most
        ``max_height``), and ``above`` pixels more above it, within the 1280 × 800
        window; save it as ``cms/demo/guides/<name>.png``."""
        expect(region).to_be_visible()
        region.evaluate(SCROLL_TO, MARGIN + above)
        page.evaluate("() => new Promise(requestAnimationFrame)")
        box = region.bounding_box()
        w = round(width or box["width"] + 2 * MARGIN)
        h = round(height or min(box["height"] + 2 * MARGIN, max_height))
        w, h = min(w, VIEWPORT["width"]), min(h, VIEWPORT["height"])
        x = left if left is not None else round(box["x"]) - MARGIN
        y = round(box["y"]) - MARGIN - above
        x = max(0, min(x, VIEWPORT["width"] - w))
        y = max(0, min(y, VIEWPORT["height"] - h))
        path = FOLDER / f"{name}.png"
        FOLDER.mkdir(exist_ok=True)
        page.screenshot(path=str(path), clip={"x": x, "y": y, "width": w, "height": h})
        _compress(path)
        self.sizes[name] = (w, h)

    def assert_written(self, guide):
        """Every screenshot the guide shows was written by this test, a PNG of the size
        it was cut to, no larger than the window."""
        expected = {step.shot.name for step in guide.steps if step.shot}
        assert set(self.sizes) == expected, "the test and the guide name other screenshots"
        for name, size in self.sizes.items():
            path = FOLDER / f"{name}.png"
            data = path.read_bytes()
            assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
            assert data[12:16] == b"IHDR"
            assert struct.unpack(">II", data[16:24]) == size, path
            assert size[0] <= VIEWPORT["width"] and size[1] <= VIEWPORT["height"]
            _verify(path)


def _compress(path):
    """The screenshot framed by a thin grey line (on a page, it must not pass for the page
    itself), in 256 colours, which a page's flat colours and text survive, for a smaller
    file."""
    from PIL import Image, ImageDraw

    with Image.open(path) as picture:
        framed = picture.convert("RGB")
    ImageDraw.Draw(framed).rectangle([(0, 0), (framed.width - 1, framed.height - 1)], outline=FRAME)
    palette = framed.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    palette.save(path, format="PNG", optimize=True)


def _verify(path):
    from PIL import Image

    with Image.open(path) as picture:
        picture.verify()


@pytest.fixture
def shots():
    return Screenshots()


def logged_in(new_context, email, path):
    page = new_context(viewport=VIEWPORT).new_page()
    log_in(page, email, path, password=DEMO_PASSWORD)
    return page


def reauthenticate_if_asked(page):
    """Money and publication ask for the password again when the login is not recent."""
    shared_reauthenticate(page, DEMO_PASSWORD)


def heading(page):
    return page.locator("main h1").first


def admin_menu(page, name):
    return page.locator("aside, nav").get_by_role("link", name=name, exact=True).first


# Resident ------------------------------------------------------------------------------


def a_neighbour_who_may_support():
    """A demo resident and an initiative of their quartier they may support today."""
    from accounts.models import User
    from fonds.models import Initiative
    from fonds.predicates import can_support

    for person in User.objects.filter(email__startswith="habitant-").order_by("pk"):
        dossiers = (
            Initiative.objects.filter(
                fund__quartier=person.quartier_id, status__in=Initiative.SUPPORTABLE_STATUSES
            )
            .exclude(supports__user=person)
            .order_by("pk")
        )
        for initiative in dossiers:
            if can_support(person, initiative):
                return person, initiative
    raise AssertionError("No demo resident may support an initiative of their quartier.")


def test_resident_screenshots(demo, new_context, shots):
    page = logged_in(new_context, f"habitante@{DOMAIN}", "/mon-espace/")
    expect(heading(page)).to_have_text("Mon espace")
    shots.take(page, heading(page), "habitant-mon-espace", width=WIDE, height=560)

    incomplete = page.locator("main .card").filter(
        has=page.get_by_role("link", name=re.compile("^Compléter le dossier"))
    )
    shots.take(page, incomplete.first, "habitant-completer", width=None)

    page.get_by_role("link", name="Proposer une nouvelle initiative").press("Enter")
    expect(heading(page)).to_have_text("Proposer une initiative")
    shots.take(page, heading(page), "habitant-proposer", height=560)

    page.goto("/mon-espace/")
    page.get_by_role("link", name=re.compile("^Bilan de l'action")).first.press("Enter")
    expect(heading(page)).to_have_text("Bilan de l'action")
    shots.take(page, heading(page), "habitant-bilan", height=600)

    # A neighbour's initiative that the council has not decided yet.
    person, initiative = a_neighbour_who_may_support()
    neighbour = logged_in(new_context, person.email, "/mon-espace/")
    neighbour.goto(f"/initiatives/{initiative.pk}/")
    support = neighbour.get_by_role("button", name="Soutenir cette initiative")
    support.press("Enter")
    thanks = neighbour.get_by_role("status")
    expect(thanks).to_contain_text("votre soutien est enregistré")
    expect(neighbour.locator("main")).to_contain_text("Vous soutenez cette initiative.")
    neighbour.evaluate("() => document.activeElement.blur()")
    shots.take(neighbour, thanks, "habitant-soutenir", width=WIDE, height=440)
    shots.assert_written(RESIDENT)


# Instructor ----------------------------------------------------------------------------


def test_instructor_screenshots(demo, new_context, shots):
    from fonds.models import Grant, Report
    from votes.models import Session

    page = logged_in(new_context, f"instructeur@{DOMAIN}", "/cms/")
    admin_menu(page, "Dossiers à instruire").click()
    page.get_by_label("Quartier").select_option(label="Bellevue")
    page.get_by_label("Statut").select_option(label="Déposée")
    page.get_by_role("button", name="Filtrer").press("Enter")
    queue = page.get_by_role("table")
    expect(queue).to_contain_text("Déposée")
    shots.take(page, heading(page), "instructeur-dossiers", width=1000, height=520)

    queue.locator("tbody tr").first.get_by_role("link").first.click()
    section = page.locator("section[aria-labelledby='instruction-title']")
    shots.take(page, section, "instructeur-instruire", width=None, max_height=600)

    session = Session.objects.get(council__quartier__slug="bellevue", status="open")
    admin_menu(page, "Séances des conseils").click()
    page.locator(f"a[href='/conseil/seances/{session.pk}/preparer/']").click()
    candidates = page.locator("section[aria-labelledby='candidates-title']")
    expect(candidates.get_by_role("button").first).to_be_visible()
    shots.take(page, candidates, "instructeur-ordre-du-jour", max_height=420)

    grant = (
        Grant.objects.filter(initiative__fund__quartier__slug="bellevue", account__balance__gt=0)
        .order_by("pk")
        .first()
    )
    page.goto(f"/cms/dossiers/{grant.initiative_id}/")
    page.get_by_role("link", name=re.compile("^Enregistrer un paiement")).first.click()
    reauthenticate_if_asked(page)
    expect(heading(page)).to_have_text("Enregistrer un paiement")
    shots.take(page, heading(page), "instructeur-paiement", width=WIDE_ADMIN, height=620)

    report = Report.objects.filter(status="submitted").order_by("pk").first()
    page.goto(f"/cms/dossiers/{report.initiative_id}/")
    page.get_by_role("link", name="Examiner le bilan").click()
    review = page.locator("section[aria-labelledby='review-title']")
    shots.take(page, review, "instructeur-bilan", width=None, max_height=560)
    shots.assert_written(INSTRUCTOR)


# Council member ------------------------------------------------------------------------


def open_session_today(page):
    """From /conseil/, the session of Bellevue that is open today."""
    card = page.locator(".card", has_text="Conseil de quartier Bellevue").filter(has_text="Ouverte")
    card.get_by_role("link").first.press("Enter")
    expect(heading(page)).to_contain_text("Séance du")


def waiting_item(page):
    """The link of the first item of the agenda still to examine."""
    items = page.locator("ol.agenda").get_by_role("listitem")
    return items.filter(has_text="à examiner").first.get_by_role("link")


def test_council_member_screenshots(demo, new_context, shots):
    from votes.models import AgendaItem, Mandate
    from votes.services import vote_open

    page = logged_in(new_context, f"conseillere@{DOMAIN}", "/conseil/")
    expect(heading(page)).to_have_text("Espace du conseil")
    shots.take(page, heading(page), "conseiller-espace", width=WIDE, height=420)

    open_session_today(page)
    shots.take(page, heading(page), "conseiller-seance", height=440)

    waiting_item(page).click()
    shots.take(page, page.locator("section[aria-labelledby='debat-title']"), "conseiller-point")
    interest = page.locator("main form", has=page.get_by_role("button", name="Déclarer un intérêt"))
    shots.take(page, interest, "conseiller-deport", width=None, max_height=300)

    # The maire de quartier opens the vote (tests/e2e/test_journeys.py does it from his
    # browser); her page shows her ballot once reloaded.
    pk = page.url.rstrip("/").split("/")[-1]
    item = AgendaItem.objects.select_related("initiative", "session__council").get(pk=pk)
    chair = Mandate.objects.get(council=item.session.council, role=Mandate.Role.CHAIR).user
    vote_open(
        actor=chair,
        item=item,
        mode="show_of_hands",
        proposed_amount=item.initiative.requested_amount,
    )
    page.reload()
    ballot = page.get_by_role("group", name="Votre vote")
    expect(ballot).to_be_visible()
    vote = page.locator("section[aria-labelledby='vote-title']")
    shots.take(page, vote, "conseiller-vote", width=None)
    ballot.get_by_role("button", name="Pour").press("Enter")
    expect(page.get_by_role("status").first).to_contain_text("Vote enregistré")
    shots.assert_written(COUNCIL_MEMBER)


# Maire de quartier ---------------------------------------------------------------------


def test_chair_screenshots(demo, new_context, shots):
    from votes.models import Session

    page = logged_in(new_context, f"maire@{DOMAIN}", "/conseil/")
    page.get_by_role("link", name="Planifier et préparer les séances").press("Enter")
    expect(heading(page)).to_have_text("Préparer les séances")
    shots.take(page, heading(page), "maire-preparer", width=WIDE, height=440)

    page.goto("/conseil/")
    open_session_today(page)
    expect(page.locator("main")).to_contain_text(re.compile(r"Quorum : \d+ présents"))
    presences = page.get_by_role("heading", name="Présences", exact=True)
    shots.take(page, presences, "maire-seance", height=720)

    waiting_item(page).click()
    vote = page.locator("section[aria-labelledby='vote-title']")
    shots.take(page, vote, "maire-vote", width=None)
    page.get_by_label("Mode de scrutin").select_option(label="À main levée")
    page.get_by_role("button", name="Ouvrir le vote").press("Enter")
    expect(page.get_by_role("status").first).to_contain_text("Vote ouvert")
    page.get_by_role("button", name="Pour").click()
    page.get_by_role("button", name="Clore le vote").click()
    page.get_by_role("button", name="Enregistrer la décision").click()
    expect(vote).to_contain_text(re.compile(r"CQ-BELLEVUE-\d{4}-\d{3}"))
    shots.take(page, vote, "maire-proclamer", width=None, max_height=360)

    page.get_by_role("link", name="Publier la décision").click()
    reauthenticate_if_asked(page)
    expect(heading(page)).to_contain_text("Publier la décision")
    shots.take(page, heading(page), "maire-publier", width=WIDE, height=420)
    page.get_by_role("button", name="Confirmer la publication et l'engagement").click()
    reauthenticate_if_asked(page)
    expect(page.locator(".messages")).to_contain_text("Décision publiée")

    signed = (
        Session.objects.filter(council__quartier__slug="bellevue", minutes_signed_at__isnull=False)
        .order_by("-starts_at")
        .first()
    )
    page.goto(f"/conseil/seances/{signed.pk}/")
    expect(page.get_by_role("link", name="Télécharger le procès-verbal (PDF)")).to_be_visible()
    shots.take(page, heading(page), "maire-proces-verbal", height=560)
    shots.assert_written(CHAIR)


# Administrator -------------------------------------------------------------------------


def test_administrator_screenshots(demo, new_context, shots):
    from fonds.models import Fund

    page = logged_in(new_context, f"admin@{DOMAIN}", "/cms/")
    page.get_by_role("button", name="Fonds des quartiers").press("Enter")
    quartiers = admin_menu(page, "Quartiers")
    expect(quartiers).to_be_visible()
    menu = page.get_by_role("navigation", name="Menu principal")
    shots.take(page, menu, "administrateur-menu", height=600, left=0, above=200)

    quartiers.click()
    expect(heading(page)).to_have_text("Quartiers")
    shots.take(page, heading(page), "administrateur-quartiers", height=480, **ADMIN)

    fund = Fund.objects.get(quartier__slug="bellevue", status=Fund.Status.OPEN)
    page.goto(f"/cms/fonds-initiative/edit/{fund.pk}/")
    shots.take(page, heading(page), "administrateur-fonds", height=640, **ADMIN)

    page.goto(f"/fonds/{fund.slug}/")
    page.get_by_role("link", name="Créditer l'enveloppe").click()
    reauthenticate_if_asked(page)
    expect(heading(page)).to_contain_text("Créditer l'enveloppe")
    shots.take(page, heading(page), "administrateur-enveloppe", width=WIDE, height=420)

    page.get_by_role("link", name="Administration").click()
    admin_menu(page, "Conseils").click()
    page.get_by_role("link", name="Conseil de quartier Bellevue").first.click()
    expect(heading(page)).to_contain_text("Composition")
    shots.take(page, heading(page), "administrateur-conseils", height=640, **ADMIN)

    admin_menu(page, "Rôles du personnel").click()
    expect(heading(page)).to_have_text("Rôles du personnel")
    grant = page.get_by_role("heading", name="Attribuer un rôle à un compte existant")
    shots.take(page, grant, "administrateur-roles", height=600, **ADMIN)

    page.get_by_role("button", name="Paramètres").click()
    admin_menu(page, "Identité de la commune").click()
    expect(heading(page)).to_contain_text("Identité de la commune")
    shots.take(page, heading(page), "administrateur-parametres", height=640, **ADMIN)
    shots.assert_written(ADMINISTRATOR)


# The guide pages -----------------------------------------------------------------------


IMAGES_SHOWN = """() => Array.from(document.querySelectorAll('main img')).map(img => ({
    alt: img.getAttribute('alt'), loaded: img.complete && img.naturalWidth > 0,
}))"""


def test_the_guides_read_in_french_and_english(demo, new_context):
    """From the home page to each guide, then the same in English: axe-core audits each
    page, and every screenshot is shown, described by its text alternative."""
    from cms.models import StandardPage

    expected = {
        page.slug: sum(1 for block in page.body if block.block_type == "image")
        for page in StandardPage.objects.filter(slug__in=[guide.slug for guide in GUIDES])
    }
    assert len(expected) == len(GUIDES)
    page = new_context(viewport=VIEWPORT).new_page()
    page.goto("/")
    page.locator("main .hero").get_by_role("link", name="Les guides").press("Enter")
    expect(heading(page)).to_have_text("Guides")
    links = page.locator("main article li a")
    addresses = [links.nth(n).get_attribute("href") for n in range(links.count())]
    assert len(addresses) == len(GUIDES)
    for language, title in (("fr", "title"), ("en", "title_en")):
        if language == "en":
            page.goto("/guides/")
            page.get_by_role("button", name="English").click()
            expect(heading(page)).to_have_text("Guides")
        for guide, address in zip(GUIDES, addresses, strict=True):
            page.goto(address)
            expect(page.locator("html")).to_have_attribute("lang", language)
            expect(heading(page)).to_have_text(getattr(guide, title))
            images = page.evaluate(IMAGES_SHOWN)
            assert len(images) == expected[guide.slug], guide.slug
            assert all(image["alt"] and image["loaded"] for image in images), images
