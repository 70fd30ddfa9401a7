from decimal import Decimal

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.errors import DomainError, PermissionDenied
from accounts.predicates import is_administrator
from fonds.models import Fund, Quartier, Theme
from fonds.outline import clean_outline


def _require_administrator(actor):
    """``actor=None`` is the system itself (migrations, the demo)."""
    if actor is not None and not is_administrator(actor):
        raise PermissionDenied()


def quartier_create(*, actor, name, code=None, description="", outline=None):
    """Create a quartier. Administrators only. An outline, if given, is a GeoJSON
    Polygon."""
    _require_administrator(actor)
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
    return quartier


def quartier_set_outline(*, actor, quartier, outline):
    """Draw (or redraw) a quartier's outline on the map: a GeoJSON Polygon whose
    coordinates are finite [longitude, latitude] pairs. Administrators only."""
    _require_administrator(actor)
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
    _require_administrator(actor)
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
    """Create a quartier's fund for a period, with its rules. Administrators only."""
    _require_administrator(actor)
    if period_end < period_start or submissions_close_on < submissions_open_on:
        raise DomainError(_("Une date de fin précède la date de début."))
    if max_grant <= 0 or not (0 <= min_cofunding_percent <= 100):
        raise DomainError(
            _("Le plafond doit être positif et la part de cofinancement entre 0 et 100 %.")
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
