"""The day and week schedule staff print and work from: one column per provider."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from appointments.models import Appointment, Closure, Provider
from core.days import local_days


def build_schedule(day, span="day"):
    """Appointments and closures for a day (or the Monday-to-Sunday week around it), by provider.

    Three queries whatever the number of appointments.
    """
    first = day - timedelta(days=day.weekday()) if span == "week" else day
    days = [first + timedelta(days=offset) for offset in range(7 if span == "week" else 1)]
    start, end = local_days(days[0], len(days))

    appointments = list(
        Appointment.objects.on_local_days(days[0], len(days))
        .on_schedule()
        .select_related("visit_type")
        .only("pk", "reference", "status", "starts_at", "ends_at", "first_name", "last_name", "provider_id",
              "visit_type__name", "erased_at")
        .order_by("starts_at")
    )
    # A provider who left still has visits to hand over: they keep a column while they have any.
    providers = list(Provider.objects.filter(Q(active=True) | Q(pk__in={a.provider_id for a in appointments})))
    closures = list(Closure.objects.overlapping(start, end).select_related("provider"))

    cells = {(d, p.pk): [] for d in days for p in providers}
    for appointment in appointments:
        key = (timezone.localdate(appointment.starts_at), appointment.provider_id)
        if key in cells:
            cells[key].append(appointment)
    rows = [_row(d, providers, cells, closures) for d in days]
    title = f"Schedule, week of {days[0]:%a %b %-d, %Y}" if span == "week" else f"Schedule, {day:%a %b %-d, %Y}"
    return {"title": title, "providers": providers, "rows": rows, "days": days}


def _row(day, providers, cells, closures):
    """One day of the schedule: a column per provider with their visits and closures."""
    day_start, day_end = local_days(day)
    closed = [c for c in closures if c.starts_at < day_end and c.ends_at > day_start]
    columns = [
        {
            "provider": p,
            "appointments": cells[(day, p.pk)],
            "closures": [c for c in closed if c.provider_id in (None, p.pk)],
        }
        for p in providers
    ]
    return {"date": day, "columns": columns}
