from django.db import transaction
from django.utils.text import slugify

from accounts.audit import audit_record
from accounts.errors import PermissionDenied
from accounts.predicates import is_administrator

from .models import Quartier


def quartier_create(*, actor, name, code=None, description="", outline=None):
    """Create a quartier. Administrators only (``actor=None`` is the system)."""
    if actor is not None and not is_administrator(actor):
        raise PermissionDenied()
    slug = slugify(name)
    with transaction.atomic():
        quartier = Quartier.objects.create(
            name=name,
            slug=slug,
            code=(code or slug.replace("-", "")[:20]).upper(),
            description=description,
            outline=outline,
        )
        audit_record(
            actor=actor, action="fonds.quartier.create", target=quartier, data={"name": name}
        )
    return quartier
