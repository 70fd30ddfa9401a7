"""Ids that come from outside — an address, a query string, a form field, a button's
value — read in one place. An id is 1 to 19 ASCII digits and at most the largest
database id (2^63 - 1, a big integer column): ``str.isdigit`` and ``int`` accept "²"
and "١٢", and a larger number makes the database driver fail (SQLite cannot even bind
it). A bad id in an address does not match the URL pattern (a 404); one read from
request data is ``None``, and the view answers a 404 or a French message."""

import re

from django import forms
from django.db import models
from django.http import Http404
from django.urls import register_converter
from django.urls.converters import get_converters

MAX_ID = 2**63 - 1
_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_id(value):
    """The id ``value`` spells (a string of ASCII digits, or an int), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value):
        number = int(value)
    else:
        return None
    return number if 0 < number <= MAX_ID else None


def id_or_404(value):
    """The id ``value`` spells, or a 404: a malformed id names no row."""
    number = parse_id(value)
    if number is None:
        raise Http404
    return number


class IdChoiceField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` that reads the id it is sent with :func:`parse_id`: « ١٢ »
    is no choice, as a number past the largest id is none (``int`` would read the
    first as 12)."""

    def to_python(self, value):
        if value in self.empty_values or self.to_field_name or isinstance(value, models.Model):
            return super().to_python(value)
        if parse_id(str(value)) is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


class IdConverter:
    """``<id:pk>`` in a URL pattern: an id as :func:`parse_id` reads it. Anything else
    does not match, so the address answers a 404 without reaching the view."""

    regex = "[0-9]{1,19}"

    def to_python(self, value):
        number = parse_id(value)
        if number is None:
            raise ValueError(value)  # Django's resolver: no match
        return number

    def to_url(self, value):
        return str(value)


class ReferenceConverter:
    """``<ref:reference>``: a reference such as ``CQ-BELLEVUE-2026-014`` — printable
    characters only, so that a NUL or another control character typed into an address
    is a 404 rather than a query PostgreSQL refuses."""

    regex = r"[^/\x00-\x1f\x7f-\x9f]{1,100}"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


def register_converters():
    """Called once the apps are loaded, before any URL pattern is read."""
    known = get_converters()
    if "id" not in known:
        register_converter(IdConverter, "id")
    if "ref" not in known:
        register_converter(ReferenceConverter, "ref")
