from django import template

from accounts.dates import long_date as write_long_date

register = template.Library()


@register.filter
def long_date(value, parts=""):
    """``{{ day|long_date }}``: « 1er janvier 2027 » on a French page;
    ``{{ moment|long_date:"weekday time" }}``: « mercredi 1er janvier 2027, 14:30 »."""
    parts = parts.split()
    return write_long_date(value, weekday="weekday" in parts, time="time" in parts)
