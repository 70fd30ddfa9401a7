import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

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
            _("%(field)s ne peut dépasser %(max)s €.")
            % {"field": label, "max": format_euros(MAX_AMOUNT)}
        )
    if amount != amount.quantize(CENT):
        raise DomainError(_("%(field)s a au plus deux décimales.") % {"field": label})
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_euros(amount):
    """1234.5 → "1 234,50" (French grouping with a narrow no-break space)."""
    quantized = Decimal(amount).quantize(CENT)
    sign = "-" if quantized < 0 else ""
    whole, cents = f"{abs(quantized):.2f}".split(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{NARROW_NBSP.join(groups)},{cents}"


def euros(amount):
    """An amount with its currency, written the French way in every language:
    « 1 234,50 € », the sign kept with its number."""
    return f"{format_euros(amount)}\u00a0€"
