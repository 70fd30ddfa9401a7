import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from fonds.models.fund import MONEY

USER = settings.AUTH_USER_MODEL


class Session(models.Model):
    """A council meeting (séance)."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Prévue")
        OPEN = "open", _("Ouverte")
        CLOSED = "closed", pgettext_lazy("séance", "Close")

    class Procedure(models.TextChoices):
        MEETING = "meeting", _("Séance en réunion")
        WRITTEN = "written", _("Procédure écrite (vote à distance avant une date limite)")

    council = models.ForeignKey("votes.Council", on_delete=models.PROTECT, related_name="sessions")
    starts_at = models.DateTimeField(_("date et heure"))
    place = models.CharField(_("lieu"), max_length=200)
    procedure = models.CharField(
        _("procédure"), max_length=10, choices=Procedure.choices, default=Procedure.MEETING
    )
    is_public = models.BooleanField(_("séance publique"), default=True)
    convened_at = models.DateTimeField(_("convocation envoyée le"), null=True, blank=True)
    # Raised by every change sent to the members after the convocation (the .ics
    # SEQUENCE, so calendars replace the event instead of adding one).
    convocation_sequence = models.PositiveIntegerField(default=0)
    status = models.CharField(_("statut"), max_length=10, choices=Status.choices, default="planned")
    reconvened_from = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reconvened_as",
        verbose_name=_("convoquée à nouveau après la séance"),
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    quorum_required = models.PositiveSmallIntegerField(null=True, blank=True)
    quorum_present = models.PositiveSmallIntegerField(null=True, blank=True)
    minutes_signed_at = models.DateTimeField(null=True, blank=True)
    minutes_signed_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    minutes_head_hash = models.CharField(max_length=700, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("séance")
        verbose_name_plural = _("séances")
        ordering = ["-starts_at"]

    def __str__(self):
        return f"{self.council} — {self.starts_at:%d/%m/%Y}"


class Attendance(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendances")
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    present = models.BooleanField(default=True)
    recorded_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "user"], name="attendance_once")]

    def __str__(self):
        return f"{self.user} {'présent' if self.present else 'absent'}"


class Proxy(models.Model):
    """An absent member's proxy (pouvoir) to a present member: one per holder."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="proxies")
    giver = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    holder = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "giver"], name="proxy_one_per_giver"),
            models.UniqueConstraint(fields=["session", "holder"], name="proxy_one_per_holder"),
            models.CheckConstraint(condition=~Q(giver=models.F("holder")), name="proxy_not_self"),
        ]

    def __str__(self):
        return f"{self.giver} → {self.holder}"


class AgendaItem(models.Model):
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="items")
    initiative = models.ForeignKey(
        "fonds.Initiative", on_delete=models.PROTECT, related_name="agenda_items"
    )
    position = models.PositiveSmallIntegerField(_("ordre"))
    # A voting member designated at the session to preside over this item when neither
    # the chair nor the vice-chair may (author of the dossier, declared interest, absent).
    acting_chair = models.ForeignKey(
        USER,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("préside ce point"),
    )
    summary = models.TextField(_("résumé des débats"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["session", "position"]
        constraints = [
            models.UniqueConstraint(fields=["session", "initiative"], name="agenda_item_once"),
            models.UniqueConstraint(fields=["session", "position"], name="agenda_item_position"),
        ]

    def __str__(self):
        return f"{self.position}. {self.initiative}"


class Interest(models.Model):
    """A member's declared interest in an item: they (and a proxy they hold) do not vote."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="interests")
    user = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("nature de l'intérêt"), max_length=300, blank=True)
    declared_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "user"], name="interest_once")]

    def __str__(self):
        return f"{self.user} — {self.item}"


class Vote(models.Model):
    class Mode(models.TextChoices):
        SHOW_OF_HANDS = "show_of_hands", _("À main levée")
        ROLL_CALL = "roll_call", _("Par appel nominal")
        SECRET = "secret", _("À bulletin secret")

    class Status(models.TextChoices):
        OPEN = "open", _("Ouvert")
        CLOSED = "closed", _("Clos")

    item = models.ForeignKey(AgendaItem, on_delete=models.PROTECT, related_name="votes")
    mode = models.CharField(_("mode de scrutin"), max_length=20, choices=Mode.choices)
    proposed_amount = models.DecimalField(_("montant proposé (€)"), **MONEY)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    deadline = models.DateTimeField(_("date limite (procédure écrite)"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["opened_at"]
        constraints = [
            # One vote per item: a closed vote gives its decision; a dossier voted again
            # is a new item of a later session (after an adjournment).
            models.UniqueConstraint(fields=["item"], name="vote_once_per_item"),
            models.CheckConstraint(condition=Q(proposed_amount__gt=0), name="vote_amount_positive"),
        ]

    def __str__(self):
        return f"{self.item} — {self.get_mode_display()}"


class Choice(models.TextChoices):
    FOR = "for", _("Pour")
    AGAINST = "against", _("Contre")
    ABSTAIN = "abstain", _("Abstention")


class Cast(models.Model):
    """A named vote (show of hands or roll call): whose vote, who cast it (the holder
    of a proxy casts for its giver), and the choice."""

    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="casts")
    member = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    cast_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(max_length=10, choices=Choice.choices)
    cast_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vote", "member"], name="cast_once")]

    def __str__(self):
        return f"{self.member}: {self.choice}"


class Participation(models.Model):
    """Who took part in a secret vote — kept apart from the ballots, with no link."""

    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="participations")
    member = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    cast_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vote", "member"], name="participation_once")
        ]

    def __str__(self):
        return f"{self.member} a voté"


class SecretCount(models.Model):
    """The running count of an open secret vote: one row, three numbers, no history.
    A cast adds one to a column under the vote's lock; the row's previous versions are
    not kept, so nothing records which column a given transaction changed. At closing
    the counts become ballots in one shuffled batch and the row is deleted."""

    vote = models.OneToOneField(Vote, primary_key=True, on_delete=models.CASCADE, related_name="+")
    for_count = models.PositiveIntegerField(default=0)
    against_count = models.PositiveIntegerField(default=0)
    abstain_count = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.vote}: {self.for_count + self.against_count + self.abstain_count}"


class Ballot(models.Model):
    """An anonymous ballot of a closed secret vote: a random identifier, no time, no
    voter. All of a vote's ballots are written at its closing, in one shuffled batch."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vote = models.ForeignKey(Vote, on_delete=models.PROTECT, related_name="ballots")
    choice = models.CharField(max_length=10, choices=Choice.choices)

    def __str__(self):
        return self.choice
