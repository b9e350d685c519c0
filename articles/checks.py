from django.core.checks import Warning


def placeholder_reviewers(app_configs, **kwargs):
    """A clinic deploying the demo content as-is would claim a review nobody did."""
    from django.db import DatabaseError

    from articles.models import PLACEHOLDER_REVIEWER_MARK, Article

    try:
        titles = list(
            Article.objects.filter(status=Article.Status.PUBLISHED, reviewer_name__icontains=PLACEHOLDER_REVIEWER_MARK)
            .order_by("title")
            .values_list("title", flat=True)
        )
    except DatabaseError:
        return []  # no database yet (a fresh deploy checks before migrating): nothing published either
    if not titles:
        return []
    return [
        Warning(
            f"{len(titles)} published article(s) name a placeholder medical reviewer: {', '.join(titles)}.",
            hint="Name the clinic's reviewing physician, with credentials and the date they actually reviewed "
            "the text, in each article (admin → Health articles, or the reviewer and last_reviewed in "
            "content/articles/*.md, then load_articles). See the README, Articles.",
            id="articles.W001",
        )
    ]
