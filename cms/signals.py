"""The site follows the data: a new quartier gets its page under « Les quartiers »."""

from django.db import transaction

from fonds.models import Quartier


def quartier_page_create(sender, quartier, **kwargs):
    """Create and publish the page of a newly created quartier (title its name, address
    its slug) under the list of quartiers, if that list exists and the quartier has no
    page yet — the demo, say, wrote its own before the commit. Returns the page, or
    None when there was nothing to do."""
    from .models import QuartierIndexPage, QuartierPage

    index = QuartierIndexPage.objects.first()
    if index is None:
        return None
    with transaction.atomic():
        # Two receivers for the same quartier (a retried task, say) write one page.
        quartier = Quartier.objects.select_for_update().filter(pk=quartier.pk).first()
        if quartier is None or QuartierPage.objects.filter(quartier=quartier).exists():
            return None
        page = QuartierPage(title=quartier.name, quartier=quartier, live=False)
        page.slug = _free_slug(index, quartier.slug or "quartier")
        index.add_child(instance=page)
        page.save_revision().publish()
    return page


def _free_slug(parent, slug):
    """``slug``, or ``slug-2``, ``slug-3``… if another page under ``parent`` has it."""
    taken = set(parent.get_children().values_list("slug", flat=True))
    candidate, suffix = slug, 1
    while candidate in taken:
        suffix += 1
        candidate = f"{slug}-{suffix}"
    return candidate
