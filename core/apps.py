from django.apps import AppConfig
from django.conf import settings


class CoreConfig(AppConfig):
    """What every app stands on: the database's bounds, the page cache and versions, dates, logs, metrics."""

    name = "core"
    verbose_name = "Site infrastructure"

    def ready(self):
        from django.core.signals import got_request_exception
        from django.db.backends.signals import connection_created

        from core.database import bound_every_wait, log_no_statements_as_superuser
        from core.middleware import count_database_errors

        bound_every_wait(settings.DATABASE_CONNECT_TIMEOUT, settings.DATABASE_STATEMENT_TIMEOUT)
        connection_created.connect(log_no_statements_as_superuser, dispatch_uid="truffles_log_no_statements")
        got_request_exception.connect(count_database_errors, dispatch_uid="truffles_count_database_errors")
