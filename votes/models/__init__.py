from .council import Council, Mandate
from .decision import Decision, Message
from .session import (
    AgendaItem,
    Attendance,
    Ballot,
    Cast,
    Interest,
    Participation,
    Proxy,
    SecretCount,
    Session,
    Vote,
)

__all__ = [
    "AgendaItem",
    "Attendance",
    "Ballot",
    "Cast",
    "Council",
    "Decision",
    "Interest",
    "Mandate",
    "Message",
    "Participation",
    "Proxy",
    "SecretCount",
    "Session",
    "Vote",
]
