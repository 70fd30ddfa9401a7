"""A year in the life of the commune, played back in order: every step of every
dossier, session, payment and bilan is an event on the calendar, and runs under the
clock at its own moment — so a fund's ledger is posted in the order of its dates."""

from dataclasses import dataclass, field
from operator import itemgetter

from .clock import Calendar, Clock
from .councils import decided_actions, sitting_events
from .initiatives import dossier_events
from .ledger import envelope_events, grant_events
from .previous import money_back_events, previous_events
from .sittings import SITTINGS


@dataclass
class World:
    """The people, places and dossiers the events act on, by name."""

    calendar: Calendar
    clock: Clock
    quartiers: list
    accounts: list  # the demo logins, in their listed order
    administrator: object
    instructor: object
    resident: object  # the demo resident, in the first quartier
    funds: dict  # by quartier name
    councils: dict  # by quartier name
    themes: dict  # by name
    residents: dict  # by quartier name
    initiatives: dict = field(default_factory=dict)  # by dossier key
    sessions: dict = field(default_factory=dict)  # by sitting key
    decisions: dict = field(default_factory=dict)  # by dossier key
    questions: dict = field(default_factory=dict)  # by dossier key
    payments: int = 0
    previous_fund: object = None  # the first quartier's fund of the year before
    repayment: object = None

    def person(self, quartier, index):
        """0: the demo resident (first quartier only); 1–4: the quartier's residents."""
        if index == 0:
            return self.resident if quartier == self.first_quartier else None
        return self.residents[quartier][index - 1]

    def neighbours(self, quartier):
        first = [self.resident] if quartier == self.first_quartier else []
        return first + self.residents[quartier]

    @property
    def first_quartier(self):
        return next(iter(self.funds))


def events(world):
    found = previous_events(world) + envelope_events(world)
    found += dossier_events(world, decided_actions())
    for sitting in SITTINGS:
        found += sitting_events(world, sitting)
    return found + grant_events(world) + money_back_events(world)


def play(world):
    """Run every event in the order of its moment (events of the same moment in the
    order they were listed)."""
    for moment, step in sorted(events(world), key=itemgetter(0)):
        with world.clock.at(moment):
            step()
