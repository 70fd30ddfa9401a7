from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from fonds.models.fund import MONEY

USER = settings.AUTH_USER_MODEL
# The French words that begin the rule of an adjourned item, its reason after them.
ADJOURNMENT = gettext_noop("Ajournement décidé en séance.")


class Decision(models.Model):
    """The outcome of an agenda item. Recorded by the chair after the vote, made public
    by publication; a published decision is never changed — a correction is a new
    decision that names the one it corrects."""

    class Outcome(models.TextChoices):
        GRANTED = "granted", _("Subvention accordée")
        REFUSED = "refused", _("Refusée")
        DEFERRED = "deferred", _("Ajournée")

    item = models.ForeignKey("votes.AgendaItem", on_delete=models.PROTECT, related_name="decisions")
    vote = models.ForeignKey(
        "votes.Vote", null=True, blank=True, on_delete=models.PROTECT, related_name="decisions"
    )
    reference = models.CharField(_("référence"), max_length=60)
    outcome = models.CharField(_("décision"), max_length=10, choices=Outcome.choices)
    amount = models.DecimalField(_("montant accordé (€)"), null=True, blank=True, **MONEY)
    tally = models.JSONField(_("décompte"), default=dict)
    rule_applied = models.CharField(_("règle appliquée"), max_length=300)
    recorded_at = models.DateTimeField(auto_now_add=True)
    recorded_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    corrects = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrected_by"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("décision")
        verbose_name_plural = _("décisions")
        ordering = ["-recorded_at"]
        constraints = [
            models.UniqueConstraint(fields=["reference"], name="decision_reference_unique"),
            models.CheckConstraint(
                condition=(Q(outcome="granted") & Q(amount__gt=0))
                | (~Q(outcome="granted") & Q(amount__isnull=True)),
                name="decision_amount_iff_granted",
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def rule_label(self):
        """The rule applied, in the page's language: ``rule_applied`` is the French
        record; the message it was written from is translated when it was kept."""
        rule = (self.tally or {}).get("rule")
        if isinstance(rule, dict) and isinstance(rule.get("message"), str):
            try:
                return gettext(rule["message"]) % (rule.get("values") or {})
            except (KeyError, TypeError, ValueError):
                return self.rule_applied
        if self.outcome == self.Outcome.DEFERRED and self.rule_applied.startswith(ADJOURNMENT):
            return gettext(ADJOURNMENT) + self.rule_applied[len(ADJOURNMENT) :]
        return self.rule_applied

    @property
    def is_published(self):
        return self.published_at is not None


class Message(models.Model):
    """Deliberation on a dossier: discussion among the council and the instructor, and
    questions put to the carrier with their answers. Never public."""

    class Kind(models.TextChoices):
        DISCUSSION = "discussion", _("Échange du conseil")
        QUESTION = "question", _("Question au porteur")
        ANSWER = "answer", _("Réponse du porteur")

    initiative = models.ForeignKey(
        "fonds.Initiative", on_delete=models.PROTECT, related_name="council_messages"
    )
    author = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    body = models.TextField(_("message"), max_length=5000)
    answers = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replies"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.initiative}"
