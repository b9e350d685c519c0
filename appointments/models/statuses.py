"""Where an appointment stands, and which of those states hold a specialist's time."""

from django.db import models


class AppointmentStatus(models.TextChoices):
    HELD = "held", "Awaiting email code"
    REQUESTED = "requested", "Requested"
    CONFIRMED = "confirmed", "Confirmed"
    DECLINED = "declined", "Declined"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No-show"
    EXPIRED = "expired", "Expired (no decision)"


# Module constants, so the exclusion constraint in Appointment.Meta and the QuerySet name the same lists.
ACTIVE_STATUSES = [AppointmentStatus.REQUESTED, AppointmentStatus.CONFIRMED]
# An online request waiting for its email code keeps its time, but is nobody's visit yet.
TIME_HOLDING_STATUSES = [AppointmentStatus.HELD, *ACTIVE_STATUSES]
