import re

import pytest
from playwright.sync_api import expect

from tests.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.django_db(transaction=True)

RLS_TITLE = "What causes restless legs syndrome?"


def test_reader_on_a_phone_searches_reads_and_requests_an_evaluation(page, axe, clinic_articles):
    page.goto("/articles/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Health articles")
    axe(page)

    page.get_by_label("Search articles").fill("iron")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Search results for “iron”")
    expect(page.locator("mark").first).to_have_text(re.compile("iron", re.IGNORECASE))
    axe(page)

    page.get_by_role("link", name=RLS_TITLE).click()
    expect(page).to_have_url(re.compile(r"/articles/restless-legs-syndrome-causes/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(RLS_TITLE)
    # The demo content's placeholder reviewer is left out, and with it any review date.
    expect(page.get_by_text("Medically reviewed by")).to_have_count(0)
    expect(page.get_by_text("Page last reviewed")).to_have_count(0)
    expect(page.get_by_text("A named clinician has not yet reviewed this page.")).to_be_visible()
    axe(page)

    contents = page.get_by_role("navigation", name="On this page")
    contents.get_by_role("link", name="Chronic kidney disease").click()
    expect(page).to_have_url(re.compile(r"#sec-chronic-kidney-disease$"))
    expect(page.get_by_role("heading", name="Chronic kidney disease", level=3)).to_be_in_viewport()

    page.get_by_role("link", name="Request a vein evaluation").click()
    expect(page).to_have_url(re.compile(r"/appointments/request/\?from=restless-legs-syndrome-causes$"))


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_article_pages_have_no_accessibility_violations(page, axe, clinic_articles, size):
    page.set_viewport_size(size)
    for url in ["/articles/", "/articles/?q=pregnancy", "/articles/?topic=diagnosis"]:
        page.goto(url)
        axe(page)
    page.goto("/articles/restless-legs-syndrome-treatment/")
    expect(page.get_by_role("navigation", name="Breadcrumb")).to_be_visible()
    axe(page)


def test_a_search_with_no_results_helps_the_reader_on(page, axe, clinic_articles):
    page.goto("/articles/?q=zebrafish")
    expect(page.get_by_role("status")).to_contain_text("No articles match “zebrafish”")
    suggestions = page.get_by_role("region", name="You might find these helpful")
    expect(suggestions.get_by_role("link")).to_have_count(3)
    axe(page)


def test_structured_data_does_not_trip_the_content_security_policy(page, rls_article):
    # The page fixture fails the test on any console error, CSP violations included.
    page.goto(rls_article.get_absolute_url())
    data = page.locator('script[type="application/ld+json"]').text_content()
    assert '"@type":"MedicalWebPage"' in data


def test_home_page_leads_to_the_latest_articles(page, axe, clinic_articles):
    page.goto("/")
    latest = page.get_by_role("region", name="Latest articles")
    expect(latest.get_by_role("heading", level=3)).to_have_count(3)
    axe(page)
    latest.get_by_role("link", name="Treating restless legs syndrome").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Treating restless legs syndrome")
