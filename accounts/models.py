from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

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

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()
    history = HistoricalRecords(excluded_fields=["password", "last_login"])

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        ordering = ["email"]

    def __str__(self):
        return self.display_name or self.email

    def get_full_name(self):
        return str(self)

    def get_short_name(self):
        return str(self)


class RoleAssignment(models.Model):
    """A role held by a user, scoped to one quartier for the roles tied to a place
    (instructor, council member, chair) and to the whole commune otherwise."""

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
    granted_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("attribution de rôle")
        verbose_name_plural = _("attributions de rôles")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "quartier"], name="role_assignment_unique"
            ),
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=models.Q(quartier__isnull=True),
                name="role_assignment_unique_commune_wide",
            ),
        ]

    def __str__(self):
        where = self.quartier or _("toute la commune")
        return f"{self.user} — {self.get_role_display()} ({where})"


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
