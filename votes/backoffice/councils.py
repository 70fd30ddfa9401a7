"""The « Conseils » list of the Wagtail admin. Creating and editing a council go
through ``council_create`` and ``council_update`` (rules checked, one audit row); no
council is deleted from the admin, since sessions and decisions refer to it."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import TitleColumn
from wagtail.admin.views.generic import CreateView, EditView, IndexView
from wagtail.admin.widgets.button import ListingButton
from wagtail.permissions import register_permission_policy

from accounts.errors import DomainError
from accounts.models import RoleAssignment
from accounts.roles import Role
from fonds.backoffice.referentials import AdministratorsOnlyPolicy, AdministratorsViewSet
from fonds.models import Quartier
from votes.models import Council
from votes.predicates import can_read_composition
from votes.services import council_create, council_update

from . import composition

RULES = ["kind", "quorum_rule", "majority_rule", "chair_casting_vote"]


class CouncilPolicy(AdministratorsOnlyPolicy):
    """Administrators add and change councils; instructors and administrators view
    them and their composition (``can_read_composition``)."""

    def user_has_permission(self, user, action):
        if action == "view":
            return can_read_composition(user)
        return super().user_has_permission(user, action)

    def users_with_any_permission(self, actions):
        if "view" not in actions:
            return super().users_with_any_permission(actions)
        in_force = RoleAssignment.objects.in_force().filter(
            role__in=[Role.ADMINISTRATOR, Role.INSTRUCTOR]
        )
        return (
            get_user_model()
            .objects.filter(Q(is_superuser=True) | Q(role_assignments__in=in_force), is_active=True)
            .distinct()
        )


def register_policies():
    """Must run before the viewset asks Wagtail for the council's policy."""
    register_permission_policy(Council, CouncilPolicy(Council))


class CouncilCreateForm(forms.ModelForm):
    class Meta:
        model = Council
        fields = ["quartier", "name", *RULES]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        quartier = self.fields["quartier"]
        # One council per quartier: only the quartiers that have none are offered.
        quartier.queryset = Quartier.objects.filter(councils__isnull=True).order_by("name")
        quartier.error_messages["invalid_choice"] = _(
            "Choisissez un quartier qui n'a pas encore de conseil."
        )
        quartier.help_text = _(
            "Le quartier dont ce conseil décide le fonds (un conseil par quartier)."
        )


class CouncilEditForm(forms.ModelForm):
    class Meta:
        model = Council
        fields = ["name", *RULES]


class ServiceFormMixin:
    """Runs the service instead of saving the model form; a refusal is shown on the
    form, by field when it names one, and nothing is written."""

    def run_service(self, data):
        raise NotImplementedError

    def form_valid(self, form):
        self.form = form
        try:
            self.object = self.run_service(form.cleaned_data)
        except DomainError as error:
            for field, messages_ in (error.errors or {None: [error.message]}).items():
                for message in messages_:
                    form.add_error(field if field in form.fields else None, message)
            self.produced_error_code = "validation_error"
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)
        response = self.save_action()
        return self.run_after_hook() or response

    def get_success_url(self):
        return reverse("conseils:composition", args=[self.object.pk])


class CouncilCreateView(ServiceFormMixin, CreateView):
    def run_service(self, data):
        return council_create(
            actor=self.request.user,
            quartier=data["quartier"],
            name=data["name"],
            **{field: data[field] for field in RULES},
        )


class CouncilEditView(ServiceFormMixin, EditView):
    def run_service(self, data):
        return council_update(
            actor=self.request.user,
            council=self.object,
            name=data["name"],
            **{field: data[field] for field in RULES},
        )


class CouncilIndexView(IndexView):
    """Each council's name leads to its composition, for whoever may read it."""

    @cached_property
    def columns(self):
        columns = super().columns
        # With the row's buttons, as Wagtail's own title column has them.
        title = self._get_title_column_class(TitleColumn)(
            "name",
            label=_("Nom"),
            get_url=lambda council: reverse("conseils:composition", args=[council.pk]),
            sort_key="name",
        )
        return [title, *columns[1:]]

    def get_list_buttons(self, instance):
        buttons = [
            ListingButton(
                gettext("Composition"),
                url=reverse("conseils:composition", args=[instance.pk]),
                icon_name="group",
                attrs={"aria-label": gettext("Composition de « %(name)s »") % {"name": instance}},
                priority=10,
            )
        ]
        if edit_url := self.get_edit_url(instance):
            buttons.append(
                ListingButton(
                    gettext("Modifier"),
                    url=edit_url,
                    icon_name="edit",
                    attrs={"aria-label": gettext("Modifier « %(name)s »") % {"name": instance}},
                    priority=20,
                )
            )
        return buttons


class CouncilViewSet(AdministratorsViewSet):
    model = Council
    name = "conseils"
    icon = "group"
    menu_label = _("Conseils")
    add_to_admin_menu = True
    menu_order = 215
    index_view_class = CouncilIndexView
    add_view_class = CouncilCreateView
    edit_view_class = CouncilEditView
    list_display = ["name", "quartier", "kind"]
    list_filter = ["kind"]

    def get_form_class(self, for_update=False):
        return CouncilEditForm if for_update else CouncilCreateForm

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("<id:pk>/composition/", composition.composition_view, name="composition"),
            path(
                "<id:pk>/composition/attribuer/",
                composition.mandate_grant_view,
                name="mandate_grant",
            ),
            path(
                "<id:pk>/composition/inviter/",
                composition.mandate_invite_view,
                name="mandate_invite",
            ),
            path(
                "<id:pk>/composition/mandats/<id:mandate_pk>/fin/",
                composition.mandate_end_view,
                name="mandate_end",
            ),
            path(
                "<id:pk>/composition/invitations/<id:invitation_pk>/annuler/",
                composition.invitation_cancel_view,
                name="invitation_cancel",
            ),
        ]
