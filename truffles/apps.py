from django.apps import AppConfig
from django.conf import settings


class TrufflesConfig(AppConfig):
    name = "truffles"
    verbose_name = "Truffles site"

    def ready(self):
        from django.core.signals import got_request_exception
        from django.db.backends.signals import connection_created

        from truffles import checks  # noqa: F401  (registers the deployment checks)
        from truffles.database import bound_every_wait, log_no_statements_as_superuser
        from truffles.middleware import count_database_errors

        bound_every_wait(settings.DATABASE_CONNECT_TIMEOUT, settings.DATABASE_STATEMENT_TIMEOUT)
        connection_created.connect(log_no_statements_as_superuser, dispatch_uid="truffles_log_no_statements")
        got_request_exception.connect(count_database_errors, dispatch_uid="truffles_count_database_errors")
