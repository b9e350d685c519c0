"""Public pages are built once per content version and served again for almost nothing."""

import datetime
import re
import time
from http import HTTPStatus

import psycopg2
import pytest
from django.core.signals import request_started
from django.db import connection
from django.utils import timezone

from articles.models import Article, RiskFactor, Topic
from core import versions
from tests.articles.test_admin import article_form
from tests.processes import wait_until

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ["/", "/articles/", "/articles/?q=iron", "/articles/feed/", "/sitemap.xml"]


@pytest.fixture
def article(make_article):
    return make_article(title="Iron and restless legs", summary="Iron matters.", risk_factors=["iron-deficiency"])


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_public_page_served_again_runs_one_query(client, article, path, django_assert_max_num_queries):
    first = client.get(path)
    with django_assert_max_num_queries(1):
        again = client.get(path)
    assert again.status_code == HTTPStatus.OK
    assert again.content == first.content


def test_a_stored_article_page_runs_one_query(client, article, django_assert_max_num_queries):
    first = client.get(article.get_absolute_url())
    with django_assert_max_num_queries(1):
        again = client.get(article.get_absolute_url())
    assert "Iron and restless legs" in again.text
    assert again["ETag"] == first["ETag"]


def test_a_revalidation_runs_one_query(client, article, django_assert_max_num_queries):
    first = client.get(article.get_absolute_url())
    with django_assert_max_num_queries(1):
        again = client.get(article.get_absolute_url(), headers={"If-None-Match": first["ETag"]})
    assert again.status_code == HTTPStatus.NOT_MODIFIED


def test_pages_for_visitors_without_a_session_carry_nothing_personal(client, article):
    for path in [*PUBLIC_PAGES, article.get_absolute_url()]:
        for response in (client.get(path), client.get(path)):
            assert "Cookie" not in response.get("Vary", ""), path
            assert not response.cookies, path
            assert b"csrfmiddlewaretoken" not in response.content, path


def test_each_stored_article_page_gets_its_own_csp_nonce(client, article):
    nonces = []
    for _ in range(3):
        response = client.get(article.get_absolute_url())
        in_page = re.search(r'<script type="application/ld\+json" nonce="([^"]+)"', response.text).group(1)
        assert f"'nonce-{in_page}'" in response["Content-Security-Policy"]
        nonces.append(in_page)
    assert len(set(nonces)) == 3


def test_an_article_edited_in_the_admin_shows_at_once(client, admin_client, make_article):
    article = make_article(slug="varicose-veins-explained", title="Varicose veins")
    assert "Varicose veins" in client.get(article.get_absolute_url()).text
    assert "Varicose veins" in client.get("/articles/").text

    form = article_form(title="Varicose veins, explained again", **{"references-TOTAL_FORMS": "0"})
    response = admin_client.post(f"/admin/articles/article/{article.pk}/change/", form)
    assert response.status_code == HTTPStatus.FOUND

    assert "Varicose veins, explained again" in client.get(article.get_absolute_url()).text
    assert "Varicose veins, explained again" in client.get("/articles/").text
    assert "Varicose veins, explained again" in client.get("/").text


@pytest.mark.parametrize(
    "change",
    [
        lambda article: Topic.objects.filter(articles=article).update(name="Leg health"),
        lambda article: RiskFactor.objects.filter(slug="iron-deficiency").update(name="Low iron stores"),
        lambda article: article.references.update(title="A corrected reference title"),
    ],
    ids=["topic", "risk factor", "reference"],
)
def test_a_change_to_anything_on_the_page_sends_it_again(client, make_article, change):
    topic = Topic.objects.create(name="Restless legs", slug="restless-legs")
    reference = {"title": "Original reference", "source": "Journal", "url": "https://example.org/r"}
    article = make_article(topics=[topic], risk_factors=["iron-deficiency"], references=[reference])
    first = client.get(article.get_absolute_url())

    change(article)
    again = client.get(article.get_absolute_url(), headers={"If-None-Match": first["ETag"]})

    assert again.status_code == HTTPStatus.OK
    assert again.content != first.content


def test_a_scheduled_article_appears_when_its_time_comes_with_no_change_in_between(client, make_article):
    make_article(title="Already out")
    publication = timezone.now() + datetime.timedelta(seconds=1)
    make_article(title="Coming soon", published_at=publication)
    assert "Coming soon" not in client.get("/articles/").text

    time.sleep(max(0, (publication - timezone.now()).total_seconds()) + 0.05)  # at most about a second

    assert "Coming soon" in client.get("/articles/").text


def test_visitors_with_a_session_get_a_page_built_for_them(admin_client, make_article):
    draft = make_article(title="A draft in progress", status=Article.Status.DRAFT, published_at=None)
    response = admin_client.get(draft.get_absolute_url())
    assert "A draft in progress" in response.text
    assert "no-store" in response["Cache-Control"]
    assert "ETag" not in response


@pytest.mark.django_db(transaction=True)
def test_a_stored_page_is_served_after_the_database_dropped_the_connection(client, make_article):
    article = make_article(title="Still here")
    assert client.get(article.get_absolute_url()).status_code == HTTPStatus.OK
    with psycopg2.connect(**connection.get_connection_params()) as other, other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [connection.connection.info.backend_pid])

    # A new request, as the WSGI handler starts one: persistent connections are checked again.
    request_started.send(sender=None)
    response = client.get(article.get_absolute_url())

    assert response.status_code == HTTPStatus.OK
    assert "Still here" in response.text


@pytest.mark.django_db(transaction=True)
def test_with_the_listener_a_stored_page_needs_no_query_and_a_committed_edit_shows(
    client, make_article, settings, django_assert_max_num_queries
):
    settings.TRUFFLES_VERSION_LISTENER = True
    article = make_article(title="Before the edit")
    try:
        client.get(article.get_absolute_url())
        wait_until(lambda: versions.known("content") not in (None, ()), 5, "the listener to hear the versions", 0.02)
        with django_assert_max_num_queries(0):
            assert "Before the edit" in client.get(article.get_absolute_url()).text

        Article.objects.filter(pk=article.pk).update(title="After the edit")  # committed: autocommit

        wait_until(lambda: "After the edit" in client.get(article.get_absolute_url()).text, 5, "the edit", 0.02)
    finally:
        versions.listener.stop()


def test_a_stored_article_page_follows_a_renamed_visit_type_at_once(client, clinic, make_article):
    from appointments.models import VisitType

    article = make_article(visit_type="rls-consultation")
    assert "Request an RLS consultation" in client.get(article.get_absolute_url()).text  # stored now

    VisitType.objects.filter(slug="rls-consultation").update(name="Restless legs consultation")

    assert "Request a restless legs consultation" in client.get(article.get_absolute_url()).text
