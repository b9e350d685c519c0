from django.db import models
from django.utils import timezone


class ArticleQuerySet(models.QuerySet):
    def published(self):
        """Live articles: published status and a publication time that has come."""
        return self.filter(status=Article.Status.PUBLISHED, published_at__lte=timezone.now())


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    summary = models.TextField(max_length=500)
    body = models.TextField(help_text="Markdown.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at"]

    def __str__(self):
        return self.title


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
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name
