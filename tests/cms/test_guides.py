"""The demo's guides (cms.demo.guides): a « Guides » page under the home page with one
guide per role, ordinary pages editors change in Wagtail, each screenshot a Wagtail image
with its text alternative; the pages answer in French and in English with few queries,
and building the demo again leaves one copy of them.

The demo is built once for the module, inside a transaction rolled back at its end;
each test runs in a savepoint of it."""

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape
from wagtail.images.models import Image
from wagtail.models import Collection

from accounts.models import User
from cms.demo.guides import COLLECTION, GUIDES, INDEX_SLUG, demo_guides, screenshots
from cms.models import HomePage, StandardPage

pytestmark = pytest.mark.django_db

DOMAIN = "demo.fonds-quartiers.fr"
# Queries of a guide page, its caches warm: 11 for the list, 12 for a guide on the demo,
# whatever the number of its screenshots (their renditions are fetched together).
QUERY_LIMIT = 15
# The committed screenshots stay small enough for the repository.
FOLDER_LIMIT = 3 * 1024 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def index_page():
    return StandardPage.objects.child_of(HomePage.objects.get()).get(slug=INDEX_SLUG)


def guide_pages():
    """The guide pages, in the order of cms.demo.guides.GUIDES."""
    pages = {page.slug: page for page in StandardPage.objects.child_of(index_page())}
    return [pages[guide.slug] for guide in GUIDES]


def image_blocks(body):
    return [block.value for block in body if block.block_type == "image"]


def in_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def h1(response):
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    headings = soup.find_all("h1")
    assert len(headings) == 1
    return headings[0].get_text(strip=True)


def test_five_live_guides_under_the_guides_page(demo):
    index = index_page()
    assert index.live and index.title == "Guides" and index.title_en
    pages = list(StandardPage.objects.child_of(index))
    assert [page.slug for page in pages] == [guide.slug for guide in GUIDES]
    for page, guide in zip(pages, GUIDES, strict=True):
        assert page.live, page.slug
        assert page.title == guide.title and page.title_en == guide.title_en
        assert page.intro and page.intro_en, page.slug
        headings = [block.value for block in page.body if block.block_type == "heading"]
        headings_en = [block.value for block in page.body_en if block.block_type == "heading"]
        assert 4 <= len(headings) <= 8, page.slug
        assert len(headings_en) == len(headings), page.slug


def test_every_screenshot_is_an_image_with_a_french_and_an_english_alternative(demo):
    for page, guide in zip(guide_pages(), GUIDES, strict=True):
        french, english = image_blocks(page.body), image_blocks(page.body_en)
        shots = [step.shot for step in guide.steps if step.shot]
        assert [value["image"].title for value in french] == [
            f"Capture du guide : {shot.name}" for shot in shots
        ], page.slug
        assert all(value["alt"].strip() for value in french), page.slug
        assert [value["image"].pk for value in english] == [v["image"].pk for v in french]
        assert all(value["alt"].strip() for value in english), page.slug
        assert [value["alt"] for value in english] != [value["alt"] for value in french]
    collection = Collection.objects.get(name=COLLECTION)
    assert Image.objects.filter(collection=collection).count() == len(screenshots())


def test_the_screenshots_are_committed_small_pngs():
    total = 0
    for shot in screenshots():
        data = shot.path.read_bytes()
        assert data[:8] == PNG_SIGNATURE, shot.path
        width, height = int.from_bytes(data[16:20]), int.from_bytes(data[20:24])
        assert 0 < width <= 1280 and 0 < height <= 800, shot.path
        total += len(data)
    assert total <= FOLDER_LIMIT, f"{total} bytes of screenshots"
    names = {path.stem for path in screenshots()[0].path.parent.glob("*.png")}
    assert names == {shot.name for shot in screenshots()}, "a screenshot no guide shows"


def count_queries(client, path):
    """Queries of a second request, once the first has made the renditions and filled
    the caches."""
    assert client.get(path).status_code == 200, path
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    return response, len(queries.captured_queries)


@pytest.mark.parametrize("guide", [None, *GUIDES], ids=lambda g: g.slug if g else INDEX_SLUG)
def test_each_guide_answers_in_french_and_english_with_few_queries(demo, client, guide):
    page = index_page() if guide is None else next(p for p in guide_pages() if p.slug == guide.slug)
    path = page.get_url()
    response, french = count_queries(client, path)
    assert '<html lang="fr">' in response.content.decode()
    assert h1(response) == page.title
    response, english = count_queries(in_english(client), path)
    assert '<html lang="en">' in response.content.decode()
    assert h1(response) == page.title_en
    print(f"queries {page.slug}: {french} in French, {english} in English")
    assert french <= QUERY_LIMIT and english <= QUERY_LIMIT, (french, english)


def test_the_home_page_and_the_rules_link_to_the_guides(demo, client):
    path = index_page().get_url()
    for address in ("/", "/comment-ca-marche/"):
        html = client.get(address).content.decode()
        links = BeautifulSoup(html, "html.parser").select(f'main a[href="{path}"]')
        assert len(links) == 1, address


def test_the_guides_are_edited_in_wagtail_like_any_page(demo, client):
    client.force_login(User.objects.get(email=f"admin@{DOMAIN}"))
    for page in [index_page(), *guide_pages()]:
        response = client.get(f"/cms/pages/{page.pk}/edit/")
        assert response.status_code == 200, page.slug
        assert escape(page.title) in response.content.decode()


def test_building_the_guides_again_leaves_one_copy(demo):
    def state():
        home = HomePage.objects.get()
        rules = StandardPage.objects.get(slug="comment-ca-marche")
        return {
            "pages": StandardPage.objects.descendant_of(home).count(),
            "images": Image.objects.count(),
            "collections": Collection.objects.filter(name=COLLECTION).count(),
            "home": (home.intro, home.intro_en),
            "rules": len(rules.body),
        }

    before = state()
    demo_guides()
    demo_guides()
    assert state() == before
    assert StandardPage.objects.filter(slug=INDEX_SLUG).count() == 1
    index = index_page()
    assert before["home"][0].count(f'id="{index.pk}"') == 1
