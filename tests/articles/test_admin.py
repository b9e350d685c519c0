import datetime
from http import HTTPStatus

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.utils import timezone

from articles.models import Article, RiskFactor

pytestmark = pytest.mark.django_db

ADD_URL = "/admin/articles/article/add/"


def article_form(**overrides):
    form = {
        "title": "Varicose veins explained",
        "slug": "varicose-veins-explained",
        "summary": "What varicose veins are and how we treat them.",
        "body": "## What they are\n\nVeins that bulge.",
        "status": "published",
        "published_at_0": "",
        "published_at_1": "",
        "reviewer_name": "Dr. Ada Vein",
        "reviewer_credentials": "MD",
        "last_reviewed": "2026-11-01",
        "next_review_due": "",
        "hero_image_alt": "",
        "seo_title": "",
        "seo_description": "",
        "references-TOTAL_FORMS": "1",
        "references-INITIAL_FORMS": "0",
        "references-MIN_NUM_FORMS": "0",
        "references-MAX_NUM_FORMS": "1000",
        "references-0-position": "0",
        "references-0-title": "Varicose veins",
        "references-0-source": "MedlinePlus",
        "references-0-url": "https://medlineplus.gov/varicoseveins.html",
        "risk_factors": [str(RiskFactor.objects.get(slug="pregnancy").pk)],
    }
    form.update(overrides)
    return form


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ({"reviewer_name": ""}, "Name the medical reviewer before publishing."),
        ({"last_reviewed": ""}, "Give the date of the medical review before publishing."),
    ],
)
def test_publishing_is_refused_without_a_named_reviewer_and_review_date(admin_client, missing, message):
    response = admin_client.post(ADD_URL, article_form(**missing))
    assert response.status_code == HTTPStatus.OK
    assert message in response.text
    assert not Article.objects.exists()


def test_a_draft_can_be_saved_before_review(admin_client):
    response = admin_client.post(ADD_URL, article_form(status="draft", reviewer_name="", last_reviewed=""))
    assert response.status_code == HTTPStatus.FOUND
    assert Article.objects.get().status == Article.Status.DRAFT


def test_publishing_in_the_admin_stamps_author_dates_and_covered_risk_factors(admin_client, admin_user):
    response = admin_client.post(ADD_URL, article_form())
    assert response.status_code == HTTPStatus.FOUND
    article = Article.objects.get()
    assert article.author == admin_user
    assert article.published_at <= timezone.now()
    assert article.next_review_due == datetime.date(2027, 11, 1)
    assert [factor.slug for factor in article.risk_factors.all()] == ["pregnancy"]
    assert article.references.get().link == "https://medlineplus.gov/varicoseveins.html"
    assert article in Article.objects.published()


def test_database_refuses_a_published_article_without_review_even_outside_the_admin(make_article):
    with pytest.raises(IntegrityError):
        make_article(reviewer_name="")


def test_hero_image_requires_alt_text(admin_client):
    png = SimpleUploadedFile("legs.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, content_type="image/png")
    response = admin_client.post(ADD_URL, {**article_form(), "hero_image": png})
    assert "Describe the image for readers who cannot see it." in response.text
    assert not Article.objects.exists()


def test_a_file_that_is_not_an_image_is_refused(admin_client):
    fake = SimpleUploadedFile("legs.png", b"<html>not an image</html>", content_type="image/png")
    response = admin_client.post(ADD_URL, {**article_form(), "hero_image": fake, "hero_image_alt": "Legs"})
    assert "Upload a JPEG, PNG or WebP image." in response.text


def test_overdue_for_review_filter_finds_articles_past_their_review_date(admin_client, make_article):
    today = timezone.localdate()
    overdue = make_article(
        title="Overdue article",
        last_reviewed=today - datetime.timedelta(days=400),
        next_review_due=today - datetime.timedelta(days=35),
    )
    make_article(title="Current article")
    make_article(title="Draft article", status=Article.Status.DRAFT, next_review_due=None, last_reviewed=None)

    response = admin_client.get("/admin/articles/article/", {"review": "overdue"})

    assert response.status_code == HTTPStatus.OK
    assert list(response.context["cl"].result_list) == [overdue]
    assert "Review due" in response.text


def test_changelist_shows_status_and_review_dates(admin_client, make_article):
    make_article(title="Scheduled one", published_at=timezone.now() + datetime.timedelta(days=2))
    response = admin_client.get("/admin/articles/article/")
    assert response.status_code == HTTPStatus.OK
    assert "Scheduled" in response.text
    assert "Next review due" in response.text
    search = admin_client.get("/admin/articles/article/", {"q": "Scheduled"})
    assert len(search.context["cl"].result_list) == 1


def test_view_on_site_opens_the_draft_preview_for_staff(admin_client, make_article):
    draft = make_article(status=Article.Status.DRAFT, title="Draft to preview")
    content_type = ContentType.objects.get_for_model(Article)
    change_page = admin_client.get(f"/admin/articles/article/{draft.pk}/change/")
    assert f"/admin/r/{content_type.pk}/{draft.pk}/" in change_page.text

    redirect = admin_client.get(f"/admin/r/{content_type.pk}/{draft.pk}/")
    assert redirect.status_code == HTTPStatus.FOUND
    assert redirect["Location"].endswith(draft.get_absolute_url())
    preview = admin_client.get(draft.get_absolute_url())
    assert preview.status_code == HTTPStatus.OK
    assert "Draft to preview" in preview.text


def test_risk_factors_shared_with_the_intake_cannot_be_deleted(admin_client):
    factor = RiskFactor.objects.get(slug="iron-deficiency")
    response = admin_client.post(f"/admin/articles/riskfactor/{factor.pk}/delete/", {"post": "yes"})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert RiskFactor.objects.filter(pk=factor.pk).exists()
