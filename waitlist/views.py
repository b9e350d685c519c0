"""The patient's side of the waitlist: join or leave it from their appointment page, take an offer."""

from http import HTTPStatus

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from appointments.manage_views import managed_appointment
from appointments.models import Appointment
from waitlist import offers
from waitlist.forms import WaitlistForm
from waitlist.models import Offer


@never_cache
@require_POST
def join(request, token):
    appointment = managed_appointment(token)
    form = WaitlistForm(request.POST, appointment=appointment)
    if not form.is_valid():
        context = {"appointment": appointment, "waitlist_form": form}
        return render(request, "appointments/manage.html", context, status=HTTPStatus.BAD_REQUEST)
    entry = offers.join(appointment, **form.choices())
    if isinstance(entry, str):
        messages.error(request, entry)
    else:
        messages.success(request, "You are on the waitlist. We will tell you if an earlier time opens.")
    return redirect(appointment)


@never_cache
@require_POST
def leave(request, token):
    appointment = managed_appointment(token)
    entry = getattr(appointment, "waitlist_entry", None)
    if entry is not None:
        offers.leave(entry)
        messages.success(request, "You have left the waitlist. Your visit keeps its time.")
    return redirect(appointment)


@never_cache
def offer(request, pk, token):
    """The link in an offer: GET shows it (mail scanners open links), POST takes it."""
    found = Offer.objects.select_related(
        "opening__provider", "entry__appointment__visit_type", "entry__appointment__location"
    ).filter(pk=pk).first()
    if found is None or not found.token_matches(token):
        raise Http404("No offer with that link.")
    context = {"offer": found, "appointment": found.entry.appointment, "page": _patient_page(found.entry.appointment)}
    if request.method == "POST":
        result = offers.claim(found.pk)
        found.refresh_from_db()
        appointment = result.appointment or found.entry.appointment
        appointment.refresh_from_db()
        page = _patient_page(appointment)
        if result.moved and page:
            messages.success(request, result.message)
            return redirect(page)
        context.update(result=result, appointment=appointment, page=page)
    response = render(request, "waitlist/offer.html", context)
    response["X-Robots-Tag"] = "noindex"
    return response


def _patient_page(appointment: Appointment) -> str:
    """The patient's page, when its link can be rebuilt (online requests); phone bookings have none."""
    try:
        return appointment.get_absolute_url()
    except ValueError:
        return ""
