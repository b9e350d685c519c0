"""A review date means a review: a named clinician, of this text, not yet due again."""

import datetime
import json
import re
from http import HTTPStatus

import pytest
from django.utils import timezone

from articles.management.commands.load_articles import load_article
from articles.models import Article
from core.days import months_after

pytestmark = pytest.mark.django_db

ADMIN_LIST = "/admin/articles/article/"


def json_ld(html: str) -> dict:
    script = re.search(r'<script type="application/ld\+json"[^>]*>(.*?)</script>', html, re.S)
    return json.loads(script.group(1))


def change_form(article, **overrides):
    """The admin change form as staff submit it, with the article's reference inline unchanged."""
    reference = article.references.first()
    form = {
        "title": article.title, "slug": article.slug, "summary": article.summary, "body": article.body,
        "status": article.status,
        "published_at_0": timezone.localtime(article.published_at).strftime("%Y-%m-%d"),
        "published_at_1": timezone.localtime(article.published_at).strftime("%H:%M:%S"),
        "reviewer_name": article.reviewer_name, "reviewer_credentials": article.reviewer_credentials,
        "last_reviewed": article.last_reviewed.isoformat() if article.last_reviewed else "",
        "next_review_due": article.next_review_due.isoformat() if article.next_review_due else "",
        "hero_image_alt": "", "seo_title": "", "seo_description": "",
        "references-TOTAL_FORMS": "1", "references-INITIAL_FORMS": "1",
        "references-MIN_NUM_FORMS": "0", "references-MAX_NUM_FORMS": "1000",
        "references-0-id": str(reference.pk), "references-0-article": str(article.pk),
        "references-0-position": "0", "references-0-title": reference.title,
        "references-0-source": reference.source, "references-0-url": reference.url,
    }  # fmt: skip
    form.update(overrides)
    return form


@pytest.fixture
def reviewed_article(make_article):
    return make_article(
        reviewer_name="Dr. Ada Vein", reviewer_credentials="MD, vascular medicine",
        last_reviewed=datetime.date(2026, 3, 5), next_review_due=datetime.date(2027, 3, 5),
        references=[{"title": "Restless legs", "source": "MedlinePlus", "url": "https://medlineplus.gov/restlesslegs.html"}],
    )  # fmt: skip


def test_a_named_reviewer_with_credentials_shows_on_the_page_and_in_json_ld(client, reviewed_article):
    html = client.get(reviewed_article.get_absolute_url()).text
    assert "Medically reviewed by <strong>Dr. Ada Vein</strong>, MD, vascular medicine on" in html
    assert "Page last reviewed: <time datetime=\"2026-03-05\">March 5, 2026</time>" in html
    data = json_ld(html)
    assert data["lastReviewed"] == "2026-03-05"
    assert data["reviewedBy"] == {"@type": "Person", "name": "Dr. Ada Vein", "honorificSuffix": "MD, vascular medicine"}


@pytest.mark.parametrize(
    "reviewer",
    [
        {"reviewer_name": "Demo Reviewer (placeholder)", "reviewer_credentials": "placeholder credentials"},
        {"reviewer_name": "Dr. Ada Vein", "reviewer_credentials": ""},
    ],
    ids=["placeholder", "no-credentials"],
)
def test_no_review_date_without_a_named_reviewer(client, make_article, reviewer):
    article = make_article(last_reviewed=datetime.date(2026, 3, 5), **reviewer)
    html = client.get(article.get_absolute_url()).text
    assert "March 5, 2026" not in html
    assert "Page last reviewed" not in html
    assert "Medically reviewed by" not in html
    assert "A named clinician has not yet reviewed this page." in html
    data = json_ld(html)
    assert "lastReviewed" not in data
    assert "reviewedBy" not in data


def test_editing_the_body_of_a_reviewed_article_marks_it_needs_review(admin_client, client, reviewed_article):
    new_body = reviewed_article.body + "\nA new sentence about iron tablets.\n"
    response = admin_client.post(
        f"{ADMIN_LIST}{reviewed_article.pk}/change/", change_form(reviewed_article, body=new_body)
    )
    assert response.status_code == HTTPStatus.FOUND
    reviewed_article.refresh_from_db()
    assert reviewed_article.needs_review

    html = client.get(reviewed_article.get_absolute_url()).text
    assert "a clinician has not yet reviewed this version" in html
    assert "Page last reviewed" not in html
    assert "lastReviewed" not in json_ld(html)

    listing = admin_client.get(ADMIN_LIST, {"review": "edited"})
    assert list(listing.context["cl"].result_list) == [reviewed_article]
    assert "Needs review (edited)" in listing.text
    index = admin_client.get("/admin/").text
    assert "1 article needs a medical review" in index
    assert f'href="{ADMIN_LIST}?review=needed"' in index


def test_a_new_review_date_clears_needs_review(admin_client, reviewed_article):
    Article.objects.filter(pk=reviewed_article.pk).update(body="Changed behind the reviewer's back.")
    article = Article.objects.get(pk=reviewed_article.pk)
    article.save()
    assert article.needs_review

    today = timezone.localdate()
    response = admin_client.post(
        f"{ADMIN_LIST}{article.pk}/change/",
        change_form(article, last_reviewed=today.isoformat(), next_review_due=""),
    )
    assert response.status_code == HTTPStatus.FOUND
    article.refresh_from_db()
    assert not article.needs_review
    assert article.shows_review
    assert article.next_review_due == months_after(today, 12)


def test_editing_only_the_references_keeps_the_review(admin_client, reviewed_article):
    form = change_form(reviewed_article, **{"references-0-title": "Restless legs (MedlinePlus)"})
    assert admin_client.post(f"{ADMIN_LIST}{reviewed_article.pk}/change/", form).status_code == HTTPStatus.FOUND
    reviewed_article.refresh_from_db()
    assert not reviewed_article.needs_review


def test_a_review_date_in_the_future_is_refused(admin_client, reviewed_article):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = admin_client.post(
        f"{ADMIN_LIST}{reviewed_article.pk}/change/", change_form(reviewed_article, last_reviewed=tomorrow.isoformat())
    )
    assert response.status_code == HTTPStatus.OK
    assert "A review date cannot be in the future" in response.text


def test_a_content_file_edited_under_the_same_review_needs_review(tmp_path, db):
    path = tmp_path / "iron.md"
    front = (
        "---\ntitle: Iron and restless legs\nsummary: Why iron matters.\nstatus: published\n"
        "published_at: 2026-01-05T09:00:00-05:00\nreviewer:\n  name: Dr. Ada Vein\n  credentials: MD\n"
        "last_reviewed: {reviewed}\n---\n"
    )
    path.write_text(front.format(reviewed="2026-01-02") + "Ask for a ferritin test.\n")
    load_article(path)
    assert not Article.objects.get().needs_review

    path.write_text(front.format(reviewed="2026-01-02") + "Ask for a ferritin test in the morning.\n")
    load_article(path)
    assert Article.objects.get().needs_review

    path.write_text(front.format(reviewed="2026-02-01") + "Ask for a ferritin test in the morning.\n")
    load_article(path)
    assert not Article.objects.get().needs_review


def test_a_review_falls_due_after_the_configured_months(admin_client, make_article, settings):
    today = timezone.localdate()
    reviewed = months_after(today, -13)
    article = make_article(title="Reviewed 13 months ago", last_reviewed=reviewed, next_review_due=None)
    article.full_clean()
    article.save()
    assert article.next_review_due == months_after(reviewed, 12)
    make_article(title="Reviewed last week")

    listing = admin_client.get(ADMIN_LIST, {"review": "overdue"})
    assert list(listing.context["cl"].result_list) == [article]
    assert "Review due" in listing.text
    assert "1 article needs a medical review" in admin_client.get("/admin/").text

    settings.TRUFFLES_REVIEW_MONTHS = 24
    longer = make_article(title="On a two-year cycle", last_reviewed=reviewed, next_review_due=None)
    longer.full_clean()
    assert longer.next_review_due == months_after(reviewed, 24)
    assert not longer.is_overdue_for_review


def test_staff_previewing_a_due_article_see_that_it_is_due(admin_client, make_article):
    article = make_article(last_reviewed=months_after(timezone.localdate(), -13),
                           next_review_due=months_after(timezone.localdate(), -1))  # fmt: skip
    assert "Medical review: Review due." in admin_client.get(article.get_absolute_url()).text


@pytest.mark.parametrize(
    ("day", "months", "due"),
    [
        (datetime.date(2026, 11, 1), 12, datetime.date(2027, 11, 1)),
        (datetime.date(2026, 1, 31), 1, datetime.date(2026, 2, 28)),
        (datetime.date(2027, 8, 31), 6, datetime.date(2028, 2, 29)),
        (datetime.date(2026, 12, 6), -13, datetime.date(2025, 11, 6)),
    ],
)
def test_months_after_keeps_the_day_or_takes_the_months_last(day, months, due):
    assert months_after(day, months) == due


def test_pages_that_mention_procedures_carry_the_disclosure(client, make_article):
    procedures = make_article(body="## Veins\n\nAn office procedure can close a faulty vein.\n")
    plain = make_article(body="## Sleep\n\nA regular bedtime helps.\n")
    disclosure = "performs vein procedures and is paid for them"
    assert disclosure in client.get(procedures.get_absolute_url()).text
    assert disclosure not in client.get(plain.get_absolute_url()).text
    assert disclosure in client.get("/").text
