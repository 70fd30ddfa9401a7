import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .periods import in_force
from .roles import Role


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person with an account; the email address is the login."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("adresse électronique"), unique=True)
    display_name = models.CharField(_("nom affiché"), max_length=120, blank=True)
    quartier = models.ForeignKey(
        "fonds.Quartier",
        verbose_name=_("quartier de résidence"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="residents",
    )
    language = models.CharField(
        _("langue des messages"), max_length=8, choices=settings.LANGUAGES, default="fr"
    )
    # Set when the person's data was erased at their request (accounts.privacy): the
    # row stays, pseudonymised, for the records that name it by id.
    erased_at = models.DateTimeField(_("effacé le"), null=True, blank=True, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()
    # History rows are never rewritten: they keep no address nor name, which live only
    # in the account row that erasure pseudonymises.
    history = HistoricalRecords(excluded_fields=["password", "last_login", "email", "display_name"])

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        ordering = ["email"]

    def __str__(self):
        if self.erased_at is not None:
            return gettext("Compte supprimé n° %(number)s") % {"number": self.pk}
        return self.display_name or self.email

    def get_full_name(self):
        return str(self)

    def get_short_name(self):
        return str(self)


class RoleAssignmentQuerySet(models.QuerySet):
    def in_force(self, on=None):
        """Assignments in force on that day (today by default): started, not past their
        last day, not revoked."""
        return self.filter(in_force(on), revoked_at__isnull=True)


class RoleAssignment(models.Model):
    """A staff role held by a user, scoped to one quartier for the instructor and to the
    whole commune otherwise, from its first day to its last (or until revoked).
    Council rights never come from here: they follow from a mandate in office."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("rôle"), max_length=32, choices=Role.choices)
    quartier = models.ForeignKey(
        "fonds.Quartier",
        verbose_name=_("quartier"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    starts_on = models.DateField(_("début"), default=timezone.localdate)
    ends_on = models.DateField(_("dernier jour"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("retiré le"), null=True, blank=True)
    revoked_reason = models.CharField(_("motif du retrait"), max_length=300, blank=True)
    granted_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("attribution de rôle")
        verbose_name_plural = _("attributions de rôles")
        ordering = ["role", "quartier__name", "-starts_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "quartier"],
                condition=Q(revoked_at__isnull=True),
                name="role_assignment_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(quartier__isnull=True, revoked_at__isnull=True),
                name="role_assignment_unique_commune_wide",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="role_assignment_period_order",
            ),
        ]

    def __str__(self):
        where = self.quartier or _("toute la commune")
        return f"{self.user} — {self.get_role_display()} ({where})"


class Invitation(models.Model):
    """An emailed invitation to take up a mandate or a staff role. The account is
    created (or found) when the person accepts; what they are invited to is ``kind``
    and ``payload``, carried out by the handler the owning app registers for that kind
    (see ``accounts.invitations``). Only a hash of the token is stored."""

    email = models.EmailField(_("adresse électronique"))
    kind = models.CharField(_("objet"), max_length=40)
    payload = models.JSONField(default=dict)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        User, null=True, on_delete=models.PROTECT, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.email} ({self.kind})"


class AuditEntry(models.Model):
    """One row of the append-only audit log, written by a service function in the same
    transaction as the change it records. PostgreSQL refuses updates and deletes."""

    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_entries"
    )
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.CharField(_("type de l'objet"), max_length=100)
    target_id = models.CharField(_("identifiant de l'objet"), max_length=64)
    data = models.JSONField(_("données"), default=dict, blank=True)
    created_at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("entrée du journal d'audit")
        verbose_name_plural = _("journal d'audit")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"])]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_type}#{self.target_id}"


class DataExport(models.Model):
    """An archive of everything the platform holds about a person (« Mes données »),
    built by a task, kept in the private storage and downloadable by that person only
    until ``expires_at``."""

    class Status(models.TextChoices):
        PENDING = "pending", _("En préparation")
        READY = "ready", _("Prête")
        FAILED = "failed", _("Échec")
        EXPIRED = "expired", pgettext_lazy("archive", "Expirée")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="data_exports")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    file = models.CharField(max_length=200, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("archive « Mes données »")
        verbose_name_plural = _("archives « Mes données »")
        ordering = ["-requested_at"]

    def __str__(self):
        return f"{self.user_id} {self.requested_at:%Y-%m-%d %H:%M} {self.status}"


class Notification(models.Model):
    """Something the site told a person: listed in « Mon espace » and, unless they turned
    that kind of email off (``NotificationOptOut``), sent to them by email. ``kind`` and
    ``params`` are rendered in the reader's language (accounts.notifications)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("type"), max_length=40)
    params = models.JSONField(default=dict, blank=True)
    link = models.CharField(_("lien"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("date"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("lue le"), null=True, blank=True)
    emailed = models.BooleanField(_("envoyée par courriel"), default=False)

    class Meta:
        verbose_name = _("notification")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "-created_at"], name="notification_user_recent")]

    def __str__(self):
        return f"{self.user_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"


class NotificationOptOut(models.Model):
    """A kind of email a person chose not to receive (on « Mon profil »); the kinds the
    service must send (accounts.notifications.REQUIRED) cannot be turned off."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notification_opt_outs")
    kind = models.CharField(_("type"), max_length=40)

    class Meta:
        verbose_name = _("courriel refusé")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_opt_out_once")
        ]

    def __str__(self):
        return f"{self.user_id} {self.kind}"
