from django.core.paginator import Paginator
from django.db import connection
from django.utils.functional import cached_property


class AppointmentPaginator(Paginator):
    """Pages through years of appointments without counting them all on every page.

    The whole table: PostgreSQL's planner estimate, once it is large. Anything filtered or
    searched: an exact count that stops after `count_cap` rows ("more than 10,000").
    """

    estimate_above = 10_000
    count_cap = 10_000
    estimated = False
    capped = False

    @cached_property
    def count(self):
        queryset = self.object_list
        if not queryset.query.where:
            with connection.cursor() as cursor:
                cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [queryset.model._meta.db_table])
                row = cursor.fetchone()
            estimate = int(row[0]) if row else -1
            if estimate > self.estimate_above:
                self.estimated = True
                return estimate
        count = queryset.order_by()[: self.count_cap + 1].count()
        self.capped = count > self.count_cap
        return count

    @property
    def count_label(self):
        if self.estimated:
            return f"about {self.count:,}"
        if self.capped:
            return f"more than {self.count_cap:,}"
        return f"{self.count:,}"
