import datetime
import xml.etree.ElementTree as ET
from http import HTTPStatus

import pytest
from django.utils import timezone

from articles.models import Article, RiskFactor, Topic

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_feed_lists_published_articles_newest_first(client, clinic_articles, make_article):
    make_article(title="Secret draft", status=Article.Status.DRAFT)
    make_article(title="Next month", published_at=timezone.now() + datetime.timedelta(days=30))
    response = client.get("/articles/feed/")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = ET.fromstring(response.content)  # noqa: S314 - our own response
    entries = feed.findall(f"{ATOM}entry")
    assert [entry.findtext(f"{ATOM}title") for entry in entries] == [
        "Treating restless legs syndrome",
        "How we diagnose restless legs syndrome",
        "What causes restless legs syndrome?",
    ]
    first = entries[0]
    assert first.find(f"{ATOM}link").get("href") == "http://testserver/articles/restless-legs-syndrome-treatment/"
    assert first.findtext(f"{ATOM}summary").startswith("Treatment for restless legs starts with the cause")
    assert first.findtext(f"{ATOM}published").startswith("2026-11-17")


def test_article_pages_announce_the_feed(client, rls_article):
    link = '<link rel="alternate" type="application/atom+xml"'
    assert link in client.get("/articles/").text
    assert link in client.get(rls_article.get_absolute_url()).text


def test_sitemap_lists_live_articles_with_lastmod(client, clinic_articles, make_article):
    draft = make_article(status=Article.Status.DRAFT)
    response = client.get("/sitemap.xml")
    assert response.status_code == HTTPStatus.OK
    urls = {
        url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod")
        for url in ET.fromstring(response.content).findall(f"{SITEMAP}url")  # noqa: S314
    }
    for article in clinic_articles:
        article.refresh_from_db()
        expected = timezone.localdate(article.updated_at).isoformat()  # the clinic's calendar day
        assert urls[f"http://testserver{article.get_absolute_url()}"] == expected
    assert "http://testserver/" in urls
    assert "http://testserver/articles/" in urls
    assert f"http://testserver{draft.get_absolute_url()}" not in urls


def test_robots_txt_keeps_crawlers_out_of_the_admin_and_points_to_the_sitemap(client):
    text = client.get("/robots.txt").text
    assert "Disallow: /admin/" in text
    assert "Sitemap: http://testserver/sitemap.xml" in text


def test_repeated_request_for_an_unchanged_article_gets_304(client, rls_article):
    first = client.get(rls_article.get_absolute_url())
    assert first.status_code == HTTPStatus.OK
    assert first["ETag"]
    assert first["Last-Modified"]

    by_etag = client.get(rls_article.get_absolute_url(), headers={"If-None-Match": first["ETag"]})
    by_date = client.get(rls_article.get_absolute_url(), headers={"If-Modified-Since": first["Last-Modified"]})

    assert by_etag.status_code == HTTPStatus.NOT_MODIFIED
    assert by_date.status_code == HTTPStatus.NOT_MODIFIED
    assert by_etag.content == b""


def test_an_edited_article_is_sent_again_in_full(client, rls_article):
    first = client.get(rls_article.get_absolute_url())
    rls_article.summary = "A corrected summary."
    rls_article.save()
    again = client.get(rls_article.get_absolute_url(), headers={"If-None-Match": first["ETag"]})
    assert again.status_code == HTTPStatus.OK
    assert "A corrected summary." in again.text
    assert again["ETag"] != first["ETag"]


def test_staff_previews_are_never_answered_from_a_cache(admin_client, rls_article):
    response = admin_client.get(rls_article.get_absolute_url())
    assert "ETag" not in response
    assert "no-store" in response["Cache-Control"]


def test_renaming_a_topic_or_risk_factor_sends_the_page_again(client, make_article):
    topic = Topic.objects.create(name="Vein disease", slug="vein-disease", is_medical_condition=True)
    article = make_article(topics=[topic], risk_factors=["pregnancy"])
    first = client.get(article.get_absolute_url())

    topic.name = "Chronic venous disease"
    topic.save()
    renamed_topic = client.get(article.get_absolute_url(), headers={"If-None-Match": first["ETag"]})
    RiskFactor.objects.filter(slug="pregnancy").update(name="Pregnancy (third trimester)")
    renamed_factor = client.get(article.get_absolute_url(), headers={"If-None-Match": renamed_topic["ETag"]})

    assert renamed_topic.status_code == HTTPStatus.OK
    assert "Chronic venous disease" in renamed_topic.text
    assert renamed_factor.status_code == HTTPStatus.OK
    assert "Pregnancy (third trimester)" in renamed_factor.text


def test_a_new_release_sends_article_pages_again(client, rls_article, settings):
    settings.TRUFFLES_RELEASE = "2026-11-20"
    before = client.get(rls_article.get_absolute_url())
    settings.TRUFFLES_RELEASE = "2026-11-24"

    after = client.get(rls_article.get_absolute_url(), headers={"If-None-Match": before["ETag"]})

    assert after.status_code == HTTPStatus.OK
    assert after["ETag"] != before["ETag"]
