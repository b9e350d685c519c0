from django.apps import AppConfig


class TrufflesConfig(AppConfig):
    """The project on top of the apps: settings, URLs, the site's own pages, operations (backups, checks)."""

    name = "truffles"
    verbose_name = "Truffles site"

    def ready(self):
        from truffles import checks  # noqa: F401  (registers the deployment checks)
