import pytest
from playwright.sync_api import expect

from tests.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def error_views(settings):
    settings.ROOT_URLCONF = "tests.urls"
    settings.SECURE_SSL_REDIRECT = False


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_home_page_invites_patients_to_request_an_evaluation(page, axe, size):
    page.set_viewport_size(size)
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    cta = page.get_by_role("link", name="Request a vein evaluation")
    expect(cta).to_be_visible()
    expect(page.get_by_text("Our clinicians are writing the first articles")).to_be_visible()
    axe(page)


def test_keyboard_user_can_skip_straight_to_the_content(page):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.evaluate("element => element === document.activeElement")
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#main"


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
@pytest.mark.parametrize(
    ("url", "status", "heading"),
    [
        ("/no-such-page/", 404, "We could not find that page"),
        ("/test-errors/bug/", 500, "Something went wrong on our side"),
        ("/test-errors/database-down/", 503, "We will be right back"),
    ],
)
def test_error_pages_are_friendly_and_accessible(page, axe, size, url, status, heading):
    page.set_viewport_size(size)
    response = page.goto(url)
    assert response.status == status
    assert page.get_by_role("heading", level=1).inner_text() == heading
    assert "Traceback" not in page.content()
    axe(page)
