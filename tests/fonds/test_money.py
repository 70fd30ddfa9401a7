"""Amounts in euros: what residents type, what the pages show."""

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from accounts.errors import DomainError
from fonds.models import Fund
from fonds.money import MAX_AMOUNT, euros, format_euros, parse_amount

NNBSP = "\u202f"


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("12", "12.00"),
        ("12.5", "12.50"),
        ("12,5", "12.50"),
        ("0,01", "0.01"),
        (" 1 234,56 ", "1234.56"),
        ("1\u00a0234,56", "1234.56"),
        (f"1{NNBSP}234,56", "1234.56"),
        ("1000000", "1000000.00"),
        ("1 000 000,00", "1000000.00"),
        ("12.50000", "12.50"),  # trailing zeros are not extra decimals
        ("+12", "12.00"),
        ("12.", "12.00"),
        (Decimal("99.9"), "99.90"),
        (Decimal("1E+2"), "100.00"),
        (250, "250.00"),
    ],
)
def test_parse_amount_accepts(typed, amount):
    parsed = parse_amount(typed)
    assert parsed == Decimal(amount)
    assert parsed.as_tuple().exponent == -2, "always two decimals"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0", "Le montant doit être supérieur à zéro."),
        ("-0,01", "Le montant doit être supérieur à zéro."),
        (-3, "Le montant doit être supérieur à zéro."),
        ("abc", "Le montant doit être un nombre."),
        ("", "Le montant doit être un nombre."),
        ("   ", "Le montant doit être un nombre."),
        ("12,50 €", "Le montant doit être un nombre."),
        ("1,234,56", "Le montant doit être un nombre."),
        ("1.234,56", "Le montant doit être un nombre."),
        ("12..5", "Le montant doit être un nombre."),
        (None, "Le montant doit être un nombre."),
        ([12], "Le montant doit être un nombre."),
        ("NaN", "Le montant doit être un nombre."),
        ("-nan", "Le montant doit être un nombre."),
        ("sNaN", "Le montant doit être un nombre."),
        ("Infinity", "Le montant doit être un nombre."),
        ("inf", "Le montant doit être un nombre."),
        (Decimal("Infinity"), "Le montant doit être un nombre."),
        ("1e3", "Le montant doit être un nombre."),
        ("1E3", "Le montant doit être un nombre."),
        ("1e9", "Le montant doit être un nombre."),
        ("1000000.01", f"Le montant ne peut dépasser 1{NNBSP}000{NNBSP}000,00\xa0€."),
        ("1 000 001", f"Le montant ne peut dépasser 1{NNBSP}000{NNBSP}000,00\xa0€."),
        ("9" * 40, f"Le montant ne peut dépasser 1{NNBSP}000{NNBSP}000,00\xa0€."),
        ("1e999999999", "Le montant doit être un nombre."),
        ("12.345", "Le montant a au plus deux décimales."),
        ("0,001", "Le montant a au plus deux décimales."),
        ("1e-9", "Le montant doit être un nombre."),
        ("0." + "0" * 60 + "1", "Le montant a au plus deux décimales."),
    ],
)
def test_parse_amount_refuses(typed, message):
    with pytest.raises(DomainError) as refused:
        parse_amount(typed)
    assert refused.value.message == message


def test_parse_amount_names_the_field():
    with pytest.raises(DomainError) as refused:
        parse_amount("-1", field="La ligne « Bois »")
    assert refused.value.message == "La ligne « Bois » doit être supérieur à zéro."


@pytest.mark.parametrize("value", [12.5, 0.1, float("nan"), float("inf")])
def test_parse_amount_refuses_floats_outright(value):
    with pytest.raises(TypeError):
        parse_amount(value)


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("0"), "0,00"),
        (Decimal("0.5"), "0,50"),
        (Decimal("7"), "7,00"),
        (Decimal("999.99"), "999,99"),
        (Decimal("1000"), f"1{NNBSP}000,00"),
        (Decimal("1234.5"), f"1{NNBSP}234,50"),
        (Decimal("123456.78"), f"123{NNBSP}456,78"),
        (Decimal("1000000"), f"1{NNBSP}000{NNBSP}000,00"),
        (Decimal("-1234.5"), f"-1{NNBSP}234,50"),
        (Decimal("-0.001"), "0,00"),
        (1500, f"1{NNBSP}500,00"),
        ("42.1", "42,10"),
    ],
)
def test_format_euros(amount, shown):
    assert format_euros(amount) == shown


AMOUNTS = st.decimals(
    min_value=Decimal("0.01"),
    max_value=MAX_AMOUNT,
    places=2,
    allow_nan=False,
    allow_infinity=False,
)


@given(AMOUNTS)
def test_parse_amount_round_trips(amount):
    assert parse_amount(str(amount)) == amount
    assert parse_amount(str(amount).replace(".", ",")) == amount
    assert parse_amount(amount) == amount


@given(AMOUNTS)
def test_a_shown_amount_can_be_typed_back(amount):
    shown = format_euros(amount)
    assert parse_amount(shown) == amount
    whole = shown.split(",")[0]
    assert all(len(group) <= 3 for group in whole.split(NNBSP))


@given(st.decimals(min_value=Decimal("0.001"), max_value=MAX_AMOUNT, places=3))
def test_a_third_decimal_is_refused_never_rounded(amount):
    if amount == amount.quantize(Decimal("0.01")):
        assert parse_amount(str(amount)) == amount
    else:
        with pytest.raises(DomainError):
            parse_amount(str(amount))


@given(
    st.decimals(allow_nan=False, allow_infinity=False).filter(
        lambda amount: amount <= 0 or amount > MAX_AMOUNT
    )
)
def test_out_of_range_is_refused(amount):
    with pytest.raises(DomainError):
        parse_amount(str(amount))


@pytest.mark.parametrize(
    ("amount", "places", "french", "english"),
    [
        ("1234.5", 2, f"1{NNBSP}234,50\xa0€", "€1,234.50"),
        ("0", 2, "0,00\xa0€", "€0.00"),
        ("-15000", 0, f"-15{NNBSP}000\xa0€", "-€15,000"),
        ("999.50", 0, f"1{NNBSP}000\xa0€", "€1,000"),
        ("1000000", 2, f"1{NNBSP}000{NNBSP}000,00\xa0€", "€1,000,000.00"),
    ],
)
def test_amounts_are_written_the_way_of_the_page_language(amount, places, french, english):
    with translation.override("fr"):
        assert euros(Decimal(amount), places) == french
    with translation.override("en"):
        assert euros(Decimal(amount), places) == english


def test_a_page_writes_every_amount_in_its_own_language(demo, client):
    """The same fund page: French figures in French, English figures in English, and no
    French amount left on the English page."""
    fund = Fund.objects.filter(grants__isnull=False).distinct().first()
    french = client.get(f"/fonds/{fund.slug}/").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("fr"):
        english = client.get(f"/fonds/{fund.slug}/").content.decode()
    french_amounts = re.findall(r"\d,\d\d\xa0€", french)
    assert french_amounts and not re.findall(r"€\d", french)
    assert re.findall(r"€\d[\d,]*\.\d\d", english)
    assert not re.findall(r"\d,\d\d\s?€", english), "a French amount on the English page"
