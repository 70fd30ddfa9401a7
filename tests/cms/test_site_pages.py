"""The site's pages: every page type in French and English, where each may be created,
how many queries each costs as the data grows, the decisions' filters, the search, the
sitemap, robots.txt and the RSS feed, the commune's settings and the statistics.

The demo is built once for the module, inside a transaction rolled back at its end;
each test runs in a savepoint of it."""

import datetime
import xml.etree.ElementTree as ET
from collections import defaultdict
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from wagtail.models import Page, Site

from accounts.models import User
from cms.models import (
    CommuneSettings,
    DecisionIndexPage,
    HomePage,
    NewsIndexPage,
    NewsPage,
    QuartierIndexPage,
    QuartierPage,
    StandardPage,
    StatisticsPage,
)
from fonds.ledger import balances_by_fund
from fonds.models import Fund, Initiative, Quartier, Theme
from votes.models import AgendaItem, Council, Decision, Session

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

DOMAIN = "demo.fonds-quartiers.fr"
RSS_LIMIT = 50
# Queries a page may cost beyond what it cost on the demo once the data has grown.
QUERY_SLACK = 0


@pytest.fixture
def demo_site(demo):
    return demo


def in_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def lang_of(element):
    """The language an element is read in: its own ``lang`` or its nearest ancestor's."""
    while element is not None:
        if getattr(element, "attrs", None) and element.get("lang"):
            return element["lang"]
        element = element.parent
    return None


def words(html):
    """The text of some HTML, its white space collapsed."""
    return " ".join(BeautifulSoup(html, "html.parser").get_text(" ").split())


def h1(response):
    headings = soup(response).find_all("h1")
    assert len(headings) == 1, [heading.get_text() for heading in headings]
    return headings[0]


def path_of(page):
    return page.specific.get_url()


def page_of(page_class, **lookup):
    return page_class.objects.live().get(**lookup) if lookup else page_class.objects.live().get()


def one_of_each():
    """A live page of every type, the way the demo built them."""
    return {
        "home": page_of(HomePage),
        "standard": page_of(StandardPage, slug="accessibilite"),
        "quartier-index": page_of(QuartierIndexPage),
        "quartier": page_of(QuartierPage, slug="bellevue"),
        "news-index": page_of(NewsIndexPage),
        "news": page_of(NewsPage, slug="premiere-seance"),
        "decision-index": page_of(DecisionIndexPage),
        "statistics": page_of(StatisticsPage),
    }


PAGE_TYPES = [
    "home",
    "standard",
    "quartier-index",
    "quartier",
    "news-index",
    "news",
    "decision-index",
    "statistics",
]


def published():
    return Decision.objects.filter(published_at__isnull=False)


# ---------------------------------------------------------------------------
# Every page type, in French and in English


@pytest.mark.parametrize("kind", PAGE_TYPES)
def test_every_page_type_answers_in_french(demo_site, client, kind):
    page = one_of_each()[kind]
    response = client.get(path_of(page))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fr">' in html
    heading = h1(response)
    assert heading.get_text(strip=True) == page.title
    assert lang_of(heading) == "fr"


@pytest.mark.parametrize("kind", PAGE_TYPES)
def test_every_page_type_answers_in_english_with_the_editors_english(demo_site, client, kind):
    page = one_of_each()[kind]
    assert page.title_en, "the demo gives every page an English title"
    response = in_english(client).get(path_of(page))
    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()
    heading = h1(response)
    assert heading.get_text(strip=True) == page.title_en
    assert lang_of(heading) == "en"
    intro_en = getattr(page, "intro_en", "")
    if intro_en:
        assert words(intro_en) in words(response.content.decode())


def _without_english(page):
    """Blank every English text of the page, as an editor who wrote only French."""
    fields = {
        field.name: ([] if field.get_internal_type() == "JSONField" else "")
        for field in type(page)._meta.get_fields()
        if getattr(field, "concrete", False) and field.name.endswith("_en")
    }
    type(page).objects.filter(pk=page.pk).update(**fields)
    return type(page).objects.get(pk=page.pk)


@pytest.mark.parametrize("kind", PAGE_TYPES)
def test_french_fallback_is_marked_lang_fr_in_english(demo_site, client, kind):
    page = _without_english(one_of_each()[kind])
    assert not page.title_en
    response = in_english(client).get(path_of(page))
    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()
    heading = h1(response)
    assert heading.get_text(strip=True) == page.title
    # The French title is read in French by screen readers.
    assert lang_of(heading) == "fr", f"{kind}: the French title is not marked lang=fr"
    intro = getattr(page, "intro", "")
    if intro:
        text = BeautifulSoup(intro, "html.parser").get_text(" ", strip=True)
        # Ancestors come before their descendants: the last match holds the intro.
        holder = [
            element
            for element in soup(response).find("main").find_all(True)
            if text in element.get_text(" ", strip=True)
        ][-1]
        assert lang_of(holder) == "fr", f"{kind}: the French intro is not marked lang=fr"


@pytest.mark.parametrize(
    ("slug", "untranslated"),
    [("mentions-legales", "intro_en"), ("comment-ca-marche", None)],
)
def test_a_partial_translation_marks_only_the_french_part(demo_site, client, slug, untranslated):
    """An editor translated the title but not every text (the demo's rules page has no
    English body): the English title is read in English, only the French parts are
    marked lang="fr"."""
    page = page_of(StandardPage, slug=slug)
    if untranslated:
        StandardPage.objects.filter(pk=page.pk).update(**{untranslated: ""})
        page.refresh_from_db()
    response = in_english(client).get(f"/{slug}/")
    heading = h1(response)
    assert heading.get_text(strip=True) == page.title_en
    # The untranslated intro, or the first question of the French FAQ.
    french = soup(response).find("p", class_="lead") if untranslated else soup(response).summary
    assert french is not None and lang_of(french) == "fr"
    assert lang_of(heading) == "en", f"/{slug}/: the English title is marked as French"


def test_news_cards_fall_back_to_french_with_lang_fr(demo_site, client):
    news = page_of(NewsPage, slug="premiere-seance")
    _without_english(news)
    page = soup(in_english(client).get("/actualites/"))
    card = next(
        card for card in page.select("li.card") if news.title in card.get_text(" ", strip=True)
    )
    assert lang_of(card.find("a")) == "fr"
    assert lang_of(card.find("p", class_=None)) == "fr"
    translated = page_of(NewsPage, slug="bilan-jardins")
    card = next(c for c in page.select("li.card") if translated.title_en in c.get_text())
    assert lang_of(card.find("a")) == "en"


# ---------------------------------------------------------------------------
# Where each page type may be created


def test_each_page_type_declares_its_parents_and_children(demo_site):
    pages = one_of_each()
    expected_children = {
        HomePage: {
            StandardPage,
            QuartierIndexPage,
            NewsIndexPage,
            DecisionIndexPage,
            StatisticsPage,
        },
        StandardPage: {StandardPage},
        QuartierIndexPage: {QuartierPage},
        QuartierPage: set(),
        NewsIndexPage: {NewsPage},
        NewsPage: set(),
        DecisionIndexPage: set(),
        StatisticsPage: set(),
    }
    for model, children in expected_children.items():
        assert set(model.allowed_subpage_models()) == children, model.__name__
    expected_parents = {
        HomePage: {Page},
        StandardPage: {HomePage, StandardPage},
        QuartierIndexPage: {HomePage},
        QuartierPage: {QuartierIndexPage},
        NewsIndexPage: {HomePage},
        NewsPage: {NewsIndexPage},
        DecisionIndexPage: {HomePage},
        StatisticsPage: {HomePage},
    }
    for model, parents in expected_parents.items():
        assert set(model.allowed_parent_page_models()) == parents, model.__name__

    home, standard = pages["home"], pages["standard"]
    assert not QuartierPage.can_create_at(home)
    assert QuartierPage.can_create_at(pages["quartier-index"])
    assert NewsPage.can_create_at(pages["news-index"])
    for parent in (home, standard, pages["quartier-index"], pages["decision-index"]):
        assert not NewsPage.can_create_at(parent)
    assert StandardPage.can_create_at(home) and StandardPage.can_create_at(standard)
    assert not StandardPage.can_create_at(pages["news"])
    # One of each index and a single home page: the demo has them, no second one.
    for model in (HomePage, QuartierIndexPage, NewsIndexPage, DecisionIndexPage, StatisticsPage):
        assert model.max_count == 1
        assert not model.can_create_at(home), model.__name__
    for leaf in ("quartier", "news", "decision-index", "statistics"):
        assert not pages[leaf].specific_class.allowed_subpage_models()


# ---------------------------------------------------------------------------
# Query counts: a fixed number of queries whatever the amount of data


def add_more_data(*, initiatives=200, decisions=50, news=12, drafts=20):
    """Many more public initiatives (with places, themes, requests), published decisions
    on some of them (granted and refused, this year and last), drafts, and news. Rows are
    inserted directly: a published decision may be inserted, never changed."""
    funds = list(
        Fund.objects.exclude(status=Fund.Status.DRAFT).select_related("quartier").order_by("pk")
    )
    themes = list(Theme.objects.order_by("pk"))
    author = User.objects.get(email=f"habitante@{DOMAIN}")
    chair = User.objects.get(email=f"maire@{DOMAIN}")
    now = timezone.now()
    rows = []
    for n in range(initiatives + drafts):
        if n < decisions:
            status = Initiative.Status.REFUSED if n % 3 == 0 else Initiative.Status.GRANTED
        elif n < initiatives:
            status = Initiative.Status.SUBMITTED
        else:
            status = Initiative.Status.DRAFT
        rows.append(
            Initiative(
                fund=funds[n % len(funds)],
                author=author,
                status=status,
                carrier_kind=Initiative.CarrierKind.PERSON,
                carrier_name=f"Collectif des voisins n° {n}",
                title=f"Un jardin de poche, rue n° {n}",
                summary="Des bacs de plantes et un banc pour se retrouver.",
                theme=themes[n % len(themes)],
                place_name="Au coin de la rue",
                latitude=Decimal("47.3900") + Decimal(n % 40) / 1000,
                longitude=Decimal("0.6800") + Decimal(n % 30) / 1000,
                requested_amount=Decimal("900.00"),
                submitted_at=None if status == Initiative.Status.DRAFT else now,
            )
        )
    created = Initiative.objects.bulk_create(rows)
    councils = {
        council.quartier_id: council
        for council in Council.objects.filter(kind=Council.Kind.QUARTIER).select_related("quartier")
    }
    sessions, positions = {}, defaultdict(int)
    references = []
    for n, initiative in enumerate(created[:decisions]):
        quartier_id = initiative.fund.quartier_id
        council = councils[quartier_id]
        if quartier_id not in sessions:
            sessions[quartier_id] = Session.objects.create(
                council=council,
                starts_at=now - datetime.timedelta(days=2),
                place="Maison de quartier",
                status=Session.Status.CLOSED,
                opened_at=now - datetime.timedelta(days=2),
                closed_at=now - datetime.timedelta(days=2),
            )
        positions[quartier_id] += 1
        item = AgendaItem.objects.create(
            session=sessions[quartier_id], initiative=initiative, position=positions[quartier_id]
        )
        granted = initiative.status == Initiative.Status.GRANTED
        when = now - datetime.timedelta(days=400 if n % 5 == 0 else 1, minutes=n)
        reference = f"CQ-{council.quartier.code}-{when.year}-{900 + n}"
        Decision.objects.create(
            item=item,
            reference=reference,
            outcome=Decision.Outcome.GRANTED if granted else Decision.Outcome.REFUSED,
            amount=Decimal("600.00") if granted else None,
            tally={"for": 4, "against": 1, "abstain": 0},
            rule_applied="Majorité des suffrages exprimés.",
            recorded_by=chair,
            published_at=when,
            published_by=chair,
        )
        references.append(reference)
    index = NewsIndexPage.objects.get()
    for n in range(news):
        index.add_child(
            instance=NewsPage(
                title=f"Nouvelles du quartier n° {n}",
                title_en=f"Quartier news no. {n}",
                slug=f"nouvelles-{n}",
                intro="Ce qui s'est passé cette semaine.",
                date=timezone.localdate() - datetime.timedelta(days=n),
            )
        )
    return {
        "initiatives": created[:initiatives],
        "drafts": created[initiatives:],
        "references": references,
    }


QUERY_PAGES = {
    "home": "/",
    "quartier-index": "/quartiers/",
    "quartier": "/quartiers/bellevue/",
    "news-index": "/actualites/",
    "news": "/actualites/premiere-seance/",
    "decision-index": "/decisions/",
    "decision-index-filtered": "/decisions/?quartier=bellevue&decision=granted&annee={year}&q=CQ",
    "decision-index-page-2": "/decisions/?page=2",
    "statistics": "/statistiques/",
    "standard": "/comment-ca-marche/",
    "search": "/recherche/?q=jardin",
    "sitemap": "/sitemap.xml",
    "rss": "/decisions/flux.rss",
}


def count_queries(client, path):
    """Queries of a second request, once the first has filled the caches."""
    assert client.get(path).status_code == 200, path
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(queries.captured_queries)


@pytest.mark.parametrize("kind", list(QUERY_PAGES))
def test_query_count_does_not_grow_with_the_data(demo_site, client, kind):
    path = QUERY_PAGES[kind].format(year=timezone.now().year)
    before = count_queries(client, path)
    added = add_more_data()
    assert Initiative.objects.public().count() >= 200
    assert published().filter(reference__in=added["references"]).count() == 50
    after = count_queries(client, path)
    print(f"queries {kind}: demo {before}, more data {after}")
    assert after <= before + QUERY_SLACK, f"{path}: {before} queries on the demo, {after} after"


def test_query_count_is_the_same_in_english(demo_site, client):
    for kind, path in QUERY_PAGES.items():
        path = path.format(year=timezone.now().year)
        french = count_queries(client, path)
        english = count_queries(in_english(Client()), path)
        assert english <= french + 1, f"{kind}: {french} in French, {english} in English"


# ---------------------------------------------------------------------------
# The decisions' filters


def listed(response):
    return list(response.context["page_obj"].paginator.object_list)


def test_decisions_filter_by_quartier(demo_site, client):
    quartier = Quartier.objects.get(slug="bellevue")
    response = client.get("/decisions/", {"quartier": quartier.slug})
    assert response.status_code == 200
    decisions = listed(response)
    expected = published().filter(item__session__council__quartier=quartier)
    assert decisions and len(decisions) == expected.count()
    assert {d.item.session.council.quartier_id for d in decisions} == {quartier.pk}
    assert f'<option value="{quartier.slug}" selected>' in response.content.decode()


@pytest.mark.parametrize("outcome", Decision.Outcome.values)
def test_decisions_filter_by_outcome(demo_site, client, outcome):
    response = client.get("/decisions/", {"decision": outcome})
    assert response.status_code == 200
    decisions = listed(response)
    assert len(decisions) == published().filter(outcome=outcome).count()
    assert {decision.outcome for decision in decisions} <= {outcome}


def test_decisions_filter_by_year(demo_site, client):
    add_more_data(initiatives=60, decisions=20, news=0, drafts=0)
    years = sorted({d.published_at.year for d in published()})
    assert len(years) >= 2
    for year in years:
        response = client.get("/decisions/", {"annee": str(year)})
        assert response.status_code == 200
        decisions = listed(response)
        assert len(decisions) == published().filter(published_at__year=year).count()
        assert {timezone.localtime(d.published_at).year for d in decisions} == {year}


def test_decisions_filter_by_text(demo_site, client):
    decision = published().select_related("item__initiative").order_by("pk").first()
    response = client.get("/decisions/", {"q": decision.reference})
    assert [d.pk for d in listed(response)] == [decision.pk]
    word = decision.item.initiative.title
    response = client.get("/decisions/", {"q": word.upper()})
    found = listed(response)
    assert decision.pk in {d.pk for d in found}
    assert all(word.lower() in d.item.initiative.title.lower() for d in found)
    response = client.get("/decisions/", {"q": "aucune-décision-ainsi"})
    assert listed(response) == []
    assert "Aucune décision ne correspond" in response.content.decode()


def test_decisions_filters_combine(demo_site, client):
    quartier = Quartier.objects.get(slug="bellevue")
    response = client.get("/decisions/", {"quartier": quartier.slug, "decision": "granted"})
    expected = published().filter(item__session__council__quartier=quartier, outcome="granted")
    assert {d.pk for d in listed(response)} == set(expected.values_list("pk", flat=True))


@pytest.mark.parametrize(
    "params",
    [
        {"quartier": "quartier-inconnu"},
        {"decision": "peut-etre"},
        {"annee": "abc"},
        {"annee": "99999999999999999999"},
        {"annee": "-1"},
        {"annee": "²"},
        {"page": "999"},
        {"page": "-3"},
        {"page": "abc"},
        {"q": "x" * 10_000},
        {"q": "%' OR 1=1 --"},
        {"q": "a\x00b"},
        {"quartier": ["bellevue", "le-port"], "decision": ["granted", "refused"]},
    ],
    ids=lambda params: "-".join(f"{key}={str(value)[:12]!r}" for key, value in params.items()),
)
def test_decisions_nonsense_filters_answer_200(demo_site, params):
    client = Client(raise_request_exception=False)
    response = client.get("/decisions/", params)
    assert response.status_code == 200, response.status_code
    assert "Décisions publiées" in response.content.decode() or "Aucune décision" in (
        response.content.decode()
    )


def test_unknown_filter_values_are_ignored(demo_site, client):
    everything = published().count()
    for params in ({"quartier": "quartier-inconnu"}, {"decision": "x"}, {"annee": "1999"}):
        assert len(listed(client.get("/decisions/", params))) == everything, params
    response = client.get("/decisions/", {"q": "x" * 10_000})
    assert response.context["text"] == "x" * 100


# ---------------------------------------------------------------------------
# Search


def search(client, text):
    response = client.get("/recherche/", {"q": text})
    assert response.status_code == 200
    return response


def test_search_finds_a_page_by_a_word_of_its_body(demo_site, client):
    page = page_of(StandardPage, slug="accessibilite")
    body = " ".join(str(block.value) for block in page.body)
    assert "Défenseur" in body and "Défenseur" not in page.title + page.intro
    response = search(client, "Défenseur")
    assert page.pk in {result.pk for result in response.context["pages"]}
    assert 'href="/accessibilite/"' in response.content.decode()


def test_search_finds_an_initiative_by_its_title(demo_site, client):
    initiative = Initiative.objects.public().order_by("pk").first()
    response = search(client, initiative.title)
    assert initiative.pk in {found.pk for found in response.context["initiatives"]}
    assert f'href="/initiatives/{initiative.pk}/"' in response.content.decode()
    longest = max(initiative.title.split(), key=len)
    response = search(client, longest.lower())
    assert initiative.pk in {found.pk for found in response.context["initiatives"]}


@pytest.mark.parametrize("text", ["", " ", "j", " é "])
def test_search_too_short_gives_nothing(demo_site, client, text):
    response = search(client, text)
    assert response.context["pages"] == [] and response.context["initiatives"] == []
    if text.strip():
        assert "Tapez au moins deux caractères." in response.content.decode()


@pytest.mark.parametrize(
    "text",
    ["x" * 10_000, "%_%", "' OR 1=1 --", "a\x00b", "<script>alert(1)</script>"],
    ids=["10000-chars", "wildcards", "quote", "nul-byte", "markup"],
)
def test_search_with_nonsense_answers_200(demo_site, text):
    client = Client(raise_request_exception=False)
    response = client.get("/recherche/", {"q": text})
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    if text.startswith("<script>"):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_search_never_finds_a_draft(demo_site, client):
    hidden = Initiative.objects.exclude(status__in=Initiative.PUBLIC_STATUSES)
    assert hidden.filter(status=Initiative.Status.DRAFT).exists()
    for initiative in hidden:
        response = search(client, initiative.title)
        assert initiative.pk not in {found.pk for found in response.context["initiatives"]}
        assert f'href="/initiatives/{initiative.pk}/"' not in response.content.decode()


def test_search_finds_no_draft_page(demo_site, client):
    index = page_of(NewsIndexPage)
    draft = index.add_child(
        instance=NewsPage(title="Brouillon confidentiel zanzibar", slug="brouillon", live=False)
    )
    assert not draft.live
    response = search(client, "zanzibar")
    assert response.context["pages"] == []


# ---------------------------------------------------------------------------
# Sitemap, robots.txt, RSS

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def sitemap_locations(client):
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    return [loc.text for loc in root.findall("s:url/s:loc", SITEMAP_NS)]


def test_sitemap_lists_the_public_pages_initiatives_and_decisions(demo_site, client):
    locations = sitemap_locations(client)
    paths = [urlsplit(location).path for location in locations]
    assert len(paths) == len(set(paths))
    assert "/" in paths and "/quartiers/" in paths and "/decisions/" in paths
    for quartier in Quartier.objects.all():
        assert f"/quartiers/{quartier.slug}/" in paths
    for pk in Initiative.objects.public().values_list("pk", flat=True):
        assert f"/initiatives/{pk}/" in paths
    for pk in Initiative.objects.exclude(status__in=Initiative.PUBLIC_STATUSES).values_list(
        "pk", flat=True
    ):
        assert f"/initiatives/{pk}/" not in paths
    for reference in published().values_list("reference", flat=True):
        assert f"/decisions/{reference}/" in paths
    for reference in Decision.objects.filter(published_at__isnull=True).values_list(
        "reference", flat=True
    ):
        assert f"/decisions/{reference}/" not in paths


def test_sitemap_lists_more_data_and_still_no_draft(demo_site, client):
    added = add_more_data(initiatives=40, decisions=10, news=2, drafts=10)
    paths = {urlsplit(location).path for location in sitemap_locations(client)}
    for initiative in added["initiatives"]:
        assert f"/initiatives/{initiative.pk}/" in paths
    for initiative in added["drafts"]:
        assert f"/initiatives/{initiative.pk}/" not in paths
    for reference in added["references"]:
        assert f"/decisions/{reference}/" in paths


def test_sitemap_addresses_are_all_on_the_host_that_serves_it(demo_site, client):
    """The sitemap protocol wants every address on the sitemap's own host."""
    hosts = {urlsplit(location).netloc for location in sitemap_locations(client)}
    assert hosts == {"testserver"}, hosts


def test_robots_txt_points_to_the_sitemap_and_keeps_out_private_spaces(demo_site, client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    lines = response.content.decode().splitlines()
    assert "Sitemap: http://testserver/sitemap.xml" in lines
    assert "Disallow: /cms/" in lines
    assert "Disallow: /mon-espace/" in lines
    assert "User-agent: *" in lines
    assert "Disallow: /" not in lines


def rss_items(client):
    response = client.get("/decisions/flux.rss")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/rss+xml")
    root = ET.fromstring(response.content)
    assert root.tag == "rss"
    channel = root.find("channel")
    assert channel.findtext("title")
    assert urlsplit(channel.findtext("link")).path == "/decisions/"
    return channel.findall("item")


def _check_rss(client):
    items = rss_items(client)
    newest = list(
        published().order_by("-published_at").values_list("reference", flat=True)[:RSS_LIMIT]
    )
    assert len(items) == min(published().count(), RSS_LIMIT)
    references = []
    for item in items:
        link = urlsplit(item.findtext("link"))
        assert link.path.startswith("/decisions/") and link.path.endswith("/")
        reference = link.path.split("/")[2]
        assert item.findtext("title").startswith(reference)
        assert item.findtext("guid") == reference
        assert item.findtext("pubDate")
        references.append(reference)
    assert references == newest


def test_rss_has_one_item_per_published_decision(demo_site, client):
    assert 0 < published().count() < RSS_LIMIT
    _check_rss(client)


def test_rss_stops_at_its_limit(demo_site, client):
    add_more_data(initiatives=60, decisions=60, news=0, drafts=0)
    assert published().count() > RSS_LIMIT
    _check_rss(client)


def test_rss_never_shows_an_unpublished_decision(demo_site, client):
    unpublished = set(
        Decision.objects.filter(published_at__isnull=True).values_list("reference", flat=True)
    )
    links = {urlsplit(item.findtext("link")).path.split("/")[2] for item in rss_items(client)}
    assert not links & unpublished


# ---------------------------------------------------------------------------
# The commune's settings

VALID_SIRET = "21490007800004"


@pytest.fixture
def commune(demo_site):
    return CommuneSettings.for_site(Site.objects.get(is_default_site=True))


def errors_of(settings_row):
    with translation.override("fr"), pytest.raises(ValidationError) as raised:
        settings_row.full_clean()
    return {
        field: [str(message) for message in messages]
        for field, messages in raised.value.message_dict.items()
    }


def test_the_demo_identity_is_valid(commune):
    """The demo's commune settings pass the checks the admin form makes."""
    with translation.override("fr"):
        commune.full_clean()


def test_a_valid_identity_is_accepted(commune):
    commune.siret = VALID_SIRET
    commune.primary_colour = "#5a1e6e"
    commune.accent_colour = "#f4c95d"
    commune.full_clean()


@pytest.mark.parametrize("siret", ["12345678901234", "2149000780000", "ABCDEFGHIJKLMN"])
def test_an_invalid_siret_is_refused(commune, siret):
    commune.siret = siret
    errors = errors_of(commune)
    assert "Ce numéro SIRET n'est pas valide." in errors["siret"]


@pytest.mark.parametrize("colour", ["vert", "#12345", "0b5e57", "#0b5e5g", "#0b5e5700"])
def test_a_colour_not_in_hex_is_refused(commune, colour):
    commune.primary_colour = colour
    errors = errors_of(commune)
    assert any("Indiquez une couleur au format #RRVVBB" in m for m in errors["primary_colour"])


@pytest.mark.parametrize("colour", ["#ffdd00", "#8fd3cb", "#ffffff", "#7f7f7f"])
def test_a_too_light_primary_colour_is_refused(commune, colour):
    commune.primary_colour = colour
    errors = errors_of(commune)
    assert errors["primary_colour"] == [
        "Cette couleur est trop claire : le texte blanc n'y serait pas lisible "
        "(contraste inférieur à 4,5:1)."
    ]


def test_a_too_dark_accent_colour_is_refused(commune):
    commune.accent_colour = "#303030"
    assert "trop sombre" in errors_of(commune)["accent_colour"][0]


def test_a_dark_colour_reaches_the_page_under_the_csp_nonce(demo_site, client, commune):
    response = client.get("/")
    assert "--color-primary" not in response.content.decode()  # default colours: no style
    commune.siret = VALID_SIRET
    commune.primary_colour = "#5a1e6e"
    commune.full_clean()
    commune.save()
    response = client.get("/")
    style = next(
        tag for tag in soup(response).find_all("style") if "--color-primary" in tag.get_text()
    )
    assert "--color-primary: #5a1e6e" in style.get_text()
    nonce = style["nonce"]
    assert len(nonce) >= 16
    csp = response.headers["Content-Security-Policy"]
    directive = next(part for part in csp.split(";") if part.strip().startswith("style-src"))
    assert f"'nonce-{nonce}'" in directive
    assert "unsafe-inline" not in csp
    # A new request, a new nonce.
    again = soup(client.get("/")).find("style", nonce=True)
    assert again["nonce"] != nonce


@pytest.mark.parametrize("path", ["/initiatives/", "/", "/quartiers/", "/quartiers/bellevue/"])
def test_pages_with_a_map_allow_the_commune_tiles_in_the_csp(demo_site, client, commune, path):
    commune.map_tile_url = "https://tuiles.example.org/{z}/{x}/{y}.png"
    commune.save()
    response = client.get(path)
    assert 'data-tiles="https://tuiles.example.org/{z}/{x}/{y}.png"' in response.content.decode()
    csp = response.headers["Content-Security-Policy"]
    directive = next(part for part in csp.split(";") if part.strip().startswith("img-src"))
    assert "https://tuiles.example.org" in directive, f"{path}: tiles blocked by {directive!r}"


# ---------------------------------------------------------------------------
# Statistics


def statistics(client):
    response = client.get("/statistiques/")
    assert response.status_code == 200
    return response.context["statistics"]


@pytest.mark.parametrize("more", [False, True], ids=["demo", "more-data"])
def test_statistics_per_quartier_come_from_the_ledger(demo_site, client, more):
    if more:
        add_more_data(initiatives=80, decisions=30, news=0, drafts=5)
    rows = {row["label"]: row for row in statistics(client)["quartiers"]}
    assert set(rows) == set(Quartier.objects.values_list("name", flat=True))
    for quartier in Quartier.objects.all():
        funds = list(Fund.objects.filter(quartier=quartier).values_list("pk", flat=True))
        figures = balances_by_fund(funds)
        for key in ("envelope", "committed", "paid"):
            expected = sum((figures[pk][key] for pk in funds), Decimal("0"))
            assert rows[quartier.name][key] == expected, (quartier.name, key)
        assert rows[quartier.name]["submitted"] == (
            Initiative.objects.public().filter(fund__quartier=quartier).count()
        )
        assert rows[quartier.name]["granted"] == (
            published().filter(outcome="granted", item__session__council__quartier=quartier).count()
        )
    assert sum(row["envelope"] for row in rows.values()) > 0


@pytest.mark.parametrize("more", [False, True], ids=["demo", "more-data"])
def test_statistics_per_theme_are_the_published_grants(demo_site, client, more):
    if more:
        add_more_data(initiatives=80, decisions=30, news=0, drafts=5)
    rows = {str(row["label"]): row for row in statistics(client)["themes"]}
    granted = published().filter(outcome=Decision.Outcome.GRANTED)
    for theme in Theme.objects.all():
        of_theme = granted.filter(item__initiative__theme=theme)
        expected = of_theme.aggregate(total=Sum("amount"))["total"] or Decimal("0")
        assert rows[theme.name]["amount"] == expected, theme.name
        assert rows[theme.name]["granted"] == of_theme.count(), theme.name
    total = granted.aggregate(total=Sum("amount"))["total"]
    assert total and sum(row["amount"] for row in rows.values()) == total


def test_statistics_tables_show_the_figures_of_the_charts(demo_site, client):
    response = client.get("/statistiques/")
    page = soup(response)
    for caption in ("tableau-quartiers", "tableau-themes", "tableau-annees"):
        table = page.find("caption", id=caption).find_parent("table")
        assert len(table.find("tbody").find_all("tr")) >= 1
    for quartier in Quartier.objects.all():
        assert page.find("th", scope="row", string=quartier.name)


# ---------------------------------------------------------------------------
# Stable addresses


def _admin_client(client):
    client.force_login(User.objects.get(email=f"admin@{DOMAIN}"))
    return client


@pytest.mark.parametrize("model", [HomePage, DecisionIndexPage])
def test_stable_pages_cannot_be_deleted_moved_or_unpublished(demo_site, client, model):
    page = model.objects.get()
    client = _admin_client(client)
    response = client.post(f"/cms/pages/{page.pk}/delete/")
    assert response.status_code == 302
    response = client.post(f"/cms/pages/{page.pk}/unpublish/")
    assert response.status_code == 302
    other = StandardPage.objects.get(slug="comment-ca-marche")
    response = client.post(f"/cms/pages/{page.pk}/move/{other.pk}/confirm/")
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.live and page.get_parent().specific_class is not StandardPage
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("adresse stable" in message for message in messages)
    assert client.get("/decisions/").status_code == 200


def test_an_ordinary_page_can_still_be_deleted(demo_site, client):
    page = StandardPage.objects.get(slug="comment-ca-marche")
    response = _admin_client(client).post(f"/cms/pages/{page.pk}/delete/")
    assert response.status_code == 302
    assert not StandardPage.objects.filter(pk=page.pk).exists()


def test_the_decisions_page_keeps_its_address(demo_site):
    page = DecisionIndexPage.objects.get()
    page.slug = "deliberations"
    with pytest.raises(ValidationError) as refused:
        page.full_clean()
    assert "/decisions/" in str(refused.value)
