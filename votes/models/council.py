from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from accounts.periods import in_force


class Council(models.Model):
    """The deliberative body that decides a quartier's fund (one per quartier), with the
    rules it votes by."""

    class Kind(models.TextChoices):
        QUARTIER = "conseil_de_quartier", _("Conseil de quartier")
        CITIZEN = "conseil_citoyen", _("Conseil citoyen")

    class QuorumRule(models.TextChoices):
        MAJORITY_OF_MEMBERS = "majority_of_members", _("Majorité des membres en exercice")
        ONE_THIRD = "one_third", _("Un tiers des membres en exercice")
        NONE = "none", _("Sans quorum")

    class MajorityRule(models.TextChoices):
        VOTES_CAST = "votes_cast", _("Majorité des suffrages exprimés")
        TWO_THIRDS_OF_CAST = "two_thirds_of_cast", _("Deux tiers des suffrages exprimés")
        ABSOLUTE_OF_PRESENT = (
            "absolute_of_present",
            _("Majorité absolue des présents et représentés"),
        )

    quartier = models.ForeignKey(
        "fonds.Quartier",
        verbose_name=_("quartier"),
        on_delete=models.PROTECT,
        related_name="councils",
    )
    kind = models.CharField(_("type"), max_length=30, choices=Kind.choices, default=Kind.QUARTIER)
    name = models.CharField(_("nom"), max_length=150)
    quorum_rule = models.CharField(
        _("quorum"),
        max_length=30,
        choices=QuorumRule.choices,
        default=QuorumRule.MAJORITY_OF_MEMBERS,
    )
    majority_rule = models.CharField(
        _("majorité"), max_length=30, choices=MajorityRule.choices, default=MajorityRule.VOTES_CAST
    )
    chair_casting_vote = models.BooleanField(
        _("voix prépondérante du président en cas d'égalité"), default=True
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("conseil")
        verbose_name_plural = _("conseils")
        ordering = ["quartier__name", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["quartier"], name="council_one_per_quartier")
        ]

    def __str__(self):
        return self.name


class MandateQuerySet(models.QuerySet):
    def in_office(self, on=None):
        """Mandates running on that day: the one place this rule lives."""
        return self.filter(in_force(on))

    def voting(self):
        return self.exclude(role=Mandate.Role.EX_OFFICIO)


class Mandate(models.Model):
    """A person's seat on a council for a period."""

    class Role(models.TextChoices):
        CHAIR = "chair", _("Maire de quartier (préside)")
        VICE_CHAIR = "vice_chair", _("Vice-président·e")
        MEMBER = "member", _("Conseiller·e de quartier")
        CITIZEN_MEMBER = "citizen_member", _("Conseiller·e citoyen·ne")
        EX_OFFICIO = "ex_officio", _("Membre de droit, sans voix délibérative")

    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="mandates")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mandates"
    )

    class Wording(models.TextChoices):
        """How the seat's title is written for this person: chosen with them, never
        guessed from a name."""

        INCLUSIVE = "inclusive", _("Forme inclusive (conseiller·e)")
        FEMININE = "feminine", _("Au féminin (conseillère)")
        MASCULINE = "masculine", _("Au masculin (conseiller)")

    role = models.CharField(_("rôle"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    wording = models.CharField(
        _("intitulé du siège"),
        max_length=10,
        choices=Wording.choices,
        default=Wording.INCLUSIVE,
    )
    starts_on = models.DateField(_("début du mandat"))
    ends_on = models.DateField(_("fin du mandat (dernier jour)"), null=True, blank=True)
    end_reason = models.CharField(_("motif de la fin anticipée"), max_length=300, blank=True)
    history = HistoricalRecords()

    objects = MandateQuerySet.as_manager()

    class Meta:
        verbose_name = _("mandat")
        verbose_name_plural = _("mandats")
        ordering = ["council", "role", "user__display_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="mandate_period_order",
            ),
            models.UniqueConstraint(
                fields=["council", "user", "starts_on"], name="mandate_unique_start"
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.role_label} ({self.council})"

    @property
    def role_label(self):
        """The seat's title in the wording chosen for this person."""
        return role_label(self.role, self.wording)

    @property
    def present_label(self):
        return str(ATTENDANCE_LABELS[(True, self.wording)])

    @property
    def absent_label(self):
        return str(ATTENDANCE_LABELS[(False, self.wording)])


# Seat titles that French writes differently for a woman or a man; the others (maire de
# quartier, membre de droit) read the same for everyone.
GENDERED_ROLE_LABELS = {
    (Mandate.Role.VICE_CHAIR, Mandate.Wording.FEMININE): pgettext_lazy(
        "feminine", "Vice-présidente"
    ),
    (Mandate.Role.VICE_CHAIR, Mandate.Wording.MASCULINE): pgettext_lazy(
        "masculine", "Vice-président"
    ),
    (Mandate.Role.MEMBER, Mandate.Wording.FEMININE): pgettext_lazy(
        "feminine", "Conseillère de quartier"
    ),
    (Mandate.Role.MEMBER, Mandate.Wording.MASCULINE): pgettext_lazy(
        "masculine", "Conseiller de quartier"
    ),
    (Mandate.Role.CITIZEN_MEMBER, Mandate.Wording.FEMININE): pgettext_lazy(
        "feminine", "Conseillère citoyenne"
    ),
    (Mandate.Role.CITIZEN_MEMBER, Mandate.Wording.MASCULINE): pgettext_lazy(
        "masculine", "Conseiller citoyen"
    ),
}


ATTENDANCE_LABELS = {
    (True, Mandate.Wording.INCLUSIVE): _("présent·e"),
    (True, Mandate.Wording.FEMININE): pgettext_lazy("feminine", "présente"),
    (True, Mandate.Wording.MASCULINE): pgettext_lazy("masculine", "présent"),
    (False, Mandate.Wording.INCLUSIVE): _("absent·e"),
    (False, Mandate.Wording.FEMININE): pgettext_lazy("feminine", "absente"),
    (False, Mandate.Wording.MASCULINE): pgettext_lazy("masculine", "absent"),
}


def role_label(role, wording=Mandate.Wording.INCLUSIVE):
    """The title of ``role`` written in ``wording``."""
    label = GENDERED_ROLE_LABELS.get((role, wording))
    if label is not None:
        return str(label)
    try:
        return str(Mandate.Role(role).label)
    except ValueError:
        return ""
