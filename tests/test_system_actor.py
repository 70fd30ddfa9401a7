"""The system is an explicit actor, and only management commands, task modules and the
demo builder obtain it. Read from the source with ``ast`` (like tests/test_layers.py):
a module that imports ``system_actor`` or ``SystemActor``, reaches them as an
attribute, or names them in a string (``import_string``, ``getattr``) counts. The
services then refuse a missing actor, let the system do what it has a job for, and
mark the audit rows it writes."""

import ast
import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from accounts.audit import SYSTEM_KEY, audit_by_system, audit_record
from accounts.errors import PermissionDenied
from accounts.models import AuditEntry
from accounts.predicates import (
    is_administrator,
    is_council_member_of,
    is_instructor_of,
    is_voting_council_member_of,
    requires_mfa,
)
from accounts.roles import Role
from accounts.services import role_grant, role_revoke
from accounts.system import SystemActor, is_system, system_actor
from fonds.ledger import (
    ledger_commit,
    ledger_credit,
    ledger_disburse,
    ledger_release,
    ledger_reverse,
)
from fonds.models import Quartier
from fonds.services import (
    fund_create,
    fund_update,
    quartier_create,
    quartier_update,
    theme_create,
    theme_update,
)
from fonds.services.quartiers import quartier_set_outline
from tests.fonds import conftest as fonds_fixtures
from tests.system import SYSTEM

ROOT = Path(__file__).resolve().parents[1]
APPS = ["accounts", "fonds", "votes", "cms"]
OBTAIN = {"system_actor", "SystemActor"}
DEFINED_IN = "accounts.system"

# The fonds tests' fixtures, for this module too.
quartier = fonds_fixtures.quartier
other_quartier = fonds_fixtures.other_quartier
fund = fonds_fixtures.fund
people = fonds_fixtures.people
theme = fonds_fixtures.theme


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def may_obtain(module):
    """Management commands, task modules (``tasks.py`` or a ``tasks`` package) and the
    demo builder (``cms.demo``)."""
    parts = module.split(".")
    in_commands = any(parts[i : i + 2] == ["management", "commands"] for i in range(len(parts) - 1))
    return in_commands or "tasks" in parts[1:] or parts[:2] == ["cms", "demo"]


def obtains(tree):
    """(line, how) for each place the module reaches the system actor's constructor."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if alias.name in OBTAIN or (alias.name == "*" and node.module == "system"):
                    yield node.lineno, f"imports {alias.name}"
        elif isinstance(node, ast.Name) and node.id in OBTAIN:
            yield node.lineno, f"names {node.id}"
        elif isinstance(node, ast.Attribute) and node.attr in OBTAIN:
            yield node.lineno, f"reaches .{node.attr}"
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if any(name in node.value.split(".")[-1:] for name in OBTAIN):
                yield node.lineno, f"names {node.value!r} in a string"


def scan():
    found = {}
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            module = module_name(path)
            uses = list(obtains(ast.parse(path.read_text(), str(path))))
            if uses:
                found[module] = uses
    return found


FOUND = scan()


def test_only_commands_tasks_and_the_demo_obtain_the_system_actor():
    offenders = [
        f"{module}:{line} {how}"
        for module, uses in FOUND.items()
        if module != DEFINED_IN and not may_obtain(module)
        for line, how in uses
    ]
    assert offenders == []


def test_the_scan_sees_the_callers_it_allows():
    # A scan that found nothing would pass for the wrong reason.
    assert DEFINED_IN in FOUND
    assert any(module.startswith("cms.demo") for module in FOUND)


@pytest.mark.parametrize(
    "module, allowed",
    [
        ("fonds.management.commands.ledger", True),
        ("accounts.tasks", True),
        ("fonds.tasks.exports", True),
        ("cms.demo.councils", True),
        ("cms.views", False),
        ("fonds.services.referentials", False),
        ("fonds.backoffice.referentials", False),
        ("votes.management", False),
        ("tasks", False),
    ],
)
def test_which_modules_may_obtain_it(module, allowed):
    assert may_obtain(module) is allowed


@pytest.mark.parametrize(
    "source",
    [
        "from accounts.system import system_actor",
        "from .system import SystemActor as S",
        "import accounts.system as s\nactor = s.system_actor('web')",
        "from django.utils.module_loading import import_string\n"
        "import_string('accounts.system.system_actor')",
    ],
)
def test_the_scan_catches_each_way_in(source):
    assert list(obtains(ast.parse(source)))


def test_the_scan_lets_is_system_through():
    assert not list(obtains(ast.parse("from accounts.system import is_system\nis_system(x)")))


# --- the actor itself ------------------------------------------------------------------


def test_the_system_is_not_a_person(db):
    system = system_actor("retention")
    assert is_system(system) and isinstance(system, SystemActor)
    assert not system.is_authenticated and system.pk is None
    assert system.label == "retention" and str(system) == "system:retention"
    for predicate in (is_administrator, requires_mfa):
        assert predicate(system) is False
    assert not is_instructor_of(system, 1) and not is_council_member_of(system, 1)
    assert not is_voting_council_member_of(system, 1)
    with pytest.raises(AttributeError):
        system.label = "web"
    with pytest.raises(ValueError):
        system_actor("  ")


@pytest.mark.parametrize("actor", [None, AnonymousUser()])
def test_nobody_is_not_the_system(actor):
    assert not is_system(actor)
    assert not is_administrator(actor)


# --- services: None is refused, the system allowed ------------------------------------


def _quartier(actor, **_):
    return quartier_create(actor=actor, name="Saint-Jean")


def _outline(actor, quartier, **_):
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    return quartier_set_outline(actor=actor, quartier=quartier, outline=square)


def _theme(actor, **_):
    return theme_create(actor=actor, name="Sport")


def _fund(actor, quartier, **_):
    return fund_create(
        actor=actor,
        quartier=quartier,
        label="Fonds 2031",
        period_start=datetime.date(2031, 1, 1),
        period_end=datetime.date(2031, 12, 31),
        submissions_open_on=datetime.date(2031, 2, 1),
        submissions_close_on=datetime.date(2031, 10, 1),
        max_grant=Decimal("2000"),
    )


def _fund_update(actor, fund, **_):
    return fund_update(actor=actor, fund=fund, label="Fonds renommé")


def _quartier_update(actor, quartier, **_):
    return quartier_update(actor=actor, quartier=quartier, description="Au bord de l'eau")


def _theme_update(actor, theme, **_):
    return theme_update(actor=actor, theme=theme, position=4)


def _role(actor, people, **_):
    return role_grant(actor=actor, user=people["resident"], role=Role.INSTRUCTOR)


def _revoke(actor, people, **_):
    assignment = people["instructor"].role_assignments.get()
    return role_revoke(actor=actor, assignment=assignment, reason="Mutation")


def _council(actor, other_quartier, **_):
    from votes.services import council_create

    return council_create(actor=actor, quartier=other_quartier, name="Conseil des Tilleuls")


def _credit(actor, fund, **_):
    return ledger_credit(actor=actor, fund=fund, amount="100", idempotency_key="sys-credit")


SERVICES = {
    "quartier_create": _quartier,
    "quartier_set_outline": _outline,
    "quartier_update": _quartier_update,
    "theme_create": _theme,
    "theme_update": _theme_update,
    "fund_create": _fund,
    "fund_update": _fund_update,
    "role_grant": _role,
    "role_revoke": _revoke,
    "council_create": _council,
    "ledger_credit": _credit,
}


@pytest.fixture
def context(people, quartier, other_quartier, fund, theme):
    return {
        "people": people,
        "quartier": quartier,
        "other_quartier": other_quartier,
        "fund": fund,
        "theme": theme,
    }


@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("actor", [None, AnonymousUser()], ids=["none", "anonymous"])
def test_a_missing_actor_is_refused(context, service, actor):
    before = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        SERVICES[service](actor, **context)
    assert AuditEntry.objects.count() == before


@pytest.mark.parametrize("service", SERVICES)
def test_the_system_may_and_its_audit_row_says_so(context, service):
    before = set(AuditEntry.objects.values_list("pk", flat=True))
    SERVICES[service](system_actor("ops"), **context)
    written = AuditEntry.objects.exclude(pk__in=before)
    assert written.exists()
    for entry in written:
        assert entry.actor is None and entry.data[SYSTEM_KEY] == "ops"
        assert audit_by_system(entry)


def test_ledger_postings_refuse_a_missing_actor(context, people):
    from tests.ledger.conftest import make_initiative

    fund = context["fund"]
    ledger_credit(actor=SYSTEM, fund=fund, amount="1000", idempotency_key="c-1")
    initiative = make_initiative(fund, people["author"], "300")
    commit = ledger_commit(
        actor=SYSTEM,
        initiative=initiative,
        amount="300",
        decision_reference="CQ-SYS-1",
        idempotency_key="k-1",
    )
    grant = commit.grant
    postings = [
        lambda: ledger_commit(
            actor=None,
            initiative=make_initiative(fund, people["author"], "10"),
            amount="10",
            decision_reference="CQ-SYS-2",
            idempotency_key="k-2",
        ),
        lambda: ledger_disburse(
            actor=None,
            grant=grant,
            amount="10",
            payment_reference="MANDAT-1",
            payment_date=datetime.date.today(),
            idempotency_key="k-3",
        ),
        lambda: ledger_release(actor=None, grant=grant, amount="10", idempotency_key="k-4"),
        lambda: ledger_reverse(actor=None, original=commit, idempotency_key="k-5"),
    ]
    for posting in postings:
        with pytest.raises(PermissionDenied):
            posting()
    released = ledger_release(actor=SYSTEM, grant=grant, amount="10", idempotency_key="k-6")
    assert released.actor_id is None
    entry = AuditEntry.objects.get(action="fonds.ledger.release")
    assert audit_by_system(entry) and entry.data[SYSTEM_KEY] == "tests"


@pytest.mark.django_db
def test_a_row_without_actor_is_not_the_systems():
    quartier = Quartier.objects.create(name="Gare", slug="gare", code="GARE")
    with transaction.atomic():
        anonymous = audit_record(actor=None, action="test.none", target=quartier)
        system = audit_record(actor=SYSTEM, action="test.system", target=quartier)
    assert not audit_by_system(anonymous) and SYSTEM_KEY not in anonymous.data
    assert audit_by_system(system)


@pytest.mark.django_db
def test_audit_data_cannot_claim_the_system():
    quartier = Quartier.objects.create(name="Gare", slug="gare", code="GARE")
    with transaction.atomic(), pytest.raises(ValueError):
        audit_record(actor=None, action="test.forged", target=quartier, data={SYSTEM_KEY: "x"})
