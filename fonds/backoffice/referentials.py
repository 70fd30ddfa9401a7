"""The lists administrators keep (themes, quartiers, funds), as Wagtail model viewsets
grouped under « Fonds des quartiers ». Only administrators see or reach them. Adding
and editing go through the domain services (``fonds.services``): the forms validate
the input, the services decide and write the audit row."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import IntegrityError
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views.generic import CreateView, EditView
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.log_actions import log
from wagtail.permission_policies import BasePermissionPolicy
from wagtail.permissions import register_permission_policy

from accounts.dbutils import constraint_violated
from accounts.errors import DomainError
from accounts.models import RoleAssignment
from accounts.predicates import is_administrator
from accounts.roles import Role
from fonds.models import Fund, Quartier, Theme
from fonds.services import (
    fund_create,
    fund_update,
    quartier_create,
    quartier_update,
    theme_create,
    theme_update,
)
from fonds.services.quartiers import AVAILABLE_DECISION_MODES, DECISION_MODE_UNAVAILABLE
from fonds.services.referentials import (
    FUND_FIELDS,
    QUARTIER_FIELDS,
    THEME_FIELDS,
    fund_is_credited,
)


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


class ServiceFormMixin:
    """Saves a valid form through a domain service (``write``) instead of the model
    form, so that the audit log records the change and the service's rules hold; a
    refusal is shown on the form, on its field when it names one."""

    # The field whose value the address (slug) is derived from.
    slug_source_field = "name"
    # The admin's own history of the row (its « Historique » tab) as Wagtail keeps it.
    wagtail_log_action = None

    def write(self, data):
        raise NotImplementedError

    def form_valid(self, form):
        self.form = form
        try:
            self.object = self.write(form.cleaned_data)
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
        log(instance=self.object, action=self.wagtail_log_action, user=self.request.user)
        response = self.save_action()
        return self.run_after_hook() or response

    def refused(self, form, field, message):
        form.add_error(field, message)
        self.produced_error_code = "validation_error"
        self.produced_error_message = self.get_error_message()
        return self.form_invalid(form)


class ServiceCreateView(ServiceFormMixin, CreateView):
    """Creates the row through its domain service (derived address, dates in order…)."""

    wagtail_log_action = "wagtail.create"


class ServiceEditView(ServiceFormMixin, EditView):
    """Saves the changes through the domain service: the row is re-read under lock, and
    the audit row lists the changed fields with their values before and after."""

    wagtail_log_action = "wagtail.edit"


class ThemeCreateView(ServiceCreateView):
    def write(self, data):
        return theme_create(actor=self.request.user, name=data["name"], position=data["position"])


class ThemeEditView(ServiceEditView):
    def write(self, data):
        return theme_update(actor=self.request.user, theme=self.object, **data)


class QuartierCreateView(ServiceCreateView):
    def write(self, data):
        return quartier_create(
            actor=self.request.user,
            name=data["name"],
            code=data["code"],
            description=data["description"],
            outline=data["outline"],
        )


class QuartierEditView(ServiceEditView):
    def write(self, data):
        return quartier_update(actor=self.request.user, quartier=self.object, **data)


class FundCreateView(ServiceCreateView):
    slug_source_field = "label"

    def write(self, data):
        return fund_create(actor=self.request.user, **data)


class FundEditView(ServiceEditView):
    slug_source_field = "label"

    def get_form(self, *args, **kwargs):
        form = super().get_form(*args, **kwargs)
        if "quartier" in form.fields and fund_is_credited(self.object):
            form.fields["quartier"].help_text = gettext(
                "Ce fonds a reçu des crédits : son quartier ne peut plus changer."
            )
        return form

    def write(self, data):
        return fund_update(actor=self.request.user, fund=self.object, **data)


class AdministratorsViewSet(ModelViewSet):
    copy_view_enabled = False
    pk_path_converter = "id"  # accounts.ids: a bad id in the address is a 404
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
    edit_view_class = ThemeEditView
    form_fields = list(THEME_FIELDS)
    list_display = ["name", "position"]


class QuartierViewSet(AdministratorsViewSet):
    model = Quartier
    name = "quartiers"
    icon = "site"
    menu_label = _("Quartiers")
    add_view_class = QuartierCreateView
    edit_view_class = QuartierEditView
    form_fields = list(QUARTIER_FIELDS)
    list_display = ["name", "code"]


class FundViewSet(AdministratorsViewSet):
    model = Fund
    # Not "fonds": that namespace is left to the app's own public URLs.
    name = "fonds-initiative"
    icon = "pick"
    menu_label = _("Fonds")
    add_view_class = FundCreateView
    edit_view_class = FundEditView
    form_fields = list(FUND_FIELDS)
    list_display = ["label", "quartier", "period_start", "period_end", "status"]
    list_filter = ["quartier", "status"]

    def formfield_for_dbfield(self, db_field, **kwargs):
        field = super().formfield_for_dbfield(db_field, **kwargs)
        if db_field.name == "decision_mode":
            # Offer only the modes the site can run; a forged value gets the service's
            # message from the form already.
            field.choices = [(mode.value, mode.label) for mode in AVAILABLE_DECISION_MODES]
            field.error_messages["invalid_choice"] = DECISION_MODE_UNAVAILABLE
        if db_field.name in ("max_grant", "min_cofunding_percent"):
            field.help_text = _(
                "Une modification s'applique aux dossiers déposés ensuite ; ceux déjà "
                "déposés gardent les règles en vigueur à leur dépôt."
            )
        return field


class FondsDesQuartiersGroup(ModelViewSetGroup):
    menu_label = _("Fonds des quartiers")
    menu_icon = "folder-open-inverse"
    menu_order = 210
    items = (ThemeViewSet, QuartierViewSet, FundViewSet)
