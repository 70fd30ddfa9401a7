"""Changes to the lists administrators keep — themes, quartiers, funds — as the admin
makes them. Each one: administrators only (or the system), the row locked while it
changes, and one audit row listing every changed field with its value before and after.
An address (slug) never changes: links to a quartier's or a fund's page keep working."""

import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.backends.utils import format_number
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.audit import audit_record
from accounts.dbutils import constraint_violated
from accounts.errors import DomainError
from fonds.models import Fund, LedgerTransaction, Quartier, Theme
from fonds.outline import clean_outline

from .quartiers import check_fund_rules, require_administrator

FUND_FIELDS = (
    "quartier",
    "label",
    "period_start",
    "period_end",
    "submissions_open_on",
    "submissions_close_on",
    "max_grant",
    "min_cofunding_percent",
    "decision_mode",
    "status",
)
QUARTIER_FIELDS = ("name", "code", "description", "outline")
THEME_FIELDS = ("name", "position")


def _plain(field, value):
    """A field's value as the audit log's JSON holds it: a row by its id, a date in ISO
    format, an amount with the field's decimal places."""
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, Decimal):
        return format_number(value, field.max_digits, field.decimal_places)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _outline_summary(outline):
    if not outline:
        return None
    rings = outline["coordinates"]
    return {"rings": len(rings), "points": sum(map(len, rings))}


def _apply(locked, new, *, action, actor, summaries=None):
    """Write the fields of ``new`` that differ from ``locked`` and the audit row that
    lists them as ``{field: [before, after]}``; nothing at all when none differs."""
    summaries = summaries or {}
    changes = {}
    for field, after in new.items():
        before = getattr(locked, field)
        if before == after:
            continue
        model_field = locked._meta.get_field(field)
        show = summaries.get(field, lambda value, f=model_field: _plain(f, value))
        changes[field] = [show(before), show(after)]
        setattr(locked, field, after)
    if changes:
        locked.save(update_fields=list(changes))
        audit_record(actor=actor, action=action, target=locked, data=changes)
    return locked


def _unknown(fields, allowed):
    unknown = set(fields) - set(allowed)
    if unknown:
        raise TypeError(f"Not an editable field: {sorted(unknown)}")


def _require_unique(model, pk, field, value, message):
    if model.objects.filter(**{field: value}).exclude(pk=pk).exists():
        raise DomainError(message, field=field)


def theme_update(*, actor, theme, **fields):
    """Rename a theme or move it in the list (``name``, ``position``). Administrators
    only; the audit row lists what changed."""
    require_administrator(actor)
    _unknown(fields, THEME_FIELDS)
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if not fields["name"]:
            raise DomainError(_("Indiquez le nom du thème."), field="name")
        _require_unique(Theme, theme.pk, "name", fields["name"], _("Un thème porte déjà ce nom."))
    with transaction.atomic():
        locked = Theme.objects.select_for_update().get(pk=theme.pk)
        _apply(locked, fields, action="fonds.theme.update", actor=actor)
    return locked


def quartier_update(*, actor, quartier, **fields):
    """Change a quartier's name, code, description or outline. Administrators only.
    The code, in capitals, names the quartier in decision references to come (those
    already made keep theirs); an outline is a GeoJSON Polygon. The audit row lists
    what changed (an outline by its rings and points)."""
    require_administrator(actor)
    _unknown(fields, QUARTIER_FIELDS)
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if not fields["name"]:
            raise DomainError(_("Indiquez le nom du quartier."), field="name")
        _require_unique(
            Quartier, quartier.pk, "name", fields["name"], _("Un quartier porte déjà ce nom.")
        )
    if "code" in fields:
        fields["code"] = (fields["code"] or "").strip().upper()
        if not fields["code"]:
            raise DomainError(_("Indiquez le code du quartier."), field="code")
        _require_unique(
            Quartier, quartier.pk, "code", fields["code"], _("Un quartier a déjà ce code.")
        )
    if fields.get("outline") is not None:
        fields["outline"] = clean_outline(fields["outline"])
    with transaction.atomic():
        locked = Quartier.objects.select_for_update().get(pk=quartier.pk)
        _apply(
            locked,
            fields,
            action="fonds.quartier.update",
            actor=actor,
            summaries={"outline": _outline_summary},
        )
    return locked


def fund_is_credited(fund):
    """Money has moved through the fund's ledger."""
    return LedgerTransaction.objects.filter(fund_id=fund.pk).exists()


QUARTIER_FIXED = gettext_lazy(
    "Ce fonds a déjà reçu des crédits : son quartier ne peut plus changer. "
    "Créez un fonds pour l'autre quartier."
)


def fund_update(*, actor, fund, **fields):
    """Change a fund's quartier, label, dates, rules or status. Administrators only;
    the rules of ``fund_create`` hold (dates in order, a positive ceiling, a co-funding
    share between 0 and 100 %, the council as the decision mode).

    The quartier is fixed once money was credited to the fund: its ledger, grants and
    decisions belong to that quartier. A new ceiling or co-funding share applies to the
    dossiers submitted after it; those submitted before keep the rules they were
    submitted under (``Initiative.terms``). The audit row lists each changed field with
    its value before and after."""
    require_administrator(actor)
    _unknown(fields, FUND_FIELDS)
    try:
        return _fund_update(actor, fund, fields)
    except IntegrityError as error:
        # The database holds the rule too (migration 0009), should a posting slip in.
        if constraint_violated(error, "fund_quartier_fixed_once_credited"):
            raise DomainError(str(QUARTIER_FIXED), field="quartier") from None
        raise


def _fund_update(actor, fund, fields):
    with transaction.atomic():
        # FOR UPDATE, not NO KEY UPDATE: a ledger posting's reference to the fund, checked
        # as the posting commits, waits for this change (or this change for it), so a
        # credit is either seen below or committed after the move.
        locked = Fund.objects.select_for_update().get(pk=fund.pk)
        new = {field: getattr(locked, field) for field in FUND_FIELDS} | fields
        check_fund_rules(
            period_start=new["period_start"],
            period_end=new["period_end"],
            submissions_open_on=new["submissions_open_on"],
            submissions_close_on=new["submissions_close_on"],
            max_grant=new["max_grant"],
            min_cofunding_percent=new["min_cofunding_percent"],
            decision_mode=new["decision_mode"],
        )
        if new["quartier"].pk != locked.quartier_id and fund_is_credited(locked):
            raise DomainError(str(QUARTIER_FIXED), field="quartier")
        if new["status"] not in Fund.Status.values:
            raise DomainError(_("Statut inconnu."), field="status")
        label = (new["label"] or "").strip()
        if not label:
            raise DomainError(_("Indiquez l'intitulé du fonds."), field="label")
        new["label"] = label
        _apply(locked, new, action="fonds.fund.update", actor=actor)
    return locked
