"""Staff roles in the Wagtail admin: who holds which role, in force, to come and past;
granting one to an existing account or by invitation; revoking one with its reason.
Administrators only. Also the form helpers the other admin pages share."""

from django import forms
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from wagtail.admin import messages

from .errors import DomainError, PermissionDenied
from .ids import IdChoiceField
from .invitations import (
    STAFF_ROLE,
    State,
    account_for_email,
    invitation_cancel,
    invitation_description,
    invitation_state,
    role_invite,
)
from .models import Invitation, RoleAssignment
from .predicates import is_administrator
from .roles import Role
from .services import role_grant, role_revoke

MAX_REASON = 300
INVITATIONS_SHOWN = 50

# --- shared form helpers ---------------------------------------------------------------


class DescribedForm(forms.Form):
    """Ties each field to its error message and its help text (``aria-describedby``),
    with the ids the field templates give them: ``<id>-errors`` and ``<id>-helptext``
    (templates/accounts/admin/_field.html, templates/accounts/_field.html)."""

    # The form field that shows a service's error about one of its arguments, when
    # their names differ ({"user": "person"}).
    error_fields = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.describe_fields()

    def full_clean(self):
        super().full_clean()
        self.describe_fields()

    def add_error(self, field, error):
        super().add_error(field, error)
        self.describe_fields()

    def describe_fields(self):
        errors = self._errors or {}
        for name, field in self.fields.items():
            field_id = self[name].auto_id
            ids = []
            if name in errors:
                ids.append(f"{field_id}-errors")
            if field.help_text:
                ids.append(f"{field_id}-helptext")
            attrs = field.widget.attrs
            if ids:
                attrs["aria-describedby"] = " ".join(ids)
            else:
                attrs.pop("aria-describedby", None)
            if name in errors:
                attrs["aria-invalid"] = "true"
            else:
                attrs.pop("aria-invalid", None)

    def add_domain_error(self, error):
        """A service's refusal, on the fields it names when the form has them, else at
        the top of the form."""
        placed = False
        for argument, messages_ in (error.errors or {}).items():
            field = self.error_fields.get(argument, argument)
            for message in messages_:
                if field in self.fields:
                    self.add_error(field, message)
                    placed = True
        if not placed:
            self.add_error(None, error.message)


class AccountField(forms.EmailField):
    """An email address, resolved to the account that uses it."""

    default_error_messages = {
        "no_account": _(
            "Aucun compte n'utilise cette adresse. Invitez plutôt cette personne : son "
            "compte sera créé quand elle acceptera."
        ),
    }

    def clean(self, value):
        email = super().clean(value)
        user = account_for_email(email)
        if user is None:
            raise forms.ValidationError(self.error_messages["no_account"], code="no_account")
        return user


def date_field(label, *, required=True, help_text=""):
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def reason_field(label, help_text=""):
    return forms.CharField(
        label=label,
        max_length=MAX_REASON,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Indiquez le motif.")},
    )


def admin_forbidden(request, message=None):
    """A real 403 page inside the admin frame (a PermissionDenied raised in a Wagtail
    admin view would redirect to the dashboard with a 302 instead)."""
    return TemplateResponse(
        request,
        "accounts/admin/forbidden.html",
        {"message": message or gettext("Cette page est réservée aux administrateurs.")},
        status=403,
    )


# --- the forms ---------------------------------------------------------------------------


def _quartiers():
    # Named through the relation: accounts imports no other app.
    return RoleAssignment._meta.get_field("quartier").related_model.objects.order_by("name")


ROLE_CHOICES = [
    (Role.INSTRUCTOR.value, Role.INSTRUCTOR.label),
    (Role.ADMINISTRATOR.value, Role.ADMINISTRATOR.label),
]


class RoleFields(DescribedForm):
    role = forms.ChoiceField(label=_("Rôle"), choices=ROLE_CHOICES)
    quartier = IdChoiceField(
        label=_("Quartier (agent instructeur)"),
        queryset=RoleAssignment.objects.none(),
        required=False,
        empty_label=_("Tous les quartiers"),
        help_text=_("Un administrateur agit pour toute la commune : le quartier est ignoré."),
    )
    starts_on = date_field(_("Premier jour"))
    ends_on = date_field(
        _("Dernier jour"), required=False, help_text=_("Laissez vide pour un rôle sans terme.")
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"starts_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["quartier"].queryset = _quartiers()


class RoleGrantForm(RoleFields):
    person = AccountField(
        label=_("Adresse électronique du compte"),
        help_text=_("L'adresse avec laquelle la personne se connecte."),
    )
    field_order = ["person", "role", "quartier", "starts_on", "ends_on"]
    error_fields = {"user": "person"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="attribuer", **kwargs)


class RoleInviteForm(RoleFields):
    email = forms.EmailField(
        label=_("Adresse électronique"),
        help_text=_("La personne reçoit un lien ; son compte est créé quand elle accepte."),
    )
    field_order = ["email", "role", "quartier", "starts_on", "ends_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="inviter", **kwargs)


class RevokeForm(DescribedForm):
    reason = reason_field(
        _("Motif du retrait"),
        help_text=_("Gardé au journal : la personne perd ce rôle à l'instant."),
    )


# --- reading -------------------------------------------------------------------------------


def assignment_period(assignment, today):
    """``current``, ``upcoming`` or ``past`` (revoked, or after its last day)."""
    if assignment.revoked_at is not None or (assignment.ends_on and assignment.ends_on < today):
        return "past"
    if assignment.starts_on > today:
        return "upcoming"
    return "current"


def staff_people(today=None):
    """Everyone who holds or held a staff role, by address, with their assignments in
    force, to come and past."""
    today = today or timezone.localdate()
    rows = {}
    assignments = RoleAssignment.objects.select_related("user", "quartier").order_by(
        "user__email", "role", "-starts_on", "-pk"
    )
    for assignment in assignments:
        row = rows.setdefault(
            assignment.user_id,
            {"user": assignment.user, "current": [], "upcoming": [], "past": []},
        )
        row[assignment_period(assignment, today)].append(assignment)
    return list(rows.values())


def staff_invitations():
    invitations = Invitation.objects.filter(kind=STAFF_ROLE).select_related(
        "invited_by", "accepted_by"
    )[:INVITATIONS_SHOWN]
    now = timezone.now()
    return [
        {
            "invitation": invitation,
            "state": invitation_state(invitation, now),
            "offer": invitation_description(invitation),
            "cancel_url": reverse("accounts_staff_invitation_cancel", args=[invitation.pk]),
        }
        for invitation in invitations
    ]


# --- the pages -------------------------------------------------------------------------------


def _render(request, *, grant_form=None, invite_form=None):
    if grant_form is not None or invite_form is not None:
        messages.error(request, gettext("L'action n'a pas été enregistrée."))
    return TemplateResponse(
        request,
        "accounts/admin/roles.html",
        {
            "people": staff_people(),
            "invitations": staff_invitations(),
            "grant_form": grant_form or RoleGrantForm(),
            "invite_form": invite_form or RoleInviteForm(),
            "pending": State.PENDING,
        },
    )


def roles_view(request):
    if not is_administrator(request.user):
        return admin_forbidden(request)
    return _render(request)


def run_admin_form(request, form, action, *, failed, success, then):
    """Runs ``action`` on a valid form, then says ``success`` and redirects to ``then``;
    a refusal is shown on the form (``failed``) and nothing is written."""
    if not form.is_valid():
        return failed(form)
    try:
        action(form.cleaned_data)
    except PermissionDenied as error:
        return admin_forbidden(request, error.message)
    except DomainError as error:
        form.add_domain_error(error)
        return failed(form)
    messages.success(request, success(form.cleaned_data))
    return redirect(then)


def _run(request, form, action, *, failed, success):
    return run_admin_form(
        request, form, action, failed=failed, success=success, then="accounts_roles"
    )


@require_POST
def role_grant_view(request):
    if not is_administrator(request.user):
        return admin_forbidden(request)
    return _run(
        request,
        RoleGrantForm(request.POST),
        lambda data: role_grant(
            actor=request.user,
            user=data["person"],
            role=data["role"],
            quartier=data["quartier"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
        ),
        failed=lambda form: _render(request, grant_form=form),
        success=lambda data: (
            gettext("Le rôle est attribué à %(person)s.") % {"person": data["person"]}
        ),
    )


@require_POST
def role_invite_view(request):
    if not is_administrator(request.user):
        return admin_forbidden(request)
    return _run(
        request,
        RoleInviteForm(request.POST),
        lambda data: role_invite(
            actor=request.user,
            email=data["email"],
            role=data["role"],
            quartier=data["quartier"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
        ),
        failed=lambda form: _render(request, invite_form=form),
        success=lambda data: (
            gettext("L'invitation est envoyée à %(email)s.") % {"email": data["email"]}
        ),
    )


def role_revoke_view(request, pk):
    if not is_administrator(request.user):
        return admin_forbidden(request)
    assignment = get_object_or_404(RoleAssignment.objects.select_related("user", "quartier"), pk=pk)
    revocable = assignment_period(assignment, timezone.localdate()) != "past"
    form = RevokeForm(request.POST if request.method == "POST" and revocable else None)
    if form.is_bound and form.is_valid():
        try:
            role_revoke(
                actor=request.user, assignment=assignment, reason=form.cleaned_data["reason"]
            )
        except PermissionDenied as error:
            return admin_forbidden(request, error.message)
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                gettext("Le rôle de %(person)s est retiré.") % {"person": assignment.user},
            )
            return redirect("accounts_roles")
    if form.is_bound:
        messages.error(request, gettext("L'action n'a pas été enregistrée."))
    return TemplateResponse(
        request,
        "accounts/admin/role_revoke.html",
        {
            "assignment": assignment,
            "form": form,
            "revocable": revocable,
        },
    )


@require_POST
def staff_invitation_cancel_view(request, pk):
    if not is_administrator(request.user):
        return admin_forbidden(request)
    invitation = get_object_or_404(Invitation, pk=pk)
    if invitation.kind != STAFF_ROLE:
        raise Http404
    try:
        invitation_cancel(actor=request.user, invitation=invitation)
    except PermissionDenied as error:
        return admin_forbidden(request, error.message)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, gettext("L'invitation de %(email)s est annulée.") % {"email": invitation.email}
        )
    return redirect("accounts_roles")
