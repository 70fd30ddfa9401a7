"""Search ignores accents and case: « epicerie », « Epicerie » and « épicerie » find the
same dossiers and the same pages — on PostgreSQL (``unaccent`` and the ``fq_french``
configuration, cms 0003) and on SQLite (the demo's database), where
``test_the_same_search_on_sqlite`` runs this file again."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from cms.models import HomePage, StandardPage
from cms.selectors import search
from fonds.selectors import public_initiatives
from fonds.services import initiative_create, initiative_set_budget, initiative_submit
from tests.conftest import on_postgres
from tests.fonds.conftest import BUDGET, complete_fields

pytestmark = pytest.mark.django_db

SPELLINGS = ("epicerie", "Epicerie", "épicerie", "ÉPICERIE", "EPICERIE")


def _submitted(fund, author, theme, **fields):
    values = {**complete_fields(theme), **fields}
    draft = initiative_create(actor=author, fund=fund, **values)
    draft = initiative_set_budget(actor=author, initiative=draft, lines=BUDGET)
    return initiative_submit(actor=author, initiative=draft)


@pytest.fixture
def found(fund, author, theme):
    """Two public dossiers and one page that speak of a grocery, and one of each that
    does not."""
    grocery = _submitted(
        fund,
        author,
        theme,
        title="L'Épicerie solidaire du square",
        carrier_kind="person",
        carrier_name="Hélène Dufrêne",
        rna="",
    )
    shelves = _submitted(
        fund, author, theme, title="Des étagères partagées", summary="Prolonger l'épicerie."
    )
    _submitted(fund, author, theme, title="Un jardin partagé")
    home = HomePage.objects.get()
    page = home.add_child(
        instance=StandardPage(
            title="Les paniers de l'ÉPICERIE", slug="paniers", intro="Chaque samedi."
        )
    )
    home.add_child(instance=StandardPage(title="Le marché", slug="marche", intro="Le samedi."))
    return {"initiatives": {grocery.pk, shelves.pk}, "pages": {page.pk}, "person": grocery}


@pytest.mark.parametrize("words", SPELLINGS)
def test_every_spelling_finds_the_same_dossiers_and_pages(found, words):
    result = search(words)
    assert {i.pk for i in result["initiatives"]} == found["initiatives"]
    assert {p.pk for p in result["pages"]} == found["pages"]
    assert {i.pk for i in public_initiatives(text=words)} == found["initiatives"]


def test_the_list_of_initiatives_and_the_search_page(client, found):
    for words in ("epicerie", "ÉPICERIE"):
        listed = client.get(reverse("initiative_list"), {"q": words}).content.decode()
        assert "Épicerie solidaire du square" in listed
        assert "Des étagères partagées" in listed
        assert "Un jardin partagé" not in listed
        page = client.get(reverse("search"), {"q": words}).content.decode()
        assert "Les paniers de l&#x27;ÉPICERIE" in page or "Les paniers de l'ÉPICERIE" in page


def test_a_person_is_not_found_by_their_name(client, found):
    """Public pages never print the name of a person who carries a dossier; search does
    not match it either, or it would tell who carries which dossier."""
    for words in ("Dufrêne", "dufrene", "Hélène"):
        assert not search(words)["initiatives"]
        listed = client.get(reverse("initiative_list"), {"q": words}).content.decode()
        assert "Épicerie solidaire du square" not in listed


def test_an_association_is_found_by_its_name(found):
    pks = {i.pk for i in public_initiatives(text="jardiniers de bellevue")}
    assert len(pks) == 2  # the two association dossiers


@pytest.mark.skipif(not on_postgres(), reason="this test runs the file on SQLite")
def test_the_same_search_on_sqlite(tmp_path):
    root = Path(settings.BASE_DIR)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'search.sqlite3'}",
        "REQUIRE_POSTGRES": "0",
        "DJANGO_SETTINGS_MODULE": "cms.settings.test",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(Path(__file__).relative_to(root)),
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-k",
            "not on_sqlite",
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "8 passed" in result.stdout, result.stdout[-1000:]
