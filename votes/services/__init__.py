from .agenda import agenda_add, agenda_move, agenda_remove
from .ballots import vote_cast, vote_close, vote_open, vote_tally, voting_rights
from .convocations import session_convene
from .councils import council_create, council_update, mandate_end, mandate_grant
from .decisions import decision_publish, decision_record, published_decisions
from .deliberation import answer_post, message_post
from .sessions import (
    attendance_record,
    interest_declare,
    item_summarise,
    minutes_sign,
    proxy_record,
    session_close,
    session_close_without_quorum,
    session_open,
    session_plan,
    session_update,
)

__all__ = [
    "agenda_add",
    "agenda_move",
    "agenda_remove",
    "answer_post",
    "attendance_record",
    "council_create",
    "council_update",
    "decision_publish",
    "decision_record",
    "interest_declare",
    "item_summarise",
    "mandate_end",
    "mandate_grant",
    "message_post",
    "minutes_sign",
    "proxy_record",
    "published_decisions",
    "session_close",
    "session_close_without_quorum",
    "session_convene",
    "session_open",
    "session_plan",
    "session_update",
    "vote_cast",
    "vote_close",
    "vote_open",
    "vote_tally",
    "voting_rights",
]
