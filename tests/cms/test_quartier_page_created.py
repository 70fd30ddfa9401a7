"""A new quartier gets its page under « Les quartiers » once its creation is committed
(fonds.signals.quartier_created → cms.signals.quartier_page_create), exactly one, and
the demo keeps its own pages."""

import pytest
from django.db import transaction
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from accounts.services import role_grant
from cms.models import QuartierIndexPage, QuartierPage, StandardPage
from cms.signals import quartier_page_create
from fonds.models import Quartier
from fonds.services import quartier_create
from tests.system import SYSTEM

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(db):
    user = User.objects.create_user(email="admin@example.org", password="x" * 12)
    role_grant(actor=SYSTEM, user=user, role=Role.ADMINISTRATOR)
    return user


def test_creating_a_quartier_from_the_admin_publishes_its_page(
    client, admin, django_capture_on_commit_callbacks
):
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("quartiers:add"),
            {"name": "Saint-Jean", "code": "STJEAN", "description": "", "outline": ""},
        )
    assert response.status_code == 302
    quartier = Quartier.objects.get(name="Saint-Jean")
    page = QuartierPage.objects.get(quartier=quartier)
    assert page.title == "Saint-Jean"
    assert page.slug == "saint-jean"
    assert page.live and page.first_published_at is not None
    assert page.latest_revision is not None
    assert page.get_parent().specific_class is QuartierIndexPage
    client.logout()
    assert client.get(page.url).status_code == 200


def test_no_page_before_the_commit_nor_after_a_rollback(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        quartier_create(actor=SYSTEM, name="Saint-Jean")
        assert not QuartierPage.objects.exists()
        with transaction.atomic():
            quartier_create(actor=SYSTEM, name="Les Prés")
            transaction.set_rollback(True)
    assert len(callbacks) == 1, "the rolled-back quartier sends nothing"
    callbacks[0]()
    assert list(QuartierPage.objects.values_list("title", flat=True)) == ["Saint-Jean"]


def test_a_quartier_that_has_a_page_gets_no_second_one(django_capture_on_commit_callbacks):
    """As in the demo: its own page is written before the commit."""
    from cms.demo.pages import demo_quartier_pages

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        quartier = quartier_create(actor=SYSTEM, name="Bellevue")
        demo_quartier_pages([quartier])
    assert list(QuartierPage.objects.values_list("title", flat=True)) == ["Quartier Bellevue"]
    assert quartier_page_create(sender=Quartier, quartier=quartier) is None
    assert QuartierPage.objects.count() == 1


def test_without_the_list_of_quartiers_nothing_is_created(django_capture_on_commit_callbacks):
    QuartierIndexPage.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        quartier_create(actor=SYSTEM, name="Saint-Jean")
    assert not QuartierPage.objects.exists()


def test_a_taken_address_gets_a_suffix(django_capture_on_commit_callbacks):
    index = QuartierIndexPage.objects.get()
    # A page editors moved there with the same address (bypassing the allowed types).
    index.add_child(instance=StandardPage(title="Ancienne page", slug="saint-jean"))
    with django_capture_on_commit_callbacks(execute=True):
        quartier = quartier_create(actor=SYSTEM, name="Saint-Jean")
    assert QuartierPage.objects.get(quartier=quartier).slug == "saint-jean-2"


def test_the_demo_built_and_committed_has_one_page_per_quartier(
    django_capture_on_commit_callbacks,
):
    from cms.demo import build_demo

    with django_capture_on_commit_callbacks(execute=True):
        build_demo()
    with django_capture_on_commit_callbacks(execute=True):
        build_demo()
    quartiers = Quartier.objects.count()
    assert quartiers >= 4
    assert QuartierPage.objects.count() == quartiers
    assert not QuartierPage.objects.exclude(title__startswith="Quartier ").exists()
