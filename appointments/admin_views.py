"""The appointments admin's pages that are not a model's list or form: the schedule, book by phone, move,
and the reason page of the status actions. Each parses the request, calls `booking`, and renders.
The calendar grid's pages are in admin_calendar.py, the manager's Insights in admin_insights.py."""

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from appointments import availability, booking
from appointments.calendar_grid import load_calendar
from appointments.forms import AppointmentRequestForm
from appointments.models import Appointment
from appointments.schedule import build_schedule
from appointments.staff_forms import (
    PatientFindForm,
    PhoneBookingForm,
    SlotPickForm,
    details_of,
    red_flag_questions,
    within_window,
)
from audit.trail import record_access, record_listing
from core.numbers import OverlongNumber, TooLong, whole_number


def _to_change_page(appointment):
    return HttpResponseRedirect(reverse("admin:appointments_appointment_change", args=[appointment.pk]))


# The phone booking page's state lives in its address: these parameters carry from step to step.
KEPT = ["patient", "visit_type", "provider", "date", "slot"]


def _returning_patient(request):
    """The earlier visit whose details prefill the form (`?patient=<id>`), unless erased."""
    try:
        pk = whole_number(request.GET.get("patient", ""))
    except TooLong:
        raise OverlongNumber("patient number") from None
    except ValueError:
        return None
    return Appointment.objects.filter(pk=pk, erased_at__isnull=True).first()


def _slots_and_form(request, pick, patient) -> dict:
    """Steps 2 and 3: the free times of the picked day, and the details form once one is chosen."""
    if not pick.is_valid():
        return {}
    visit_type, provider, day = (pick.cleaned_data[k] for k in ("visit_type", "provider", "date"))
    policy = availability.Policy.for_staff()
    slots = availability.find_slots(visit_type, day, 1, provider=provider, policy=policy)
    keep = {key: request.GET[key] for key in KEPT if request.GET.get(key) and key != "slot"}
    context = {"slots": [(slot, "?" + urlencode({**keep, "slot": slot.key})) for slot in slots]}
    chosen = request.GET.get("slot", "")
    if chosen in {slot.key for slot in slots}:
        initial = details_of(patient) if patient else None
        form = PhoneBookingForm(request.POST if request.method == "POST" else None, initial=initial)
        context.update(choice=booking.choose_slot_by_key(visit_type, chosen, policy), chosen=chosen, form=form)
    return context


@dataclass(frozen=True)
class StatusStep:
    """A status staff can set, from the list (an action) or from the appointment's page (a button)."""

    status: str
    verb: str
    permission: str  # the ModelAdmin's has_<permission>_permission
    reason_required: bool = False
    reason_help: str = ""

    @property
    def take(self):
        return booking.STATUS_STEPS[self.status]


Status = Appointment.Status
STATUS_STEPS = {
    step.status: step
    for step in [
        StatusStep(Status.CONFIRMED, "Confirm", "triage"),
        StatusStep(
            Status.DECLINED,
            "Decline",
            "triage",
            reason_required=True,
            reason_help="The patient sees this reason on their confirmation page.",
        ),
        StatusStep(Status.CANCELLED, "Cancel", "triage"),
        StatusStep(Status.COMPLETED, "Mark completed", "attendance"),
        StatusStep(Status.NO_SHOW, "Mark no-show", "attendance"),
    ]
}


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), required=False, max_length=500, label="Reason"
    )

    def __init__(self, step, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if step.reason_required:
            self.fields["reason"].required = True
            self.fields["reason"].error_messages["required"] = "Give the patient a reason: they will see it."


class ErasureForm(forms.Form):
    reason = forms.ChoiceField(
        label="Reason",
        choices=[("", "Choose a reason")]
        + [choice for choice in Appointment.ErasureReason.choices if choice[0] != Appointment.ErasureReason.RETENTION],
        error_messages={"required": "Choose why these details are being erased: the audit trail keeps it."},
    )


ERASE = StatusStep(
    "erased",
    "Erase patient details from",
    "erase",
    reason_help="Appointments are never deleted: the time, visit type and specialist stay, with their "
    "audit trail; the name, contact details and intake are erased for good.",
)


class AppointmentPages:
    """AppointmentAdmin's pages beyond its list and form (mixed in, as UserAdmin's password page is a method):
    each is wrapped by `admin_site.admin_view` in `AppointmentAdmin.get_urls` and checks the ModelAdmin's permissions.
    """

    def requested_day(self, request, default):
        """The `?date=` the page asks for, or `default` when it is missing, malformed or years away."""
        try:
            day = date.fromisoformat(request.GET.get("date", ""))
        except ValueError:
            return default
        if not within_window(day):
            self.message_user(
                request,
                f"{day:%a %b %-d, %Y} is more than three years away; showing {default:%a %b %-d, %Y} instead.",
                messages.WARNING,
            )
            return default
        return day

    def _render(self, request, template, title, **context):
        context = {**self.admin_site.each_context(request), "title": title, "opts": self.model._meta, **context}
        return TemplateResponse(request, f"admin/appointments/appointment/{template}", context)

    def schedule_view(self, request):
        if not self.has_schedule_permission(request):
            raise PermissionDenied
        day = self.requested_day(request, timezone.localdate())
        span = "week" if request.GET.get("span") == "week" else "day"
        built = build_schedule(day, span)
        record_listing(request, f"schedule ({span})", [
            appointment for row in built["rows"] for column in row["columns"] for appointment in column["appointments"]
        ])  # fmt: skip
        step = timedelta(days=7 if span == "week" else 1)
        return self._render(
            request,
            "schedule.html",
            built["title"],
            schedule=built,
            span=span,
            day=day,
            previous=(day - step).isoformat(),
            next=(day + step).isoformat(),
            today=timezone.localdate().isoformat(),
        )

    def book_by_phone_view(self, request):
        """Find the caller if they have been here before, pick a visit type and day, click a free time,
        type (or check) the caller's details: booked and confirmed."""
        if not self.has_booking_permission(request):
            raise PermissionDenied
        patient = _returning_patient(request)
        # The pick form is bound once a visit type is asked for, not by a patient search alone.
        pick = SlotPickForm(request.GET if "visit_type" in request.GET else None)
        context = {
            "pick": pick,
            "patient": patient,
            "red_flags": red_flag_questions(),
            "red_flag_lead_in": AppointmentRequestForm.URGENT_LEAD_IN,
            "finder": PatientFindForm(request.GET if "find" in request.GET else None),
            "keep": {key: request.GET[key] for key in KEPT if request.GET.get(key)},
        }
        if context["finder"].is_bound:
            context["found"] = context["finder"].patients()
            record_listing(request, "phone finder", context["found"])
        context.update(_slots_and_form(request, context["pick"], patient))
        form = context.get("form")
        if request.method == "POST" and form is not None and form.is_valid():
            outcome = booking.book_by_phone(context["choice"], form.answers())
            if outcome.ok:
                appointment = outcome.appointment
                self.message_user(
                    request, f"Booked {appointment.reference} for {appointment.patient_name}.", messages.SUCCESS
                )
                return _to_change_page(appointment)
            self.message_user(request, outcome.error, messages.ERROR)
        if patient is not None and request.method == "GET":
            record_access(request, "view", [patient])  # their details are copied onto this page
        return self._render(request, "book.html", "Book by phone", **context)

    def move_view(self, request, pk):
        """Staff move a visit to another free time, picked on the same day grid as the calendar's."""
        appointment = get_object_or_404(Appointment.objects.select_related("visit_type", "provider"), pk=pk)
        if not self.has_change_permission(request, appointment):
            raise PermissionDenied
        day = self.requested_day(request, timezone.localdate(appointment.starts_at))
        calendar = load_calendar(day, span="day", visit_type=appointment.visit_type, ignore=appointment.pk)
        if request.method == "GET":
            record_access(request, "view", [appointment])
            record_listing(request, "move page", set(calendar.appointment_ids) - {appointment.pk})
        if request.method == "POST":
            policy = availability.Policy.for_staff()
            chosen = request.POST.get("slot", "")
            slot = booking.choose_slot_by_key(appointment.visit_type, chosen, policy)
            if slot is None or chosen not in calendar.free_slot_keys:
                self.message_user(request, "Choose one of the free times shown.", messages.ERROR)
            else:
                outcome = booking.move_by_staff(appointment, slot)
                if outcome.ok:
                    self.message_user(request, f"Moved {appointment.reference}.", messages.SUCCESS)
                    return _to_change_page(appointment)
                self.message_user(request, outcome.error, messages.ERROR)
        return self._render(
            request,
            "move.html",
            f"Move {appointment.reference}",
            appointment=appointment,
            moving=appointment,
            calendar=calendar,
            span="day",
            mode="move",
            day=day,
            is_nav_sidebar_enabled=False,
            previous=(day - timedelta(days=1)).isoformat(),
            next=(day + timedelta(days=1)).isoformat(),
        )

    def may_take(self, request, step) -> bool:
        return getattr(self, f"has_{step.permission}_permission")(request)

    def erasure_page(self, request, queryset):
        """The page behind the "Erase patient details" action: a reason from the list, then erase each."""
        form = ErasureForm(request.POST if "apply" in request.POST else None)
        if "apply" not in request.POST or not form.is_valid():
            return self._reason_page(
                request,
                ERASE,
                form,
                queryset.select_related("visit_type", "provider"),
                title="Erase patient details",
                submit_label="Yes, erase the patient details",
                action=request.POST.get("action"),
                selected=request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                select_across=request.POST.get("select_across", "0"),
                back_url=reverse("admin:appointments_appointment_changelist"),
            )
        rows = queryset.select_related(None).only("pk", "reference")
        outcomes = [(a.reference, booking.erase_by_staff(a, form.cleaned_data["reason"])) for a in rows]
        if erased := sum(outcome.ok for _, outcome in outcomes):
            self.message_user(request, f"Erased the patient details of {erased} appointment(s).", messages.SUCCESS)
        for reference, outcome in outcomes:
            if outcome.error:
                self.message_user(request, f"{reference}: {outcome.error}", messages.ERROR)
        return None

    def _reason_page(self, request, step, form, appointments, title="", **context):
        record_listing(request, "status page", appointments)
        return self._render(
            request,
            "status_action.html",
            title or f"{step.verb} appointments",
            verb=step.verb,
            form=form,
            reason_help=step.reason_help,
            appointments=appointments,
            **context,
        )

    def _take_step(self, request, step, appointments, reason) -> int:
        """Take the step for each appointment, tell the user what happened; the number changed."""
        outcomes = [(appointment.reference, step.take(appointment, reason)) for appointment in appointments]
        changed = sum(outcome.ok for _, outcome in outcomes)
        if changed:
            self.message_user(request, f"{step.verb}: {changed} appointment(s).", messages.SUCCESS)
        for reference, outcome in outcomes:
            if outcome.error:
                self.message_user(request, f"{reference}: {outcome.error}", messages.ERROR)
        return changed

    def status_change_page(self, request, queryset, step):
        """The page behind a status action: ask for a reason, then take the step for each selected appointment."""
        form = ReasonForm(step, request.POST if "apply" in request.POST else None)
        if "apply" not in request.POST or not form.is_valid():
            return self._reason_page(
                request,
                step,
                form,
                queryset.select_related("visit_type", "provider"),
                action=request.POST.get("action"),
                selected=request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
                select_across=request.POST.get("select_across", "0"),
                back_url=reverse("admin:appointments_appointment_changelist"),
            )
        self._take_step(
            request, step, queryset.select_related(None).only("pk", "status", "reference"), form.cleaned_data["reason"]
        )
        return None

    def status_view(self, request, pk, status):
        """The same reason page for one appointment, from the buttons on its page; back to that page after."""
        step = STATUS_STEPS.get(status)
        if step is None:
            raise Http404("No such status.")
        appointment = get_object_or_404(Appointment.objects.select_related("visit_type", "provider"), pk=pk)
        if not (self.may_take(request, step) and self.has_view_or_change_permission(request, appointment)):
            raise PermissionDenied
        form = ReasonForm(step, request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            self._take_step(request, step, [appointment], form.cleaned_data["reason"])
            return _to_change_page(appointment)
        back_url = reverse("admin:appointments_appointment_change", args=[appointment.pk])
        return self._reason_page(
            request,
            step,
            form,
            [appointment],
            title=f"{step.verb} {appointment.reference}",
            back_url=back_url,
            single=True,
        )

    def change_page_context(self, request, appointment) -> dict:
        """What the appointment's page adds to the admin form: the status buttons and the patient's other visits.

        The other visits show no patient details (when, what, with whom, status), so listing them is
        not a view of those appointments; opening one is, and is recorded there.
        """
        steps = [STATUS_STEPS[status] for status in appointment.next_statuses()]
        buttons = [
            {
                "verb": step.verb,
                "status": step.status,
                "url": reverse("admin:appointments_appointment_status", args=[appointment.pk, step.status]),
            }
            for step in steps
            if self.may_take(request, step)
        ]
        other_visits = Appointment.objects.other_visits_of(appointment) if self.has_view_permission(request) else []
        return {"status_buttons": buttons, "other_visits": list(other_visits[:20])}

    def awaiting_triage_view(self, request):
        """The count behind the badge on every admin page, polled by static/js/triage_count.js."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        return JsonResponse(
            {"awaiting_triage": Appointment.objects.awaiting_triage().count()}
        )  # never cached (admin_view)
