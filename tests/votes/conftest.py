"""A council of five voting members and one ex officio member in the first quartier,
a funded envelope, and admissible dossiers ready for its agenda."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role, group_for_role
from fonds.ledger import ledger_credit
from fonds.services.council import initiative_put_on_agenda  # noqa: F401
from tests.fonds.conftest import (  # noqa: F401
    _open_fund,
    _user,
    author,
    complete_fields,
    draft,
    fund,
    initiative_in,
    instructor,
    open_fund,
    other_fund,
    other_quartier,
    pdf_upload,
    quartier,
    submitted,
    theme,
)
from tests.system import SYSTEM
from votes.models import Mandate
from votes.services import council_create, mandate_grant, session_plan

NAMES = ["Jean Moreau", "Sophie Martin", "Ali Benali", "Claire Petit", "Hugo Lemoine"]


@pytest.fixture
def people(quartier, other_quartier):
    """The fonds tests' people without their council seats: here the council and its
    members are the fixtures below."""
    return {
        "author": _user("autrice@example.org"),
        "resident": _user("voisin@example.org"),
        "instructor": _user("agent@example.org", Role.INSTRUCTOR, quartier),
        "other_instructor": _user("agent-tilleuls@example.org", Role.INSTRUCTOR, other_quartier),
        "administrator": _user("admin@example.org", Role.ADMINISTRATOR),
        # In the council groups, without a mandate: a group gives no council right.
        "council_member": _grouped("conseil@example.org", Role.COUNCIL_MEMBER),
        "chair": _grouped("maire@example.org", Role.CHAIR),
    }


def _grouped(email, role):
    user = _user(email)
    user.groups.add(group_for_role(role))
    return user


@pytest.fixture
def council(quartier):
    return council_create(actor=SYSTEM, quartier=quartier, name="Conseil de quartier Bellevue")


@pytest.fixture
def members(council):
    """chair, then four voting members, then an ex officio member."""
    start = timezone.localdate() - datetime.timedelta(days=365)
    users = []
    for index, name in enumerate(NAMES + ["Agent Mairie"]):
        user = User.objects.create_user(
            email=f"membre{index}@example.org", password="x" * 12, display_name=name
        )
        role = (
            Mandate.Role.CHAIR
            if index == 0
            else Mandate.Role.EX_OFFICIO
            if index == len(NAMES)
            else Mandate.Role.MEMBER
        )
        mandate_grant(actor=SYSTEM, council=council, user=user, role=role, starts_on=start)
        users.append(user)
    return users


@pytest.fixture
def chair(members):
    return members[0]


@pytest.fixture
def credited(fund):
    ledger_credit(actor=SYSTEM, fund=fund, amount="5000", idempotency_key=f"test-credit-{fund.pk}")
    return fund


@pytest.fixture
def admissible(initiative_in):
    return initiative_in("admissible")


@pytest.fixture
def session(council, chair):
    return session_plan(
        actor=chair, council=council, starts_at=timezone.now(), place="Centre social Bellevue"
    )


# --- Fixtures for the enforcement and permission tests ------------------------------------


@pytest.fixture
def make_admissible(fund, author, instructor, theme):
    """``make_admissible(title=..., fund=..., author=..., instructor=...)``: one more
    admissible dossier (1 000,50 € requested), taken there through the services."""
    from fonds.services import (
        initiative_create,
        initiative_declare_admissible,
        initiative_set_budget,
        initiative_submit,
    )
    from tests.fonds.conftest import BUDGET

    def make(
        title="Une fresque dans le passage", *, fund=fund, author=author, instructor=instructor
    ):
        fields = complete_fields(theme) | {"title": title}
        initiative = initiative_create(actor=author, fund=fund, **fields)
        initiative = initiative_set_budget(actor=author, initiative=initiative, lines=BUDGET)
        initiative = initiative_submit(actor=author, initiative=initiative)
        return initiative_declare_admissible(
            actor=instructor, initiative=initiative, reason="Dossier complet."
        )

    return make


@pytest.fixture
def item(session, admissible, instructor):
    """The admissible dossier, first item of the session's agenda."""
    from votes.services import agenda_add

    return agenda_add(actor=instructor, session=session, initiative=admissible)


@pytest.fixture
def opened(session, members, chair, item):
    """The session open: the chair and three voting members present (quorum 3 of 5),
    Hugo Lemoine and the ex officio member absent."""
    from votes.services import attendance_record, session_open

    attendance_record(actor=chair, session=session, present=members[:4])
    return session_open(actor=chair, session=session)


def db_state():
    """Everything the council's services could write, read fresh: compare it before and
    after a refused action to show that nothing was written (no row, no change, no
    audit entry, no ledger posting, no email waiting for the commit)."""
    from django.db import connection

    from accounts.models import AuditEntry
    from fonds.models import Grant, Initiative, LedgerTransaction
    from votes import models as votes_models

    state = {
        name: list(getattr(votes_models, name).objects.order_by("pk").values())
        for name in votes_models.__all__
    }
    state["initiatives"] = list(Initiative.objects.order_by("pk").values_list("pk", "status"))
    state["audit"] = AuditEntry.objects.count()
    state["ledger"] = LedgerTransaction.objects.count()
    state["grants"] = Grant.objects.count()
    state["on_commit"] = len(connection.run_on_commit)
    return state


@pytest.fixture
def nothing_written():
    """``with nothing_written(), pytest.raises(...):`` — the refused call left the
    database exactly as it was."""
    import contextlib

    @contextlib.contextmanager
    def check():
        before = db_state()
        yield
        after = db_state()
        changed = sorted(key for key in before if before[key] != after[key])
        assert not changed, f"written despite the refusal: {changed}"

    return check
