from django import forms
from django.utils.translation import gettext_lazy as _

from .ids import IdChoiceField
from .models import User


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        label=_("Nom affiché"),
        max_length=120,
        required=False,
        help_text=_("Le nom que les autres voient, par exemple « Camille D. »."),
    )
    quartier = IdChoiceField(
        label=_("Quartier de résidence"),
        queryset=None,  # set in __init__, from the user's relation
        required=False,
        empty_label=_("— Je ne souhaite pas l'indiquer —"),
    )
    language = forms.ChoiceField(
        label=_("Langue des messages"), choices=User._meta.get_field("language").choices
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # accounts imports no other app: the quartier model is the one the user's
        # relation names by string, resolved by Django once the apps are loaded.
        quartier_model = User._meta.get_field("quartier").related_model
        self.fields["quartier"].queryset = quartier_model.objects.order_by("name")


def add_domain_error(form, error):
    """Show a service's DomainError on a form: on the fields it names when the form has
    them, else at the top of the form."""
    placed = False
    for field, messages in (error.errors or {}).items():
        for message in messages:
            if field in form.fields:
                form.add_error(field, message)
                placed = True
            elif field == "__all__":
                form.add_error(None, message)
                placed = True
    if not placed:
        form.add_error(None, error.message)


class EmailPreferencesForm(forms.Form):
    """The kinds of email a person may turn off, ticked when they receive them."""

    wanted = forms.MultipleChoiceField(
        label=_("Je reçois un courriel quand…"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        from .notifications import optional_kinds

        super().__init__(*args, **kwargs)
        self.kinds = optional_kinds()
        self.fields["wanted"].choices = [
            (kind.key, f"{kind.label} ({kind.audience})" if kind.audience else kind.label)
            for kind in self.kinds
        ]

    def muted(self):
        wanted = set(self.cleaned_data["wanted"])
        return [kind.key for kind in self.kinds if kind.key not in wanted]
