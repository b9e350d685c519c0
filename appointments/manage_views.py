"""The patient's own page, opened by the link in their emails and texts: see, cancel, add to a calendar.

Moving to another time starts on the request pages (views.py) with the link's token.
"""

from http import HTTPStatus

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from appointments import booking, calendar
from appointments.models import Appointment
from appointments.tokens import manage_token_digest


def managed_appointment(token: str) -> Appointment:
    """The appointment a patient's manage link opens (404 for any other), carrying its token for the page."""
    appointment = (
        Appointment.objects.select_related("visit_type", "provider", "location", "source_article")
        .by_manage_token(token)
        .first()
    )
    if appointment is None:
        raise Http404("No appointment with that link.")
    appointment.manage_token = token
    return appointment



def reschedule(request: HttpRequest, slot: booking.SlotChoice, token: str) -> HttpResponse:
    """A patient moves their visit to the time they chose on the request pages: asked, then requested again."""
    appointment = managed_appointment(token)
    if not appointment.can_be_cancelled_by_patient():
        messages.error(request, "This appointment can no longer be moved online. Please call the clinic.")
        return redirect(appointment)
    if slot.visit_type != appointment.visit_type:
        messages.error(request, f"Choose a time for a {appointment.visit_type.name.lower()}: that is what you booked.")
        return redirect(appointment)
    context = {"slot": slot, "appointment": appointment}
    if request.method != "POST":
        return render(request, "appointments/reschedule.html", context)
    outcome = booking.move_by_patient(appointment, slot)
    if outcome.taken:
        context.update(taken=True, alternatives=outcome.alternatives)
        return render(request, "appointments/reschedule.html", context, status=HTTPStatus.CONFLICT)
    if outcome.error:
        messages.error(request, outcome.error)
    else:
        messages.success(request, "Your request has moved to the new time. We will confirm it shortly.")
    return redirect(appointment)


@never_cache
@require_GET
def manage(request, token):
    """The patient's confirmation page: what, when, where, what next; cancel, move, add to calendar."""
    appointment = managed_appointment(token)
    response = render(request, "appointments/manage.html", {"appointment": appointment})
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
def cancel(request, token):
    appointment = managed_appointment(token)
    if request.method == "POST":
        outcome = booking.cancel_by_patient(appointment)
        if outcome.error:
            messages.error(request, outcome.error)
        else:
            messages.success(request, "Your appointment request is cancelled. The time is free for others.")
        return redirect(appointment)
    return render(request, "appointments/cancel.html", {"appointment": appointment})


@never_cache
@require_GET
def calendar_file(request, token):
    appointment = managed_appointment(token)
    response = HttpResponse(calendar.ics_for(appointment), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{appointment.reference}.ics"'
    return response




@never_cache
@require_GET
def short_link(request, code, change=False):
    """A text's short link: on to the patient's page, or (R) to choosing another time."""
    found = Appointment.objects.select_related("visit_type").filter(short_link_hash=manage_token_digest(code))
    appointment = found.first()
    if appointment is None:
        raise Http404("No appointment with that link.")
    return redirect(appointment.change_time_url() if change else appointment.get_absolute_url())
