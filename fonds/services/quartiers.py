from decimal import Decimal

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit import audit_record
from accounts.errors import DomainError, PermissionDenied
from accounts.predicates import is_administrator
from accounts.system import is_system
from fonds.models import Fund, Quartier, Theme
from fonds.outline import clean_outline
from fonds.signals import quartier_created

# The modes a fund may be given today. Residents' votes come later: the mode exists
# in the model, but no fund may use it until ballots exist to decide with.
AVAILABLE_DECISION_MODES = (Fund.DecisionMode.COUNCIL,)
DECISION_MODE_UNAVAILABLE = gettext_lazy(
    "Le vote des habitants n'est pas encore possible : un fonds est attribué par le "
    "conseil de quartier."
)


def require_available_decision_mode(decision_mode):
    """Refuses a decision mode the site cannot run yet (see AVAILABLE_DECISION_MODES)."""
    if decision_mode not in AVAILABLE_DECISION_MODES:
        raise DomainError(str(DECISION_MODE_UNAVAILABLE), field="decision_mode")


def require_administrator(actor):
    """An administrator, or the system (``accounts.system``: the demo, commands)."""
    if not (is_system(actor) or is_administrator(actor)):
        raise PermissionDenied()


def check_fund_rules(
    *,
    period_start,
    period_end,
    submissions_open_on,
    submissions_close_on,
    max_grant,
    min_cofunding_percent,
    decision_mode,
):
    """A fund's dates in order, a positive ceiling, a co-funding share between 0 and
    100 %, a decision mode the site can run."""
    require_available_decision_mode(decision_mode)
    if period_end < period_start or submissions_close_on < submissions_open_on:
        raise DomainError(_("Une date de fin précède la date de début."))
    if max_grant <= 0 or not (0 <= min_cofunding_percent <= 100):
        raise DomainError(
            _("Le plafond doit être positif et la part de cofinancement entre 0 et 100 %.")
        )


def quartier_create(*, actor, name, code=None, description="", outline=None):
    """Create a quartier. Administrators only. An outline, if given, is a GeoJSON
    Polygon. Once committed, ``fonds.signals.quartier_created`` tells the other apps
    (the site gives the quartier its page)."""
    require_administrator(actor)
    if outline is not None:
        outline = clean_outline(outline)
    slug = slugify(name)
    with transaction.atomic():
        quartier = Quartier.objects.create(
            name=name,
            slug=slug,
            code=(code or slug.replace("-", "")[:20]).upper(),
            description=description,
            outline=outline,
        )
        audit_record(
            actor=actor, action="fonds.quartier.create", target=quartier, data={"name": name}
        )
        transaction.on_commit(
            lambda: quartier_created.send(sender=Quartier, quartier=quartier), robust=True
        )
    return quartier


def quartier_set_outline(*, actor, quartier, outline):
    """Draw (or redraw) a quartier's outline on the map: a GeoJSON Polygon whose
    coordinates are finite [longitude, latitude] pairs. Administrators only."""
    require_administrator(actor)
    outline = clean_outline(outline)
    with transaction.atomic():
        locked = Quartier.objects.select_for_update().get(pk=quartier.pk)
        locked.outline = outline
        locked.save(update_fields=["outline"])
        audit_record(
            actor=actor,
            action="fonds.quartier.outline",
            target=locked,
            data={
                "rings": len(outline["coordinates"]),
                "points": sum(map(len, outline["coordinates"])),
            },
        )
    quartier.outline = outline
    return quartier


def theme_create(*, actor, name, position=0):
    require_administrator(actor)
    with transaction.atomic():
        theme = Theme.objects.create(name=name, slug=slugify(name), position=position)
        audit_record(actor=actor, action="fonds.theme.create", target=theme, data={"name": name})
    return theme


def fund_create(
    *,
    actor,
    quartier,
    label,
    period_start,
    period_end,
    submissions_open_on,
    submissions_close_on,
    max_grant,
    min_cofunding_percent=Decimal("0"),
    decision_mode=Fund.DecisionMode.COUNCIL,
    status=Fund.Status.OPEN,
):
    """Create a quartier's fund for a period, with its rules. Administrators only;
    decided by the council (the residents' vote is not open yet)."""
    require_administrator(actor)
    check_fund_rules(
        period_start=period_start,
        period_end=period_end,
        submissions_open_on=submissions_open_on,
        submissions_close_on=submissions_close_on,
        max_grant=max_grant,
        min_cofunding_percent=min_cofunding_percent,
        decision_mode=decision_mode,
    )
    with transaction.atomic():
        fund = Fund.objects.create(
            quartier=quartier,
            label=label,
            slug=slugify(f"{quartier.slug}-{label}")[:120],
            period_start=period_start,
            period_end=period_end,
            submissions_open_on=submissions_open_on,
            submissions_close_on=submissions_close_on,
            max_grant=max_grant,
            min_cofunding_percent=min_cofunding_percent,
            decision_mode=decision_mode,
            status=status,
        )
        audit_record(
            actor=actor,
            action="fonds.fund.create",
            target=fund,
            data={"label": label, "max_grant": str(max_grant)},
        )
    return fund
