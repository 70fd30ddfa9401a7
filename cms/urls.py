from django.conf import settings
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from django.views.i18n import set_language
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from . import privacy_views, views
from .feeds import DecisionFeed
from .sitemaps import SITEMAPS

handler404 = "cms.views.page_not_found"
handler500 = "cms.views.server_error"

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("langue/", set_language, name="set_language"),
    path("recherche/", views.search, name="search"),
    path("carte/fond.geojson", views.map_background, name="map_background"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("decisions/flux.rss", DecisionFeed(), name="decision_feed"),
    path("donnees-personnelles/", privacy_views.privacy_page, name="privacy"),
    path("comptes/", include("accounts.urls")),
    path("", include("fonds.urls")),
    path("", include("votes.urls")),
    # Wagtail's own login form signs a person in with a password alone, past allauth's
    # second factor and its rate limits: the admin's login is allauth's.
    path("cms/login/", RedirectView.as_view(pattern_name="account_login", query_string=True)),
    path("cms/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
]

if settings.SERVE_MEDIA:
    from django.views.static import serve

    urlpatterns += [re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})]

urlpatterns += [path("", include(wagtail_urls))]
