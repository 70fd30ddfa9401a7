from urllib.parse import urlsplit

from django.contrib.sitemaps import Sitemap
from django.urls import reverse
from wagtail.contrib.sitemaps import Sitemap as WagtailSitemap

from fonds.models import Fund, Initiative
from votes.models import Decision


class PageSitemap(WagtailSitemap):
    """Wagtail's pages, at the host the sitemap was asked from, like every other
    section of the sitemap."""

    def _urls(self, page, protocol, domain):
        urls = super()._urls(page, protocol, domain)
        for url in urls:
            parts = urlsplit(url["location"])
            url["location"] = f"{protocol}://{domain}{parts.path}"
        return urls


class InitiativeSitemap(Sitemap):
    changefreq = "weekly"
    limit = 5000

    def items(self):
        return Initiative.objects.public().only("pk", "updated_at").order_by("pk")

    def location(self, item):
        return reverse("initiative_detail", args=[item.pk])

    def lastmod(self, item):
        return item.updated_at


class DecisionSitemap(Sitemap):
    changefreq = "yearly"
    limit = 5000

    def items(self):
        return (
            Decision.objects.filter(published_at__isnull=False)
            .only("reference", "published_at")
            .order_by("pk")
        )

    def location(self, item):
        return reverse("decision_detail", args=[item.reference])

    def lastmod(self, item):
        return item.published_at


class FundSitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return Fund.objects.exclude(status=Fund.Status.DRAFT).only("slug").order_by("pk")

    def location(self, item):
        return item.get_absolute_url()


class ListSitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        return ["initiative_list", "fund_list"]

    def location(self, item):
        return reverse(item)


SITEMAPS = {
    "pages": PageSitemap,
    "listes": ListSitemap,
    "fonds": FundSitemap,
    "initiatives": InitiativeSitemap,
    "decisions": DecisionSitemap,
}
