"""Search that ignores accents and case, the same on PostgreSQL and SQLite: « epicerie »,
« Epicerie » and « épicerie » find the same rows.

PostgreSQL folds with its ``unaccent`` extension (enabled by ``cms`` 0003); on SQLite
a function of the same name is registered on every new connection."""

import unicodedata

from django.db.models import Func, TextField
from django.db.models.functions import Lower

# Letters that Unicode does not decompose but that PostgreSQL's unaccent rules spell out.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})


def unaccent(text):
    """``text`` without its accents (« Épicerie » → "Epicerie"), case kept."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", str(text).translate(_LIGATURES))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def fold(text):
    """The form of typed words that :class:`Folded` columns are compared with."""
    return unaccent(text or "").lower()


class Unaccent(Func):
    function = "unaccent"
    output_field = TextField()


def Folded(expression):  # noqa: N802 — an expression, named like one
    """A column lower-cased without accents, to filter with ``fold(words)``."""
    return Lower(Unaccent(expression))


def register_sqlite_functions(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function("unaccent", 1, unaccent, deterministic=True)
