from django.db import migrations, models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce

from accounts.dbutils import postgres_sql

DATES_MESSAGE = "Une date de fin précède la date de début."
RULES_MESSAGE = "Le plafond doit être positif et la part de cofinancement entre 0 et 100 %%."

# A fund's quartier is fixed once money moved through its ledger; an initiative's money
# rules, once its first submission fixed them, never change.
GUARDS = """
CREATE OR REPLACE FUNCTION fq_fund_quartier_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.quartier_id IS DISTINCT FROM OLD.quartier_id
       AND EXISTS (SELECT 1 FROM fonds_ledgertransaction WHERE fund_id = OLD.id) THEN
        RAISE EXCEPTION 'fund % has ledger transactions: its quartier is fixed', OLD.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'fund_quartier_fixed_once_credited';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER fonds_fund_quartier_fixed BEFORE UPDATE OF quartier_id ON fonds_fund
    FOR EACH ROW EXECUTE FUNCTION fq_fund_quartier_fixed();

CREATE OR REPLACE FUNCTION fq_initiative_terms_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.submitted_max_grant IS NOT NULL AND (
        NEW.submitted_max_grant IS DISTINCT FROM OLD.submitted_max_grant
        OR NEW.submitted_min_cofunding_percent IS DISTINCT FROM OLD.submitted_min_cofunding_percent
    ) THEN
        RAISE EXCEPTION 'initiative % keeps the rules it was submitted under', OLD.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'initiative_submitted_terms_fixed';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER fonds_initiative_terms_fixed
    BEFORE UPDATE OF submitted_max_grant, submitted_min_cofunding_percent ON fonds_initiative
    FOR EACH ROW EXECUTE FUNCTION fq_initiative_terms_fixed();
"""

UNDO = """
DROP TRIGGER IF EXISTS fonds_fund_quartier_fixed ON fonds_fund;
DROP TRIGGER IF EXISTS fonds_initiative_terms_fixed ON fonds_initiative;
DROP FUNCTION IF EXISTS fq_fund_quartier_fixed();
DROP FUNCTION IF EXISTS fq_initiative_terms_fixed();
"""


def rules_at_submission(apps, schema_editor):
    """Dossiers submitted before this migration answer to the fund's rules as its
    history shows them on their submission day (the fund's rules today if the history
    does not go back that far)."""
    Initiative = apps.get_model("fonds", "Initiative")
    Fund = apps.get_model("fonds", "Fund")
    HistoricalFund = apps.get_model("fonds", "HistoricalFund")
    in_force = HistoricalFund.objects.filter(
        id=OuterRef("fund_id"), history_date__lte=OuterRef("submitted_at")
    ).order_by("-history_date", "-history_id")
    today = Fund.objects.filter(pk=OuterRef("fund_id"))

    def rule(field):
        return Coalesce(Subquery(in_force.values(field)[:1]), Subquery(today.values(field)[:1]))

    Initiative.objects.filter(submitted_at__isnull=False).update(
        submitted_max_grant=rule("max_grant"),
        submitted_min_cofunding_percent=rule("min_cofunding_percent"),
    )


class Migration(migrations.Migration):
    dependencies = [("fonds", "0008_database_guards")]

    operations = [
        migrations.AddField(
            model_name="historicalinitiative",
            name="submitted_max_grant",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                max_digits=12,
                null=True,
                verbose_name="plafond en vigueur au dépôt (€)",
            ),
        ),
        migrations.AddField(
            model_name="historicalinitiative",
            name="submitted_min_cofunding_percent",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                max_digits=5,
                null=True,
                verbose_name="cofinancement minimal en vigueur au dépôt (%)",
            ),
        ),
        migrations.AddField(
            model_name="initiative",
            name="submitted_max_grant",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                max_digits=12,
                null=True,
                verbose_name="plafond en vigueur au dépôt (€)",
            ),
        ),
        migrations.AddField(
            model_name="initiative",
            name="submitted_min_cofunding_percent",
            field=models.DecimalField(
                blank=True,
                decimal_places=2,
                max_digits=5,
                null=True,
                verbose_name="cofinancement minimal en vigueur au dépôt (%)",
            ),
        ),
        migrations.AddConstraint(
            model_name="initiative",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    submitted_max_grant__isnull=True, submitted_min_cofunding_percent__isnull=True
                )
                | models.Q(submitted_max_grant__gt=0, submitted_min_cofunding_percent__gte=0),
                name="initiative_submitted_terms_together",
            ),
        ),
        # The admin's forms check these before the services do: the same messages.
        migrations.AlterConstraint(
            model_name="fund",
            name="fund_max_grant_positive",
            constraint=models.CheckConstraint(
                condition=models.Q(max_grant__gt=0),
                name="fund_max_grant_positive",
                violation_error_message=RULES_MESSAGE,
            ),
        ),
        migrations.AlterConstraint(
            model_name="fund",
            name="fund_cofunding_percent_range",
            constraint=models.CheckConstraint(
                condition=models.Q(min_cofunding_percent__gte=0, min_cofunding_percent__lte=100),
                name="fund_cofunding_percent_range",
                violation_error_message=RULES_MESSAGE,
            ),
        ),
        migrations.AlterConstraint(
            model_name="fund",
            name="fund_period_order",
            constraint=models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="fund_period_order",
                violation_error_message=DATES_MESSAGE,
            ),
        ),
        migrations.AlterConstraint(
            model_name="fund",
            name="fund_submission_window_order",
            constraint=models.CheckConstraint(
                condition=models.Q(submissions_close_on__gte=models.F("submissions_open_on")),
                name="fund_submission_window_order",
                violation_error_message=DATES_MESSAGE,
            ),
        ),
        postgres_sql(GUARDS, UNDO),
        migrations.RunPython(rules_at_submission, migrations.RunPython.noop),
    ]
