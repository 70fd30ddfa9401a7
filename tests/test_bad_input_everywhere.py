"""Bad input anywhere a request carries it — the address, the query string, a form
field, a button's value — answers a 404 or a French form error, never a 500, and writes
nothing: NUL bytes, ids in other digits than ASCII (« ١٢٣ », « ² ») or past the largest
database id (2^63 - 1), impossible dates.

These tests run on whatever database the suite has: on PostgreSQL, and on SQLite when
no server is reachable (``DATABASE_URL=sqlite:///x``), where a Python int past 2^63
cannot even be bound to a query — the case ``test_the_largest_ids_reach_the_views``
and the address tests keep."""

# The fixtures of the fonds and votes tests are imported below, and named again as the
# tests' arguments.
# ruff: noqa: F811

import datetime
from urllib.parse import unquote

import pytest
from django.core.exceptions import ValidationError
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from accounts.ids import MAX_ID, IdChoiceField, parse_id
from fonds.models import Attachment, Initiative, Quartier
from tests.fonds.conftest import stored_files, written_state
from tests.system import SYSTEM
from tests.test_fuzz import project_patterns, sign_in
from tests.votes.conftest import (  # noqa: F401
    _open_fund,
    author,
    chair,
    complete_fields,
    council,
    credited,
    db_state,
    draft,
    fund,
    initiative_in,
    instructor,
    members,
    open_fund,
    other_fund,
    other_quartier,
    pdf_upload,
    people,
    quartier,
    submitted,
    theme,
)

BAD_IDS = ["١٢٣", "²", "1²", "１２", "99999999999999999999", str(MAX_ID + 1), "0", "-1", "1.0"]
IMPOSSIBLE_DATES = ["2026-02-30", "0000-01-01", "99999-01-01"]


def arabic(number):
    """``number`` written in Arabic-Indic digits, which ``int`` reads."""
    return "".join(chr(0x660 + int(digit)) for digit in str(number))


# -- the id helper and the converter --------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", 1), ("0042", 42), (str(MAX_ID), MAX_ID), (7, 7), (MAX_ID, MAX_ID)],
)
def test_an_id_is_read(value, expected):
    assert parse_id(value) == expected


@pytest.mark.parametrize(
    "value",
    [*BAD_IDS, "", " 1", "1 ", "0x1", "1e3", "a\x00b", "1\x00", None, True, 0, -5, MAX_ID + 1, 1.0],
)
def test_anything_else_is_no_id(value):
    assert parse_id(value) is None


def id_patterns():
    return [p for p in project_patterns() if p.id_parameters]


# Good values of the parameters that are no ids.
OTHER_PARAMETERS = {"slug": "bellevue", "step": "projet", "action": "recevable", "token": "x"}


def address(pattern, **values):
    """The pattern's address: every id 1, the other parameters good, but ``values``."""
    good = dict.fromkeys(pattern.id_parameters, "1") | OTHER_PARAMETERS
    return pattern.path({name: good[name] for name in pattern.parameters} | values)


def test_every_id_in_an_address_is_read_by_the_id_converter():
    """The project's URL patterns name ids with ``<id:…>``: Django's ``<int:…>``
    accepts any number of digits."""
    assert len(id_patterns()) > 30
    assert [p.route for p in project_patterns() if "<int:" in p.route] == []


def _view_name(path):
    """The view an address reaches (Wagtail's page serving catches what no other
    pattern matches), or None."""
    try:
        return resolve(unquote(path)).view_name
    except Resolver404:
        return None


@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_bad_id_in_an_address_matches_no_pattern(bad):
    for pattern in id_patterns():
        assert _view_name(address(pattern)) == pattern.name
        for name in pattern.id_parameters:
            assert _view_name(address(pattern, **{name: bad})) != pattern.name


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["99999999999999999999", str(MAX_ID + 1), "١٢٣", "²"])
def test_bad_ids_in_addresses_answer_404(client, people, bad):
    sign_in(client, people["administrator"])
    for pattern in id_patterns():
        for name in pattern.id_parameters:
            path = address(pattern, **{name: bad})
            assert client.get(path).status_code == 404, path
            assert client.post(path, {"x": "1"}).status_code == 404, path


@pytest.mark.django_db
def test_the_largest_ids_reach_the_views(client, people):
    """2^63 - 1 matches the patterns; the views look it up and find nothing (SQLite
    binds it; one more would not bind)."""
    sign_in(client, people["administrator"])
    for pattern in id_patterns():
        path = address(pattern, **dict.fromkeys(pattern.id_parameters, str(MAX_ID)))
        response = client.get(path)
        assert response.status_code in (302, 403, 404, 405), (path, response.status_code)


# -- NUL bytes and other control characters in addresses ------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/decisions/a%00b/",
        "/decisions/%00/",
        "/decisions/CQ-BELLEVUE-2026-001%00/",
        "/decisions/a%0Ab/",
        "/decisions/a%7Fb/",
        "/fonds/a%00b/",
        "/fonds/a%00b/grand-livre/",
        "/initiatives/1/modifier/a%00b/",
        "/cms/dossiers/1/instruire/a%00b/",
    ],
)
def test_a_nul_in_an_address_is_not_found(client, people, path):
    sign_in(client, people["administrator"])
    assert client.get(path).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/comptes/invitation/a%00b/", "/comptes/deverrouiller/a%00b/"])
def test_a_nul_in_a_token_is_refused(client, path):
    response = client.get(path)
    assert 400 <= response.status_code < 500


def test_a_decision_reference_still_matches():
    match = resolve("/decisions/CQ-BELLEVUE-2026-014/")
    assert match.url_name == "decision_detail"
    assert match.kwargs == {"reference": "CQ-BELLEVUE-2026-014"}


# -- ids read from form data ----------------------------------------------------------------


def pieces_url(initiative):
    return reverse("initiative_edit", args=[initiative.pk, "pieces"])


@pytest.mark.django_db
@pytest.mark.parametrize("bad", [*BAD_IDS, "", "abc", "1\x00", "5-6"])
def test_detach_with_a_bad_id_is_not_found(client, draft, author, pdf_upload, bad):
    from fonds.services import initiative_attach

    initiative_attach(actor=author, initiative=draft, upload=pdf_upload(), label="Devis")
    client.force_login(author)
    before = written_state(draft)
    response = client.post(pieces_url(draft), {"action": f"detach-{bad}"})
    assert response.status_code == 404
    assert written_state(draft) == before


@pytest.mark.django_db
def test_detach_with_a_good_id_still_works(client, draft, author, pdf_upload):
    from fonds.services import initiative_attach

    attachment = initiative_attach(
        actor=author, initiative=draft, upload=pdf_upload(), label="Devis"
    )
    client.force_login(author)
    response = client.post(pieces_url(draft), {"action": f"detach-{attachment.pk}"})
    assert response.status_code == 302
    assert not Attachment.objects.filter(pk=attachment.pk).exists()


def test_the_id_field_refuses_other_digits():
    field = IdChoiceField(queryset=Quartier.objects.none())
    for value in ["١٢", "²", "99999999999999999999", "-1", "1.0"]:
        with pytest.raises(ValidationError) as refused:
            field.clean(value)
        assert refused.value.code == "invalid_choice", value


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["arabic", "²", "99999999999999999999", str(MAX_ID + 1), "-1"])
def test_a_bad_fund_id_is_a_form_error(client, fund, author, bad):
    client.force_login(author)
    value = arabic(fund.pk) if bad == "arabic" else bad
    data = {"fund": value, "carrier_kind": "person", "carrier_name": "Moi", "title": "Un banc"}
    count = Initiative.objects.count()
    response = client.post(reverse("initiative_new"), data)
    assert response.status_code == 200
    assert "fund" in response.context["form"].errors
    assert Initiative.objects.count() == count


@pytest.mark.django_db
def test_a_theme_id_in_other_digits_is_a_form_error(client, draft, author, theme):
    client.force_login(author)
    data = {"theme": arabic(theme.pk), "summary": "Un résumé"}
    before = written_state(draft)
    response = client.post(reverse("initiative_edit", args=[draft.pk, "projet"]), data)
    assert response.status_code == 200
    assert "theme" in response.context["form"].errors
    assert written_state(draft) == before


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["arabic", "99999999999999999999", "a\x00b"])
def test_a_bad_quartier_in_the_queue_filter_is_ignored(client, people, quartier, bad):
    sign_in(client, people["instructor"])
    value = arabic(quartier.pk) if bad == "arabic" else bad
    response = client.get(reverse("fonds_backoffice_queue"), {"quartier": value})
    assert response.status_code == 200
    assert response.context["form"].errors


# -- impossible dates -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("day", IMPOSSIBLE_DATES)
@pytest.mark.parametrize("field", ["starts_on", "ends_on"])
def test_an_impossible_date_of_the_project(client, draft, author, field, day):
    client.force_login(author)
    before = written_state(draft)
    response = client.post(reverse("initiative_edit", args=[draft.pk, "projet"]), {field: day})
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert written_state(draft) == before


@pytest.mark.django_db
@pytest.mark.parametrize("day", IMPOSSIBLE_DATES)
def test_an_impossible_date_of_a_session(client, council, chair, day):
    client.force_login(chair)
    before = db_state()
    response = client.post(
        reverse("council_session_new", args=[council.pk]),
        {"procedure": "meeting", "day": day, "time": "18:00", "place": "Gymnase", "is_public": "1"},
    )
    assert response.status_code == 200
    assert "day" in response.context["form"].errors
    assert db_state() == before


@pytest.fixture
def grant(credited, initiative_in):
    from fonds.ledger import ledger_commit

    initiative = initiative_in("granted")
    ledger_commit(
        actor=SYSTEM,
        initiative=initiative,
        amount="500",
        decision_reference="CQ-TEST-2026-001",
        idempotency_key="bad-input-commit",
    )
    return initiative.grants.get()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [*(("payment_date", day) for day in IMPOSSIBLE_DATES), ("amount", "99999999999999999999")],
)
def test_an_impossible_payment(client, people, grant, field, value):
    from fonds.models import LedgerTransaction

    sign_in(client, people["instructor"])
    data = {
        "amount": "100",
        "payment_reference": "Mandat 12",
        "payment_date": f"{timezone.localdate():%Y-%m-%d}",
        "key": "k" * 32,
        "confirmed": "1",
    } | {field: value}
    count = LedgerTransaction.objects.count()
    response = client.post(reverse("grant_payment", args=[grant.pk]), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert LedgerTransaction.objects.count() == count


@pytest.mark.django_db
@pytest.mark.parametrize("day", [*IMPOSSIBLE_DATES, "0001-01-01", "9999-12-31", "a\x00b"])
def test_an_impossible_date_in_the_ledger_filter(client, fund, day):
    response = client.get(reverse("fund_ledger", args=[fund.slug]), {"since": day, "until": day})
    assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("day", IMPOSSIBLE_DATES)
def test_an_impossible_start_of_a_role(client, people, quartier, day):
    from accounts.models import RoleAssignment

    sign_in(client, people["administrator"])
    count = RoleAssignment.objects.count()
    response = client.post(
        reverse("accounts_role_grant"),
        {
            "attribuer-person": people["resident"].email,
            "attribuer-role": "instructor",
            "attribuer-quartier": str(quartier.pk),
            "attribuer-starts_on": day,
        },
    )
    assert response.status_code == 200
    assert RoleAssignment.objects.count() == count


# -- NUL bytes in what is typed -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("initiative_list", {"q": "a\x00b", "status": "\x00", "quartier": "a\x00b"}),
        ("search", {"q": "a\x00b"}),
        ("public_sessions", {"page": "\x00"}),
    ],
)
def test_a_nul_in_a_query_string(client, fund, name, params):
    assert client.get(reverse(name), params).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field", ["carrier_name", "title", "rna", "siret", "summary", "description", "place_name"]
)
def test_a_nul_in_a_field_of_the_dossier(client, draft, author, field):
    client.force_login(author)
    step = "porteur" if field in ("carrier_name", "title", "rna", "siret") else "projet"
    data = complete_fields(None) | {"carrier_kind": "association", field: "a\x00b"}
    data = {k: v for k, v in data.items() if v is not None}
    data = {k: f"{v:%Y-%m-%d}" if isinstance(v, datetime.date) else v for k, v in data.items()}
    before = written_state(draft)
    response = client.post(reverse("initiative_edit", args=[draft.pk, step]), data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert written_state(draft) == before
    assert stored_files() == before["files"]
