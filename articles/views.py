from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.safestring import mark_safe
from django.views.generic import DetailView, ListView

from articles.models import Article, Topic
from articles.search import reader_terms, search
from articles.structured_data import article_json_ld, to_script_json


class ArticleListView(ListView):
    template_name = "articles/article_list.html"
    context_object_name = "articles"
    paginate_by = 10

    def get_queryset(self):
        self.query = reader_terms(self.request.GET.get("q", ""))
        # Only topics with something to read are offered; one query, reused to resolve ?topic=.
        self.topics = list(Topic.objects.with_published_articles())
        articles = Article.objects.published().for_cards()
        self.topic = None
        if topic_slug := self.request.GET.get("topic"):
            self.topic = next((topic for topic in self.topics if topic.slug == topic_slug), None)
            if self.topic is None:
                raise Http404("No such topic.")
            articles = articles.filter(topics=self.topic)
        if self.query:
            return search(articles, self.query)
        return articles.order_by("-published_at", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(query=self.query, topics=self.topics, topic=self.topic)
        if self.query and not context["paginator"].count:
            context["suggestions"] = Article.objects.published().for_cards().order_by("-published_at")[:3]
        # Page links keep the reader's search and topic.
        filters = {"q": self.query, "topic": self.topic.slug if self.topic else ""}
        context["filter_query"] = urlencode({key: value for key, value in filters.items() if value})
        return context


class ArticleDetailView(DetailView):
    template_name = "articles/article_detail.html"
    context_object_name = "article"

    def get_queryset(self):
        articles = (
            Article.objects.select_related("author")
            .defer("body", "body_text", "search_vector", "source_digest")
            .prefetch_related("topics", "risk_factors", "references")
        )
        # Staff preview drafts and scheduled articles at their real address; the public sees live ones.
        return articles if self.request.user.is_staff else articles.published()

    def get(self, request, *args, **kwargs):
        self.object = article = self.get_object()
        self.related = list(
            Article.objects.related_to(
                article,
                topic_ids=[topic.pk for topic in article.topics.all()],
                risk_factor_ids=[factor.pk for factor in article.risk_factors.all()],
            )
        )
        response = self.render_to_response(self.get_context_data(object=article))
        if request.user.is_authenticated:
            # Staff see previews and admin messages: always a fresh page, never stored.
            patch_cache_control(response, private=True, no_store=True)
        # Visitors without a session get the page, its ETag and its 304s from core/pagecache.py.
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        article = self.object
        build = self.request.build_absolute_uri
        page_url = build(article.get_absolute_url())
        data = article_json_ld(
            article,
            page_url=page_url,
            home_url=build(reverse("home")),
            list_url=build(reverse("articles:list")),
            clinic=settings.CLINIC,
            risk_factors=article.risk_factors.all(),
            references=article.references.all(),
            topics=article.topics.all(),
        )
        context.update(
            canonical_url=page_url,
            json_ld=mark_safe(to_script_json(data)),  # noqa: S308 - to_script_json escapes <, > and &
            related_articles=self.related,
            hero_image_url=build(article.hero_image.url) if article.hero_image else "",
        )
        return context

