import datetime
from http import HTTPStatus

import pytest
from django.utils import timezone

from articles.models import Article

pytestmark = pytest.mark.django_db


def test_published_article_is_open_to_everyone(client, make_article):
    article = make_article(title="Iron and restless legs")
    response = client.get(f"/articles/{article.slug}/")
    assert response.status_code == HTTPStatus.OK
    assert "Iron and restless legs" in response.text
    assert article.get_absolute_url() == f"/articles/{article.slug}/"


def test_draft_is_not_found_for_the_public(client, make_article):
    draft = make_article(status=Article.Status.DRAFT, title="Unfinished draft")
    assert client.get(draft.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND
    assert "Unfinished draft" not in client.get("/articles/").text
    assert draft not in Article.objects.published()


def test_scheduled_article_appears_by_itself_when_its_time_comes(client, make_article):
    in_an_hour = timezone.now() + datetime.timedelta(hours=1)
    scheduled = make_article(title="Coming next week", published_at=in_an_hour)
    assert client.get(scheduled.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND
    assert "Coming next week" not in client.get("/articles/").text

    # Time passes; nothing runs, no job flips a flag.
    a_moment_ago = timezone.now() - datetime.timedelta(seconds=1)
    Article.objects.filter(pk=scheduled.pk).update(published_at=a_moment_ago)

    assert client.get(scheduled.get_absolute_url()).status_code == HTTPStatus.OK
    assert "Coming next week" in client.get("/articles/").text


@pytest.mark.parametrize(
    ("status", "published_in", "notice"),
    [
        (Article.Status.DRAFT, None, "it is a draft"),
        (Article.Status.PUBLISHED, datetime.timedelta(days=3), "it is scheduled for"),
    ],
)
def test_staff_preview_unpublished_articles_at_their_real_address(
    admin_client, make_article, status, published_in, notice
):
    published_at = timezone.now() + published_in if published_in else None
    article = make_article(status=status, published_at=published_at, title="Preview me")
    response = admin_client.get(article.get_absolute_url())
    assert response.status_code == HTTPStatus.OK
    assert "Preview me" in response.text
    assert notice in response.text
    assert '<meta name="robots" content="noindex, nofollow">' in response.text
    assert "no-store" in response["Cache-Control"]


def test_signed_in_patient_without_staff_rights_cannot_preview(client, django_user_model, make_article):
    draft = make_article(status=Article.Status.DRAFT)
    client.force_login(django_user_model.objects.create_user("reader", password="not-a-staff-password"))
    assert client.get(draft.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND


def test_list_shows_newest_first_and_paginates(client, make_article):
    for days in range(12):
        days_ago = timezone.now() - datetime.timedelta(days=days)
        make_article(title=f"Published {days} days ago", published_at=days_ago)
    first_page = client.get("/articles/")
    assert first_page.text.index("Published 0 days ago") < first_page.text.index("Published 1 days ago")
    assert "Published 11 days ago" not in first_page.text
    assert "Page 1 of 2" in first_page.text
    second_page = client.get("/articles/?page=2")
    assert "Published 11 days ago" in second_page.text
    assert client.get("/articles/?page=9").status_code == HTTPStatus.NOT_FOUND


def test_topic_filter_shows_only_that_topic(client, clinic_articles):
    response = client.get("/articles/?topic=diagnosis")
    assert response.status_code == HTTPStatus.OK
    assert "How we diagnose restless legs syndrome" in response.text
    assert "Treating restless legs syndrome" not in response.text
    assert client.get("/articles/?topic=no-such-topic").status_code == HTTPStatus.NOT_FOUND


def test_home_page_shows_the_latest_articles(client, clinic_articles):
    response = client.get("/")
    assert "Treating restless legs syndrome" in response.text
    assert 'href="/articles/restless-legs-syndrome-treatment/"' in response.text
    assert "Our clinicians are writing the first articles" not in response.text


def test_article_page_invites_the_reader_to_request_an_evaluation(client, rls_article):
    response = client.get(rls_article.get_absolute_url())
    assert 'href="/appointments/request/?from=restless-legs-syndrome-causes"' in response.text
    assert "Request a vein evaluation" in response.text


def test_article_page_says_who_reviewed_it_and_when(client, make_article):
    article = make_article(
        reviewer_name="Dr. Ada Vein", reviewer_credentials="MD, vascular medicine",
        last_reviewed=datetime.date(2026, 3, 5), next_review_due=datetime.date(2027, 3, 5),
    )  # fmt: skip
    text = client.get(article.get_absolute_url()).text
    assert "Medically reviewed by <strong>Dr. Ada Vein</strong>, MD, vascular medicine on" in text
    assert "March 5, 2026" in text
    assert "Next review due: <time datetime=\"2027-03-05\">March 5, 2027</time>" in text


def test_article_page_lists_references_and_related_articles(client, rls_article):
    text = client.get(rls_article.get_absolute_url()).text
    assert "https://doi.org/10.1016/j.sleep.2014.03.025" in text
    assert "Related articles" in text
    assert "How we diagnose restless legs syndrome" in text
    assert "Causes and risk factors this article covers" in text
    assert "Chronic kidney disease" in text
