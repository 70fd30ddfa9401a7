"""Who may do what to an initiative: every role × every action, on a dossier of the
first quartier in the state where the action is legal, so that only the actor's right
decides. A refusal is a PermissionDenied and leaves no trace."""

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.errors import PermissionDenied
from accounts.models import AuditEntry
from fonds.models import BudgetLine, Initiative
from fonds.predicates import can_view_initiative, can_view_private_parts
from fonds.services import (
    initiative_attach,
    initiative_create,
    initiative_declare_admissible,
    initiative_declare_inadmissible,
    initiative_detach,
    initiative_request_completion,
    initiative_set_budget,
    initiative_set_photo,
    initiative_submit,
    initiative_support,
    initiative_update,
    initiative_withdraw,
)
from tests.system import SYSTEM

from .conftest import REASON, complete_fields, stored_files, written_state

pytestmark = pytest.mark.django_db

Status = Initiative.Status

# The permission table. Columns are roles, all about a dossier of the first quartier:
#   anon   anonymous visitor            author  the dossier's author (a resident)
#   resid  another resident             instr   instructor of the dossier's quartier
#   oinstr instructor of another one    counc   council member of the quartier
#   chair  maire de quartier            admin   administrator of the commune
# "create" is the only action on a fund (the first quartier's, open); every other one
# acts on a dossier that is a draft (editing, submission) or submitted (instruction,
# withdrawal, support).
PERMISSIONS = """
action         state      anon  author resid instr oinstr counc chair admin
create         -          no    yes    yes   yes   yes    yes   yes   yes
update         draft      no    yes    no    no    no     no    no    no
set_budget     draft      no    yes    no    no    no     no    no    no
attach         draft      no    yes    no    no    no     no    no    no
detach         draft      no    yes    no    no    no     no    no    no
set_photo      draft      no    yes    no    no    no     no    no    no
submit         draft      no    yes    no    no    no     no    no    no
request_compl  submitted  no    no     no    yes   no     no    no    no
admissible     submitted  no    no     no    yes   no     no    no    no
inadmissible   submitted  no    no     no    yes   no     no    no    no
withdraw       submitted  no    yes    no    no    no     no    no    no
support        submitted  no    no     yes   yes   yes    yes   yes   yes
"""

ROLE_COLUMNS = {
    "anon": "anonymous",
    "author": "author",
    "resid": "resident",
    "instr": "instructor",
    "oinstr": "other_instructor",
    "counc": "council_member",
    "chair": "chair",
    "admin": "administrator",
}


def _parse(table):
    header, *rows = [line.split() for line in table.strip().splitlines()]
    roles = [ROLE_COLUMNS[column] for column in header[2:]]
    cells = []
    for action, state, *answers in rows:
        assert len(answers) == len(roles), action
        for role, answer in zip(roles, answers, strict=True):
            assert answer in ("yes", "no"), (action, role)
            cells.append(pytest.param(action, state, role, answer == "yes", id=f"{action}-{role}"))
    return cells


CELLS = _parse(PERMISSIONS)

AUDIT_ACTIONS = {
    "create": "fonds.initiative.create",
    "update": "fonds.initiative.update",
    "set_budget": "fonds.initiative.budget",
    "attach": "fonds.initiative.attach",
    "detach": "fonds.initiative.detach",
    "set_photo": "fonds.initiative.photo",
    "submit": "fonds.initiative.submit",
    "request_compl": "fonds.initiative.request_completion",
    "admissible": "fonds.initiative.admissible",
    "inadmissible": "fonds.initiative.inadmissible",
    "withdraw": "fonds.initiative.withdraw",
    "support": "fonds.initiative.support",
}


def _actor(people, role):
    return AnonymousUser() if role == "anonymous" else people[role]


def _perform(action, actor, initiative, *, fund, theme, pdf_upload, photo_upload):
    """Run ``action`` as ``actor`` with valid input."""
    calls = {
        "create": lambda: initiative_create(actor=actor, fund=fund, **complete_fields(theme)),
        "update": lambda: initiative_update(
            actor=actor, initiative=initiative, title="Des bancs pour le square"
        ),
        "set_budget": lambda: initiative_set_budget(
            actor=actor,
            initiative=initiative,
            lines=[
                (BudgetLine.Kind.EXPENSE, "Bancs", "800"),
                (BudgetLine.Kind.COFUNDING, "Bailleur", "100"),
            ],
        ),
        "attach": lambda: initiative_attach(
            actor=actor, initiative=initiative, upload=pdf_upload(), label="Devis"
        ),
        "detach": lambda: initiative_detach(actor=actor, attachment=initiative.attachments.get()),
        "set_photo": lambda: initiative_set_photo(
            actor=actor, initiative=initiative, upload=photo_upload()
        ),
        "submit": lambda: initiative_submit(actor=actor, initiative=initiative),
        "request_compl": lambda: initiative_request_completion(
            actor=actor, initiative=initiative, reason=REASON
        ),
        "admissible": lambda: initiative_declare_admissible(
            actor=actor, initiative=initiative, reason=REASON
        ),
        "inadmissible": lambda: initiative_declare_inadmissible(
            actor=actor, initiative=initiative, reason=REASON
        ),
        "withdraw": lambda: initiative_withdraw(actor=actor, initiative=initiative),
        "support": lambda: initiative_support(actor=actor, initiative=initiative),
    }
    return calls[action]()


@pytest.mark.parametrize(("action", "state", "role", "allowed"), CELLS)
def test_permission_matrix(
    action,
    state,
    role,
    allowed,
    people,
    fund,
    theme,
    initiative_in,
    pdf_upload,
    photo_upload,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    initiative = initiative_in(state, attachment=(action == "detach")) if state != "-" else None
    actor = _actor(people, role)
    before = written_state(initiative) if initiative else None
    audit_before, count_before = AuditEntry.objects.count(), Initiative.objects.count()
    files_before = stored_files()

    def perform():
        with django_capture_on_commit_callbacks(execute=True):
            return _perform(
                action,
                actor,
                initiative,
                fund=fund,
                theme=theme,
                pdf_upload=pdf_upload,
                photo_upload=photo_upload,
            )

    if allowed:
        result = perform()
        entry = AuditEntry.objects.order_by("-pk").first()
        assert AuditEntry.objects.count() == audit_before + 1
        assert entry.action == AUDIT_ACTIONS[action]
        assert entry.actor == actor
        target = result if action == "create" else initiative
        assert entry.target_id == str(target.pk)
    else:
        with pytest.raises(PermissionDenied) as refused:
            perform()
        assert refused.value.code == "forbidden"
        assert refused.value.message == "Vous n'avez pas le droit de faire cela."
        assert AuditEntry.objects.count() == audit_before
        assert stored_files() == files_before
        assert mailoutbox == []
        assert Initiative.objects.count() == count_before
        if initiative is not None:
            assert written_state(initiative) == before


def test_the_table_covers_every_role_and_action():
    actions = {param.values[0] for param in CELLS}
    roles = {param.values[2] for param in CELLS}
    assert actions == set(AUDIT_ACTIONS)
    assert roles == set(ROLE_COLUMNS.values())
    assert len(CELLS) == len(actions) * len(roles)


@pytest.mark.parametrize("action", ["request_compl", "admissible", "inadmissible"], ids=lambda a: a)
def test_an_instructor_never_instructs_their_own_dossier(
    action, people, fund, theme, instructor, pdf_upload, photo_upload
):
    """Separation of duties: the instructor of the quartier who authored a dossier may
    not instruct it."""
    own = initiative_create(actor=instructor, fund=fund, **complete_fields(theme))
    initiative_set_budget(
        actor=instructor,
        initiative=own,
        lines=[(BudgetLine.Kind.EXPENSE, "Bois", "500"), (BudgetLine.Kind.COFUNDING, "Ami", "50")],
    )
    own = initiative_submit(actor=instructor, initiative=own)
    before = written_state(own)
    with pytest.raises(PermissionDenied):
        _perform(
            action,
            instructor,
            own,
            fund=fund,
            theme=theme,
            pdf_upload=pdf_upload,
            photo_upload=photo_upload,
        )
    assert written_state(own) == before


def test_a_commune_wide_instructor_instructs_every_quartier(submitted, other_fund, theme, people):
    """An instructor assignment without a quartier covers them all."""
    from accounts.roles import Role
    from accounts.services import role_grant

    everywhere = people["resident"]
    role_grant(actor=SYSTEM, user=everywhere, role=Role.INSTRUCTOR)
    result = initiative_declare_admissible(actor=everywhere, initiative=submitted, reason=REASON)
    assert result.status == Status.ADMISSIBLE


# Viewing. A public dossier (submitted, incomplete, admissible) is seen by everyone; a
# draft, an inadmissible or a withdrawn one only by its author and the people of its
# quartier who handle it. Private parts (contact, identifiers) never go public.
VIEWERS = """
predicate      state         anon  author resid instr oinstr counc chair admin
view           draft         no    yes    no    yes   no     yes   yes   yes
view           submitted     yes   yes    yes   yes   yes    yes   yes   yes
view           incomplete    yes   yes    yes   yes   yes    yes   yes   yes
view           inadmissible  no    yes    no    yes   no     yes   yes   yes
view           withdrawn     no    yes    no    yes   no     yes   yes   yes
private_parts  draft         no    yes    no    yes   no     yes   yes   yes
private_parts  submitted     no    yes    no    yes   no     yes   yes   yes
private_parts  withdrawn     no    yes    no    yes   no     yes   yes   yes
"""

PREDICATES = {"view": can_view_initiative, "private_parts": can_view_private_parts}


def _rows(table):
    """The table by row: (predicate, state) → {role: allowed}."""
    rows = {}
    for param in _parse(table):
        predicate, state, role, allowed = param.values
        rows.setdefault((predicate, state), {})[role] = allowed
    return rows


VIEW_ROWS = _rows(VIEWERS)


@pytest.mark.parametrize(("predicate", "state"), VIEW_ROWS, ids=lambda v: v)
def test_who_sees_a_dossier(predicate, state, people, initiative_in):
    """One row of the table per test: the dossier is built once, every role asked."""
    initiative = initiative_in(state)
    seen = {
        role: PREDICATES[predicate](_actor(people, role), initiative)
        for role in ROLE_COLUMNS.values()
    }
    assert seen == VIEW_ROWS[(predicate, state)]
