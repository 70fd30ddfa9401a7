from decimal import Decimal, InvalidOperation

from django import template

from fonds.money import euros as written_euros

register = template.Library()


@register.filter
def euros(value):
    """An amount with its currency, « 1 234,50 € »; "" for none."""
    if value in (None, ""):
        return ""
    try:
        return written_euros(Decimal(value))
    except (InvalidOperation, TypeError, ValueError):
        return ""
