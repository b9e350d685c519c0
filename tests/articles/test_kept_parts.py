"""Article pages keep what every reader sees per content version (articles/pages.py): an edit shows at once.

The page cache is off here, so every request renders the page, as for a visitor with a session or the
first visitor after an edit; what is tested is that no kept part outlives the version it was built under.
"""

import datetime
import json
import re
import time
from http import HTTPStatus

import pytest
from django.utils import timezone

from appointments.models import VisitType
from articles.models import Article, Topic

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def rendered_every_time(settings):
    settings.TRUFFLES_PAGE_CACHE = False


def test_an_edited_article_shows_the_edit_at_once(client, make_article):
    article = make_article(title="Varicose veins", body="## Causes\n\nWeak valves.\n")
    assert "Weak valves" in client.get(article.get_absolute_url()).text

    article.title = "Varicose veins, explained"
    article.body = "## Causes\n\nValves that no longer close.\n"
    article.save()

    page = client.get(article.get_absolute_url()).text
    assert '<h1 id="article-title">Varicose veins, explained</h1>' in page
    assert "Valves that no longer close" in page
    assert "Weak valves" not in page
    assert "Varicose veins, explained" in client.get("/articles/").text


def test_a_corrected_reference_shows_at_once(client, make_article):
    reference = {"title": "Original study", "source": "Journal", "url": "https://example.org/study"}
    article = make_article(references=[reference])
    assert "Original study" in client.get(article.get_absolute_url()).text

    article.references.update(title="Corrected study title")

    page = client.get(article.get_absolute_url()).text
    assert "Corrected study title" in page
    assert "Original study" not in page


def test_a_renamed_related_article_shows_under_the_other_at_once(client, make_article):
    topic = Topic.objects.create(name="Restless legs", slug="restless-legs")
    article = make_article(topics=[topic])
    neighbour = make_article(title="Iron and sleep", topics=[topic])
    assert "Iron and sleep" in client.get(article.get_absolute_url()).text

    neighbour.title = "Iron, sleep and restless legs"
    neighbour.save()

    assert "Iron, sleep and restless legs" in client.get(article.get_absolute_url()).text


def test_an_article_taken_back_to_draft_leaves_its_page_and_the_list_at_once(client, make_article):
    article = make_article(title="Soon withdrawn")
    assert client.get(article.get_absolute_url()).status_code == HTTPStatus.OK
    assert "Soon withdrawn" in client.get("/articles/").text

    article.status = Article.Status.DRAFT
    article.save()

    assert client.get(article.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND
    assert "Soon withdrawn" not in client.get("/articles/").text


def test_a_renamed_topic_shows_in_the_list_at_once(client, make_article):
    topic = Topic.objects.create(name="Leg health", slug="leg-health")
    make_article(topics=[topic])
    assert ">Leg health</a>" in client.get("/articles/").text

    Topic.objects.filter(pk=topic.pk).update(name="Healthy legs")

    assert ">Healthy legs</a>" in client.get("/articles/").text


def test_a_scheduled_article_appears_when_its_time_comes_with_no_change_in_between(client, make_article):
    older = make_article(title="Already out")
    publication = timezone.now() + datetime.timedelta(seconds=1)
    make_article(title="Coming soon", published_at=publication)
    assert "Coming soon" not in client.get("/articles/").text
    assert "Coming soon" not in client.get(older.get_absolute_url()).text

    time.sleep(max(0, (publication - timezone.now()).total_seconds()) + 0.05)  # at most about a second

    assert "Coming soon" in client.get("/articles/").text


def test_the_call_to_action_follows_the_visit_type_it_names(client, clinic, make_article):
    article = make_article(visit_type="rls-consultation")
    assert "Request an RLS consultation" in client.get(article.get_absolute_url()).text

    VisitType.objects.filter(slug="rls-consultation").update(name="Restless legs consultation")
    assert "Request a restless legs consultation" in client.get(article.get_absolute_url()).text

    VisitType.objects.filter(slug="rls-consultation").update(bookable_online=False)
    assert "Request a vein evaluation" in client.get(article.get_absolute_url()).text


def test_staff_notes_never_reach_readers_through_a_kept_page(client, admin_client, make_article):
    article = make_article(title="Edited after review")
    Article.objects.filter(pk=article.pk).update(needs_review=True)
    note = "Medical review: Needs review (edited).</strong> Only staff see this note."

    assert note not in client.get(article.get_absolute_url()).text
    assert note in admin_client.get(article.get_absolute_url()).text
    assert note not in client.get(article.get_absolute_url()).text


def test_structured_data_names_the_address_the_reader_used(client, make_article, settings):
    settings.ALLOWED_HOSTS = ["testserver", "www.truffles-veins.example"]
    article = make_article(slug="iron-and-rls")
    for host in ["testserver", "www.truffles-veins.example"]:
        page = client.get(article.get_absolute_url(), headers={"Host": host}).text
        data = json.loads(re.search(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', page, re.S).group(1))
        assert data["url"] == f"http://{host}/articles/iron-and-rls/"
