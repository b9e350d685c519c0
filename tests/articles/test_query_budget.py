"""Pages must cost the same number of queries with 3 articles or 300."""

import pytest

pytestmark = pytest.mark.django_db

# Measured: list 3 (topics, count, page: cards need no topics), search the same, detail 5
# (article, its topics, risk factors, references, related articles).
LIST_QUERIES = 3
SEARCH_QUERIES = 3
DETAIL_QUERIES = 5


@pytest.fixture(autouse=True)
def rendered_every_time(settings):
    """These budgets are for building a page; serving a stored one is budgeted in tests/core/test_page_cache.py."""
    settings.TRUFFLES_PAGE_CACHE = False


@pytest.fixture(params=[3, 300], ids=["3 articles", "300 articles"])
def articles(request, many_articles):
    return many_articles(request.param)


def test_article_list_costs_a_fixed_number_of_queries(client, articles, django_assert_max_num_queries):
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get("/articles/")
    assert len(response.context["articles"]) == min(len(articles), 10)


def test_topic_filtered_list_costs_a_fixed_number_of_queries(client, articles, django_assert_max_num_queries):
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get("/articles/", {"topic": "restless-legs-syndrome"})
    assert len(response.context["articles"]) == min(len(articles), 10)


def test_search_costs_a_fixed_number_of_queries(client, articles, django_assert_max_num_queries):
    with django_assert_max_num_queries(SEARCH_QUERIES):
        response = client.get("/articles/", {"q": "kidney"})
    assert response.context["paginator"].count == len(articles)


def test_search_without_hits_costs_a_fixed_number_of_queries(client, articles, django_assert_max_num_queries):
    with django_assert_max_num_queries(SEARCH_QUERIES + 1):
        response = client.get("/articles/", {"q": "zebrafish"})
    assert len(response.context["suggestions"]) == 3


def test_article_page_costs_a_fixed_number_of_queries(client, articles, django_assert_max_num_queries):
    with django_assert_max_num_queries(DETAIL_QUERIES):
        response = client.get(articles[len(articles) // 2].get_absolute_url())
    assert len(response.context["related_articles"]) == min(len(articles) - 1, 3)


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
