import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.errors import DomainError

CENT = Decimal("0.01")
NARROW_NBSP = "\u202f"
# No single line or grant of a neighbourhood fund comes near this; a larger figure is
# a typing error.
MAX_AMOUNT = Decimal("1000000.00")


PLAIN_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")


def parse_amount(value, *, field=None):
    """A strictly positive amount in euros with at most two decimals, from a Decimal,
    int or string (a French decimal comma is accepted). Floats are refused: money never
    passes through binary floating point."""
    label = field or _("Le montant")
    if isinstance(value, float):
        raise TypeError("Amounts must not be floats.")
    if isinstance(value, bool):
        raise DomainError(_("%(field)s doit être un nombre.") % {"field": label})
    if isinstance(value, str):
        # Spaces group thousands: plain, no-break, or narrow no-break as format_euros
        # writes them, so that a displayed amount can be typed back.
        for space in (" ", "\u00a0", NARROW_NBSP):
            value = value.replace(space, "")
        value = value.strip().replace(",", ".")
        if not PLAIN_NUMBER.fullmatch(value):
            # Exponents ("1e3"), signs and anything else a person would not type.
            raise DomainError(_("%(field)s doit être un nombre.") % {"field": label})
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError(_("%(field)s doit être un nombre.") % {"field": label}) from None
    if not amount.is_finite():
        raise DomainError(_("%(field)s doit être un nombre.") % {"field": label})
    if amount <= 0:
        raise DomainError(_("%(field)s doit être supérieur à zéro.") % {"field": label})
    if amount > MAX_AMOUNT:
        raise DomainError(
            _("%(field)s ne peut dépasser %(max)s.") % {"field": label, "max": euros(MAX_AMOUNT)}
        )
    if amount != amount.quantize(CENT):
        raise DomainError(_("%(field)s a au plus deux décimales.") % {"field": label})
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_euros(amount, places=2):
    """1234.5 → "1 234,50" (French grouping with a narrow no-break space), the number
    a person types back into a French form; ``places=0`` rounds to the euro."""
    quantized = _rounded(amount, places)
    sign = "-" if quantized < 0 else ""
    whole, _point, cents = f"{abs(quantized):.{places}f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{NARROW_NBSP.join(groups)}{',' if places else ''}{cents}"


def euros(amount, places=2):
    """An amount with its currency, written the way of the active language: « 1 234,50 € »
    in French, "€1,234.50" in English; the sign kept with its number, ``places=0`` rounds
    to the euro. Every amount the site shows goes through here."""
    quantized = _rounded(amount, places)
    if (get_language() or "fr").startswith("en"):
        sign = "-" if quantized < 0 else ""
        return f"{sign}€{abs(quantized):,.{places}f}"
    return f"{format_euros(quantized, places)}\u00a0€"


def _rounded(amount, places):
    return Decimal(amount).quantize(CENT if places else Decimal(1), rounding=ROUND_HALF_UP)
