from django import template
from django.utils.html import format_html

from accounts.once import FIELD, new_token

register = template.Library()


@register.simple_tag
def form_once():
    """A hidden field that makes the form's action run once (accounts.once)."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, new_token())
