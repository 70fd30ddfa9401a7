"""What people type, checked once for every service: no control characters (PostgreSQL
cannot store a NUL; a line break has no place in a one-line field), a bounded length."""

import unicodedata

from django.utils.translation import gettext as _

from .errors import DomainError


def has_control_characters(text, *, multiline=False):
    """Multi-line text keeps its line breaks and tabs."""
    allowed = "\n\r\t" if multiline else ""
    return any(
        unicodedata.category(char) in ("Cc", "Zl", "Zp") and char not in allowed for char in text
    )


def control_characters_message(*, multiline=False):
    if multiline:
        return _("Ce texte contient un caractère de contrôle non autorisé.")
    return _("Ce champ tient sur une ligne, sans caractère de contrôle.")


def clean_text(value, *, max_length, multiline=True, field=None):
    """``value`` stripped, or a ``DomainError`` (in French) naming ``field``: control
    characters, or more than ``max_length`` characters."""
    text = str(value or "").strip()
    if has_control_characters(text, multiline=multiline):
        raise DomainError(control_characters_message(multiline=multiline), field=field)
    if len(text) > max_length:
        raise DomainError(
            _("%(n)d caractères au plus.") % {"n": max_length}, field=field, code="too_long"
        )
    return text
