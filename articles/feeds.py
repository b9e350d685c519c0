from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils.feedgenerator import Atom1Feed

from articles.models import Article


class LatestArticlesFeed(Feed):
    feed_type = Atom1Feed
    title = f"{settings.TRUFFLES_CLINIC['name']}: health articles"
    link = reverse_lazy("articles:list")
    subtitle = "Medically reviewed articles on restless legs and vein conditions."

    def items(self):
        articles = Article.objects.published().select_related("author").prefetch_related("risk_factors")
        return articles.order_by("-published_at")[:20]

    def item_title(self, article):
        return article.title

    def item_description(self, article):
        return article.summary

    def item_pubdate(self, article):
        return article.published_at

    def item_updateddate(self, article):
        return article.updated_at

    def item_author_name(self, article):
        if article.author and article.author.get_full_name():
            return article.author.get_full_name()
        return settings.TRUFFLES_CLINIC["name"]

    def item_categories(self, article):
        return [factor.name for factor in article.risk_factors.all()]
