import hashlib
import re

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from articles import markdown
from core.days import months_after

# The text search configuration used for the stored vector and for every query against it.
SEARCH_CONFIG = "english"
# Paths under /articles/ that are not articles.
RESERVED_SLUGS = {"feed"}
# The demo content names its reviewer "… (placeholder)": never shown to readers, flagged by check --deploy.
PLACEHOLDER_REVIEWER_MARK = "placeholder"
# Words that mean the page talks about procedures the clinic performs (and is paid for): it carries a disclosure.
PROCEDURE_WORDS = re.compile(
    r"\b(procedures?|ablation|sclerotherapy|phlebectomy|vein closure|vein treatment"
    r"|closing (?:a |the |faulty )?veins?)\b",
    re.I,
)


def medical_text_digest(title: str, summary: str, body: str) -> str:
    """A fingerprint of what a medical reviewer reads: any change to it calls for a new review."""
    return hashlib.sha256("\x1f".join([title.strip(), summary.strip(), body.strip()]).encode()).hexdigest()
HERO_IMAGE_MAX_BYTES = 2 * 1024 * 1024
HERO_IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF")


def validate_hero_image(upload):
    """Accept only small JPEG, PNG or WebP files, judged by their first bytes, not their name."""
    if upload.size > HERO_IMAGE_MAX_BYTES:
        raise ValidationError("The image is larger than 2 MB; please resize it.")
    upload.seek(0)
    head = upload.read(12)
    upload.seek(0)
    is_webp = head.startswith(b"RIFF") and head[8:12] == b"WEBP"
    if not (head.startswith(HERO_IMAGE_SIGNATURES[:2]) or is_webp):
        raise ValidationError("Upload a JPEG, PNG or WebP image.")


class TopicQuerySet(models.QuerySet):
    def with_published_articles(self):
        """Topics with something to read: one existence test per topic, not a join of every article's links."""
        live = Article.objects.published()
        links = Article.topics.through.objects.filter(topic=models.OuterRef("pk"), article__in=live)
        return self.filter(models.Exists(links))


class Topic(models.Model):
    """A subject readers can filter by. A topic that is a medical condition describes the
    article's `about` in structured data."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    is_medical_condition = models.BooleanField(
        default=False, help_text="Tick for a condition (e.g. restless legs syndrome), not a theme."
    )
    alternate_name = models.CharField(
        max_length=150, blank=True, help_text="Another name for the condition, e.g. “Willis-Ekbom disease”."
    )

    objects = TopicQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


# What an article card shows: lists load these, never the bodies (tens of kB each).
CARD_FIELDS = ("id", "title", "slug", "summary", "status", "published_at", "reading_minutes")


class ArticleQuerySet(models.QuerySet):
    def published(self):
        """Live articles: published status and a publication time that has come."""
        return self.filter(status=Article.Status.PUBLISHED, published_at__lte=timezone.now())

    def for_cards(self):
        return self.only(*CARD_FIELDS)

    def related_to(self, article, *, topic_ids, risk_factor_ids, limit=3):
        """Other live articles sharing the most topics and risk factors with `article` (as cards).

        Counted over the link rows that name one of them, then joined to the articles: grouping a
        join of both link tables over every article costs tens of milliseconds at a thousand.
        """
        return self.model.objects.raw(
            f"""SELECT {", ".join(f"a.{field}" for field in CARD_FIELDS)}, links.shared
            FROM (SELECT article_id, COUNT(*) AS shared FROM (
                    SELECT article_id FROM articles_article_topics WHERE topic_id = ANY(%s)
                    UNION ALL
                    SELECT article_id FROM articles_article_risk_factors WHERE riskfactor_id = ANY(%s)
                  ) named GROUP BY article_id) links
            JOIN articles_article a ON a.id = links.article_id
            WHERE a.status = %s AND a.published_at <= %s AND a.id <> %s
            ORDER BY links.shared DESC, a.published_at DESC LIMIT %s""",  # noqa: S608 - fixed column names
            [list(topic_ids), list(risk_factor_ids), Article.Status.PUBLISHED, timezone.now(), article.pk, limit],
        )

    def overdue_for_review(self):
        """Published articles whose review date has passed (or was never set)."""
        return self.filter(status=Article.Status.PUBLISHED).filter(
            Q(next_review_due__lte=timezone.localdate()) | Q(next_review_due__isnull=True)
        )

    def edited_since_review(self):
        """Published articles whose medical text changed after their last review."""
        return self.filter(status=Article.Status.PUBLISHED, needs_review=True)

    def without_named_reviewer(self):
        """Published articles whose review nobody can vouch for: a placeholder or no credentials."""
        return self.filter(status=Article.Status.PUBLISHED).filter(
            Q(reviewer_name__icontains=PLACEHOLDER_REVIEWER_MARK) | Q(reviewer_credentials="")
        )

    def needing_review(self):
        """What the reviewing physician has to look at: edited, due, or never reviewed by a named clinician."""
        return (self.edited_since_review() | self.overdue_for_review() | self.without_named_reviewer()).distinct()


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    summary = models.TextField(max_length=500)
    body = models.TextField(help_text="Markdown. Start sections with “## ”; they make the table of contents.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(
        null=True, blank=True, help_text="A future time schedules the article: it appears by itself then."
    )
    updated_at = models.DateTimeField(auto_now=True)

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    reviewer_name = models.CharField("medical reviewer", max_length=150, blank=True)
    reviewer_credentials = models.CharField(
        max_length=150, blank=True, help_text="e.g. “MD, board-certified in vascular medicine”."
    )
    last_reviewed = models.DateField(null=True, blank=True)
    next_review_due = models.DateField(
        null=True,
        blank=True,
        help_text="Defaults to TRUFFLES_REVIEW_MONTHS (12) months after the review.",
    )
    # The medical text as it was when last reviewed (a digest); a different text needs a new review.
    reviewed_text_digest = models.CharField(max_length=64, editable=False, default="")
    needs_review = models.BooleanField(
        "edited since review", editable=False, default=False,
        help_text="The title, summary or body changed after the last medical review.",
    )
    mentions_clinic_procedures = models.BooleanField(
        editable=False, default=False, help_text="The text mentions procedures: the page carries a disclosure."
    )
    topics = models.ManyToManyField(Topic, related_name="articles", blank=True)
    risk_factors = models.ManyToManyField(
        "RiskFactor",
        related_name="articles",
        blank=True,
        help_text="The causes and risk factors this article covers; the intake asks patients about the same.",
    )
    # A slug, not a foreign key: articles do not depend on appointments (the template resolves it).
    visit_type = models.SlugField(
        "leads to visit type",
        max_length=60,
        blank=True,
        help_text="Slug of the online visit type the call to action books, e.g. “rls-consultation”. "
        "Empty: the clinic's first online visit type.",
    )

    hero_image = models.FileField(
        upload_to="articles/",
        blank=True,
        validators=[FileExtensionValidator(["jpg", "jpeg", "png", "webp"]), validate_hero_image],
    )
    hero_image_alt = models.CharField(
        "hero image alt text", max_length=250, blank=True, help_text="Required with an image."
    )
    seo_title = models.CharField(max_length=70, blank=True, help_text="Defaults to the title.")
    seo_description = models.CharField(max_length=160, blank=True, help_text="Defaults to the summary.")

    # Rendered once on save, so a page view never parses Markdown.
    body_html = models.TextField(editable=False, default="")
    body_text = models.TextField(editable=False, default="")
    toc = models.JSONField(editable=False, default=list)
    reading_minutes = models.PositiveSmallIntegerField(editable=False, default=1)
    # Digest of the content file this article was last loaded from (empty when written in the admin).
    source_digest = models.CharField(max_length=64, editable=False, default="")
    search_vector = models.GeneratedField(
        expression=SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("summary", weight="B", config=SEARCH_CONFIG)
        + SearchVector("body_text", weight="C", config=SEARCH_CONFIG),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at"]
        indexes = [
            GinIndex(fields=["search_vector"], name="article_search_vector_gin"),
            models.Index(fields=["status", "-published_at"], name="article_status_published_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published")
                | (Q(published_at__isnull=False) & ~Q(reviewer_name="") & Q(last_reviewed__isnull=False)),
                name="article_published_needs_review",
                violation_error_message="A published article needs a publication time, a named "
                "medical reviewer and a review date.",
            ),
            models.CheckConstraint(
                condition=Q(hero_image="") | ~Q(hero_image_alt=""),
                name="article_hero_image_has_alt_text",
                violation_error_message="Describe the hero image in its alt text.",
            ),
            models.CheckConstraint(
                condition=Q(next_review_due__isnull=True)
                | Q(last_reviewed__isnull=True)
                | Q(next_review_due__gt=models.F("last_reviewed")),
                name="article_next_review_after_last",
                violation_error_message="The next review must come after the last one.",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        rendered = markdown.render(self.body)
        self.body_html, self.body_text, self.toc = rendered.html, rendered.text, rendered.toc
        self.reading_minutes = rendered.reading_minutes
        self.mentions_clinic_procedures = bool(PROCEDURE_WORDS.search(f"{self.summary} {self.body_text}"))
        if self.last_reviewed and not self.reviewed_text_digest:
            self.record_review()  # the first review date given covers the text it was given with
        self.needs_review = bool(self.reviewed_text_digest) and self.reviewed_text_digest != self.text_digest
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"body", "title", "summary", "last_reviewed"} & set(update_fields):
            kwargs["update_fields"] = {
                *update_fields, "body_html", "body_text", "toc", "reading_minutes", "needs_review",
                "mentions_clinic_procedures", "reviewed_text_digest",
            }  # fmt: skip
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("articles:detail", kwargs={"slug": self.slug})

    def clean(self):
        errors = {}
        if self.slug in RESERVED_SLUGS:
            errors["slug"] = f"“{self.slug}” is taken by another page; choose another slug."
        if self.status == self.Status.PUBLISHED:
            if not self.reviewer_name.strip():
                errors["reviewer_name"] = "Name the medical reviewer before publishing."
            if not self.last_reviewed:
                errors["last_reviewed"] = "Give the date of the medical review before publishing."
            if not self.published_at:
                self.published_at = timezone.now()
        if self.last_reviewed and self.last_reviewed > timezone.localdate():
            errors["last_reviewed"] = "A review date cannot be in the future: give the day the review was done."
        elif self.last_reviewed and not self.next_review_due:
            self.next_review_due = months_after(self.last_reviewed, settings.TRUFFLES_REVIEW_MONTHS)
        if self.hero_image and not self.hero_image_alt.strip():
            errors["hero_image_alt"] = "Describe the image for readers who cannot see it."
        if errors:
            raise ValidationError(errors)

    @property
    def is_live(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def has_placeholder_reviewer(self):
        return PLACEHOLDER_REVIEWER_MARK in self.reviewer_name.lower()

    @property
    def public_reviewer_name(self):
        """The reviewer readers see: none rather than a placeholder."""
        return "" if self.has_placeholder_reviewer else self.reviewer_name

    @property
    def has_named_reviewer(self) -> bool:
        """A real clinician, named with their credentials: the only kind of review a page may claim."""
        return bool(self.public_reviewer_name.strip() and self.reviewer_credentials.strip())

    @property
    def shows_review(self) -> bool:
        """The page and its structured data claim a review only when a named clinician read this text."""
        return self.has_named_reviewer and self.last_reviewed is not None and not self.needs_review

    @property
    def is_overdue_for_review(self):
        return self.next_review_due is None or self.next_review_due <= timezone.localdate()

    @property
    def review_state(self) -> str:
        """How the review stands, in the words of the admin's list."""
        if self.status != self.Status.PUBLISHED:
            return "—"
        if not self.has_named_reviewer:
            return "No named reviewer"
        if self.needs_review:
            return "Needs review (edited)"
        return "Review due" if self.is_overdue_for_review else "Current"

    @property
    def text_digest(self) -> str:
        return medical_text_digest(self.title, self.summary, self.body)

    def record_review(self) -> None:
        """The reviewer has read the text as it is now (saved with the article)."""
        self.reviewed_text_digest = self.text_digest

    @property
    def page_title(self):
        return self.seo_title or self.title

    @property
    def meta_description(self):
        return self.seo_description or self.summary


class Reference(models.Model):
    """A source the article cites, listed under it and in its structured data."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="references")
    title = models.CharField(max_length=300)
    source = models.CharField(max_length=200, help_text="Journal, publisher or organisation.")
    url = models.URLField("URL", max_length=500, blank=True)
    doi = models.CharField("DOI", max_length=200, blank=True, help_text="e.g. 10.1016/j.sleep.2014.03.025")
    pmid = models.CharField("PMID", max_length=20, blank=True)
    accessed_on = models.DateField(null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(url="") | ~Q(doi="") | ~Q(pmid=""),
                name="reference_has_a_locator",
                violation_error_message="Give a URL, a DOI or a PMID so readers can find the source.",
            )
        ]

    def __str__(self):
        return self.title

    @property
    def link(self):
        if self.url:
            return self.url
        if self.doi:
            return f"https://doi.org/{self.doi}"
        return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"


class RiskFactor(models.Model):
    """A cause or risk factor the articles discuss and the appointment intake asks about.

    One row feeds both: an article's structured data ("this article covers iron deficiency")
    and the intake checkbox, so staff can match what a patient reported to what they read.
    """

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100, help_text="Clinical name, e.g. “Iron deficiency or anemia”.")
    patient_label = models.CharField(
        max_length=150, help_text="How the intake form asks about it, in the patient's words."
    )
    is_cause = models.BooleanField(
        default=False,
        help_text="Can itself cause (secondary) RLS, rather than raise the risk.",
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name
