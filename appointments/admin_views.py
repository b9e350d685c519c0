"""The admin pages that are not a model's list or form: the schedule, book by phone, move, and
the reason page of the status actions. Each parses the request, calls `booking`, and renders."""

from datetime import date, timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from appointments import availability, booking
from appointments.models import Appointment
from appointments.schedule import build_schedule
from appointments.staff_forms import PhoneBookingForm, SlotPickForm, within_window
from audit.trail import record_access


def requested_day(model_admin, request, default):
    """The `?date=` the page asks for, or `default` when it is missing, malformed or years away."""
    try:
        day = date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return default
    if not within_window(day):
        model_admin.message_user(
            request, f"{day:%d %b %Y} is more than three years away; showing {default:%d %b %Y} instead.",
            messages.WARNING,
        )
        return default
    return day


def _render(model_admin, request, template, title, **context):
    context = {**model_admin.admin_site.each_context(request), "title": title, "opts": model_admin.model._meta,
               **context}
    return TemplateResponse(request, f"admin/appointments/appointment/{template}", context)


def _to_change_page(appointment):
    return HttpResponseRedirect(reverse("admin:appointments_appointment_change", args=[appointment.pk]))


def schedule(model_admin, request):
    if not model_admin.has_schedule_permission(request):
        raise PermissionDenied
    day = requested_day(model_admin, request, timezone.localdate())
    span = "week" if request.GET.get("span") == "week" else "day"
    built = build_schedule(day, span)
    step = timedelta(days=7 if span == "week" else 1)
    return _render(
        model_admin, request, "schedule.html", built["title"], schedule=built, span=span, day=day,
        previous=(day - step).isoformat(), next=(day + step).isoformat(), today=timezone.localdate().isoformat(),
    )


def book_by_phone(model_admin, request):
    """Pick a visit type and day, click a free time, type the caller's details: booked and confirmed."""
    if not model_admin.has_booking_permission(request):
        raise PermissionDenied
    pick = SlotPickForm(request.GET or None)
    context = {"pick": pick}
    if pick.is_valid():
        visit_type, provider, day = (pick.cleaned_data[k] for k in ("visit_type", "provider", "date"))
        policy = availability.Policy.for_staff()
        context["slots"] = availability.find_slots(visit_type, day, 1, provider=provider, policy=policy)
        chosen = request.GET.get("slot", "")
        if chosen in {slot.key for slot in context["slots"]}:
            context.update(choice=booking.choose_slot_by_key(visit_type, chosen, policy), chosen=chosen,
                           form=PhoneBookingForm(request.POST if request.method == "POST" else None))
    form = context.get("form")
    if request.method == "POST" and form is not None and form.is_valid():
        outcome = booking.book_by_phone(context["choice"], form.answers())
        if outcome.ok:
            appointment = outcome.appointment
            model_admin.message_user(request, f"Booked {appointment.reference} for {appointment.patient_name}.",
                                     messages.SUCCESS)
            return _to_change_page(appointment)
        model_admin.message_user(request, outcome.error, messages.ERROR)
    return _render(model_admin, request, "book.html", "Book by phone", **context)


def move(model_admin, request, pk):
    """Staff move a visit to another free time of the same day list."""
    appointment = get_object_or_404(Appointment.objects.select_related("visit_type", "provider"), pk=pk)
    if not model_admin.has_change_permission(request, appointment):
        raise PermissionDenied
    if request.method == "GET":
        record_access(request, "view", [appointment])
    day = requested_day(model_admin, request, timezone.localdate(appointment.starts_at))
    policy = availability.Policy.for_staff()
    slots = availability.find_slots(appointment.visit_type, day, 1, policy=policy, ignore=appointment.pk)
    if request.method == "POST":
        chosen = request.POST.get("slot", "")
        slot = booking.choose_slot_by_key(appointment.visit_type, chosen, policy)
        if slot is None or chosen not in {free.key for free in slots}:
            model_admin.message_user(request, "Choose one of the free times listed.", messages.ERROR)
        else:
            outcome = booking.move_by_staff(appointment, slot)
            if outcome.ok:
                model_admin.message_user(request, f"Moved {appointment.reference}.", messages.SUCCESS)
                return _to_change_page(appointment)
            model_admin.message_user(request, outcome.error, messages.ERROR)
    return _render(
        model_admin, request, "move.html", f"Move {appointment.reference}", appointment=appointment, slots=slots,
        day=day, previous=(day - timedelta(days=1)).isoformat(), next=(day + timedelta(days=1)).isoformat(),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), required=False, max_length=500, label="Reason"
    )


def status_change(model_admin, request, queryset, step, verb, reason_required=False, reason_help=""):
    """The page behind a status action: ask for a reason, then take `step` for each appointment."""
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    if reason_required:
        form.fields["reason"].required = True
        form.fields["reason"].error_messages["required"] = "Give the patient a reason: they will see it."
    if "apply" not in request.POST or not form.is_valid():
        return _render(
            model_admin, request, "status_action.html", f"{verb} appointments", verb=verb, form=form,
            reason_help=reason_help, appointments=queryset.select_related("visit_type", "provider"),
            action=request.POST.get("action"), selected=request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            select_across=request.POST.get("select_across", "0"),
        )
    appointments = queryset.select_related(None).only("pk", "status", "reference")
    outcomes = [(appointment.reference, step(appointment, form.cleaned_data["reason"])) for appointment in appointments]
    changed = sum(outcome.ok for _, outcome in outcomes)
    if changed:
        model_admin.message_user(request, f"{verb}: {changed} appointment(s).", messages.SUCCESS)
    for reference, outcome in outcomes:
        if outcome.error:
            model_admin.message_user(request, f"{reference}: {outcome.error}", messages.ERROR)
    return None
