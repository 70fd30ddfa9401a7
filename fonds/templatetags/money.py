from decimal import Decimal, InvalidOperation

from django import template

from fonds.money import euros as written_euros

register = template.Library()


@register.filter
def euros(value, places=2):
    """An amount with its currency in the page's language, « 1 234,50 € » or "€1,234.50"
    (``|euros:0`` to the euro); "" for none."""
    if value in (None, ""):
        return ""
    try:
        return written_euros(Decimal(value), int(places))
    except (InvalidOperation, TypeError, ValueError):
        return ""
