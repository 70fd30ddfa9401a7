"""Every status × every action: the illegal ones are refused and write nothing; the
legal ones move to the right status, write one audit row and tell the author once,
after commit, in their language. Then the submission rules, one at a time."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from freezegun import freeze_time

from accounts.errors import DomainError
from accounts.models import AuditEntry
from fonds.models import BudgetLine, Fund, Initiative, Support
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

from .conftest import REASON, stored_files, written_state

pytestmark = pytest.mark.django_db

Status = Initiative.Status
ALL_STATUSES = list(Status)
EDITABLE = {Status.DRAFT, Status.INCOMPLETE}

# For each action: who performs it, and the statuses it is legal in. Written out here
# rather than read from the model, so that a change to the model's tuples shows up.
ACTIONS = {
    "update": ("author", EDITABLE),
    "set_budget": ("author", EDITABLE),
    "attach": ("author", EDITABLE),
    "detach": ("author", EDITABLE),
    "set_photo": ("author", EDITABLE),
    "submit": ("author", EDITABLE),
    "request_completion": ("instructor", {Status.SUBMITTED}),
    "declare_admissible": ("instructor", {Status.SUBMITTED}),
    "declare_inadmissible": ("instructor", {Status.SUBMITTED}),
    "withdraw": (
        "author",
        {Status.DRAFT, Status.SUBMITTED, Status.INCOMPLETE, Status.ADMISSIBLE, Status.ON_AGENDA},
    ),
    "support": (
        "resident",
        {Status.SUBMITTED, Status.INCOMPLETE, Status.ADMISSIBLE, Status.ON_AGENDA},
    ),
}

# Actions that change the status: where to, the audit code, the email event.
MOVES = {
    "submit": (Status.SUBMITTED, "fonds.initiative.submit"),
    "request_completion": (Status.INCOMPLETE, "fonds.initiative.request_completion"),
    "declare_admissible": (Status.ADMISSIBLE, "fonds.initiative.admissible"),
    "declare_inadmissible": (Status.INADMISSIBLE, "fonds.initiative.inadmissible"),
    "withdraw": (Status.WITHDRAWN, "fonds.initiative.withdraw"),
}

# Actions that leave the status as it is: their audit code.
EDITS = {
    "update": "fonds.initiative.update",
    "set_budget": "fonds.initiative.budget",
    "attach": "fonds.initiative.attach",
    "detach": "fonds.initiative.detach",
    "set_photo": "fonds.initiative.photo",
    "support": "fonds.initiative.support",
}

# Subject and a sentence of the body of each email, in French.
FRENCH_EMAILS = {
    Status.SUBMITTED: (
        "Votre initiative « {title} » est déposée",
        "est bien déposée auprès du fonds du quartier Bellevue",
    ),
    Status.INCOMPLETE: (
        "Votre initiative « {title} » est à compléter",
        "vous demande de la compléter",
    ),
    Status.ADMISSIBLE: (
        "Votre initiative « {title} » est recevable",
        "elle sera inscrite à l'ordre du jour du conseil de quartier",
    ),
    Status.INADMISSIBLE: (
        "Votre initiative « {title} » n'est pas recevable",
        "n'est pas recevable.",
    ),
    Status.WITHDRAWN: ("Votre initiative « {title} » est retirée", "est retirée."),
}


def perform(action, initiative, people, pdf_upload, photo_upload, reason=REASON):
    actor = people[ACTIONS[action][0]]
    match action:
        case "update":
            return initiative_update(actor=actor, initiative=initiative, place_name="Le square")
        case "set_budget":
            lines = [
                (BudgetLine.Kind.EXPENSE, "Bancs", "700"),
                (BudgetLine.Kind.COFUNDING, "Ami", "70"),
            ]
            return initiative_set_budget(actor=actor, initiative=initiative, lines=lines)
        case "attach":
            return initiative_attach(
                actor=actor, initiative=initiative, upload=pdf_upload(), label="Statuts"
            )
        case "detach":
            return initiative_detach(actor=actor, attachment=initiative.attachments.get())
        case "set_photo":
            return initiative_set_photo(actor=actor, initiative=initiative, upload=photo_upload())
        case "submit":
            return initiative_submit(actor=actor, initiative=initiative)
        case "request_completion":
            return initiative_request_completion(actor=actor, initiative=initiative, reason=reason)
        case "declare_admissible":
            return initiative_declare_admissible(actor=actor, initiative=initiative, reason=reason)
        case "declare_inadmissible":
            return initiative_declare_inadmissible(
                actor=actor, initiative=initiative, reason=reason
            )
        case "withdraw":
            return initiative_withdraw(actor=actor, initiative=initiative, reason=reason)
        case "support":
            return initiative_support(actor=actor, initiative=initiative)
    raise AssertionError(action)


PAIRS = [(status, action) for status in ALL_STATUSES for action in ACTIONS]
ILLEGAL = [pytest.param(s, a, id=f"{s}-{a}") for s, a in PAIRS if s not in ACTIONS[a][1]]
LEGAL = [pytest.param(s, a, id=f"{s}-{a}") for s, a in PAIRS if s in ACTIONS[a][1]]


def test_every_pair_is_either_legal_or_illegal():
    assert len(ILLEGAL) + len(LEGAL) == len(ALL_STATUSES) * len(ACTIONS)
    assert len(LEGAL) == 6 * 2 + 3 + 5 + 4  # editing and submit; instruction; withdraw; support


@pytest.mark.parametrize(("status", "action"), ILLEGAL)
def test_illegal_transition_is_refused_and_writes_nothing(
    status,
    action,
    people,
    initiative_in,
    pdf_upload,
    photo_upload,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    initiative = initiative_in(status, attachment=(action == "detach"))
    before = written_state(initiative)
    with pytest.raises(DomainError) as refused, django_capture_on_commit_callbacks(execute=True):
        perform(action, initiative, people, pdf_upload, photo_upload)
    assert refused.value.code == "illegal_transition"
    label = Status(status).label
    assert refused.value.message == (
        f"Cette action n'est pas possible pour une initiative au statut « {label} »."
    )
    assert written_state(initiative) == before
    assert mailoutbox == []


@pytest.mark.parametrize(("status", "action"), LEGAL)
def test_legal_transition(
    status,
    action,
    people,
    initiative_in,
    pdf_upload,
    photo_upload,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    initiative = initiative_in(status, attachment=(action == "detach"))
    author = people["author"]
    audit_before = AuditEntry.objects.count()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        perform(action, initiative, people, pdf_upload, photo_upload)
        assert mailoutbox == [], "the email waits for the commit"
    fresh = Initiative.objects.get(pk=initiative.pk)
    assert AuditEntry.objects.count() == audit_before + 1
    entry = AuditEntry.objects.order_by("-pk").first()
    assert entry.target_id == str(initiative.pk)
    assert entry.actor == people[ACTIONS[action][0]]

    if action in MOVES:
        to, code = MOVES[action]
        assert fresh.status == to
        assert initiative.status == to, "the caller's object is refreshed"
        assert entry.action == code
        expected_data = {
            "submit": {"from": status, "requested": "1000.50"},
            "withdraw": {"from": status, "reason": REASON},
        }.get(action, {"reason": REASON})
        assert entry.data == expected_data
        # The author's email; the quartier's instructors get their own of a submission
        # (tests/fonds/test_notifications.py).
        [email] = [message for message in mailoutbox if message.to == [author.email]]
        subject, sentence = FRENCH_EMAILS[to]
        assert email.subject == subject.format(title=fresh.title)
        assert sentence in email.body
        assert "Bonjour autrice@example.org," in email.body
        assert "/mon-espace/" in email.body
        if action == "submit":
            assert fresh.submitted_at is not None
            assert REASON not in email.body
        else:
            assert f"Message :\n{REASON}" in email.body
    else:
        assert fresh.status == status
        assert entry.action == EDITS[action]
        assert mailoutbox == []
        files = stored_files()
        match action:
            case "update":
                assert fresh.place_name == "Le square"
                assert entry.data == {"fields": ["place_name"]}
            case "set_budget":
                assert fresh.requested_amount == Decimal("630.00")
                assert fresh.budget_lines.count() == 2
            case "attach":
                [attachment] = fresh.attachments.all()
                assert files == [attachment.file.name]
            case "detach":
                assert not fresh.attachments.exists()
                assert files == [], "the file is removed once the deletion is committed"
            case "set_photo":
                assert files == [fresh.photo.name]
            case "support":
                assert Support.objects.filter(initiative=fresh, user=people["resident"]).exists()
        assert len(callbacks) == (1 if action == "detach" else 0)


def test_resubmission_after_completion_keeps_the_first_date(
    initiative_in, author, django_capture_on_commit_callbacks, mailoutbox
):
    incomplete = initiative_in(Status.INCOMPLETE)
    first = Initiative.objects.get(pk=incomplete.pk).submitted_at
    with django_capture_on_commit_callbacks(execute=True):
        again = initiative_submit(actor=author, initiative=incomplete)
    assert again.status == Status.SUBMITTED
    assert again.submitted_at >= first
    assert AuditEntry.objects.filter(action="fonds.initiative.submit").latest("pk").data == {
        "from": "incomplete",
        "requested": "1000.50",
    }
    assert len([message for message in mailoutbox if message.to == [author.email]]) == 1


# -- the reason an instructor gives ------------------------------------------------


@pytest.mark.parametrize(
    "action", ["request_completion", "declare_admissible", "declare_inadmissible"]
)
@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Indiquez le motif : l'auteur le lira."),
        ("   \n ", "Indiquez le motif : l'auteur le lira."),
        ("x" * 2001, "Le motif dépasse 2000 caractères."),
    ],
    ids=["empty", "blank", "too-long"],
)
def test_instruction_needs_a_reason(
    action,
    reason,
    message,
    people,
    initiative_in,
    pdf_upload,
    photo_upload,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    submitted = initiative_in(Status.SUBMITTED)
    before = written_state(submitted)
    with pytest.raises(DomainError) as refused, django_capture_on_commit_callbacks(execute=True):
        perform(action, submitted, people, pdf_upload, photo_upload, reason=reason)
    assert refused.value.errors == {"reason": [message]}
    assert written_state(submitted) == before
    assert mailoutbox == []


def test_a_reason_of_exactly_the_limit_is_accepted(submitted, instructor):
    result = initiative_request_completion(
        actor=instructor, initiative=submitted, reason="x" * 2000
    )
    assert result.status == Status.INCOMPLETE


def test_withdrawal_reason_is_optional_but_bounded(initiative_in, author):
    submitted = initiative_in(Status.SUBMITTED)
    before = written_state(submitted)
    with pytest.raises(DomainError) as refused:
        initiative_withdraw(actor=author, initiative=submitted, reason="x" * 2001)
    assert "reason" in refused.value.errors
    assert written_state(submitted) == before
    assert initiative_withdraw(actor=author, initiative=submitted).status == Status.WITHDRAWN
    assert AuditEntry.objects.latest("pk").data == {"from": "submitted", "reason": ""}


def test_a_stale_copy_cannot_replay_a_transition(submitted, instructor):
    """The state is read again under lock: a second instructor acting on the same
    page after the first one is refused."""
    stale = Initiative.objects.get(pk=submitted.pk)
    initiative_declare_admissible(actor=instructor, initiative=submitted, reason=REASON)
    assert stale.status == Status.SUBMITTED
    before = written_state(submitted)
    with pytest.raises(DomainError) as refused:
        initiative_declare_inadmissible(actor=instructor, initiative=stale, reason=REASON)
    assert refused.value.code == "illegal_transition"
    assert written_state(submitted) == before


# -- the email, in the author's language -------------------------------------------

EVENTS = [
    ("submit", Status.DRAFT),
    ("request_completion", Status.SUBMITTED),
    ("declare_admissible", Status.SUBMITTED),
    ("declare_inadmissible", Status.SUBMITTED),
    ("withdraw", Status.SUBMITTED),
]


ENGLISH_EMAILS = {
    Status.SUBMITTED: (
        "Your initiative “{title}” has been submitted",
        "has been submitted to the Bellevue neighbourhood fund",
    ),
    Status.INCOMPLETE: (
        "Your initiative “{title}” needs more information",
        "is asking you to add more information",
    ),
    Status.ADMISSIBLE: (
        "Your initiative “{title}” is admissible",
        "it will be placed on the agenda of the neighbourhood council",
    ),
    Status.INADMISSIBLE: (
        "Your initiative “{title}” is not admissible",
        "is not admissible.",
    ),
    Status.WITHDRAWN: ("Your initiative “{title}” has been withdrawn", "has been withdrawn."),
}


@pytest.mark.parametrize(("action", "status"), EVENTS, ids=[a for a, _ in EVENTS])
def test_email_to_an_english_speaking_author(
    action,
    status,
    people,
    initiative_in,
    pdf_upload,
    photo_upload,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    """One email, to the author, in English (locale/en), naming the dossier, carrying
    the instructor's words and the link to their space."""
    author = people["author"]
    author.language = "en"
    author.save(update_fields=["language"])
    initiative = initiative_in(status)
    with django_capture_on_commit_callbacks(execute=True):
        perform(action, initiative, people, pdf_upload, photo_upload)
    [email] = [message for message in mailoutbox if message.to == [author.email]]
    subject, sentence = ENGLISH_EMAILS[MOVES[action][0]]
    assert email.subject == subject.format(title=initiative.title)
    assert sentence in email.body
    assert email.body.startswith("Hello autrice@example.org,")
    assert "Follow your application in your space: http" in email.body
    assert "/mon-espace/" in email.body
    if action != "submit":
        assert f"Message:\n{REASON}" in email.body
    for french in ("Votre", "Bonjour", "Message :", "Suivez", "Le service des fonds"):
        assert french not in email.subject + email.body


# -- the submission rules ------------------------------------------------------------


def _refused_submission(initiative, author, capture, outbox):
    before = written_state(initiative)
    with pytest.raises(DomainError) as refused, capture(execute=True):
        initiative_submit(actor=author, initiative=initiative)
    assert refused.value.message == "Le dossier ne peut pas encore être déposé."
    assert written_state(initiative) == before
    assert before["row"]["status"] == Status.DRAFT
    assert before["row"]["submitted_at"] is None
    assert outbox == []
    return refused.value.errors["__all__"]


CLOSED = "Le fonds « Fonds {year} » n'accepte pas de dépôt en ce moment."


@pytest.mark.parametrize(
    "change",
    [
        {"status": Fund.Status.CLOSED},
        {"status": Fund.Status.DRAFT},
        {"submissions_open_on": 1, "submissions_close_on": 30},
        {"submissions_open_on": -30, "submissions_close_on": -1},
    ],
    ids=["closed", "in-preparation", "before-window", "after-window"],
)
def test_fund_not_accepting(
    change, draft, fund, author, django_capture_on_commit_callbacks, mailoutbox
):
    today = timezone.localdate()
    change = {
        key: today + datetime.timedelta(days=value) if isinstance(value, int) else value
        for key, value in change.items()
    }
    Fund.objects.filter(pk=fund.pk).update(**change)
    problems = _refused_submission(draft, author, django_capture_on_commit_callbacks, mailoutbox)
    assert problems == [CLOSED.format(year=today.year)]


def test_submission_window_includes_both_ends(draft, fund, author):
    """Dates frozen: the last day of the window still accepts; the next day does not."""
    today = timezone.localdate()
    last_day = today + datetime.timedelta(days=5)
    Fund.objects.filter(pk=fund.pk).update(submissions_close_on=last_day)
    with freeze_time(last_day + datetime.timedelta(days=1)):
        with pytest.raises(DomainError) as refused:
            initiative_submit(actor=author, initiative=draft)
        assert refused.value.errors["__all__"] == [CLOSED.format(year=today.year)]
    Fund.objects.filter(pk=fund.pk).update(submissions_open_on=last_day)
    with freeze_time(last_day - datetime.timedelta(days=1)):
        with pytest.raises(DomainError):
            initiative_submit(actor=author, initiative=draft)
    with freeze_time(last_day):
        assert initiative_submit(actor=author, initiative=draft).status == Status.SUBMITTED


def _budget(author, initiative, expenses, cofunding=()):
    lines = [(BudgetLine.Kind.EXPENSE, f"Dépense {i}", a) for i, a in enumerate(expenses)]
    lines += [(BudgetLine.Kind.COFUNDING, f"Apport {i}", a) for i, a in enumerate(cofunding)]
    return initiative_set_budget(actor=author, initiative=initiative, lines=lines)


NNBSP = "\u202f"


@pytest.mark.parametrize(
    ("expenses", "cofunding", "problem"),
    [
        (
            ["2000"],
            ["250"],
            f"Le montant demandé (1{NNBSP}750,00\xa0€) dépasse le plafond du fonds "
            f"(1{NNBSP}500,00\xa0€).",
        ),
        (
            ["1000"],
            ["50"],
            "Les cofinancements couvrent 5 % des dépenses ; le fonds en demande au moins 10 %.",
        ),
        (
            ["1000"],
            [],
            "Les cofinancements couvrent 0 % des dépenses ; le fonds en demande au moins 10 %.",
        ),
        ([], [], "Le budget doit comporter au moins une dépense."),
        (["300"], ["300"], "Le montant demandé doit être supérieur à zéro."),
    ],
    ids=["ceiling", "cofunding-share", "no-cofunding", "no-expense", "nothing-requested"],
)
def test_budget_rules(
    expenses,
    cofunding,
    problem,
    draft,
    author,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    draft = _budget(author, draft, expenses, cofunding)
    problems = _refused_submission(draft, author, django_capture_on_commit_callbacks, mailoutbox)
    assert problems == [problem]


def test_budget_at_the_limits_is_accepted(draft, author):
    """Exactly the ceiling, exactly the minimum co-funding share."""
    draft = _budget(author, draft, ["1500", "166.67"], ["166.67"])
    assert draft.requested_amount == Decimal("1500.00")
    assert initiative_submit(actor=author, initiative=draft).status == Status.SUBMITTED


def test_missing_required_fields(
    fund, author, theme, django_capture_on_commit_callbacks, mailoutbox
):
    bare = initiative_create(actor=author, fund=fund, carrier_name="Collectif", title="Un banc")
    bare = _budget(author, bare, ["500"], ["50"])
    problems = _refused_submission(bare, author, django_capture_on_commit_callbacks, mailoutbox)
    assert problems == [
        "À renseigner : le résumé, la description, le thème, la date de début, la date de fin, "
        "le nombre de participants attendus."
    ]


def test_start_date_in_the_past(draft, author, django_capture_on_commit_callbacks, mailoutbox):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    draft = initiative_update(actor=author, initiative=draft, starts_on=yesterday)
    problems = _refused_submission(draft, author, django_capture_on_commit_callbacks, mailoutbox)
    assert problems == ["La date de début est passée."]


def test_start_date_passed_while_the_draft_waited(draft, author):
    starts_on = draft.starts_on
    with freeze_time(starts_on + datetime.timedelta(days=1)):
        with pytest.raises(DomainError) as refused:
            initiative_submit(actor=author, initiative=draft)
    assert "La date de début est passée." in refused.value.errors["__all__"]


def test_every_unmet_rule_is_listed_at_once(
    fund, author, django_capture_on_commit_callbacks, mailoutbox
):
    bare = initiative_create(actor=author, fund=fund, carrier_name="Collectif", title="Un banc")
    Fund.objects.filter(pk=fund.pk).update(status=Fund.Status.CLOSED)
    problems = _refused_submission(bare, author, django_capture_on_commit_callbacks, mailoutbox)
    assert len(problems) == 3
    assert problems[0].startswith("Le fonds")
    assert problems[1].startswith("À renseigner")
    assert problems[2] == "Le budget doit comporter au moins une dépense."


def test_no_new_draft_in_a_fund_that_does_not_accept(closed_fund, author, theme):
    before = (Initiative.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DomainError) as refused:
        initiative_create(actor=author, fund=closed_fund, carrier_name="X", title="Y")
    assert refused.value.message == "Ce fonds n'accepte pas de nouvelles initiatives en ce moment."
    assert (Initiative.objects.count(), AuditEntry.objects.count()) == before


def test_attach_refused_on_a_locked_dossier_leaves_no_file(initiative_in, author, pdf_upload):
    submitted = initiative_in(Status.SUBMITTED)
    with pytest.raises(DomainError):
        initiative_attach(actor=author, initiative=submitted, upload=pdf_upload(), label="Devis")
    assert stored_files() == []
