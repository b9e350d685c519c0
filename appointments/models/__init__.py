"""The appointments app's models, one module per part of the clinic's day (Django finds them here).

schedule: locations, visit types, specialists, hours, closures; appointment (and its QuerySet);
online_requests: the request form's guards; patient_messages: emails and texts, both ways.
"""

from appointments.models.appointment import Appointment
from appointments.models.online_requests import EmailCheck, SubmissionAttempt
from appointments.models.patient_messages import Message, TextOptOut, TextReply
from appointments.models.schedule import Closure, Location, Provider, TsTzRange, VisitType, WorkingHours
from appointments.models.statuses import ACTIVE_STATUSES, TIME_HOLDING_STATUSES, AppointmentStatus

# Named by the migrations of their day (field defaults, the exclusion constraint's range).
from appointments.tokens import new_manage_token, new_reference

__all__ = [
    "ACTIVE_STATUSES", "TIME_HOLDING_STATUSES", "Appointment", "AppointmentStatus", "Closure", "EmailCheck",
    "Location", "Message", "Provider", "SubmissionAttempt", "TextOptOut", "TextReply", "TsTzRange", "VisitType",
    "WorkingHours", "new_manage_token", "new_reference",
]  # fmt: skip
