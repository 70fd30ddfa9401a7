"""The accessibility check must itself be able to fail."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

INACCESSIBLE = (
    "<!DOCTYPE html><html><head><title>Piège</title></head>"
    "<body><main><img src='/static/img/logo.svg'><input type='text'></main></body></html>"
)


def test_a_page_with_violations_fails_the_test(page, axe):
    page.route(
        "**/piege/", lambda route: route.fulfill(body=INACCESSIBLE, content_type="text/html")
    )
    with pytest.raises(AssertionError) as raised:
        page.goto("/piege/")
    message = str(raised.value)
    assert "image-alt" in message
    assert "html-has-lang" in message
    assert "label" in message
    page.goto("/healthz")  # a clean document for the final audit
