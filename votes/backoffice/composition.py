"""A council's composition in the Wagtail admin: the members in office, to come and
past, with their seats and periods; and, for administrators, granting a mandate to an
existing account, inviting someone by email, ending a mandate early, cancelling an
invitation. Every action is one service; a refusal comes back on its form and
nothing is written."""

import datetime

from django import forms
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST
from wagtail.admin import messages

from accounts.backoffice import (
    AccountField,
    DescribedForm,
    admin_forbidden,
    date_field,
    reason_field,
    run_admin_form,
)
from accounts.dates import long_date
from accounts.errors import DomainError, PermissionDenied
from accounts.invitations import (
    State,
    invitation_cancel,
    invitation_description,
    invitation_state,
)
from accounts.predicates import is_administrator
from votes.models import Council, Mandate
from votes.predicates import can_read_composition
from votes.services import mandate_end, mandate_grant
from votes.services.councils import mandate_invitations, mandate_invite

# Seats in the order a composition lists them: the chair first.
SEAT_ORDER = {role: position for position, role in enumerate(Mandate.Role.values)}


class MandateFields(DescribedForm):
    role = forms.ChoiceField(label=_("Siège"), choices=Mandate.Role.choices)
    wording = forms.TypedChoiceField(
        label=_("Intitulé du siège"),
        choices=Mandate.Wording.choices,
        required=False,
        empty_value=Mandate.Wording.INCLUSIVE,
        help_text=_("Comme la personne souhaite que son titre soit écrit."),
    )
    starts_on = date_field(_("Début du mandat"))
    ends_on = date_field(
        _("Dernier jour du mandat"),
        required=False,
        help_text=_("Laissez vide pour un mandat sans terme fixé."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "starts_on": timezone.localdate(),
                "role": Mandate.Role.MEMBER,
                "wording": Mandate.Wording.INCLUSIVE,
            },
        )
        super().__init__(*args, **kwargs)


class MandateGrantForm(MandateFields):
    person = AccountField(
        label=_("Adresse électronique du compte"),
        help_text=_("L'adresse avec laquelle la personne se connecte."),
    )
    field_order = ["person", "role", "wording", "starts_on", "ends_on"]
    error_fields = {"user": "person"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="attribuer", **kwargs)


class MandateInviteForm(MandateFields):
    email = forms.EmailField(
        label=_("Adresse électronique"),
        help_text=_(
            "La personne reçoit un lien valable 14 jours ; son compte est créé et son mandat "
            "commence quand elle accepte."
        ),
    )
    field_order = ["email", "role", "wording", "starts_on", "ends_on"]
    error_fields = {"user": "email"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="inviter", **kwargs)


class MandateEndForm(DescribedForm):
    ends_on = date_field(
        _("Dernier jour du mandat"),
        help_text=_(
            "Le dernier jour où la personne siège. Hier : le mandat prend fin à l'instant."
        ),
    )
    reason = reason_field(_("Motif de la fin du mandat"), help_text=_("Gardé au journal."))


# --- reading -------------------------------------------------------------------------------


def _council(pk):
    return get_object_or_404(Council.objects.select_related("quartier"), pk=pk)


def _seat_key(mandate):
    return (SEAT_ORDER.get(mandate.role, len(SEAT_ORDER)), str(mandate.user).lower())


def council_composition(council, today=None):
    """The council's mandates: ``current`` (in office today) and ``upcoming`` by seat,
    ``past`` (ended) latest first."""
    today = today or timezone.localdate()
    mandates = list(council.mandates.select_related("user"))
    past = [m for m in mandates if m.ends_on is not None and m.ends_on < today]
    upcoming = [m for m in mandates if m.starts_on > today]
    current = [m for m in mandates if m not in past and m not in upcoming]
    return {
        "current": sorted(current, key=_seat_key),
        "upcoming": sorted(upcoming, key=lambda m: (m.starts_on, *_seat_key(m))),
        "past": sorted(past, key=lambda m: (m.ends_on, m.pk), reverse=True),
    }


def _invitations(council):
    now = timezone.now()
    return [
        {
            "invitation": invitation,
            "state": invitation_state(invitation, now),
            "offer": invitation_description(invitation),
            "cancel_url": reverse("conseils:invitation_cancel", args=[council.pk, invitation.pk]),
        }
        for invitation in mandate_invitations(council).select_related("invited_by", "accepted_by")
    ]


# --- the pages -------------------------------------------------------------------------------


def _render(request, council, *, grant_form=None, invite_form=None):
    may_change = is_administrator(request.user)
    if grant_form is not None or invite_form is not None:
        messages.error(request, gettext("L'action n'a pas été enregistrée."))
    return TemplateResponse(
        request,
        "votes/admin/composition.html",
        {
            "council": council,
            "composition": council_composition(council),
            "may_change": may_change,
            "invitations": _invitations(council) if may_change else [],
            "grant_form": grant_form or MandateGrantForm(),
            "invite_form": invite_form or MandateInviteForm(),
            "pending": State.PENDING,
        },
    )


def _refused_reading(request):
    return admin_forbidden(
        request,
        gettext(
            "La composition des conseils est réservée aux agents instructeurs et aux "
            "administrateurs."
        ),
    )


def _refused_change(request):
    return admin_forbidden(request, gettext("Seul un administrateur modifie un conseil."))


def composition_view(request, pk):
    council = _council(pk)
    if not can_read_composition(request.user):
        return _refused_reading(request)
    return _render(request, council)


def _run(request, council, form, action, *, failed, success):
    return run_admin_form(
        request,
        form,
        action,
        failed=failed,
        success=success,
        then=reverse("conseils:composition", args=[council.pk]),
    )


@require_POST
def mandate_grant_view(request, pk):
    council = _council(pk)
    if not is_administrator(request.user):
        return _refused_change(request)
    return _run(
        request,
        council,
        MandateGrantForm(request.POST),
        lambda data: mandate_grant(
            actor=request.user,
            council=council,
            user=data["person"],
            role=data["role"],
            wording=data["wording"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
        ),
        failed=lambda form: _render(request, council, grant_form=form),
        success=lambda data: (
            gettext("%(person)s siège au conseil à partir du %(day)s.")
            % {
                "person": data["person"],
                "day": long_date(data["starts_on"]),
            }
        ),
    )


@require_POST
def mandate_invite_view(request, pk):
    council = _council(pk)
    if not is_administrator(request.user):
        return _refused_change(request)
    return _run(
        request,
        council,
        MandateInviteForm(request.POST),
        lambda data: mandate_invite(
            actor=request.user,
            council=council,
            email=data["email"],
            role=data["role"],
            wording=data["wording"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
        ),
        failed=lambda form: _render(request, council, invite_form=form),
        success=lambda data: (
            gettext("L'invitation est envoyée à %(email)s.") % {"email": data["email"]}
        ),
    )


def mandate_end_view(request, pk, mandate_pk):
    council = _council(pk)
    if not is_administrator(request.user):
        return _refused_change(request)
    mandate = get_object_or_404(council.mandates.select_related("user"), pk=mandate_pk)
    today = timezone.localdate()
    ended = mandate.ends_on is not None and mandate.ends_on < today
    if request.method == "POST" and not ended:
        form = MandateEndForm(request.POST)
        if form.is_valid():
            try:
                mandate_end(
                    actor=request.user,
                    mandate=mandate,
                    ends_on=form.cleaned_data["ends_on"],
                    reason=form.cleaned_data["reason"],
                )
            except PermissionDenied as error:
                return admin_forbidden(request, error.message)
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(
                    request,
                    gettext("Le mandat de %(person)s prend fin le %(day)s.")
                    % {
                        "person": mandate.user,
                        "day": long_date(form.cleaned_data["ends_on"]),
                    },
                )
                return redirect("conseils:composition", pk=council.pk)
        messages.error(request, gettext("L'action n'a pas été enregistrée."))
    else:
        yesterday = today - datetime.timedelta(days=1)
        form = MandateEndForm(initial={"ends_on": max(yesterday, mandate.starts_on)})
    return TemplateResponse(
        request,
        "votes/admin/mandate_end.html",
        {"council": council, "mandate": mandate, "form": form, "ended": ended},
    )


@require_POST
def invitation_cancel_view(request, pk, invitation_pk):
    council = _council(pk)
    if not is_administrator(request.user):
        return _refused_change(request)
    invitation = get_object_or_404(mandate_invitations(council), pk=invitation_pk)
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
    return redirect("conseils:composition", pk=council.pk)
