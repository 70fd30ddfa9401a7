"""How the site's forms tell what went wrong: each field tied to its help and its errors
(``|described``), an error summary that counts them (``|error_count``), and « Erreur — »
at the head of the page's title when a form on the page was sent with errors."""

from django import template
from django.forms import BaseForm
from django.forms.formsets import BaseFormSet
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def described(field, autofocus=False):
    """The field's widget, with ``aria-describedby`` naming its help and its errors (ids
    ``<id>-helptext``, ``<id>-errors``) and ``aria-invalid`` when it has errors; with the
    focus when ``autofocus`` (a line just added)."""
    ids = []
    if field.errors:
        ids.append(f"{field.auto_id}-errors")
    if field.help_text:
        ids.append(f"{field.auto_id}-helptext")
    attrs = {}
    if ids:
        attrs["aria-describedby"] = " ".join(ids)
    if field.errors:
        attrs["aria-invalid"] = "true"
    if autofocus:
        attrs["autofocus"] = True
    return field.as_widget(attrs=attrs)


@register.filter
def error_count(form):
    """Every message the form shows: its own and each field's."""
    return sum(len(errors) for errors in form.errors.values())


def _failed(value):
    if isinstance(value, BaseForm):
        return value.is_bound and bool(value.errors)
    if isinstance(value, BaseFormSet):
        return value.is_bound and (any(value.errors) or bool(value.non_form_errors()))
    return False


@register.simple_tag(takes_context=True)
def error_prefix(context):
    """« Erreur — » when a form the page shows was sent and refused, else nothing."""
    for scope in context.dicts:
        if any(_failed(value) for value in scope.values()):
            return _("Erreur") + " — "
    return ""
