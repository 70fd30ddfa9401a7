"""Who reaches what: every URL pattern of the project's own apps (accounts, fonds,
votes, cms), walked from the URL resolver, answers every role with the status written
in ``MATRIX``. The Wagtail admin (/cms/) and allauth (/comptes/) are checked by prefix
rules: every admin URL sends the public and the council side to the login page, and
a sample of both answers every role as ``ADMIN_SAMPLE`` and ``ACCOUNT_SAMPLE`` say.

A role refused a page is refused the same way when it posts to it, and nothing is
written. A URL pattern added without its row fails ``test_every_url_pattern_has_its_row``.

Roles, in the first quartier (Bellevue) of the demo commune unless said otherwise:
``author`` is the author of the dossiers in the URLs (the demo's habitante),
``resident`` a neighbour who wrote none of them, ``other_resident`` lives in another
quartier, ``member`` and ``chair`` hold a mandate in office, ``former_member`` held one
until yesterday, ``instructor`` instructs every quartier, ``other_instructor`` only
another one, ``administrator`` is the commune's. Signed-in roles have confirmed their
password just now, so that pages behind allauth's re-authentication answer for the
person's rights (asking again is tested in tests/ledger/test_pages.py)."""

import datetime
import re
import uuid
from urllib.parse import urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.conftest import sign_in
from tests.fonds.conftest import image_bytes, pdf_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

PROJECT_APPS = ("accounts", "fonds", "votes", "cms")

ROLES = (
    "anonymous",
    "resident",
    "other_resident",
    "author",
    "member",
    "former_member",
    "chair",
    "other_instructor",
    "instructor",
    "administrator",
)

# What a cell may say besides a status code.
LOGIN = "302 /comptes/login/"  # sent to the login page (the admin's included)
DASHBOARD = "302 /cms/"  # Wagtail's "no permission": back to the admin's home
BACK = "302 back"  # a POST refused with a message, back to a page; nothing written
ALLOWED = "allowed"  # POST: this role may act, so it is not posted here (it would write)

REFUSALS = {LOGIN, DASHBOARD, BACK, 403, 404, 410}


def everyone(status):
    return (status,) * len(ROLES)


def signed_in(status, anonymous=LOGIN):
    return (anonymous,) + (status,) * (len(ROLES) - 1)


def admin_side(instructors, administrator):
    """A page of the Wagtail admin: the public and the council side go to the login
    page; the two instructors, then the administrator, as given."""
    return (LOGIN,) * 7 + (instructors, instructors, administrator)


# Keys are URL pattern names; ``name[case]`` is one more case of the same pattern.
# In the tables: L = LOGIN, D = DASHBOARD, B = BACK, OK = ALLOWED.
L, D, B, OK = LOGIN, DASHBOARD, BACK, ALLOWED

# fmt: off
MATRIX = {
    #                                         anon res. oth. auth memb form chr. o.in inst adm.
    "healthz":                                everyone(200),
    "search":                                 everyone(200),
    "robots_txt":                             everyone(200),
    "map_background":                         everyone(200),
    "decision_feed":                          everyone(200),
    "privacy":                                everyone(200),
    "accounts_profile":                       signed_in(200),
    "accounts_email_preferences":             signed_in(405),
    "accounts_data_export":                   signed_in(405),
    "accounts_data_export_download":          (  L, 404, 404, 200, 404, 404, 404, 404, 404, 404),
    "accounts_data_export_download[unknown]": signed_in(404),
    "accounts_erasure":                       signed_in(200),
    # The link is the secret: whoever holds it sees the offer; a signed-in person with
    # another address is told it is not theirs.
    "accounts_invitation":                    signed_in(403, anonymous=200),
    "accounts_invitation[unknown]":           everyone(404),
    "accounts_unlock_request":                everyone(200),
    "accounts_unlock":                        everyone(410),
    "initiative_list":                        everyone(200),
    "initiative_new":                         signed_in(200),
    "initiative_detail[public]":              everyone(200),
    # A dossier that is not public: its author, the quartier's council and
    # instructors, the administrators (fonds.predicates.can_view_private_parts).
    "initiative_detail[draft]":               (404, 404, 404, 200, 200, 404, 200, 404, 200, 200),
    "initiative_detail[inadmissible]":        (404, 404, 404, 200, 200, 404, 200, 404, 200, 200),
    "initiative_edit":                        (  L, 404, 404, 200, 404, 404, 404, 404, 404, 404),
    "initiative_edit[public]":                (  L, 404, 404, 200, 404, 404, 404, 404, 404, 404),
    "initiative_withdraw":                    (  L, 404, 404, 200, 404, 404, 404, 404, 404, 404),
    "initiative_support":                     signed_in(405),
    # A document the carrier made public, of a public dossier; one they did not make
    # public stays with those who handle the dossier, as a draft's does.
    "initiative_attachment[public]":          everyone(200),
    "initiative_attachment[private]":         (404, 404, 404, 200, 200, 404, 200, 404, 200, 200),
    "initiative_attachment[draft]":           (404, 404, 404, 200, 200, 404, 200, 404, 200, 200),
    "initiative_photo[public]":               everyone(200),
    "initiative_photo[draft]":                (404, 404, 404, 200, 200, 404, 200, 404, 200, 200),
    "my_space":                               signed_in(200),
    "my_notifications":                       signed_in(200),
    "report_file":                            (  L, 404, 404, 200, 404, 404, 404, 404, 404, 404),
    # The account a grant is paid to: its carrier alone gives it.
    "bank_details":                           (  L, 404, 404, 200, 404, 404, 404, 404, 404, 404),
    "report_review":                          (  L, 404, 404, 200, 200, 404, 200, 404, 200, 200),
    # Receipts: those who handle the dossier; photos of an accepted bilan: everyone, if
    # the carrier confirmed the people shown agreed (this one did not).
    "report_document":                        (404, 404, 404, 200, 200, 404, 200, 404, 200, 200),
    "fund_list":                              everyone(200),
    "fund_detail":                            everyone(200),
    "fund_ledger":                            everyone(200),
    "fund_ledger[csv]":                       everyone(200),
    "fund_credit":                            (  L, 404, 404, 404, 404, 404, 404, 404, 404, 200),
    # At the desk in /cms/, the quartier's instructors record payments — never on their
    # own dossier.
    "grant_payment":                          (  L,   L,   L,   L,   L,   L,   L, 404, 200, 404),
    "grant_release":                          (  L,   L,   L,   L,   L,   L,   L, 404, 200, 404),
    "grant_repayment_ask":                    (  L,   L,   L,   L,   L,   L,   L, 404, 200, 404),
    "repayment_receive":                      (  L,   L,   L,   L,   L,   L,   L, 404, 200, 404),
    # Closing a period: administrators.
    "fund_close":                             (  L, 404, 404, 404, 404, 404, 404, 404, 404, 200),
    "fund_reverse":                           (  L, 404, 404, 404, 404, 404, 404, 404, 404, 200),
    # Filing at the counter: the quartiers' instructors; the resident claims online.
    "fonds_backoffice_counter":               (  L,   L,   L,   L,   L,   L,   L, 200, 200, 403),
    "fonds_backoffice_counter_done":          (  L,   L,   L,   L,   L,   L,   L, 404, 200, 404),
    "fonds_backoffice_counter_receipt":       (  L,   L,   L,   L,   L,   L,   L, 404, 200, 404),
    "counter_claim":                          signed_in(200),
    # Everyone signed in has a council space; it lists only the councils they sit on.
    "council_home":                           signed_in(200),
    # Deliberations: the council's members in office and the quartier's instructors.
    "council_session":                        (  L, 404, 404, 404, 200, 404, 200, 404, 200, 404),
    "council_minutes[unsigned]":              (404, 404, 404, 404, 200, 404, 200, 404, 200, 404),
    "council_minutes[signed]":                everyone(200),
    "council_item":                           (  L, 404, 404, 404, 200, 404, 200, 404, 200, 404),
    "council_planning":                       signed_in(200),
    # Planning: the chair, the quartier's instructors, the administrators; a member
    # reads the deliberations, so is told no (403) rather than "nothing here" (404).
    "council_session_new":                    (  L, 404, 404, 404, 403, 404, 200, 404, 200, 200),
    "council_session_prepare":                (  L, 404, 404, 404, 403, 404, 200, 404, 200, 200),
    # The presiding officer only.
    "council_tally":                          (  L, 404, 404, 404, 404, 404, 200, 404, 404, 404),
    "council_publish":                        (  L, 404, 404, 404, 404, 404, 200, 404, 404, 404),
    "public_sessions":                        everyone(200),
    "decision_detail[published]":             everyone(200),
    "decision_detail[unpublished]":           everyone(404),
    "question_answer":                        signed_in(405),
    # The Wagtail admin's pages of the project's apps.
    "accounts_roles":                         admin_side(403, 200),
    "accounts_role_grant":                    admin_side(405, 405),
    "accounts_role_invite":                   admin_side(405, 405),
    "accounts_role_revoke":                   admin_side(403, 200),
    "accounts_staff_invitation_cancel":       admin_side(405, 405),
    "cms_privacy_register":                   admin_side(403, 200),
    "fonds_backoffice_queue":                 admin_side(200, 200),
    "fonds_backoffice_dossier":               (  L,   L,   L,   L,   L,   L,   L, 403, 200, 200),
    # A draft is its author's work in progress, not a dossier of the back-office yet.
    "fonds_backoffice_dossier[draft]":        admin_side(404, 404),
    "fonds_backoffice_instruct":              admin_side(405, 405),
    "fonds_backoffice_report":                (  L,   L,   L,   L,   L,   L,   L, 403, 200, 200),
    "fonds_backoffice_report_decide":         admin_side(405, 405),
    "fonds_backoffice_photo_hide":            admin_side(405, 405),
    "repayment_cancel":                       admin_side(405, 405),
    "fonds_backoffice_bank_confirm":          admin_side(405, 405),
    "fonds_backoffice_counter_code":          admin_side(405, 405),
    "votes_planning_sessions":                admin_side(200, 200),
    "themes:add":                             admin_side(D, 200),
    "quartiers:add":                          admin_side(D, 200),
    "fonds-initiative:add":                   admin_side(D, 200),
    "themes:edit":                            admin_side(D, 200),
    "quartiers:edit":                         admin_side(D, 200),
    "fonds-initiative:edit":                  admin_side(D, 200),
    # Councils and their composition: administrators change them, instructors read them.
    "conseils:index":                         admin_side(200, 200),
    "conseils:index_results":                 admin_side(200, 200),
    "conseils:add":                           admin_side(D, 200),
    "conseils:edit":                          admin_side(D, 200),
    "conseils:composition":                   admin_side(200, 200),
    "conseils:mandate_grant":                 admin_side(405, 405),
    "conseils:mandate_invite":                admin_side(405, 405),
    "conseils:mandate_end":                   admin_side(403, 200),
    "conseils:invitation_cancel":             admin_side(405, 405),
}

# What a POST answers on the pages that take only POST (their GET is a 405 above).
POST_ONLY = {
    #                                         anon res. oth. auth memb form chr. o.in inst adm.
    "accounts_data_export":                   signed_in(OK),
    "accounts_email_preferences":             signed_in(OK),
    # Supporting: the quartier's residents; the author and a resident of another
    # quartier are refused by the service, with a message.
    "initiative_support":                     (  L,  OK,   B,   B,  OK,  OK,  OK,  OK,  OK,  OK),
    "question_answer":                        (  L, 404, 404,  OK, 404, 404, 404, 404, 404, 404),
    "accounts_role_grant":                    admin_side(403, OK),
    "accounts_role_invite":                   admin_side(403, OK),
    "accounts_staff_invitation_cancel":       admin_side(403, OK),
    # An administrator opens every dossier but instructs none.
    "fonds_backoffice_instruct":              (  L,   L,   L,   L,   L,   L,   L, 403,  OK, 403),
    # Reviewing a bilan: the quartier's instructors (an administrator reads it only).
    "fonds_backoffice_report_decide":         (  L,   L,   L,   L,   L,   L,   L, 403,  OK,  OK),
    "fonds_backoffice_photo_hide":            (  L,   L,   L,   L,   L,   L,   L, 403,  OK,  OK),
    "repayment_cancel":                       (  L,   L,   L,   L,   L,   L,   L, 403,  OK, 403),
    "fonds_backoffice_bank_confirm":          (  L,   L,   L,   L,   L,   L,   L, 403,  OK, 403),
    "fonds_backoffice_counter_code":          (  L,   L,   L,   L,   L,   L,   L, 404,  OK, 404),
    "conseils:mandate_grant":                 admin_side(403, OK),
    "conseils:mandate_invite":                admin_side(403, OK),
    "conseils:invitation_cancel":             admin_side(403, OK),
}

# A sample of the Wagtail admin's own pages (all of them: test_every_admin_url_...).
ADMIN_SAMPLE = {
    "wagtailadmin_home":                      admin_side(200, 200),
    "wagtailadmin_explore_root":              admin_side(D, 200),
    "wagtailimages:index":                    admin_side(D, 200),
    "wagtailusers_users:index":               admin_side(D, 200),
    "themes:index":                           admin_side(D, 200),
    # Wagtail's own login form would sign in with a password alone (no second factor,
    # none of allauth's rate limits): it leads to allauth's.
    "wagtailadmin_login":                     everyone(L),
}

# A sample of allauth's pages under /comptes/.
ACCOUNT_SAMPLE = {
    "account_login":                          signed_in("302 /", anonymous=200),
    "account_signup":                         signed_in("302 /", anonymous=200),
    "account_logout":                         signed_in(200, anonymous="302 /"),
    "account_email":                          signed_in(200),
    "account_change_password":                signed_in(200),
    "mfa_index":                              signed_in(200),
    "mfa_activate_totp":                      signed_in(200),
}
# fmt: on

# /cms/ pages that answer before any admin access is checked.
ADMIN_OPEN = {
    "wagtailadmin_login": LOGIN,
    "wagtailadmin_sprite": 200,
    "wagtailadmin_javascript_catalog": 200,
    "wagtailadmin_password_reset": 404,  # WAGTAIL_PASSWORD_RESET_ENABLED = False
    "wagtailadmin_password_reset_done": 404,
    "wagtailadmin_password_reset_confirm": 404,
    "wagtailadmin_password_reset_complete": 404,
}

AUTHOR = "habitante@demo.fonds-quartiers.fr"
MEMBER = "conseillere@demo.fonds-quartiers.fr"
CHAIR = "maire@demo.fonds-quartiers.fr"
INSTRUCTOR = "instructeur@demo.fonds-quartiers.fr"
ADMINISTRATOR = "admin@demo.fonds-quartiers.fr"


# --- the URL patterns --------------------------------------------------------------------


def _module_of(callback):
    view = getattr(callback, "view_class", callback)
    return getattr(view, "__module__", None) or type(view).__module__


def url_patterns(patterns=None, prefix="", namespace=None):
    """(name, route, module of the view, pattern) of every URL pattern, walked
    recursively; ``namespace:name`` inside a namespace, the route for an unnamed one."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            continue
        route = prefix + str(pattern.pattern)
        name = pattern.name
        if name and namespace:
            name = f"{namespace}:{name}"
        yield name or route, route, _module_of(pattern.callback), pattern


def project_patterns():
    """{name: route} of the URL patterns whose view is in one of the project's apps."""
    return {
        name: route
        for name, route, module, _pattern in url_patterns()
        if module.split(".")[0] in PROJECT_APPS
    }


def _pattern_name(key):
    return key.split("[", 1)[0]


# --- the demo commune and the people of each role ----------------------------------------


def _upload(name, data, content_type):
    return SimpleUploadedFile(name, data, content_type=content_type)


def _people(quartier, elsewhere, council):
    from allauth.account.models import EmailAddress

    from accounts.models import User
    from accounts.roles import Role
    from accounts.services import role_grant
    from votes.models import Mandate
    from votes.services import mandate_end, mandate_grant

    demo = {u.email: u for u in User.objects.filter(email__endswith="@demo.fonds-quartiers.fr")}
    admin = demo[ADMINISTRATOR]
    today = timezone.localdate()

    def person(email, quartier=None):
        user = User.objects.create_user(email=email, password="x" * 12, quartier=quartier)
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        return user

    former = person("ancien-conseiller@example.org", quartier)
    mandate = mandate_grant(
        actor=admin,
        council=council,
        user=former,
        role=Mandate.Role.MEMBER,
        starts_on=today - datetime.timedelta(days=400),
    )
    mandate_end(
        actor=admin, mandate=mandate, ends_on=today - datetime.timedelta(days=1), reason="Fin"
    )
    other_instructor = person("agent-ailleurs@example.org")
    assignment = role_grant(
        actor=admin, user=other_instructor, role=Role.INSTRUCTOR, quartier=elsewhere
    )
    author = demo[AUTHOR]
    # The author is a plain resident: no staff role, no council seat, past or present.
    assert not author.role_assignments.exists() and not author.mandates.exists()
    people = {
        "anonymous": None,
        "resident": person("voisine@example.org", quartier),
        "other_resident": person("habitant-ailleurs@example.org", elsewhere),
        "author": author,
        "member": demo[MEMBER],
        "former_member": former,
        "chair": demo[CHAIR],
        "other_instructor": other_instructor,
        "instructor": demo[INSTRUCTOR],
        "administrator": admin,
    }
    return people, assignment


def _build_world(data):
    """The demo commune, and what its pages need that the demo does not hold: files on
    a private and a public dossier, an adjourned decision waiting for publication, a
    vote open, a question to the author, pending invitations, an archive of the
    author's data."""
    from accounts.invitations import role_invite
    from accounts.privacy import data_export_build, data_export_request
    from accounts.roles import Role
    from fonds.models import Fund, Initiative, RepaymentRequest, Report, Theme
    from fonds.services import initiative_attach, initiative_set_photo
    from fonds.services.counter import counter_file
    from tests.fonds.conftest import BUDGET, complete_fields
    from votes.models import AgendaItem, Council, Decision, Mandate, Session
    from votes.services import agenda_add, decision_record, message_post, vote_open
    from votes.services.councils import mandate_invite

    quartier, elsewhere = data["quartiers"][0], data["quartiers"][2]
    council = Council.objects.get(quartier=quartier)
    people, assignment = _people(quartier, elsewhere, council)
    author, chair = people["author"], people["chair"]
    admin, instructor = people["administrator"], people["instructor"]
    mine = Initiative.objects.filter(fund__quartier=quartier, author=author).order_by("pk")

    def one(status):
        return mine.filter(status=status).first()

    def attach(initiative, public=False):
        attachment = initiative_attach(
            actor=author,
            initiative=initiative,
            upload=_upload("devis.pdf", pdf_bytes(), "application/pdf"),
            label="Devis",
            public=public,
        )
        initiative_set_photo(
            actor=author,
            initiative=initiative,
            upload=_upload("photo.jpg", image_bytes(), "image/jpeg"),
        )
        return attachment

    draft, incomplete = one(Initiative.Status.DRAFT), one(Initiative.Status.INCOMPLETE)
    o = {
        "theme": draft.theme or Theme.objects.order_by("pk").first(),
        "council": council,
        "fund": Fund.objects.get(quartier=quartier, pk__in=[f.pk for f in data["funds"]]),
        "draft": draft,
        "incomplete": incomplete,
        "private_file": attach(draft),
        "public_file": attach(incomplete, public=True),
        "unpublished_file": attach(incomplete),
        "submitted": one(Initiative.Status.SUBMITTED),
        "inadmissible": one(Initiative.Status.INADMISSIBLE),
        "granted": one(Initiative.Status.GRANTED),
        "report": Report.objects.filter(initiative__in=mine).first(),
        "open_session": Session.objects.get(council=council, status=Session.Status.OPEN),
        "signed_session": Session.objects.filter(
            council=council, minutes_signed_at__isnull=False
        ).first(),
        "published": Decision.objects.filter(
            item__session__council=council, published_at__isnull=False
        ).first(),
        "member_mandate": Mandate.objects.in_office().get(council=council, user=people["member"]),
        "assignment": assignment,
    }
    o["grant"] = o["granted"].grants.get()
    o["repayment"] = RepaymentRequest.objects.create(
        grant=o["grant"], amount="1.00", due_on=timezone.localdate(), reason="Action annulée"
    )
    o["document"] = o["report"].documents.first()
    o["counter"], _code = counter_file(
        actor=instructor,
        fund=o["fund"],
        contact_address="1 place de la Mairie",
        lines=BUDGET,
        **complete_fields(o["theme"]) | {"carrier_kind": "person", "rna": ""},
    )
    waiting = AgendaItem.objects.get(session=o["open_session"])
    assert waiting.initiative.author_id == author.pk
    o["waiting"] = waiting
    o["adjourned"] = decision_record(actor=chair, item=waiting, defer=True, reason="Plus tard")
    voting = agenda_add(
        actor=instructor, session=o["open_session"], initiative=one(Initiative.Status.ADMISSIBLE)
    )
    o["vote"] = vote_open(actor=chair, item=voting, mode="show_of_hands", proposed_amount="100")
    o["question"] = message_post(
        actor=people["member"],
        initiative=waiting.initiative,
        body="Pouvez-vous préciser le lieu ?",
        question=True,
    )
    o["council_invitation"] = mandate_invite(
        actor=admin,
        council=council,
        email="future-conseillere@example.org",
        role=Mandate.Role.MEMBER,
        starts_on=timezone.localdate(),
    )
    o["staff_invitation"] = role_invite(
        actor=admin, email="futur-agent@example.org", role=Role.INSTRUCTOR, quartier=quartier
    )
    export = data_export_request(actor=author)
    data_export_build.call(str(export.pk))
    o["export"] = export
    return {"people": people, "objects": o, "urls": _urls(o), "posts": _post_data(o, people)}


def _urls(o):
    """The address of every case of the matrix."""

    def url(name, *args):
        return reverse(name, args=args)

    pk = {name: o[name].pk for name in ("draft", "incomplete", "submitted", "inadmissible")}
    council, session = o["council"].pk, o["open_session"].pk
    slug = o["fund"].slug
    return {
        "healthz": url("healthz"),
        "search": url("search") + "?q=jardin",
        "robots_txt": url("robots_txt"),
        "map_background": url("map_background"),
        "decision_feed": url("decision_feed"),
        "privacy": url("privacy"),
        "accounts_profile": url("accounts_profile"),
        "accounts_email_preferences": url("accounts_email_preferences"),
        "accounts_data_export": url("accounts_data_export"),
        "accounts_data_export_download": url("accounts_data_export_download", o["export"].pk),
        "accounts_data_export_download[unknown]": url(
            "accounts_data_export_download", uuid.UUID(int=1)
        ),
        "accounts_erasure": url("accounts_erasure"),
        "accounts_invitation": url("accounts_invitation", o["staff_invitation"].token),
        "accounts_invitation[unknown]": url("accounts_invitation", "x" * 43),
        "accounts_unlock_request": url("accounts_unlock_request"),
        "accounts_unlock": url("accounts_unlock", "x" * 43),
        "initiative_list": url("initiative_list"),
        "initiative_new": url("initiative_new"),
        "initiative_detail[public]": url("initiative_detail", pk["submitted"]),
        "initiative_detail[draft]": url("initiative_detail", pk["draft"]),
        "initiative_detail[inadmissible]": url("initiative_detail", pk["inadmissible"]),
        "initiative_edit": url("initiative_edit", pk["draft"], "projet"),
        "initiative_edit[public]": url("initiative_edit", pk["incomplete"], "budget"),
        "initiative_withdraw": url("initiative_withdraw", pk["submitted"]),
        "initiative_support": url("initiative_support", pk["submitted"]),
        "initiative_attachment[public]": url(
            "initiative_attachment", pk["incomplete"], o["public_file"].pk
        ),
        "initiative_attachment[private]": url(
            "initiative_attachment", pk["incomplete"], o["unpublished_file"].pk
        ),
        "initiative_attachment[draft]": url(
            "initiative_attachment", pk["draft"], o["private_file"].pk
        ),
        "initiative_photo[public]": url("initiative_photo", pk["incomplete"]),
        "initiative_photo[draft]": url("initiative_photo", pk["draft"]),
        "my_space": url("my_space"),
        "my_notifications": url("my_notifications"),
        "report_file": url("report_file", o["granted"].pk),
        "bank_details": url("bank_details", pk["submitted"]),
        "fonds_backoffice_bank_confirm": url("fonds_backoffice_bank_confirm", o["granted"].pk),
        "report_review": url("report_review", o["report"].initiative_id),
        "report_document": url("report_document", o["report"].initiative_id, o["document"].pk),
        "fund_list": url("fund_list"),
        "fund_detail": url("fund_detail", slug),
        "fund_ledger": url("fund_ledger", slug),
        "fund_ledger[csv]": url("fund_ledger", slug) + "?format=csv",
        "fund_credit": url("fund_credit", slug),
        "grant_payment": url("grant_payment", o["grant"].pk),
        "grant_release": url("grant_release", o["grant"].pk),
        "grant_repayment_ask": url("grant_repayment_ask", o["grant"].pk),
        "repayment_receive": url("repayment_receive", o["repayment"].pk),
        "repayment_cancel": url("repayment_cancel", o["repayment"].pk),
        "fund_close": url("fund_close", slug),
        "fund_reverse": url(
            "fund_reverse", slug, o["fund"].transactions.get(kind="credit").sequence
        ),
        "fonds_backoffice_counter": url("fonds_backoffice_counter"),
        "fonds_backoffice_counter_done": url("fonds_backoffice_counter_done", o["counter"].pk),
        "fonds_backoffice_counter_receipt": url(
            "fonds_backoffice_counter_receipt", o["counter"].pk
        ),
        "fonds_backoffice_counter_code": url("fonds_backoffice_counter_code", o["counter"].pk),
        "counter_claim": url("counter_claim"),
        "council_home": url("council_home"),
        "council_session": url("council_session", session),
        "council_minutes[unsigned]": url("council_minutes", session),
        "council_minutes[signed]": url("council_minutes", o["signed_session"].pk),
        "council_item": url("council_item", o["waiting"].pk),
        "council_planning": url("council_planning"),
        "council_session_new": url("council_session_new", council),
        "council_session_prepare": url("council_session_prepare", session),
        "council_tally": url("council_tally", o["vote"].pk),
        "council_publish": url("council_publish", o["adjourned"].pk),
        "public_sessions": url("public_sessions"),
        "decision_detail[published]": url("decision_detail", o["published"].reference),
        "decision_detail[unpublished]": url("decision_detail", o["adjourned"].reference),
        "question_answer": url("question_answer", o["question"].pk),
        "accounts_roles": url("accounts_roles"),
        "accounts_role_grant": url("accounts_role_grant"),
        "accounts_role_invite": url("accounts_role_invite"),
        "accounts_role_revoke": url("accounts_role_revoke", o["assignment"].pk),
        "accounts_staff_invitation_cancel": url(
            "accounts_staff_invitation_cancel", o["staff_invitation"].pk
        ),
        "cms_privacy_register": url("cms_privacy_register"),
        "fonds_backoffice_queue": url("fonds_backoffice_queue"),
        "fonds_backoffice_dossier": url("fonds_backoffice_dossier", pk["submitted"]),
        "fonds_backoffice_dossier[draft]": url("fonds_backoffice_dossier", pk["draft"]),
        "fonds_backoffice_instruct": url("fonds_backoffice_instruct", pk["submitted"], "recevable"),
        "fonds_backoffice_report": url("fonds_backoffice_report", o["report"].initiative_id),
        "fonds_backoffice_report_decide": url(
            "fonds_backoffice_report_decide", o["report"].initiative_id, "refuser"
        ),
        "fonds_backoffice_photo_hide": url(
            "fonds_backoffice_photo_hide", o["report"].initiative_id, o["document"].pk
        ),
        "votes_planning_sessions": url("votes_planning_sessions"),
        "themes:add": url("themes:add"),
        "quartiers:add": url("quartiers:add"),
        "fonds-initiative:add": url("fonds-initiative:add"),
        "themes:edit": url("themes:edit", o["theme"].pk),
        "quartiers:edit": url("quartiers:edit", o["fund"].quartier_id),
        "fonds-initiative:edit": url("fonds-initiative:edit", o["fund"].pk),
        "conseils:index": url("conseils:index"),
        "conseils:index_results": url("conseils:index_results"),
        "conseils:add": url("conseils:add"),
        "conseils:edit": url("conseils:edit", council),
        "conseils:composition": url("conseils:composition", council),
        "conseils:mandate_grant": url("conseils:mandate_grant", council),
        "conseils:mandate_invite": url("conseils:mandate_invite", council),
        "conseils:mandate_end": url("conseils:mandate_end", council, o["member_mandate"].pk),
        "conseils:invitation_cancel": url(
            "conseils:invitation_cancel", council, o["council_invitation"].pk
        ),
    }


def _post_data(o, people):
    """What an authorised person would post to each page that takes a form (a
    refused one posts the same and writes nothing)."""
    today = timezone.localdate().isoformat()
    key = "k" * 32
    money = {"amount": "10", "memo": "Intrus", "key": key, "confirmed": "1"}
    return {
        "accounts_profile": {"display_name": "Intrus", "language": "fr"},
        "accounts_erasure": {"password": "x" * 12, "understood": "on"},
        "initiative_new": {"title": "Intrus", "carrier_kind": "person", "fund": o["fund"].pk},
        "initiative_edit": {"summary": "Intrus", "description": "Intrus", "place_name": "Ici"},
        "initiative_edit[public]": {
            "lignes-TOTAL_FORMS": "1",
            "lignes-INITIAL_FORMS": "0",
            "lignes-0-kind": "expense",
            "lignes-0-label": "Intrus",
            "lignes-0-amount": "1",
        },
        "accounts_invitation": {},
        "accounts_unlock": {},
        "initiative_withdraw": {"reason": "Intrus"},
        "report_file": {"narrative": "Intrus", "participants": "1", "actual_expenses": "1"},
        "question_answer": {"body": "Intrus"},
        "fund_credit": money,
        "grant_payment": money | {"payment_reference": "VIR-1", "payment_date": today},
        "grant_release": money,
        "grant_repayment_ask": money | {"due_on": today, "reason": "Intrus"},
        "repayment_receive": money | {"payment_reference": "TITRE-1", "payment_date": today},
        "repayment_cancel": {f"annuler-{o['repayment'].pk}-reason": "Intrus"},
        "bank_details": {"holder": "Intrus", "iban": "FR7630006000011234567890189"},
        "fonds_backoffice_bank_confirm": {"details": o["granted"].bank_details.get().pk},
        "fund_close": {"envelope": "return", "reason": "Intrus"},
        "fund_reverse": {"memo": "Intrus"},
        "fonds_backoffice_counter": {"fund": o["fund"].pk, "carrier_name": "Intrus"},
        "fonds_backoffice_counter_code": {},
        "counter_claim": {"code": "AAAA-BBBB-CCCC"},
        "council_session": {"action": "close"},
        "council_item": {"action": "interest", "note": "Intrus"},
        "council_session_new": {
            "procedure": "meeting",
            "day": (timezone.localdate() + datetime.timedelta(days=20)).isoformat(),
            "time": "18:30",
            "place": "Ici",
            "is_public": "1",
        },
        "council_session_prepare": {"action": "convene"},
        "council_publish": {"confirmed": "1"},
        "accounts_role_grant": {
            "attribuer-person": people["resident"].email,
            "attribuer-role": "instructor",
            "attribuer-starts_on": today,
        },
        "accounts_role_invite": {
            "inviter-email": "intrus@example.org",
            "inviter-role": "administrator",
            "inviter-starts_on": today,
        },
        "accounts_role_revoke": {"reason": "Intrus"},
        "fonds_backoffice_instruct": {"recevable-reason": "Intrus"},
        "fonds_backoffice_report_decide": {"refuser-reason": "Intrus"},
        "fonds_backoffice_photo_hide": {"reason": "Intrus"},
        "accounts_staff_invitation_cancel": {},
        "themes:add": {"name": "Intrus"},
        "quartiers:add": {"name": "Intrus"},
        "themes:edit": {"name": "Intrus", "position": "0"},
        "quartiers:edit": {"name": "Intrus"},
        "fonds-initiative:edit": {"label": "Intrus", "max_grant": "99999"},
        "conseils:add": {"name": "Intrus", "quartier": o["council"].quartier_id},
        "conseils:edit": {"name": "Intrus"},
        "fonds-initiative:add": {"label": "Intrus", "quartier": o["council"].quartier_id},
        "conseils:mandate_grant": {"person": people["resident"].email, "role": "member"},
        "conseils:mandate_invite": {"email": "intrus@example.org", "role": "member"},
        "conseils:invitation_cancel": {},
        "conseils:mandate_end": {"ends_on": today, "reason": "Intrus"},
    }


@pytest.fixture(scope="module")
def world(_module_demo, django_db_blocker):
    with django_db_blocker.unblock():
        return _build_world(_module_demo["data"])


# --- asking --------------------------------------------------------------------------------


def answer(response):
    """A status code, or ``302 <path>`` for a redirect."""
    if response.status_code in (301, 302):
        return f"302 {urlsplit(response['Location']).path}"
    return response.status_code


def matches(expected, got):
    if expected == BACK:
        return isinstance(got, str) and got not in (LOGIN, DASHBOARD)
    return expected == got


def mismatches(client, role, urls, table, *, method="get", data=None, each=None):
    """{case: (expected, got)} of every cell of ``role``'s column that differs."""
    column = ROLES.index(role)
    wrong = {}
    for key, row in table.items():
        expected = row[column]
        if expected == ALLOWED:
            continue
        if method == "get":
            response = client.get(urls[key])
        else:
            response = client.post(urls[key], (data or {}).get(key, {}))
        got = answer(response)
        if not matches(expected, got):
            wrong[key] = (expected, got)
        if each is not None:
            each(key)
    return wrong


# --- the matrix ------------------------------------------------------------------------------


def test_every_url_pattern_has_its_row():
    """A new page of the project's apps is added to the matrix with the status each
    role must get; a row whose pattern is gone is removed."""
    patterns = project_patterns()
    rows = {_pattern_name(key) for key in MATRIX}
    missing = sorted(f"{name} ({patterns[name]})" for name in set(patterns) - rows)
    assert not missing, f"URL patterns without a row in MATRIX: {missing}"
    assert not rows - set(patterns), f"rows without a URL pattern: {sorted(rows - set(patterns))}"
    assert all(len(row) == len(ROLES) for row in MATRIX.values())
    # A page that takes only POST answers a GET with 405 (or the login page).
    assert all(set(MATRIX[key]) <= {LOGIN, 405} for key in POST_ONLY)


def test_every_case_has_its_address(world):
    assert set(world["urls"]) == set(MATRIX)
    assert set(world["posts"]) <= set(MATRIX)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_answers_each_role_as_the_matrix_says(client, demo, world, role):
    sign_in(client, world["people"][role])
    wrong = mismatches(client, role, world["urls"], MATRIX)
    assert not wrong, f"{role}: {{case: (expected, got)}} = {wrong}"


def _written():
    from accounts.models import Invitation, RoleAssignment, User
    from fonds.models import Attachment, Fund, Quartier, Report, Support, Theme
    from tests.votes.conftest import db_state

    state = db_state()
    state["accounts"] = list(User.objects.order_by("pk").values())
    state["roles"] = list(RoleAssignment.objects.order_by("pk").values())
    state["invitations"] = list(Invitation.objects.order_by("pk").values())
    for model in (Attachment, Fund, Quartier, Report, Support, Theme):
        state[model.__name__] = list(model.objects.order_by("pk").values())
    return state


@pytest.mark.parametrize("role", ROLES)
def test_a_role_refused_a_page_is_refused_its_post_and_writes_nothing(client, demo, world, role):
    """Each page that takes a form refuses it, the same way as its GET, to the roles it
    refuses; the POST-only pages refuse the roles ``POST_ONLY`` says; the database is
    left as it was."""
    from accounts.models import AuditEntry

    column = ROLES.index(role)
    refused = {key: MATRIX[key] for key in world["posts"] if MATRIX[key][column] in REFUSALS}
    refused |= {key: row for key, row in POST_ONLY.items() if row[column] != ALLOWED}
    audit = AuditEntry.objects.count()
    audited = []

    def count_audit(key):
        nonlocal audit
        now = AuditEntry.objects.count()
        if now != audit:
            audited.append(key)
            audit = now

    sign_in(client, world["people"][role])
    before = _written()
    wrong = mismatches(
        client, role, world["urls"], refused, method="post", data=world["posts"], each=count_audit
    )
    assert not wrong, f"{role}: {{case: (expected, got)}} = {wrong}"
    assert not audited, f"{role}: refused POSTs that wrote an audit row: {audited}"
    after = _written()
    assert [key for key in before if before[key] != after[key]] == []


# --- the Wagtail admin and allauth, by prefix --------------------------------------------


SHAPES = ("1", "x", str(uuid.UUID(int=1)))


def _dummy_kwargs(pattern):
    """Any value of the right shape for each argument: the admin checks access before
    it looks anything up."""
    kwargs = {}
    for name, converter in getattr(pattern.pattern, "converters", {}).items():
        kwargs[name] = next(v for v in SHAPES if re.fullmatch(converter.regex, v))
    for name in re.findall(r"\(\?P<(\w+)>", str(pattern.pattern)):
        kwargs.setdefault(name, "1")
    return kwargs


def admin_urls():
    """{name: address} of every named URL under /cms/."""
    urls = {}
    for name, route, _module, pattern in url_patterns():
        if route.startswith("cms/") and pattern.name:
            urls[name] = reverse(name, kwargs=_dummy_kwargs(pattern))
    return urls


@pytest.mark.parametrize("role", ["anonymous", "resident"])
def test_every_admin_url_sends_the_public_to_the_login_page(client, demo, world, role):
    urls = admin_urls()
    assert len(urls) > 150 and "fonds_backoffice_queue" in urls
    sign_in(client, world["people"][role])
    wrong = {}
    for name, url in urls.items():
        got = answer(client.get(url))
        if got != ADMIN_OPEN.get(name, LOGIN):
            wrong[name] = (url, got)
    assert not wrong, f"{role}: {wrong}"


@pytest.mark.parametrize("role", ROLES)
def test_the_admin_and_the_account_pages_answer_each_role(client, demo, world, role):
    urls = {name: reverse(name) for name in ADMIN_SAMPLE | ACCOUNT_SAMPLE}
    wrong = {}
    for table in (ADMIN_SAMPLE, ACCOUNT_SAMPLE):
        for key in table:
            # Some account pages change the session (logging in, out): a fresh one each.
            sign_in(client, world["people"][role])
            wrong |= mismatches(client, role, urls, {key: table[key]})
    assert not wrong, f"{role}: {{page: (expected, got)}} = {wrong}"


def test_the_admin_login_form_signs_nobody_in_past_the_second_factor(client, demo, world):
    """Wagtail's own login form would open the admin with a password alone."""
    from allauth.mfa.models import Authenticator

    admin = world["people"]["administrator"]
    admin.set_password("motdepasse-solide")
    admin.save(update_fields=["password"])
    Authenticator.objects.create(user=admin, type=Authenticator.Type.TOTP, data={"secret": "A"})
    response = client.post(
        "/cms/login/?next=/cms/", {"username": admin.email, "password": "motdepasse-solide"}
    )
    assert answer(response) == LOGIN and response["Location"].endswith("?next=/cms/")
    assert "_auth_user_id" not in client.session
    assert answer(client.get("/cms/")) == LOGIN
    response = client.post(
        "/comptes/login/", {"login": admin.email, "password": "motdepasse-solide"}
    )
    assert answer(response) == "302 /comptes/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
