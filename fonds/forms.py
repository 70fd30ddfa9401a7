"""Forms check the shape of what residents type; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.ids import IdChoiceField

from .models import BudgetLine, Fund, Initiative, Quartier, Theme


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class CarrierForm(forms.Form):
    fund = IdChoiceField(
        label=_("Fonds de quartier"),
        queryset=Fund.objects.none(),
        empty_label=None,
        help_text=_("Le fonds du quartier où l'action aura lieu."),
    )
    carrier_kind = forms.ChoiceField(
        label=_("Qui porte le projet ?"),
        choices=Initiative.CarrierKind.choices,
        widget=forms.RadioSelect,
    )
    carrier_name = forms.CharField(
        label=_("Nom du porteur"),
        max_length=200,
        help_text=_("Votre nom, celui de votre collectif ou de votre association."),
    )
    rna = forms.CharField(
        label=_("Numéro RNA (association, facultatif)"),
        max_length=10,
        required=False,
        help_text=_("W suivi de 9 chiffres."),
    )
    siret = forms.CharField(
        label=_("Numéro SIRET (facultatif)"),
        max_length=20,
        required=False,
        help_text=_("14 chiffres."),
    )
    host_name = forms.CharField(
        label=_("Association hôte (collectif sans statut, facultatif)"),
        max_length=200,
        required=False,
        help_text=_(
            "Un collectif sans existence légale peut nommer une association qui reçoit la "
            "subvention pour lui et signe son bilan."
        ),
    )
    host_siret = forms.CharField(
        label=_("SIRET de l'association hôte"),
        max_length=20,
        required=False,
        help_text=_("14 chiffres, ou son numéro RNA ci-dessous."),
    )
    host_rna = forms.CharField(
        label=_("RNA de l'association hôte"),
        max_length=10,
        required=False,
        help_text=_("W suivi de 9 chiffres."),
    )
    title = forms.CharField(label=_("Titre du projet"), max_length=150)

    def __init__(self, *args, fund_fixed=False, **kwargs):
        super().__init__(*args, **kwargs)
        if fund_fixed:
            del self.fields["fund"]
        else:
            field = self.fields["fund"]
            field.queryset = (
                Fund.objects.accepting_submissions()
                .select_related("quartier")
                .order_by("quartier__name", "label")
            )
            # The quartier first: a phone's narrow select cuts the end of the option.
            field.label_from_instance = lambda fund: f"{fund.quartier.name} — {fund.label}"


class ProjectForm(forms.Form):
    summary = forms.CharField(
        label=_("Résumé"),
        max_length=300,
        required=False,
        help_text=_("En une ou deux phrases : ce qui sera fait, pour qui."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    theme = IdChoiceField(
        label=_("Thème"),
        queryset=Theme.objects.all(),
        required=False,
        empty_label=_("— Choisir —"),
    )
    place_name = forms.CharField(label=_("Lieu"), max_length=200, required=False)
    latitude = forms.DecimalField(
        label=_("Latitude (facultatif)"),
        max_digits=9,
        decimal_places=6,
        required=False,
        min_value=-90,
        max_value=90,
    )
    longitude = forms.DecimalField(
        label=_("Longitude (facultatif)"),
        max_digits=9,
        decimal_places=6,
        required=False,
        min_value=-180,
        max_value=180,
    )
    starts_on = forms.DateField(label=_("Date de début"), required=False, widget=DateInput())
    ends_on = forms.DateField(label=_("Date de fin"), required=False, widget=DateInput())
    expected_participants = forms.IntegerField(
        label=_("Nombre de participants attendus"),
        required=False,
        min_value=0,
        max_value=100_000,
    )


class BudgetLineForm(forms.Form):
    kind = forms.ChoiceField(label=_("Nature"), choices=BudgetLine.Kind.choices)
    label = forms.CharField(label=_("Libellé"), max_length=200, required=False)
    amount = forms.CharField(
        label=_("Montant en euros"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


BudgetFormSet = forms.formset_factory(BudgetLineForm, extra=0, max_num=30, absolute_max=30)


class AttachmentForm(forms.Form):
    label = forms.CharField(
        label=_("Intitulé de la pièce"),
        max_length=200,
        help_text=_("Par exemple : devis du menuisier."),
    )
    file = forms.FileField(
        label=_("Fichier PDF (5 Mo au plus)"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
    public = forms.BooleanField(
        label=_("Rendre cette pièce publique"),
        required=False,
        help_text=_(
            "Cochée : tout le monde peut lire la pièce sur la page publique de l'initiative. "
            "Non cochée : seuls vous, les instructeurs du quartier et le conseil de quartier "
            "la lisent. Un devis ou une attestation d'assurance porte souvent des noms et "
            "des adresses : ne la rendez publique que si cela ne gêne personne. Vous pouvez "
            "changer d'avis plus tard."
        ),
    )


class PhotoForm(forms.Form):
    photo = forms.FileField(
        label=_("Photo (JPEG, PNG ou WebP, 5 Mo au plus)"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif (facultatif)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class InitiativeFilterForm(forms.Form):
    q = forms.CharField(label=_("Rechercher"), required=False, max_length=100)
    quartier = forms.ModelChoiceField(
        label=_("Quartier"),
        queryset=Quartier.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label=_("Tous les quartiers"),
    )
    fund = forms.ModelChoiceField(
        label=_("Fonds"),
        queryset=Fund.objects.select_related("quartier"),
        required=False,
        to_field_name="slug",
        empty_label=_("Tous les fonds"),
    )
    theme = forms.ModelChoiceField(
        label=_("Thème"),
        queryset=Theme.objects.all(),
        required=False,
        to_field_name="slug",
        empty_label=_("Tous les thèmes"),
    )
    status = forms.ChoiceField(
        label=_("Statut"),
        required=False,
        choices=[("", _("Tous les statuts"))]
        + [(s.value, s.label) for s in Initiative.PUBLIC_STATUSES],
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class ReportForm(forms.Form):
    narrative = forms.CharField(
        label=_("Ce qui s'est passé"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Ce que vous avez fait, avec qui, ce qui a marché ou non."),
    )
    public_summary = forms.CharField(
        label=_("Résumé public (facultatif)"),
        max_length=1_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Quelques lignes publiées sur la page de l'initiative, avec les photos. "
            "N'y nommez personne sans son accord."
        ),
    )
    participants = forms.IntegerField(
        label=_("Nombre de participants"), min_value=0, max_value=100_000
    )
    actual_expenses = forms.CharField(
        label=_("Dépenses réelles en euros"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    receipts = MultipleFileField(
        label=_("Justificatifs de dépense (PDF, 5 Mo chacun)"),
        widget=MultipleFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
    photos = MultipleFileField(
        label=_("Photos (JPEG, PNG ou WebP, facultatif)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    photos_consent = forms.BooleanField(
        label=_("Les personnes que l'on reconnaît sur les photos ont accepté leur publication"),
        required=False,
        help_text=_(
            "Sans cet accord, les photos restent privées : seuls les agents et le conseil "
            "les voient."
        ),
    )

    def __init__(self, *args, completing=False, host="", **kwargs):
        super().__init__(*args, **kwargs)
        if host:
            self.fields["host_signatory"] = forms.CharField(
                label=_("Signé pour l'association « %(host)s » par") % {"host": host},
                max_length=200,
                help_text=_("Le nom et la qualité de la personne qui représente l'association."),
            )
        if completing:
            # The receipts already filed stay with the bilan; new ones are added to them.
            self.fields["receipts"].required = False
            self.fields["receipts"].label = _("Justificatifs à ajouter (PDF, 5 Mo chacun)")
            self.fields["photos"].label = _("Photos à ajouter (JPEG, PNG ou WebP, facultatif)")
