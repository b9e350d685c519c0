from django.apps import AppConfig
from django.conf import settings


class TrufflesConfig(AppConfig):
    name = "truffles"
    verbose_name = "Truffles site"

    def ready(self):
        from truffles import checks  # noqa: F401  (registers the deployment checks)
        from truffles.database import bound_every_wait

        bound_every_wait(settings.DATABASE_CONNECT_TIMEOUT, settings.DATABASE_STATEMENT_TIMEOUT)
