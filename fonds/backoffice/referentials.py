"""The lists administrators keep (themes, quartiers, funds), as Wagtail model viewsets
grouped under « Fonds des quartiers ». Only administrators see or reach them."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import IntegrityError
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views.generic import CreateView
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.permission_policies import BasePermissionPolicy
from wagtail.permissions import register_permission_policy

from accounts.dbutils import constraint_violated
from accounts.errors import DomainError
from accounts.models import RoleAssignment
from accounts.predicates import is_administrator
from accounts.roles import Role
from fonds.models import Fund, Quartier, Theme
from fonds.services import fund_create, quartier_create, theme_create
from fonds.services.quartiers import AVAILABLE_DECISION_MODES, DECISION_MODE_UNAVAILABLE


class AdministratorsOnlyPolicy(BasePermissionPolicy):
    """Administrators add and change rows; nobody deletes them from the admin, since
    dossiers (and later the ledger) refer to them. Django model permissions given to a
    group play no part."""

    ACTIONS = frozenset({"add", "change"})

    def user_has_permission(self, user, action):
        return action in self.ACTIONS and is_administrator(user)

    def users_with_any_permission(self, actions):
        users = get_user_model().objects
        if not self.ACTIONS.intersection(actions):
            return users.none()
        return users.filter(
            Q(is_superuser=True)
            | Q(
                role_assignments__in=RoleAssignment.objects.in_force().filter(
                    role=Role.ADMINISTRATOR
                )
            ),
            is_active=True,
        ).distinct()


def register_policies():
    """Must run before any viewset asks Wagtail for these models' policies."""
    for model in (Theme, Quartier, Fund):
        register_permission_policy(model, AdministratorsOnlyPolicy(model))


class ServiceCreateView(CreateView):
    """Creates the row through its domain service, so that the audit log records it
    and the service's rules (derived address, dates in order…) hold."""

    # The field whose value the address (slug) is derived from.
    slug_source_field = "name"

    def create(self, data):
        raise NotImplementedError

    def form_valid(self, form):
        self.form = form
        try:
            self.object = self.create(form.cleaned_data)
        except DomainError as error:
            field = error.field if error.field in form.fields else None
            return self.refused(form, field, error.message)
        except IntegrityError as error:
            if not constraint_violated(error, f"{self.model._meta.db_table}_slug_key"):
                raise
            return self.refused(
                form,
                self.slug_source_field,
                gettext("Ce nom donnerait la même adresse qu'un élément existant."),
            )
        response = self.save_action()
        return self.run_after_hook() or response

    def refused(self, form, field, message):
        form.add_error(field, message)
        self.produced_error_code = "validation_error"
        self.produced_error_message = self.get_error_message()
        return self.form_invalid(form)


class ThemeCreateView(ServiceCreateView):
    def create(self, data):
        return theme_create(actor=self.request.user, name=data["name"], position=data["position"])


class QuartierCreateView(ServiceCreateView):
    def create(self, data):
        return quartier_create(
            actor=self.request.user,
            name=data["name"],
            code=data["code"],
            description=data["description"],
            outline=data["outline"],
        )


class FundCreateView(ServiceCreateView):
    slug_source_field = "label"

    def create(self, data):
        return fund_create(actor=self.request.user, **data)


class AdministratorsViewSet(ModelViewSet):
    copy_view_enabled = False
    # Nothing in the reference index points at these rows; a usage count would lie.
    add_to_reference_index = False

    def get_permissions_to_register(self):
        # Group permissions play no part (see AdministratorsOnlyPolicy): offering them
        # in the group editor would mislead.
        return Permission.objects.none()


class ThemeViewSet(AdministratorsViewSet):
    model = Theme
    name = "themes"
    icon = "tag"
    menu_label = _("Thèmes")
    add_view_class = ThemeCreateView
    form_fields = ["name", "position"]
    list_display = ["name", "position"]


class QuartierViewSet(AdministratorsViewSet):
    model = Quartier
    name = "quartiers"
    icon = "site"
    menu_label = _("Quartiers")
    add_view_class = QuartierCreateView
    form_fields = ["name", "code", "description", "outline"]
    list_display = ["name", "code"]


class FundViewSet(AdministratorsViewSet):
    model = Fund
    # Not "fonds": that namespace is left to the app's own public URLs.
    name = "fonds-initiative"
    icon = "pick"
    menu_label = _("Fonds")
    add_view_class = FundCreateView
    form_fields = [
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
    ]
    list_display = ["label", "quartier", "period_start", "period_end", "status"]
    list_filter = ["quartier", "status"]

    def formfield_for_dbfield(self, db_field, **kwargs):
        field = super().formfield_for_dbfield(db_field, **kwargs)
        if db_field.name == "decision_mode":
            # Offer only the modes the site can run; a forged value gets the service's
            # message (the edit view saves the form itself, so the form must refuse it).
            field.choices = [(mode.value, mode.label) for mode in AVAILABLE_DECISION_MODES]
            field.error_messages["invalid_choice"] = DECISION_MODE_UNAVAILABLE
        return field


class FondsDesQuartiersGroup(ModelViewSetGroup):
    menu_label = _("Fonds des quartiers")
    menu_icon = "folder-open-inverse"
    menu_order = 210
    items = (ThemeViewSet, QuartierViewSet, FundViewSet)
