from functools import partial
from urllib.parse import urlencode

from django.http import Http404, HttpRequest
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils.cache import patch_cache_control
from django.views.generic import DetailView, ListView

from articles.models import Article, Topic
from articles.pages import ArticleParts, Listing, article_parts, call_to_action, kept
from articles.search import reader_terms, search
from core.models import Version
from core.pagecache import current_versions


class ArticleListView(ListView):
    template_name = "articles/article_list.html"
    listing_template_name = "articles/includes/article_listing.html"
    context_object_name = "articles"
    paginate_by = 10

    def get(self, request: HttpRequest, *args, **kwargs) -> TemplateResponse:
        self.query = reader_terms(request.GET.get("q", ""))
        if self.query:
            listing = self.build_listing()  # a search is built each time: readers' words are endless
        else:
            key = ("article list", request.GET.get("topic", ""), request.GET.get("page", ""))
            listing = kept(key, self.build_listing, current_versions())
        context = {"query": self.query, "topic": listing.topic, "listing": listing.html}
        return TemplateResponse(request, self.template_name, context)

    def build_listing(self) -> Listing:
        self.object_list = self.get_queryset()
        return Listing(topic=self.topic, html=render_to_string(self.listing_template_name, self.get_context_data()))

    def get_queryset(self):
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

    def get(self, request: HttpRequest, *args, **kwargs) -> TemplateResponse:
        versions = current_versions()
        if request.user.is_staff:
            parts = self.build_parts()  # previews and notes for staff: built afresh each time
        else:
            parts = kept(("article", request.scheme, request.get_host(), kwargs["slug"]), self.build_parts, versions)
        self.object = article = parts.article
        action = kept(
            ("call to action", article.visit_type, article.slug),
            partial(call_to_action, article),
            versions,
            version=Version.SCHEDULE,
        )
        response = self.render_to_response(self.get_context_data(object=article, parts=parts, call_to_action=action))
        if request.user.is_authenticated:
            # Staff see previews and admin messages: always a fresh page, never stored.
            patch_cache_control(response, private=True, no_store=True)
        # Visitors without a session get the page, its ETag and its 304s from core/pagecache.py.
        return response

    def build_parts(self) -> ArticleParts:
        return article_parts(self.get_object(), absolute=self.request.build_absolute_uri)
