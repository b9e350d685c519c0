"""The clinic manager's Insights page in the appointments admin (a method of AppointmentAdmin, mixed in).

Aggregates only, computed by insights.py (and by the sections other apps add there); each table can be
downloaded as CSV.
"""

import csv
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from appointments import insights
from appointments.staff_forms import InsightsPeriodForm
from audit.trail import record_report


class InsightsPage:
    def insights_view(self, request):
        """The clinic manager's figures for a period: tables, the same figures as SVG charts, each table as CSV.

        Aggregates only: no name, date of birth or contact detail is read, so no appointment is "viewed";
        the trail records who opened which report for which period.
        """
        if not self.has_insights_permission(request):
            raise PermissionDenied
        form, period = _chosen_period(request)
        table = request.GET.get("download", "")
        download = insights.downloadable(table)
        record_report(
            request,
            "insights" + (f" ({table} CSV)" if download else ""),
            {"first": period.first.isoformat(), "last": period.last.isoformat()},
        )
        if download:
            return _csv_download(table, download, period)
        outcomes, utilisation, funnel = insights.outcomes(period), insights.utilisation(period), insights.funnel(period)
        return self._render(
            request,
            "insights.html",
            "Insights",
            form=form,
            period=period,
            outcomes=outcomes,
            utilisation=utilisation,
            funnel=funnel,
            charts=insights.charts(outcomes, utilisation, funnel),
            sections=insights.sections(period),
            query=urlencode({"first": period.first.isoformat(), "last": period.last.isoformat()}),
            is_nav_sidebar_enabled=False,  # thirteen columns need the full width of a 1280 px screen
        )


def _chosen_period(request: HttpRequest) -> tuple[InsightsPeriodForm, insights.Period]:
    """The period asked for, or the last four whole weeks when none (or a wrong one) was."""
    default = insights.Period.last_four_weeks(timezone.localdate())
    asked = "first" in request.GET or "last" in request.GET
    form = InsightsPeriodForm(request.GET if asked else None, initial={"first": default.first, "last": default.last})
    return form, insights.Period(**form.cleaned_data) if asked and form.is_valid() else default


def _csv_download(name: str, table: insights.Table, period: insights.Period) -> HttpResponse:
    compute, row_type = table
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="insights-{name}-{period.first}-{period.last}.csv"'
    writer = csv.writer(response)
    writer.writerow(row_type.CSV_HEADINGS)
    writer.writerows(row.csv_values() for row in compute(period))
    return response
