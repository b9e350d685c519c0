from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from articles.models import Article


class ArticleSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.8

    def items(self):
        return Article.objects.published().order_by("-published_at", "pk")

    def lastmod(self, article):
        return article.updated_at


class PageSitemap(Sitemap):
    """The public pages that are not articles."""

    changefreq = "weekly"
    priority = 0.5

    def items(self):
        return ["home", "articles:list"]

    def location(self, name):
        return reverse(name)

    def lastmod(self, name):
        # Both pages list the latest articles, so they change when an article does.
        latest = Article.objects.published().order_by("-updated_at").first()
        return latest.updated_at if latest else None
