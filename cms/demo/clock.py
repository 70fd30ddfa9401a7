"""The demo's time: a year of history written as it would have been, each step at its
own date. While a step runs, ``django.utils.timezone.now`` says when it happened, so
creation dates, audit rows, history records and ledger transactions (whose hash covers
their date) all carry that moment."""

import datetime
from contextlib import contextmanager
from unittest import mock

from django.utils import timezone

# Each reading of the clock moves it on a little, so rows written one after the other
# keep their order by date.
TICK = datetime.timedelta(seconds=1)
NOW = "django.utils.timezone.now"


class Clock:
    """A clock that only moves forward and never passes ``ceiling`` (the real now)."""

    def __init__(self, ceiling=None):
        self.ceiling = ceiling or timezone.now()
        self.current = None

    def _now(self):
        value = min(self.current, self.ceiling)
        self.current += TICK
        return value

    @contextmanager
    def at(self, moment):
        """Inside the block, ``timezone.now()`` reads ``moment`` — or later, if an earlier
        step already took the clock past it."""
        moment = moment.astimezone(datetime.UTC)
        self.current = moment if self.current is None else max(self.current, moment)
        with mock.patch(NOW, self._now):
            yield self


@contextmanager
def frozen_at(moment):
    """``timezone.now()`` reads ``moment`` (moving on by a second at each reading)
    inside the block."""
    with Clock(ceiling=moment + datetime.timedelta(days=1)).at(moment) as clock:
        yield clock


class Calendar:
    """Days of the demo year, counted from the 1st of January of the current year. The
    history is written for ``LAST_DAY`` days; earlier in the year it is played faster,
    so that every step still lies in the past."""

    LAST_DAY = 322

    def __init__(self, today=None):
        today = today or timezone.localdate()
        self.today, self.year = today, today.year
        self.new_year = timezone.make_aware(datetime.datetime(today.year, 1, 1))
        elapsed = (today - datetime.date(today.year, 1, 1)).days - 1
        self.scale = min(1.0, max(elapsed, 0) / self.LAST_DAY)

    def moment(self, day, hour=10, minute=0):
        minutes = (day * 24 * 60 + hour * 60 + minute) * self.scale
        return self.new_year + datetime.timedelta(minutes=minutes)

    def date(self, day):
        return timezone.localdate(self.moment(day, 12))
