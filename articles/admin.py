import datetime

from django.contrib import admin
from django.db.models import Q
from django.utils import timezone

from articles.models import Article, Reference, RiskFactor, Topic


class ReviewStateFilter(admin.SimpleListFilter):
    title = "medical review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [
            ("needed", "Needs review (any reason)"),
            ("edited", "Edited since review"),
            ("overdue", "Review due"),
            ("unnamed", "No named reviewer"),
            ("soon", "Due within 30 days"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "needed":
            return queryset.needing_review()
        if self.value() == "edited":
            return queryset.edited_since_review()
        if self.value() == "unnamed":
            return queryset.without_named_reviewer()
        if self.value() == "overdue":
            return queryset.overdue_for_review()
        if self.value() == "soon":
            today = timezone.localdate()
            return queryset.filter(
                status=Article.Status.PUBLISHED,
                next_review_due__gt=today,
                next_review_due__lte=today + datetime.timedelta(days=30),
            )
        return queryset


class PublicationFilter(admin.SimpleListFilter):
    """Status as readers experience it: a published article with a future date is not live yet."""

    title = "publication"
    parameter_name = "publication"

    def lookups(self, request, model_admin):
        return [("live", "Live"), ("scheduled", "Scheduled"), ("draft", "Draft")]

    def queryset(self, request, queryset):
        now = timezone.now()
        published = Q(status=Article.Status.PUBLISHED)
        match self.value():
            case "live":
                return queryset.filter(published, published_at__lte=now)
            case "scheduled":
                return queryset.filter(published, published_at__gt=now)
            case "draft":
                return queryset.filter(status=Article.Status.DRAFT)
        return queryset


class ReferenceInline(admin.TabularInline):
    model = Reference
    extra = 1
    fields = ["position", "title", "source", "url", "doi", "pmid", "accessed_on"]


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "publication_state",
        "published_at",
        "reviewer_name",
        "last_reviewed",
        "next_review_due",
        "review_state",
    ]
    list_filter = [PublicationFilter, ReviewStateFilter, "topics", "risk_factors"]
    search_fields = ["title", "summary", "body", "reviewer_name"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "published_at"
    filter_horizontal = ["topics", "risk_factors"]
    readonly_fields = ["author", "updated_at", "reading_minutes"]
    inlines = [ReferenceInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "body"]}),
        ("Publication", {"fields": ["status", "published_at", "author", "updated_at", "reading_minutes"]}),
        (
            "Medical review",
            {
                "description": "An article cannot be published without a named reviewer and a review date. "
                "Readers see the review only with the reviewer's credentials, and not after the title, "
                "summary or body changed: enter the date of a new review once the reviewer has read it.",
                "fields": ["reviewer_name", "reviewer_credentials", "last_reviewed", "next_review_due"],
            },
        ),
        ("What it covers", {"fields": ["topics", "risk_factors", "visit_type"]}),
        (
            "Image and search engines",
            {"fields": ["hero_image", "hero_image_alt", "seo_title", "seo_description"]},
        ),
    ]

    @admin.display(description="status", ordering="status")
    def publication_state(self, article):
        if article.status == Article.Status.DRAFT:
            return "Draft"
        return "Live" if article.is_live else "Scheduled"

    @admin.display(description="review", ordering="next_review_due")
    def review_state(self, article):
        return article.review_state

    def save_model(self, request, obj, form, change):
        # The first person to save an article is its author; later editors do not take it over.
        if obj.author_id is None:
            obj.author = request.user
        # A new review date records a review of the text as saved; any other edit of the text asks for one.
        if "last_reviewed" in form.changed_data and obj.last_reviewed:
            obj.record_review()
        super().save_model(request, obj, form, change)


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_medical_condition", "alternate_name"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "alternate_name"]


@admin.register(RiskFactor)
class RiskFactorAdmin(admin.ModelAdmin):
    """Rows shared with the appointment intake: wording can change, slugs and rows stay."""

    list_display = ["name", "slug", "patient_label", "is_cause", "position"]
    list_editable = ["position"]
    search_fields = ["name", "patient_label"]

    def get_readonly_fields(self, request, obj=None):
        return ["slug"] if obj else []

    def has_delete_permission(self, request, obj=None):
        # Patients' intake answers point at these rows; deleting one would erase what they reported.
        return False
