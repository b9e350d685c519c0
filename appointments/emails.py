"""Messages to patients. They carry the reference, time, place and link, never health details."""

import logging
import smtplib

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


def send_request_received(appointment, manage_url: str) -> None:
    """Tell the patient we have their request, once the booking has committed."""
    context = {"appointment": appointment, "manage_url": manage_url, "clinic": settings.CLINIC}
    subject = f"{settings.CLINIC['name']}: we have your request {appointment.reference}"
    body = render_to_string("emails/request_received.txt", context)

    def send():
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [appointment.email])
        except (OSError, smtplib.SMTPException):
            # The request stands and its page shows everything; log the reference only, never the address.
            logger.warning("Could not send the confirmation email for %s", appointment.reference)

    transaction.on_commit(send)
