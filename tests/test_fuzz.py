"""Generated input, posted to every form of the site and every action of the council
space, by a person allowed to use it: 0 responses ≥ 500, and when the answer is not a
success, nothing written — no row, no audit entry, no file.

What is fuzzed is found, not listed by hand: every URL pattern of the project's apps
(read from the URL resolver; a pattern missing from ``ROUTES`` fails
``test_every_url_pattern_is_fuzzed``) and allauth's pages under /comptes/ are opened by
a person allowed to use them; every ``<form>`` of those pages (GET and POST, whatever
URL it targets) is filled with generated values; and each action of the council
space's dispatch tables (``votes.views``, ``votes.views.planning``) is posted on each
page that runs it, with the union of the fields of that page's forms. Each form is
posted with the page's CSRF token (the client enforces CSRF) and a fresh one-time token
(``accounts.once``).

Generated values: text with NUL and other control characters, any Unicode, very long
strings; numbers huge, negative, non-ASCII (« ١٢٣ », « ² »); impossible dates; fields
missing, repeated (lists), unknown fields added; files that are no PDF or image.
Every example runs in a savepoint that is rolled back, so each starts from the same
world. ``FUZZ_EXAMPLES`` (default 4 per form) and ``FUZZ_RANDOM=1`` (a fresh seed
rather than the fixed one) widen a run by hand."""

import contextlib
import datetime
import os
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.contrib.messages import SUCCESS, get_messages
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.conftest import sign_in
from tests.fonds.conftest import BUDGET, complete_fields, image_bytes, pdf_bytes

pytestmark = [pytest.mark.django_db]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
RANDOM = os.environ.get("FUZZ_RANDOM") == "1"
# No shrinking: a failure is reported with the input that found it, and a failing run
# stays as short as a passing one.
PHASES = [Phase.explicit, Phase.generate]
VERBOSE = os.environ.get("FUZZ_VERBOSE") == "1"
PROJECT_APPS = ("accounts", "fonds", "votes", "cms")
# Apps whose tables a request may write; the session table is not one of them.
WRITTEN_APPS = ("accounts", "fonds", "votes", "account", "mfa")


# -- the world: one of each thing a form acts on, built through the services -------------


def _person(email, quartier=None, name=""):
    from accounts.models import User

    return User.objects.create_user(
        email=email, password="motdepasse-test", quartier=quartier, display_name=name
    )


def _admissible(fund, author, instructor, theme, title):
    from fonds.services import (
        initiative_create,
        initiative_declare_admissible,
        initiative_set_budget,
        initiative_submit,
    )

    initiative = initiative_create(
        actor=author, fund=fund, **complete_fields(theme) | {"title": title}
    )
    initiative = initiative_set_budget(actor=author, initiative=initiative, lines=BUDGET)
    initiative = initiative_submit(actor=author, initiative=initiative)
    return initiative_declare_admissible(
        actor=instructor, initiative=initiative, reason="Dossier complet."
    )


def _granted(fund, author, instructor, theme, title, reference):
    """A dossier granted the way the fonds tests grant one, with its grant."""
    from fonds.ledger import ledger_commit
    from fonds.services.council import initiative_put_on_agenda, initiative_record_decision
    from tests.system import SYSTEM

    initiative = _admissible(fund, author, instructor, theme, title)
    initiative_put_on_agenda(actor=instructor, initiative=initiative, session_label="Séance")
    initiative_record_decision(
        actor=instructor, initiative=initiative, outcome="granted", reference=reference
    )
    ledger_commit(
        actor=SYSTEM,
        initiative=initiative,
        amount="500",
        decision_reference=reference,
        idempotency_key=f"fuzz-{reference}",
    )
    initiative.refresh_from_db()
    return initiative


def _upload(name, data, content_type):
    return SimpleUploadedFile(name, data, content_type=content_type)


def _council_world(quartier, fund, people, theme):
    from tests.system import SYSTEM
    from votes.models import Mandate
    from votes.services import (
        agenda_add,
        attendance_record,
        council_create,
        decision_publish,
        decision_record,
        mandate_grant,
        message_post,
        session_open,
        session_plan,
        vote_cast,
        vote_close,
        vote_open,
    )
    from votes.services.councils import mandate_invite

    author, instructor, admin = people["author"], people["instructor"], people["administrator"]
    council = council_create(actor=SYSTEM, quartier=quartier, name="Conseil de quartier Bellevue")
    start = timezone.localdate() - datetime.timedelta(days=365)
    members = []
    names = ["Jean Moreau", "Sophie Martin", "Ali Benali", "Claire Petit", "Hugo Lemoine"]
    for index, name in enumerate([*names, "Agent Mairie"]):
        user = _person(f"membre{index}@example.org", name=name)
        role = [Mandate.Role.CHAIR, *[Mandate.Role.MEMBER] * 4, Mandate.Role.EX_OFFICIO][index]
        mandate_grant(actor=SYSTEM, council=council, user=user, role=role, starts_on=start)
        members.append(user)
    chair = members[0]
    people["chair"] = chair

    def dossier(title):
        return _admissible(fund, author, instructor, theme, title)

    soon = timezone.now() + datetime.timedelta(days=7)
    planned = session_plan(actor=chair, council=council, starts_at=soon, place="Gymnase")
    agenda_add(actor=instructor, session=planned, initiative=dossier("Des bancs"))
    agenda_add(actor=instructor, session=planned, initiative=dossier("Une boîte à livres"))
    held = session_plan(
        actor=chair, council=council, starts_at=timezone.now(), place="Centre social"
    )
    fresh = agenda_add(actor=instructor, session=held, initiative=dossier("Un jardin"))
    voting = agenda_add(actor=instructor, session=held, initiative=dossier("Une fresque"))
    decided = agenda_add(actor=instructor, session=held, initiative=dossier("Un four à pain"))
    published = agenda_add(actor=instructor, session=held, initiative=dossier("Des nichoirs"))
    attendance_record(actor=chair, session=held, present=members[:4])
    session_open(actor=chair, session=held)
    decisions = []
    for item in (decided, published):
        vote = vote_open(actor=chair, item=item, mode="show_of_hands", proposed_amount="500")
        for member in members[:3]:
            vote_cast(actor=member, vote=vote, choice="for")
        vote_close(actor=chair, vote=vote)
        decisions.append(decision_record(actor=chair, item=item))
    decision_publish(actor=chair, decision=decisions[1])
    vote = vote_open(actor=chair, item=voting, mode="show_of_hands", proposed_amount="500")
    question = message_post(
        actor=members[1], initiative=fresh.initiative, body="Qui arrose ?", question=True
    )
    invitation = mandate_invite(
        actor=admin,
        council=council,
        email="future-conseillere@example.org",
        role=Mandate.Role.MEMBER,
        starts_on=timezone.localdate(),
    )
    return {
        "council": council,
        "planned": planned,
        "held": held,
        "fresh": fresh,
        "voting": voting,
        "decided": decided,
        "vote": vote,
        "unpublished": decisions[0],
        "published": decisions[1],
        "question": question,
        "mandate": Mandate.objects.get(council=council, user=members[1]),
        "council_invitation": invitation,
    }


def _draw_background():
    """The commune's background layer, so that its map page has something to serve."""
    import json

    from django.core.files.base import ContentFile
    from wagtail.models import Site

    from cms.demo.geography import background
    from cms.models import CommuneSettings

    commune = CommuneSettings.for_site(Site.objects.get(is_default_site=True))
    drawing = json.dumps(background()).encode()
    commune.map_background = ContentFile(drawing, name="fond.geojson")
    commune.save()


def _build_world():
    from accounts.invitations import role_invite
    from accounts.models import RoleAssignment
    from accounts.roles import Role
    from accounts.services import role_grant
    from fonds.ledger import ledger_credit
    from fonds.models import RepaymentRequest
    from fonds.services import (
        initiative_attach,
        initiative_create,
        initiative_set_budget,
        initiative_set_photo,
        initiative_submit,
        quartier_create,
        report_submit,
        theme_create,
    )
    from fonds.services.counter import counter_file
    from tests.fonds.conftest import _open_fund
    from tests.system import SYSTEM

    quartier = quartier_create(actor=SYSTEM, name="Bellevue")
    elsewhere = quartier_create(actor=SYSTEM, name="Les Tilleuls")
    theme = theme_create(actor=SYSTEM, name="Jardins partagés")
    fund = _open_fund(quartier)
    _open_fund(elsewhere)
    ledger_credit(actor=SYSTEM, fund=fund, amount="20000", idempotency_key="fuzz-credit")
    _draw_background()
    people = {
        "author": _person("autrice@example.org", quartier, "Autrice"),
        "resident": _person("voisin@example.org", quartier, "Voisin"),
        "instructor": _person("agent@example.org"),
        "administrator": _person("admin@example.org"),
    }
    role_grant(actor=SYSTEM, user=people["administrator"], role=Role.ADMINISTRATOR)
    role_grant(actor=SYSTEM, user=people["instructor"], role=Role.INSTRUCTOR, quartier=quartier)
    author, instructor = people["author"], people["instructor"]
    draft = initiative_create(actor=author, fund=fund, **complete_fields(theme))
    draft = initiative_set_budget(actor=author, initiative=draft, lines=BUDGET)
    attachment = initiative_attach(
        actor=author,
        initiative=draft,
        upload=_upload("devis.pdf", pdf_bytes(), "application/pdf"),
        label="Devis",
    )
    initiative_set_photo(
        actor=author, initiative=draft, upload=_upload("p.jpg", image_bytes(), "image/jpeg")
    )
    submitted = initiative_create(
        actor=author, fund=fund, **complete_fields(theme) | {"title": "Un composteur"}
    )
    submitted = initiative_set_budget(actor=author, initiative=submitted, lines=BUDGET)
    submitted = initiative_submit(actor=author, initiative=submitted)
    granted = _granted(fund, author, instructor, theme, "Une fête", "CQ-FUZZ-2026-001")
    reported = _granted(fund, author, instructor, theme, "Un potager", "CQ-FUZZ-2026-002")
    report = report_submit(
        actor=author,
        initiative=reported,
        narrative="Fait.",
        participants=10,
        actual_expenses="400",
        receipts=[_upload("f.pdf", pdf_bytes(), "application/pdf")],
    )
    objects = {
        "quartier": quartier,
        "theme": theme,
        "fund": fund,
        "draft": draft,
        "attachment": attachment,
        "submitted": submitted,
        "granted": granted,
        "grant": reported.grants.get(),
        "counter": counter_file(
            actor=instructor,
            fund=fund,
            contact_address="1 place de la Mairie",
            lines=BUDGET,
            **complete_fields(theme) | {"carrier_kind": "person", "rna": ""},
        )[0],
        "repayment": RepaymentRequest.objects.create(
            grant=reported.grants.get(),
            amount="1.00",
            due_on=timezone.localdate(),
            reason="Action annulée",
        ),
        "reported": reported,
        "document": report.documents.first(),
        "assignment": RoleAssignment.objects.get(user=instructor),
        "staff_invitation": role_invite(
            actor=people["administrator"],
            email="futur-agent@example.org",
            role=Role.INSTRUCTOR,
            quartier=quartier,
        ),
    }
    objects |= _council_world(quartier, fund, people, theme)
    return {"people": people, "objects": objects}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The world, built once for the module in a transaction rolled back at its end."""
    media = tmp_path_factory.mktemp("media")
    private = tmp_path_factory.mktemp("private")
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media, PRIVATE_MEDIA_ROOT=private),
    ):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield _build_world() | {"media": media, "private": private}
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def fuzz_world(world, db, settings):
    settings.MEDIA_ROOT = world["media"]
    settings.PRIVATE_MEDIA_ROOT = world["private"]
    return world


# -- every URL pattern, and who uses it with which arguments --------------------------------

# Each project URL pattern: (role, URL arguments) for each page to open, read from the
# world ``o``. A new pattern is not fuzzed until it is listed here.
ROUTES = {
    "healthz": lambda o: [("anonymous", {})],
    "privacy": lambda o: [("anonymous", {})],
    "cms_privacy_register": lambda o: [("administrator", {})],
    "search": lambda o: [("anonymous", {})],
    "robots_txt": lambda o: [("anonymous", {})],
    "map_background": lambda o: [("anonymous", {})],
    "decision_feed": lambda o: [("anonymous", {})],
    "accounts_profile": lambda o: [("author", {})],
    "accounts_email_preferences": lambda o: [("author", {})],
    "accounts_data_export": lambda o: [("author", {})],
    "accounts_data_export_download": lambda o: [("author", {"pk": uuid.uuid4()})],
    "accounts_erasure": lambda o: [("resident", {})],
    "accounts_invitation": lambda o: [("anonymous", {"token": o["staff_invitation"].token})],
    "accounts_unlock_request": lambda o: [("anonymous", {})],
    "accounts_unlock": lambda o: [("anonymous", {"token": "x" * 43})],
    "initiative_list": lambda o: [("anonymous", {})],
    "initiative_new": lambda o: [("author", {})],
    "initiative_detail": lambda o: [
        ("resident", {"pk": o["submitted"].pk}),
        ("author", {"pk": o["draft"].pk}),
    ],
    "initiative_edit": lambda o: [
        ("author", {"pk": o["draft"].pk, "step": step})
        for step in ("porteur", "projet", "budget", "pieces", "depot")
    ],
    "initiative_withdraw": lambda o: [("author", {"pk": o["submitted"].pk})],
    "initiative_support": lambda o: [("resident", {"pk": o["submitted"].pk})],
    "initiative_attachment": lambda o: [
        ("author", {"pk": o["draft"].pk, "attachment_pk": o["attachment"].pk})
    ],
    "initiative_photo": lambda o: [("author", {"pk": o["draft"].pk})],
    "my_space": lambda o: [("author", {})],
    "my_notifications": lambda o: [("author", {})],
    "report_file": lambda o: [("author", {"pk": o["granted"].pk})],
    "report_review": lambda o: [("instructor", {"pk": o["reported"].pk})],
    "report_document": lambda o: [
        ("instructor", {"pk": o["reported"].pk, "document_pk": o["document"].pk})
    ],
    "fund_list": lambda o: [("anonymous", {})],
    "fund_detail": lambda o: [("instructor", {"slug": o["fund"].slug})],
    "fund_ledger": lambda o: [("anonymous", {"slug": o["fund"].slug})],
    "fund_credit": lambda o: [("administrator", {"slug": o["fund"].slug})],
    "grant_payment": lambda o: [("instructor", {"pk": o["grant"].pk})],
    "grant_release": lambda o: [("instructor", {"pk": o["grant"].pk})],
    "grant_repayment_ask": lambda o: [("instructor", {"pk": o["grant"].pk})],
    "repayment_receive": lambda o: [("instructor", {"pk": o["repayment"].pk})],
    "repayment_cancel": lambda o: [("instructor", {"pk": o["repayment"].pk})],
    "bank_details": lambda o: [("author", {"pk": o["submitted"].pk})],
    "fonds_backoffice_bank_confirm": lambda o: [("instructor", {"pk": o["granted"].pk})],
    "fund_close": lambda o: [("administrator", {"slug": o["fund"].slug})],
    "fund_reverse": lambda o: [("administrator", {"slug": o["fund"].slug, "sequence": 1})],
    "fonds_backoffice_counter": lambda o: [("instructor", {})],
    "fonds_backoffice_counter_done": lambda o: [("instructor", {"pk": o["counter"].pk})],
    "fonds_backoffice_counter_receipt": lambda o: [("instructor", {"pk": o["counter"].pk})],
    "fonds_backoffice_counter_code": lambda o: [("instructor", {"pk": o["counter"].pk})],
    "counter_claim": lambda o: [("author", {})],
    "council_home": lambda o: [("chair", {})],
    "council_session": lambda o: [
        ("chair", {"pk": o["planned"].pk}),
        ("chair", {"pk": o["held"].pk}),
    ],
    "council_minutes": lambda o: [("chair", {"pk": o["held"].pk})],
    "council_item": lambda o: [
        ("chair", {"pk": o[name].pk}) for name in ("fresh", "voting", "decided")
    ],
    "council_planning": lambda o: [("instructor", {})],
    "council_session_new": lambda o: [("chair", {"pk": o["council"].pk})],
    "council_session_prepare": lambda o: [("instructor", {"pk": o["planned"].pk})],
    "council_tally": lambda o: [("chair", {"pk": o["vote"].pk})],
    "council_publish": lambda o: [("chair", {"pk": o["unpublished"].pk})],
    "public_sessions": lambda o: [("anonymous", {})],
    "decision_detail": lambda o: [("anonymous", {"reference": o["published"].reference})],
    "question_answer": lambda o: [("author", {"pk": o["question"].pk})],
    "accounts_roles": lambda o: [("administrator", {})],
    "accounts_role_grant": lambda o: [("administrator", {})],
    "accounts_role_invite": lambda o: [("administrator", {})],
    "accounts_role_revoke": lambda o: [("administrator", {"pk": o["assignment"].pk})],
    "accounts_staff_invitation_cancel": lambda o: [
        ("administrator", {"pk": o["staff_invitation"].pk})
    ],
    "fonds_backoffice_queue": lambda o: [("instructor", {})],
    "fonds_backoffice_dossier": lambda o: [("instructor", {"pk": o["submitted"].pk})],
    "fonds_backoffice_instruct": lambda o: [
        ("instructor", {"pk": o["submitted"].pk, "action": action})
        for action in ("completer", "recevable", "irrecevable")
    ],
    "fonds_backoffice_report": lambda o: [("instructor", {"pk": o["reported"].pk})],
    "fonds_backoffice_report_decide": lambda o: [
        ("instructor", {"pk": o["reported"].pk, "action": action})
        for action in ("accepter", "completer", "refuser")
    ],
    "fonds_backoffice_photo_hide": lambda o: [
        ("instructor", {"pk": o["reported"].pk, "document_pk": o["document"].pk})
    ],
    "votes_planning_sessions": lambda o: [("instructor", {})],
    "themes:add": lambda o: [("administrator", {})],
    "themes:edit": lambda o: [("administrator", {"pk": o["theme"].pk})],
    "quartiers:add": lambda o: [("administrator", {})],
    "quartiers:edit": lambda o: [("administrator", {"pk": o["quartier"].pk})],
    "fonds-initiative:add": lambda o: [("administrator", {})],
    "fonds-initiative:edit": lambda o: [("administrator", {"pk": o["fund"].pk})],
    "conseils:index": lambda o: [("administrator", {})],
    "conseils:index_results": lambda o: [("administrator", {})],
    "conseils:add": lambda o: [("administrator", {})],
    "conseils:edit": lambda o: [("administrator", {"pk": o["council"].pk})],
    "conseils:composition": lambda o: [("administrator", {"pk": o["council"].pk})],
    "conseils:mandate_grant": lambda o: [("administrator", {"pk": o["council"].pk})],
    "conseils:mandate_invite": lambda o: [("administrator", {"pk": o["council"].pk})],
    "conseils:mandate_end": lambda o: [
        ("administrator", {"pk": o["council"].pk, "mandate_pk": o["mandate"].pk})
    ],
    "conseils:invitation_cancel": lambda o: [
        ("administrator", {"pk": o["council"].pk, "invitation_pk": o["council_invitation"].pk})
    ],
}

# allauth's pages: opened signed out and signed in; their arguments are made up.
ALLAUTH_ARGUMENTS = {"key": "x" * 20, "uidb36": "1"}

PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Pattern:
    route: str
    name: str
    module: str

    @property
    def parameters(self):
        return [m.group("name") for m in PARAMETER.finditer(self.route)]

    @property
    def id_parameters(self):
        return [m.group("name") for m in PARAMETER.finditer(self.route) if m["converter"] == "id"]

    def path(self, values):
        """The address with ``values`` put in the route's parameters, percent-encoded,
        whether or not the parameters' converters would accept them."""
        return "/" + PARAMETER.sub(
            lambda m: quote(str(values[m.group("name")]), safe=""), self.route
        )


def url_patterns(patterns=None, prefix="", namespace=""):
    """Every URL pattern the resolver knows, with the module of its view."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace]))
            yield from url_patterns(entry.url_patterns, prefix + str(entry.pattern), inner)
            continue
        view = getattr(entry.callback, "view_class", entry.callback)
        name = ":".join(filter(None, [namespace, entry.name]))
        yield Pattern(prefix + str(entry.pattern), name, view.__module__)


def project_patterns():
    return [p for p in url_patterns() if p.module.split(".")[0] in PROJECT_APPS]


def allauth_patterns():
    return [
        p
        for p in url_patterns()
        if p.route.startswith("comptes/") and p.module.startswith("allauth")
    ]


def test_every_url_pattern_is_fuzzed():
    names = {pattern.name for pattern in project_patterns()}
    assert names - set(ROUTES) == set(), "URL patterns missing from ROUTES"
    assert set(ROUTES) - names == set(), "ROUTES names that are no URL pattern"


def pages(world):
    """(role, address) of every page to open: the project's and allauth's."""
    from django.urls import reverse

    found = []
    for pattern in project_patterns():
        for role, kwargs in ROUTES[pattern.name](world["objects"]):
            found.append((role, reverse(pattern.name, kwargs=kwargs), pattern.name))
    for pattern in allauth_patterns():
        kwargs = {name: ALLAUTH_ARGUMENTS[name] for name in _regex_groups(pattern.route)}
        if pattern.name == "account_logout":
            continue  # signing out is fuzzed as its form, below
        for role in ("anonymous", "author"):
            found.append((role, reverse(pattern.name, kwargs=kwargs), pattern.name))
    return found


# Pages opened with made-up arguments, or that answer POST only.
NOT_OPENED = {"accounts_data_export_download", "accounts_unlock"}


def _regex_groups(route):
    return re.findall(r"\(\?P<(\w+)>", route)


# -- signing in, and what a request may have written ----------------------------------------


def _written_models():
    from django.apps import apps

    return [
        model
        for label in WRITTEN_APPS
        if apps.is_installed(f"allauth.{label}") or label in PROJECT_APPS
        for model in apps.get_app_config(label).get_models()
    ]


def _files():
    found = []
    for root in (settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT):
        root = Path(root)
        if root.exists():
            found += sorted(str(p) for p in root.rglob("*") if p.is_file())
    return found


def _table_digests(models):
    """{table: (row count, digest of its rows)} in one query, computed by PostgreSQL."""
    from django.db import connection

    quote_name = connection.ops.quote_name
    tables = sorted({model._meta.db_table for model in models})
    query = " UNION ALL ".join(
        f"SELECT %s, count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), ''))"
        f" FROM {quote_name(table)} t"
        for table in tables
    )
    with connection.cursor() as cursor:
        cursor.execute(query, tables)
        return {table: (count, digest) for table, count, digest in cursor.fetchall()}


def snapshot():
    """Every row a request could write, and every stored file."""
    from django.db import connection

    models = _written_models()
    if connection.vendor == "postgresql":
        state = _table_digests(models)
    else:
        state = {
            model._meta.db_table: list(model._default_manager.order_by("pk").values_list())
            for model in models
        }
    state["files"] = _files()
    return state


def changed(before, after):
    return sorted(key for key in before if before[key] != after[key])


# -- forms, as the pages show them -----------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # text, number, date, file, choice, checkbox
    values: list = field(default_factory=list)  # the values the page offers


@dataclass
class Target:
    """A form to fill: where it is sent, by whom, its fields and its buttons."""

    role: str
    page: str
    method: str
    action: str
    fields: dict
    buttons: list  # (name, value) of its submit buttons
    fixed: dict = field(default_factory=dict)

    def __str__(self):
        fixed = f" {self.fixed}" if self.fixed else ""
        return f"{self.method.upper()} {self.action}{fixed} as {self.role} (from {self.page})"


SKIPPED_FIELDS = {"csrfmiddlewaretoken", "form_once"}
DATE_TYPES = {"date", "datetime-local", "time", "month", "week"}


def _kind(element):
    kind = (element.get("type") or "text").lower()
    if element.name == "select":
        return "choice"
    if element.name == "textarea":
        return "text"
    if kind in ("radio", "checkbox"):
        return "choice" if kind == "radio" else "checkbox"
    if kind in DATE_TYPES:
        return "date"
    if kind in ("number", "range"):
        return "number"
    if kind == "file":
        return "file"
    return "text"


def read_forms(html, page, role):
    """The forms of a page, as targets."""
    targets = []
    for form in BeautifulSoup(html, "html.parser").find_all("form"):
        action = urljoin(page, form.get("action") or page)
        parts = urlsplit(action)
        if parts.netloc not in ("", "testserver"):
            continue
        fields, buttons = {}, []
        for element in form.find_all(["input", "select", "textarea", "button"]):
            name = element.get("name")
            kind = (element.get("type") or "").lower()
            if not name or name in SKIPPED_FIELDS:
                continue
            if element.name == "button" or kind in ("submit", "image"):
                buttons.append((name, element.get("value", "")))
                continue
            entry = fields.setdefault(name, Field(name, _kind(element)))
            if element.name == "select":
                entry.values += [o.get("value", o.get_text()) for o in element.find_all("option")]
            elif element.name == "textarea":
                entry.values.append(element.get_text())
            elif entry.kind != "file":
                entry.values.append(element.get("value", "on" if kind == "checkbox" else ""))
        targets.append(
            Target(
                role=role,
                page=page,
                method=(form.get("method") or "get").lower(),
                action=parts.path + (f"?{parts.query}" if parts.query else ""),
                fields=fields,
                buttons=buttons,
            )
        )
    return targets


def fuzzed_target(target):
    """Forms that are the project's, allauth's or the language switch: not those of the
    Wagtail admin's own pages and of libraries' widgets."""
    path = urlsplit(target.action).path
    try:
        match = resolve(path)
    except Resolver404:
        return False
    view = getattr(match.func, "view_class", match.func)
    module = view.__module__
    if path.startswith("/cms/"):
        return module.split(".")[0] in PROJECT_APPS
    return module.split(".")[0] in PROJECT_APPS or module.startswith(
        ("allauth.", "django.views.i18n", "wagtail.views")
    )


# -- generated values ------------------------------------------------------------------------

CONTROL = "".join(map(chr, [*range(32), 0x7F, 0x85, 0xA0, 0x200B, 0x2028, 0x2029, 0x202E]))
TEXTS = [
    "a\x00b",
    "\x00",
    "Bellevue\x00",
    "ligne\nsuivante",
    "\r\nBcc: x@example.org",
    "x" * 101,
    "é" * 201,
    "x" * 301,
    "x" * 5_001,
    "x" * 10_001,
    "y" * 100_000,
    "<script>alert(1)</script>",
    "=1+1",
    "%_%",
    "' OR 1=1 --",
    "../../etc/passwd",
    "\U0001d11e\u0301\u202e",
    "   ",
]
NUMBERS = [
    "99999999999999999999",
    str(2**63),
    str(2**63 - 1),
    str(2**31),
    "-1",
    "0",
    "-0",
    "١٢٣",
    "²",
    "1²",
    "１２",
    "1e999",
    "1e3",
    "NaN",
    "Infinity",
    "-inf",
    "0x10",
    "1_000",
    " 12 ",
    "12,5",
    "1.5",
    "",
]
DATES = [
    "2026-02-30",
    "2026-02-29",
    "0000-01-01",
    "0001-01-01",
    "99999-01-01",
    "9999-12-31",
    "2026-13-01",
    "2026-00-10",
    "31/02/2026",
    "2026-02-30T10:00",
    "2026-06-01T25:00",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "99999-01-01T00:00",
    "25:99",
    "24:00",
    "demain",
]

any_text = st.one_of(
    st.sampled_from(TEXTS),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=30),
    st.text(st.sampled_from(CONTROL + "aé€<>'\"%_\\/"), max_size=12),
)
any_number = st.one_of(
    st.sampled_from(NUMBERS), st.integers(-(2**80), 2**80).map(str), st.just("١٢٣٤٥٦٧٨٩٠" * 3)
)
any_date = st.one_of(
    st.sampled_from(DATES),
    st.builds(
        "{:04d}-{:02d}-{:02d}".format,
        st.integers(0, 99999),
        st.integers(0, 13),
        st.integers(0, 32),
    ),
)
nasty = st.one_of(any_text, any_number, any_date)
NASTY_BY_KIND = {
    "number": st.one_of(any_number, nasty),
    "date": st.one_of(any_date, nasty),
    "choice": st.one_of(any_number, nasty),
    "checkbox": st.one_of(any_number, nasty),
    "text": st.one_of(any_text, nasty),
}

FILES = {
    "pdf": lambda: ("devis.pdf", pdf_bytes(), "application/pdf"),
    "jpeg": lambda: ("photo.jpg", image_bytes(), "image/jpeg"),
    "text-named-pdf": lambda: ("devis.pdf", b"%PDF-1.4 not really\x00", "application/pdf"),
    "empty": lambda: ("vide.pdf", b"", "application/pdf"),
    "pdf-named-jpg": lambda: ("photo.jpg", pdf_bytes(), "image/jpeg"),
    "nul-name": lambda: ("pi\x00ece.pdf", pdf_bytes(), "application/pdf"),
}

MISSING = object()
EXTRA_NAMES = ["pk", "id", "user", "action", "confirmed", "next", "page", "amount", "present"]


def _value(entry):
    """A value for one field: one the page offers, most often, so that the others go
    deeper; else missing, generated, or several."""
    if entry.kind == "file":
        return st.one_of(
            st.just(MISSING), st.sampled_from(sorted(FILES)).map(lambda k: ("file", k))
        )
    offered = st.sampled_from(entry.values) if entry.values else any_text
    bad = NASTY_BY_KIND[entry.kind]
    return st.integers(0, 9).flatmap(
        lambda k: (
            offered
            if k < 4
            else st.just(MISSING)
            if k == 4
            else st.lists(st.one_of(offered, bad), min_size=2, max_size=4)
            if k == 9
            else bad
        )
    )


def _button(button):
    """The button as the page has it, most often; else its value with what follows its
    leading letters replaced (``detach-12`` → ``detach-²``), or another value."""
    name, value = button
    prefix = re.match(r"[^\d]*", value).group()
    return st.integers(0, 3).flatmap(
        lambda k: (
            st.just(button)
            if k < 2
            else st.tuples(st.just(name), nasty.map(lambda bad: prefix + bad))
            if k == 2
            else st.tuples(st.just(name), nasty)
        )
    )


def form_data(target):
    buttons = st.sampled_from(target.buttons).flatmap(_button) if target.buttons else st.just(None)
    fields = st.fixed_dictionaries({name: _value(entry) for name, entry in target.fields.items()})
    extra = st.dictionaries(
        st.one_of(st.sampled_from(EXTRA_NAMES), st.text(min_size=1, max_size=8)).filter(
            lambda name: name not in SKIPPED_FIELDS
        ),
        # "1" confirms the forms that ask for a confirmation (ledger, publication).
        st.one_of(st.just("1"), nasty, st.lists(nasty, max_size=3)),
        max_size=2,
    )
    return st.tuples(buttons, fields, extra)


def _encode(button, fields, extra, fixed):
    data = {}
    for name, value in {**extra, **fields}.items():
        if value is MISSING:
            continue
        if isinstance(value, tuple) and value[0] == "file":
            name_, content, content_type = FILES[value[1]]()
            value = SimpleUploadedFile(name_, content, content_type=content_type)
        data[name] = value
    if button is not None and button[0]:
        data[button[0]] = button[1]
    data.update(fixed)
    return data


# The brief's cases, posted to every form whatever the generator draws: every field bad
# at once, each by its kind; and each button whose value ends in an id, with a bad id.
ANCHORS = [
    {"text": "a\x00b", "number": "١٢٣", "choice": "²", "checkbox": "١٢٣", "date": "2026-02-30"},
    {
        "text": "x" * 10_001,
        "number": "99999999999999999999",
        "choice": "99999999999999999999",
        "checkbox": str(2**63),
        "date": "99999-01-01",
    },
    {"text": "", "number": "-1", "choice": "\x00", "checkbox": "\x00", "date": "0000-01-01"},
]
BAD_IDS = ["²", "١٢٣", "99999999999999999999", str(2**63), "abc", "", "1\x00"]


def anchors(target):
    for values in ANCHORS:
        fields = {
            name: values[entry.kind]
            for name, entry in target.fields.items()
            if entry.kind != "file"
        }
        yield _encode(target.buttons[0] if target.buttons else None, fields, {}, target.fixed)
    for name, value in target.buttons:
        prefix = re.match(r"\D*", value).group()
        if prefix != value:
            for bad in BAD_IDS:
                yield _encode((name, prefix + bad), {}, {}, target.fixed)


# -- running a target ------------------------------------------------------------------------


class Fuzzer:
    """One signed-in client per person, and the checks run on each answer."""

    def __init__(self, world):
        self.world = world
        self.clients = {}
        self.posted = 0

    def client(self, role):
        if role not in self.clients:
            client = Client(enforce_csrf_checks=True)
            user = None if role == "anonymous" else self.world["people"][role]
            sign_in(client, user)
            self.clients[role] = client
        return self.clients[role]

    def refresh(self, role):
        """Signed in again, with a fresh confirmation of the password: money pages
        would otherwise ask for it once the re-authentication timeout has passed."""
        self.clients.pop(role, None)
        return self.client(role)

    @contextlib.contextmanager
    def example(self, client):
        """One request, rolled back — its rows, the files it stored — with the client's
        cookies as they were."""
        cookies = {key: morsel.value for key, morsel in client.cookies.items()}
        files = set(_files())
        cache.clear()
        try:
            with transaction.atomic():
                yield
                transaction.set_rollback(True)
        finally:
            for name in set(_files()) - files:
                Path(name).unlink()
            client.cookies.clear()
            for key, value in cookies.items():
                client.cookies[key] = value

    def send(self, client, method, address, data):
        from accounts.once import FIELD, new_token

        self.posted += 1
        if method == "get":
            return client.get(address, data)
        token = client.cookies[settings.CSRF_COOKIE_NAME].value
        return client.post(address, {**data, "csrfmiddlewaretoken": token, FIELD: new_token()})

    def check(self, target, data, before):
        """``before``: the state every example of the target starts from (each is
        rolled back), or None for a GET."""
        client = self.clients[target.role]
        with self.example(client):
            try:
                response = self.send(client, target.method, target.action, data)
            except Exception as error:
                raise AssertionError(f"{target} with {data!r} raised {error!r}") from error
            assert response.status_code < 500, f"{target} with {data!r}: {response.status_code}"
            assert not (response.status_code == 403 and b"CSRF" in response.content), (
                f"{target}: the CSRF token was refused, the fuzz does not reach the view"
            )
            if before is None:
                return
            succeeded = any(m.level == SUCCESS for m in get_messages(response.wsgi_request))
            if not succeeded:
                after = snapshot()
                assert not changed(before, after), (
                    f"{target} with {data!r} answered {response.status_code} without "
                    f"success, yet wrote {changed(before, after)}"
                )

    def fuzz(self, target, examples=EXAMPLES):
        client = self.refresh(target.role)
        # The form's page first, as a browser would: it sets the CSRF cookie.
        assert client.get(target.page).status_code < 500, target.page
        before = snapshot() if target.method == "post" else None

        for data in anchors(target):
            self.check(target, data, before)

        @hypothesis_settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=not RANDOM,
            suppress_health_check=list(HealthCheck),
            phases=PHASES,
        )
        @given(form_data(target))
        def run(generated):
            button, fields, extra = generated
            self.check(target, _encode(button, fields, extra, target.fixed), before)

        run()


def discover(fuzzer, world):
    """Every page opened by its person; the forms found on them."""
    targets, statuses = [], {}
    for role, address, name in pages(world):
        client = fuzzer.client(role)
        response = client.get(address)
        assert response.status_code < 500, (role, address)
        if name in ROUTES and name not in NOT_OPENED:
            statuses[(role, address)] = response.status_code
        if "html" in response.get("Content-Type", ""):
            targets += read_forms(response.content.decode(), address, role)
    return targets, statuses


def _unique(targets):
    seen, kept = set(), []
    for target in targets:
        key = (target.role, target.method, target.action, tuple(sorted(target.fields)))
        if key not in seen:
            seen.add(key)
            kept.append(target)
    return kept


# -- the council space's actions, from the views' own dispatch tables -----------------------


def council_actions():
    """{URL name: action names} read from the dispatch tables of the council views."""
    from types import SimpleNamespace

    from votes.views import _item_actions, _session_actions
    from votes.views.planning import ACTIONS

    request = SimpleNamespace(user=None, POST={})
    return {
        "council_session": sorted(_session_actions(request, None)),
        "council_item": sorted(_item_actions(request, None, None)),
        "council_session_prepare": sorted([*ACTIONS, "update"]),
    }


def council_targets(targets):
    """Each action of each council page, with the fields of all the forms of that view."""
    actions = council_actions()
    by_view, pages_ = {}, {}
    for target in targets:
        name = resolve(urlsplit(target.action).path).view_name
        if name in actions and target.method == "post":
            by_view.setdefault(name, {}).update(target.fields)
            pages_.setdefault(name, set()).add((target.role, target.action))
    made = []
    for name, names in actions.items():
        assert name in pages_, f"no form of {name} found"
        for role, action in sorted(pages_[name]):
            for action_name in names:
                made.append(
                    Target(
                        role=role,
                        page=action,
                        method="post",
                        action=action,
                        fields={k: v for k, v in by_view[name].items() if k != "action"},
                        buttons=[],
                        fixed={"action": action_name},
                    )
                )
    return made


def _is_council_page(target):
    return resolve(urlsplit(target.action).path).view_name in council_actions()


# -- the tests -------------------------------------------------------------------------------


def test_every_form_and_council_action(fuzz_world):
    fuzzer = Fuzzer(fuzz_world)
    found, statuses = discover(fuzzer, fuzz_world)
    refused = {key: status for key, status in statuses.items() if status in (403, 404)}
    assert not refused, f"pages their person cannot open: {refused}"
    forms = [t for t in _unique(found) if fuzzed_target(t) and not _is_council_page(t)]
    council = council_targets(found)
    posted = {resolve(urlsplit(t.action).path).view_name for t in forms + council}
    expected = {
        "initiative_new",
        "initiative_edit",
        "initiative_withdraw",
        "initiative_support",
        "report_file",
        "fonds_backoffice_report_decide",
        "fund_credit",
        "grant_payment",
        "grant_release",
        "grant_repayment_ask",
        "repayment_receive",
        "fund_close",
        "fund_reverse",
        "bank_details",
        "fonds_backoffice_counter",
        "counter_claim",
        "council_session_new",
        "council_publish",
        "question_answer",
        "accounts_profile",
        "accounts_email_preferences",
        "accounts_role_grant",
        "accounts_role_invite",
        "accounts_role_revoke",
        "fonds_backoffice_instruct",
        "conseils:mandate_grant",
        "conseils:mandate_end",
        "account_login",
        "set_language",
    }
    assert expected <= posted, f"forms not found: {sorted(expected - posted)}"
    failures = []
    for target in forms + council:
        started = time.monotonic()
        try:
            fuzzer.fuzz(target)
        except AssertionError as error:
            failures.append(str(error).splitlines()[0][:2000])
        if VERBOSE:
            print(f"{time.monotonic() - started:5.1f}s {target}", flush=True)
    if VERBOSE:
        print(f"{len(forms)} forms, {len(council)} council actions, {fuzzer.posted} requests")
    assert not failures, "\n".join(failures)
    assert fuzzer.posted >= EXAMPLES * len(forms + council)


PATH_VALUES = [
    "0",
    "-1",
    "99999999999999999999",
    str(2**63),
    str(2**63 - 1),
    "١٢٣",
    "²",
    "１",
    "a\x00b",
    "\x00",
    "é",
    "x" * 300,
    "..",
    " 1",
    "1.0",
    "\u202e",
]


def test_path_parameters(fuzz_world):
    """Every project URL pattern with parameters, each parameter replaced by a bad
    value while the others stay good: a 404 or another 4xx, never a 500."""
    fuzzer = Fuzzer(fuzz_world)
    objects = fuzz_world["objects"]
    cases = [
        (pattern, role, kwargs)
        for pattern in project_patterns()
        if pattern.parameters
        for role, kwargs in ROUTES[pattern.name](objects)[:1]
    ]
    failures = []
    for pattern, role, kwargs in cases:
        try:
            _fuzz_path(fuzzer, pattern, role, kwargs)
        except AssertionError as error:
            failures.append(str(error).splitlines()[0][:2000])
    assert not failures, "\n".join(failures)


def _fuzz_path(fuzzer, pattern, role, kwargs):
    client = fuzzer.refresh(role)
    client.get(pattern.path(kwargs))

    @hypothesis_settings(
        max_examples=3,
        deadline=None,
        database=None,
        derandomize=not RANDOM,
        suppress_health_check=list(HealthCheck),
        phases=PHASES,
    )
    @given(
        st.sampled_from(pattern.parameters),
        st.one_of(st.sampled_from(PATH_VALUES), any_text, any_number),
    )
    def run(name, value):
        address = pattern.path(kwargs | {name: value})
        with fuzzer.example(client):
            try:
                response = client.get(address)
            except Exception as error:
                raise AssertionError(f"GET {address!r} raised {error!r}") from error
            assert response.status_code < 500, (address, response.status_code)

    run()
