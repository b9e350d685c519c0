"""Pages must cost the same number of queries with 3 articles or 300, and a kept page almost none."""

import re

import pytest

pytestmark = pytest.mark.django_db

# Every count starts with the versions (1): tests run without the listener that keeps them in memory.
# The list built afresh (the first reader after an edit): topics, count, the page's cards (no topics).
LIST_BUILT = 1 + 3
# A search is built each time (readers' words are endless) and asks for no version: topics, count, cards.
SEARCH_QUERIES = 3
# An article built afresh: the article with its author, its topics, risk factors and references, the
# related articles. Its visit type is asked for only when the article names one (these do not).
DETAIL_BUILT = 1 + 5
# Once built, a page's parts are kept under the content version: only the versions are asked for.
KEPT = 1


@pytest.fixture(autouse=True)
def rendered_every_time(settings):
    """These budgets are for building a page; serving a stored one is budgeted in tests/core/test_page_cache.py."""
    settings.TRUFFLES_PAGE_CACHE = False


@pytest.fixture(params=[3, 300], ids=["3 articles", "300 articles"])
def articles(request, many_articles):
    return many_articles(request.param)


def cards(response) -> int:
    return response.text.count('class="card h-100 article-card"')


def without_nonce(response) -> str:
    """The page as a reader sees it: only the CSP nonce differs from one response to the next."""
    return re.sub(r'nonce="[^"]*"', "", response.text)


def test_article_list_costs_a_fixed_number_of_queries(client, articles, django_assert_num_queries):
    with django_assert_num_queries(LIST_BUILT):
        response = client.get("/articles/")
    assert cards(response) == min(len(articles), 10)


def test_topic_filtered_list_costs_a_fixed_number_of_queries(client, articles, django_assert_num_queries):
    with django_assert_num_queries(LIST_BUILT):
        response = client.get("/articles/", {"topic": "restless-legs-syndrome"})
    assert cards(response) == min(len(articles), 10)


def test_article_list_read_again_costs_only_the_versions(client, articles, django_assert_num_queries):
    first = client.get("/articles/", {"page": "1"})
    with django_assert_num_queries(KEPT):
        again = client.get("/articles/", {"page": "1"})
    assert without_nonce(again) == without_nonce(first)


def test_search_costs_a_fixed_number_of_queries(client, articles, django_assert_num_queries):
    with django_assert_num_queries(SEARCH_QUERIES):
        response = client.get("/articles/", {"q": "kidney"})
    assert f"{len(articles)} articles match “kidney”" in response.text


def test_search_without_hits_costs_a_fixed_number_of_queries(client, articles, django_assert_num_queries):
    # The empty page of cards asks for nothing; the latest articles, suggested instead, take its place.
    with django_assert_num_queries(SEARCH_QUERIES):
        response = client.get("/articles/", {"q": "zebrafish"})
    assert cards(response) == 3


def test_article_page_costs_a_fixed_number_of_queries(client, articles, django_assert_num_queries):
    with django_assert_num_queries(DETAIL_BUILT):
        response = client.get(articles[len(articles) // 2].get_absolute_url())
    assert cards(response) == min(len(articles) - 1, 3)


def test_article_page_read_again_costs_only_the_versions(client, articles, django_assert_num_queries):
    url = articles[len(articles) // 2].get_absolute_url()
    first = client.get(url)
    with django_assert_num_queries(KEPT):
        again = client.get(url)
    assert without_nonce(again) == without_nonce(first)
    assert "Related articles" in again.text


def test_feed_and_sitemap_cost_a_fixed_number_of_queries(client, articles, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        client.get("/articles/feed/")
    with django_assert_max_num_queries(4):
        response = client.get("/sitemap.xml")
    assert response.content.count(b"<url>") == len(articles) + 2


def test_home_page_costs_a_fixed_number_of_queries(client, articles, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        response = client.get("/")
    assert len(response.context["latest_articles"]) == 3
