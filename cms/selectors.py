"""What the site's pages read from the funds and the councils. Every function runs a
fixed number of queries whatever the amount of data. The pages (``cms.models``) call
these and hand over what they read of themselves; this module does not import them."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.search import Folded, fold
from fonds.ledger import balances_by_fund
from fonds.maps import map_context
from fonds.models import Fund, Grant, Initiative, LedgerTransaction, Quartier, Theme
from fonds.selectors import funds_with_balances, map_points, public_initiatives
from votes.models import Decision, Mandate
from votes.selectors import public_decisions

ZERO = Decimal("0")


def current_funds(on=None):
    """The funds whose period holds that day, else those of the latest period."""
    day = on or timezone.localdate()
    funds = Fund.objects.exclude(status=Fund.Status.DRAFT).select_related("quartier")
    current = funds.filter(period_start__lte=day, period_end__gte=day)
    if current.exists():
        return current.order_by("quartier__name")
    latest = funds.order_by("-period_start").values_list("period_start", flat=True).first()
    return funds.filter(period_start=latest).order_by("quartier__name")


def site_figures(funds):
    """Envelope, committed, paid and available summed over the funds, and how many
    initiatives they granted."""
    funds = list(funds)
    figures = balances_by_fund(fund.pk for fund in funds)
    totals = {key: ZERO for key in ("envelope", "committed", "paid", "available")}
    for values in figures.values():
        for key in totals:
            totals[key] += values[key]
    totals["funded"] = (
        Grant.objects.filter(fund__in=[fund.pk for fund in funds])
        .values("initiative")
        .distinct()
        .count()
    )
    totals["period"] = funds[0].period_start.year if funds else None
    return totals


def quartier_map(request, quartiers, pages):
    """The quartiers' outlines for the map, each with the address of its page."""
    areas = []
    for quartier in quartiers:
        page = pages.get(quartier.pk)
        if not quartier.outline:
            continue
        areas.append(
            {
                "title": quartier.name,
                "outline": quartier.outline,
                "url": page.get_url(request) if page else f"/initiatives/?quartier={quartier.slug}",
            }
        )
    return areas


def home_context(request, *, pages, latest_news):
    """The home page's figures, map, links and latest decisions; ``pages`` are the
    live quartier pages by quartier id, ``latest_news`` the news to show."""
    funds = current_funds()
    quartiers = list(Quartier.objects.order_by("name"))
    return {
        "figures": site_figures(funds),
        "areas": quartier_map(request, quartiers, pages),
        "quartier_links": [(q, pages.get(q.pk)) for q in quartiers],
        "latest_decisions": list(public_decisions()[:5]),
        "latest_news": list(latest_news),
        **map_context(request),
    }


def quartiers_context(request, *, pages):
    """Every quartier with its page (``pages``: the live quartier pages by quartier id)
    and its current fund's figures."""
    funds = {fund.quartier_id: fund for fund in funds_with_balances(current_funds())}
    quartiers = list(Quartier.objects.order_by("name"))
    return {
        "quartiers": [
            {"quartier": q, "page": pages.get(q.pk), "fund": funds.get(q.pk)} for q in quartiers
        ],
        "areas": quartier_map(request, quartiers, pages),
        **map_context(request),
    }


def council_members(quartier):
    """The people sitting on the quartier's council today, the chair first."""
    order = {role: position for position, role in enumerate(Mandate.Role.values)}
    members = list(
        Mandate.objects.in_office()
        .filter(council__quartier=quartier)
        .select_related("user", "council")
        .order_by("user__display_name")
    )
    return sorted(members, key=lambda mandate: order.get(mandate.role, 99))


def quartier_context(request, quartier_id, initiatives_shown=12, decisions_shown=10):
    quartier = Quartier.objects.get(pk=quartier_id)
    initiatives = public_initiatives(quartier=quartier)
    funds = funds_with_balances(
        Fund.objects.filter(quartier=quartier)
        .exclude(status=Fund.Status.DRAFT)
        .select_related("quartier")
        .order_by("-period_start")[:2]
    )
    return {
        "quartier": quartier,
        "members": council_members(quartier),
        "funds": funds,
        "initiatives": list(initiatives[:initiatives_shown]),
        "initiative_count": initiatives.count(),
        "points": map_points(initiatives),
        "decisions": list(public_decisions(quartier=quartier)[:decisions_shown]),
        **map_context(request),
    }


def decision_filters(params):
    """The published decisions filtered by quartier, outcome, year and text, with what
    the filter form shows."""
    quartiers = list(Quartier.objects.order_by("name"))
    quartier = next((q for q in quartiers if q.slug == params.get("quartier")), None)
    outcome = params.get("decision")
    outcome = outcome if outcome in Decision.Outcome.values else None
    years = [
        day.year
        for day in Decision.objects.filter(published_at__isnull=False).dates(
            "published_at", "year", order="DESC"
        )
    ]
    year = params.get("annee")
    year = int(year) if year and year.isascii() and year.isdigit() else None
    year = year if year in years else None
    text = clean_text(params.get("q"))
    decisions = public_decisions(quartier=quartier, outcome=outcome)
    if year:
        decisions = decisions.filter(published_at__year=year)
    if text:
        decisions = decisions.alias(folded_title=Folded("item__initiative__title")).filter(
            Q(reference__icontains=text) | Q(folded_title__contains=fold(text))
        )
    return {
        "decisions": decisions,
        "quartiers": quartiers,
        "outcomes": Decision.Outcome.choices,
        "years": years,
        "quartier": quartier,
        "outcome": outcome,
        "year": year,
        "text": text,
    }


def clean_text(value, limit=100):
    """Words typed in a search box, without NUL characters (which PostgreSQL refuses),
    trimmed and bounded."""
    return (value or "").replace("\x00", "").strip()[:limit]


def _chart(rows, value_key):
    """Adds to each row the value its bar shows and the bar's length: the share of the
    largest value, in per cent, written for an SVG attribute."""
    largest = max((row[value_key] for row in rows), default=0) or 0
    for row in rows:
        row["value"] = row[value_key]
        share = row[value_key] * 100 / largest if largest else 0
        row["bar"] = f"{share:.1f}"
    return rows


def statistics():
    """Initiatives, grants and payments per quartier, per theme and per year."""
    granted = Decision.objects.filter(published_at__isnull=False, outcome=Decision.Outcome.GRANTED)
    public = Initiative.objects.public()
    return {
        "quartiers": _by_quartier(public, granted),
        "themes": _by_theme(public, granted),
        "years": _by_year(public, granted),
    }


def _by_quartier(public, granted):
    all_funds = list(Fund.objects.exclude(status=Fund.Status.DRAFT).values_list("pk", "quartier"))
    figures = balances_by_fund(pk for pk, _quartier in all_funds)
    money = defaultdict(lambda: {"envelope": ZERO, "committed": ZERO, "paid": ZERO})
    for fund_id, quartier_id in all_funds:
        for key in ("envelope", "committed", "paid"):
            money[quartier_id][key] += figures[fund_id][key]
    submitted = dict(
        public.values_list("fund__quartier")
        .annotate(n=Count("pk"))
        .values_list("fund__quartier", "n")
    )
    grants = dict(
        granted.values_list("item__session__council__quartier")
        .annotate(n=Count("pk"))
        .values_list("item__session__council__quartier", "n")
    )
    rows = [
        {
            "label": quartier.name,
            "submitted": submitted.get(quartier.pk, 0),
            "granted": grants.get(quartier.pk, 0),
            **money[quartier.pk],
        }
        for quartier in Quartier.objects.order_by("name")
    ]
    return _chart(rows, "envelope")


def _by_theme(public, granted):
    submitted = dict(public.values_list("theme").annotate(n=Count("pk")).values_list("theme", "n"))
    grants = {
        theme: (count, amount or ZERO)
        for theme, count, amount in granted.values_list("item__initiative__theme")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .values_list("item__initiative__theme", "n", "total")
    }
    rows = []
    themes = [(theme.pk, theme.name) for theme in Theme.objects.order_by("position", "name")]
    for pk, name in [*themes, (None, _("Sans thème"))]:
        count, amount = grants.get(pk, (0, ZERO))
        if pk is None and not (submitted.get(None) or count):
            continue
        rows.append(
            {"label": name, "submitted": submitted.get(pk, 0), "granted": count, "amount": amount}
        )
    return _chart(rows, "amount")


def _by_year(public, granted):
    submitted = dict(
        public.filter(submitted_at__isnull=False)
        .annotate(year=ExtractYear("submitted_at"))
        .values_list("year")
        .annotate(n=Count("pk"))
        .values_list("year", "n")
    )
    grants = {
        year: (count, amount or ZERO)
        for year, count, amount in granted.annotate(year=ExtractYear("published_at"))
        .values_list("year")
        .annotate(n=Count("pk"), total=Sum("amount"))
        .values_list("year", "n", "total")
    }
    paid = dict(
        LedgerTransaction.objects.filter(kind=LedgerTransaction.Kind.DISBURSE)
        .annotate(year=ExtractYear("created_at"))
        .values_list("year")
        .annotate(total=Sum("amount"))
        .values_list("year", "total")
    )
    years = sorted(set(submitted) | set(grants) | set(paid))
    rows = [
        {
            "label": str(year),
            "submitted": submitted.get(year, 0),
            "granted": grants.get(year, (0, ZERO))[0],
            "amount": grants.get(year, (0, ZERO))[1],
            "paid": paid.get(year) or ZERO,
        }
        for year in years
    ]
    return _chart(rows, "amount")


def search(text, limit=20):
    """Live public pages and public initiatives matching the text."""
    from wagtail.models import Page

    text = clean_text(text)
    if len(text) < 2:
        return {"text": text, "pages": [], "initiatives": []}
    pages = list(Page.objects.live().public().filter(depth__gt=1).search(text)[:limit])
    initiatives = list(public_initiatives(text=text)[:limit])
    return {"text": text, "pages": pages, "initiatives": initiatives}
