from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from appointments import manage_views, webhooks
from articles.sitemaps import ArticleSitemap, PageSitemap
from core.pagecache import public_page
from truffles import views

urlpatterns = [
    path("", public_page(views.home), name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.prometheus_metrics, name="metrics"),
    path("privacy/", views.privacy, name="privacy"),
    path("robots.txt", views.robots_txt, name="robots_txt"),
    path("favicon.ico", views.favicon, name="favicon"),
    path(
        "sitemap.xml",
        public_page(sitemap),
        {"sitemaps": {"pages": PageSitemap, "articles": ArticleSitemap}},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path("articles/", include("articles.urls")),
    path("appointments/", include("appointments.urls")),
    path("waitlist/", include("waitlist.urls")),
    # Short links in texts, and Twilio's webhooks: public addresses outside /appointments/.
    path("v/<slug:code>", manage_views.short_link, name="short_link"),
    path("v/<slug:code>/change", manage_views.short_link, {"change": True}, name="short_link_change"),
    path("sms/inbound/", webhooks.inbound, name="sms_inbound"),
    path("sms/status/", webhooks.status, name="sms_status"),
    path("admin/", admin.site.urls),
]

# Uploaded article images in development; in production the web server in front serves MEDIA_ROOT.
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler400 = "truffles.views.bad_request"
handler500 = "truffles.views.server_error"
