"""The demo commune: about sixty initiatives at every stage, a year of dated history,
six past sessions with signed minutes, money that moved through the ledger in date
order, bilans, and quartier outlines that hold their initiatives."""

import datetime
import itertools
from collections import Counter
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from accounts.errors import DomainError, PermissionDenied
from accounts.models import AuditEntry, User
from cms.demo.catalogue import DOSSIERS
from cms.demo.clock import Calendar, frozen_at
from cms.demo.councils import decided_actions
from cms.demo.sittings import SITTINGS
from fonds.models import Grant, Initiative, LedgerTransaction, Quartier, Report
from fonds.services import quartier_create
from fonds.services.quartiers import quartier_set_outline
from fonds.verify import verify_ledger
from tests.system import SYSTEM
from votes.models import Cast, Decision, Interest, Session, Vote

Status = Initiative.Status
RESIDENT = "habitante@demo.fonds-quartiers.fr"


# The catalogue (no database) ------------------------------------------------------------


def test_every_budget_of_the_catalogue_meets_the_fund_rules():
    for dossier in DOSSIERS:
        expenses = sum(amount for _label, amount in dossier.expenses)
        cofunding = sum(amount for _label, amount in dossier.cofunding)
        assert 300 <= expenses - cofunding <= 3000, dossier.key
        assert cofunding * 10 >= expenses, dossier.key


def test_the_calendar_of_the_catalogue_holds_together():
    submitted = {dossier.key: dossier.day for dossier in DOSSIERS}
    lasts = {dossier.key: dossier.lasts for dossier in DOSSIERS}
    starts = decided_actions()
    for sitting in SITTINGS:
        for item in sitting.items:
            # Examined two weeks after submission, before the agenda is set.
            assert submitted[item.dossier] + 14 < sitting.day - 14, item.dossier
            if item.bilan:
                assert starts[item.dossier] + lasts[item.dossier] + 20 <= Calendar.LAST_DAY


def test_the_clock_dates_what_is_written_inside_it():
    moment = timezone.make_aware(datetime.datetime(2026, 2, 3, 10, 0))
    with frozen_at(moment):
        first, second = timezone.now(), timezone.now()
        assert timezone.localdate() == datetime.date(2026, 2, 3)
    assert moment <= first < second < moment + datetime.timedelta(minutes=1)
    assert timezone.now() - datetime.timedelta(minutes=1) > moment


# The demo commune -----------------------------------------------------------------------


def test_about_sixty_initiatives_at_every_stage(demo):
    statuses = Counter(Initiative.objects.values_list("status", flat=True))
    assert 55 <= sum(statuses.values()) <= 65
    assert set(statuses) == set(Status.values)
    per_quartier = Counter(Initiative.objects.values_list("fund__quartier__name", flat=True))
    assert len(per_quartier) == 7 and min(per_quartier.values()) >= 5
    kinds = Counter(Initiative.objects.values_list("carrier_kind", flat=True))
    assert kinds["association"] and kinds["person"]
    amounts = Initiative.objects.values_list("requested_amount", flat=True)
    assert all(Decimal(300) <= amount <= Decimal(3000) for amount in amounts)
    assert Initiative.objects.filter(supports__isnull=False).distinct().count() >= 30
    assert not Initiative.objects.filter(latitude__isnull=True).exists()

    # The demo resident has one dossier at every stage, in the first quartier.
    first = demo["quartiers"][0]
    mine = Initiative.objects.filter(author__email=RESIDENT)
    assert set(mine.values_list("status", flat=True)) == set(Status.values)
    assert set(mine.values_list("fund__quartier", flat=True)) == {first.pk}
    assert mine.filter(status=Status.ADMISSIBLE).count() == 1


def test_past_sessions_with_minutes_votes_and_one_session_open_today(demo):
    """Six sessions this year, one in December the year before (Bellevue, whose 2025
    fund closes into 2026)."""
    past = Session.objects.filter(status=Session.Status.CLOSED).select_related("council")
    assert past.count() == 7
    before = [s for s in past if s.starts_at.year < timezone.localdate().year]
    assert [s.council.quartier.name for s in before] == ["Bellevue"]
    quartiers = Counter(session.council.quartier.name for session in past)
    assert quartiers["Bellevue"] >= 2 and len(quartiers) >= 4
    for session in past:
        assert session.minutes_signed_at > session.closed_at > session.opened_at
        assert session.minutes_head_hash
        assert session.attendances.filter(present=True).count() >= session.quorum_required
        assert session.items.count() >= (2 if session in before else 3)
        assert all(item.decisions.exists() for item in session.items.all())
    days = sorted(timezone.localdate(session.starts_at) for session in past)
    assert days[-1] < timezone.localdate()

    today = Session.objects.get(status=Session.Status.OPEN)
    assert today.council.quartier == demo["quartiers"][0]
    assert timezone.localdate(today.starts_at) == timezone.localdate()
    waiting = [item.initiative for item in today.items.all()]
    assert [initiative.status for initiative in waiting] == [Status.ON_AGENDA]
    first_fund = Initiative.objects.filter(fund__quartier=demo["quartiers"][0])
    assert first_fund.filter(status=Status.ADMISSIBLE).exists()

    # Votes by show of hands and by secret ballot, refusals, and one recusal.
    modes = Counter(Vote.objects.values_list("mode", flat=True))
    assert modes[Vote.Mode.SHOW_OF_HANDS] > modes[Vote.Mode.SECRET] >= 1
    outcomes = Counter(Decision.objects.values_list("outcome", flat=True))
    assert outcomes[Decision.Outcome.REFUSED] >= 1
    assert outcomes[Decision.Outcome.GRANTED] >= 10
    interest = Interest.objects.select_related("item").get()
    assert interest.item.votes.exists()
    assert not Cast.objects.filter(vote__item=interest.item, member=interest.user).exists()
    assert interest.user_id in interest.item.decisions.get().tally["recused"]


def test_grants_committed_paid_released_and_reported(demo):
    decisions = Decision.objects.exclude(outcome=Decision.Outcome.DEFERRED)
    assert decisions.filter(published_at__isnull=True).count() == 0
    for decision in decisions.filter(outcome=Decision.Outcome.GRANTED):
        commit = LedgerTransaction.objects.get(kind="commit", reference=decision.reference)
        assert commit.amount == decision.amount
        assert decision.recorded_at < commit.created_at <= decision.published_at
    refused = decisions.filter(outcome=Decision.Outcome.REFUSED).values("reference")
    assert not LedgerTransaction.objects.filter(reference__in=refused).exists()

    # Payments after their decisions, in part or in full; releases; bilans.
    fully, partly = 0, 0
    for grant in Grant.objects.filter(carried_from__isnull=True):
        decision = Decision.objects.get(reference=grant.decision_reference)
        moves = grant.transactions.all()
        committed = moves.get(kind="commit").amount
        paid = moves.filter(kind="disburse").aggregate(total=Sum("amount"))["total"] or 0
        for payment in moves.filter(kind="disburse"):
            assert payment.created_at > decision.published_at
            assert payment.payment_date >= timezone.localdate(decision.published_at)
        fully += paid == committed
        partly += 0 < paid < committed
    assert fully >= 3 and partly >= 3
    assert LedgerTransaction.objects.filter(kind="release").count() >= 3

    accepted = Report.objects.filter(status=Report.Status.ACCEPTED)
    assert accepted.count() >= 3
    assert all(report.initiative.status == Status.CLOSED for report in accepted)
    for report in accepted:
        assert report.initiative.grants.get().account.balance == 0
        assert report.submitted_at < report.accepted_at
    waiting = Report.objects.get(status=Report.Status.SUBMITTED)
    assert waiting.initiative.status == Status.GRANTED


def test_a_year_of_history_in_date_order_that_the_ledger_verifies(demo):
    calendar = Calendar()
    created = Initiative.objects.values_list("created_at", flat=True)
    span = max(created) - min(created)
    assert span >= datetime.timedelta(days=270) * calendar.scale
    credits = LedgerTransaction.objects.filter(kind="credit", fund__in=demo["funds"])
    assert {timezone.localtime(tx.created_at).month for tx in credits} == {1}
    for fund in demo["funds"]:
        moments = list(fund.transactions.order_by("sequence").values_list("created_at", flat=True))
        assert moments == sorted(moments)
    # Audit rows carry the date of their step, not the day the demo was built.
    opened_today = Session.objects.get(status=Session.Status.OPEN).starts_at
    entries = AuditEntry.objects.values_list("created_at", flat=True)
    assert len([entry for entry in entries if entry < opened_today]) > 0.9 * len(entries)
    assert len({timezone.localdate(entry) for entry in entries}) >= 100 * calendar.scale
    # The accounts were opened in the autumn before: the year before ends with a session.
    joined = User.objects.filter(email=RESIDENT).values_list("date_joined", flat=True).get()
    assert joined < calendar.new_year

    report = verify_ledger()
    assert report.ok, report.error
    assert report.transactions == LedgerTransaction.objects.count() >= 40


def _inside(point, ring):
    """Ray casting: is (x, y) inside the closed ring of [x, y] positions?"""
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _box(ring):
    xs, ys = [x for x, _y in ring], [y for _x, y in ring]
    return min(xs), min(ys), max(xs), max(ys)


def test_quartier_outlines_hold_their_initiatives_and_never_overlap(demo):
    boxes = []
    for quartier in Quartier.objects.all():
        outline = quartier.outline
        assert outline["type"] == "Polygon"
        ring = outline["coordinates"][0]
        assert ring[0] == ring[-1] and len(ring) >= 4
        points = Initiative.objects.filter(fund__quartier=quartier).values_list(
            "longitude", "latitude"
        )
        assert points
        for longitude, latitude in points:
            assert _inside((float(longitude), float(latitude)), ring), quartier.name
        boxes.append(_box(ring))
    # Disjoint bounding boxes: no two outlines can overlap.
    for a, b in itertools.combinations(boxes, 2):
        assert a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1]


# The outline service --------------------------------------------------------------------

NAN, INF = float("nan"), float("inf")
SQUARE = {"type": "Polygon", "coordinates": [[[0.6, 47.3], [0.7, 47.3], [0.7, 47.4], [0.6, 47.3]]]}


@pytest.mark.parametrize(
    "outline",
    [
        {"type": "Point", "coordinates": [0.6, 47.3]},
        {"type": "Polygon", "coordinates": []},
        {"type": "Polygon", "coordinates": [[[0.6, 47.3], [0.7, 47.3], [0.6, 47.3]]]},
        {"type": "Polygon", "coordinates": [[[0.6, 47.3], [0.7, 47.3], [0.7, 47.4], [0.6, 47]]]},
        {"type": "Polygon", "coordinates": [[[0.6, 47.3], [NAN, 47.3], [0.7, 47], [0.6, 47.3]]]},
        {"type": "Polygon", "coordinates": [[[0.6, 47.3], [0.7, INF], [0.7, 47], [0.6, 47.3]]]},
        {"type": "Polygon", "coordinates": [[[0.6, 47.3], [200, 47.3], [0.7, 47.4], [0.6, 47.3]]]},
        {"type": "Polygon", "coordinates": [[[0.6, 47.3], [True, 47.3], [0.7, 47], [0.6, 47.3]]]},
        {"type": "Polygon", "coordinates": [[[0.6, 47.3], ["0.7", 47], [0.7, 47], [0.6, 47.3]]]},
        "not even a dict",
    ],
)
def test_a_bad_outline_is_refused_and_nothing_is_written(db, outline):
    quartier = quartier_create(actor=SYSTEM, name="Saint-Jean")
    before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as refused:
        quartier_set_outline(actor=SYSTEM, quartier=quartier, outline=outline)
    assert refused.value.field == "outline"
    quartier.refresh_from_db()
    assert quartier.outline is None
    assert AuditEntry.objects.count() == before


def test_an_administrator_sets_an_outline_with_an_audit_row(db):
    quartier = quartier_create(actor=SYSTEM, name="Saint-Jean")
    quartier_set_outline(actor=SYSTEM, quartier=quartier, outline=SQUARE)
    quartier.refresh_from_db()
    assert quartier.outline == SQUARE
    entry = AuditEntry.objects.get(action="fonds.quartier.outline")
    assert entry.target_id == str(quartier.pk)
    assert entry.data == {"rings": 1, "points": 4, "system": "tests"}


def test_only_an_administrator_sets_an_outline(db):
    quartier = quartier_create(actor=SYSTEM, name="Saint-Jean")
    resident = User.objects.create_user(email="voisin@example.org", password="x")
    with pytest.raises(PermissionDenied):
        quartier_set_outline(actor=resident, quartier=quartier, outline=SQUARE)
    quartier.refresh_from_db()
    assert quartier.outline is None


def test_a_quartier_is_created_with_a_checked_outline(db):
    with pytest.raises(DomainError):
        quartier_create(actor=SYSTEM, name="Saint-Jean", outline={"type": "Polygon"})
    assert not Quartier.objects.filter(name="Saint-Jean").exists()
    assert quartier_create(actor=SYSTEM, name="Saint-Jean", outline=SQUARE).outline == SQUARE


def test_every_council_has_a_vice_chair_and_one_council_meets_in_a_fortnight(demo, client):
    from votes.models import Council, Mandate

    for council in Council.objects.all():
        seats = Counter(
            Mandate.objects.in_office().filter(council=council).values_list("role", flat=True)
        )
        assert seats[Mandate.Role.CHAIR] == 1 and seats[Mandate.Role.VICE_CHAIR] == 1, council
    planned = Session.objects.get(status=Session.Status.PLANNED)
    assert planned.is_public and planned.convened_at is not None
    assert timezone.localdate(planned.starts_at) > timezone.localdate()
    agenda = [item.initiative for item in planned.items.order_by("position")]
    assert agenda and all(initiative.status == Status.ON_AGENDA for initiative in agenda)
    assert {initiative.fund.quartier_id for initiative in agenda} == {planned.council.quartier_id}
    page = client.get("/seances/").content.decode()
    assert planned.place in page
    assert all(initiative.title in page for initiative in agenda)


def test_the_year_before_closes_into_this_year_and_money_comes_back(demo):
    """Bellevue's 2025 fund is closed into 2026 (the grant still committed carried over,
    the rest returned); a bilan refused after payment was paid back; a dossier filed at
    the counter waits to be claimed; every payment went to an account its carrier gave."""
    from fonds.models import BankDetails, FundClosing, RepaymentRequest

    closing = FundClosing.objects.select_related("fund", "next_fund").get()
    assert closing.fund.period_start.year == closing.next_fund.period_start.year - 1
    assert closing.fund.quartier == closing.next_fund.quartier == demo["quartiers"][0]
    assert closing.carried_grants > 0 and closing.unspent > 0
    carried = Grant.objects.get(carried_from__isnull=False)
    assert carried.fund == closing.next_fund and carried.account.balance > 0
    assert carried.initiative.host_name  # a residents' group, through a host association
    returned = LedgerTransaction.objects.get(kind="return", fund=closing.fund)
    assert returned.amount == closing.unspent
    request = RepaymentRequest.objects.get()
    assert request.status == RepaymentRequest.Status.SETTLED
    assert request.grant.initiative.report.status == Report.Status.REFUSED
    repayment = LedgerTransaction.objects.get(kind="repayment")
    assert repayment.amount == request.amount
    counter = Initiative.objects.get(filed_at_counter=True)
    assert counter.author is None and counter.status == Status.SUBMITTED
    paid = Initiative.objects.filter(grants__transactions__kind="disburse").distinct()
    assert paid and not paid.exclude(bank_details__isnull=False).exists()
    assert not BankDetails.objects.filter(replaced_at__isnull=True, needs_confirmation=True)
    report = verify_ledger()
    assert report.ok, report.error
    assert "carry_overs_paired" in report.checks
