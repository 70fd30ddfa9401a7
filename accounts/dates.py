"""Dates written out as the page's language writes them: day, month in words and year
(« 1er janvier 2027 », "1 January 2027"), the first of the month being « 1er » in French."""

import datetime

from django.utils import formats, timezone
from django.utils.translation import get_language


def long_date(value, *, weekday=False, time=False):
    """``value`` (a date, or a datetime read in the commune's time zone) as a day, month
    and year in the active language, after the day of the week with ``weekday``, before
    the hour with ``time``; "" for none."""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    if not isinstance(value, datetime.datetime):
        time = False
    day = str(value.day)
    if value.day == 1 and (get_language() or "").split("-")[0] == "fr":
        day = "1er"
    text = f"{day} {formats.date_format(value, 'F Y')}"
    if weekday:
        text = f"{formats.date_format(value, 'l')} {text}"
    if time:
        text = f"{text}, {formats.date_format(value, 'H:i')}"
    return text
