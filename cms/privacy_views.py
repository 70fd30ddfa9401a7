"""The two pages made from the register of processing (``cms.privacy_register``): the
register itself in the Wagtail admin, for administrators, and the public privacy page
at its stable address /donnees-personnelles/."""

from django.shortcuts import render
from django.template.response import TemplateResponse

from accounts.backoffice import admin_forbidden
from accounts.predicates import is_administrator

from . import privacy_register as register

PRIVACY_SLUG = "donnees-personnelles"


def _register_context(request):
    return {
        "controller": register.controller(request),
        "processings": register.processings(request),
        "general_security": register.general_security(),
        "cookies": register.cookies(),
        "rights": register.rights_links(),
    }


def register_view(request):
    """« Registre des traitements »: every processing, as RGPD art. 30 lists it, with
    the last retention run."""
    if not is_administrator(request.user):
        return admin_forbidden(request)
    return TemplateResponse(
        request,
        "cms/admin/privacy_register.html",
        {**_register_context(request), "last_run": register.last_retention_run()},
    )


def privacy_page(request):
    """« Données personnelles »: what the code does with personal data, and the rights.
    What the editors wrote in a page of the same address (a contact, say) comes first."""
    from .models import StandardPage

    page = StandardPage.objects.live().filter(slug=PRIVACY_SLUG, depth=3).first()
    context = _register_context(request)
    if page is not None:
        context.update({"page": page, "tr": page.tr, "self": page})
    return render(request, "cms/privacy_page.html", context)
