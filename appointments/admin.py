"""The front desk's workplace: appointments, the schedule and its configuration, in the Django admin."""

import csv
from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.text import smart_split, unescape_string_literal

from appointments import availability, booking
from appointments.models import Appointment, Closure, Location, Provider, VisitType, WorkingHours
from appointments.schedule import build_schedule
from appointments.staff_forms import PhoneBookingForm, SlotPickForm, within_window
from staff import audit

Status = Appointment.Status


def requested_day(modeladmin, request, default):
    """The `?date=` the page asks for, or `default` when it is missing, malformed or years away."""
    try:
        day = date.fromisoformat(request.GET.get("date", ""))
    except ValueError:
        return default
    if not within_window(day):
        modeladmin.message_user(
            request, f"{day:%d %b %Y} is more than three years away; showing {default:%d %b %Y} instead.",
            messages.WARNING,
        )
        return default
    return day


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


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "email"]
    search_fields = ["name"]


@admin.register(VisitType)
class VisitTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "duration", "buffer_after", "bookable_online"]
    list_editable = ["bookable_online"]
    prepopulated_fields = {"slug": ["name"]}


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "credentials", "active"]
    list_filter = ["active", "visit_types"]
    search_fields = ["name"]
    filter_horizontal = ["visit_types"]
    inlines = [WorkingHoursInline]


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ["reason", "provider", "starts_at", "ends_at"]
    list_filter = ["provider"]
    date_hierarchy = "starts_at"
    search_fields = ["reason"]


class WhenFilter(admin.SimpleListFilter):
    """Defaults to what the front desk works on: requests and today onwards (past visits on demand).

    The default also keeps the list fast with years of history: the rows it sorts come
    from two index scans instead of the whole table.
    """

    title = "when"
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("today", "Today"), ("week", "This week"), ("upcoming", "Upcoming"), ("past", "Past"),
                ("all", "All time")]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Requests and upcoming",
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        now = timezone.now()
        today = timezone.localdate()
        start_of_day = timezone.make_aware(datetime.combine(today, time.min))
        if self.value() is None:
            return queryset.filter(Q(status=Status.REQUESTED) | Q(starts_at__gte=start_of_day))
        if self.value() == "today":
            return queryset.filter(starts_at__gte=start_of_day, starts_at__lt=start_of_day + timedelta(days=1))
        if self.value() == "week":
            monday = start_of_day - timedelta(days=today.weekday())
            return queryset.filter(starts_at__gte=monday, starts_at__lt=monday + timedelta(days=7))
        if self.value() == "upcoming":
            return queryset.filter(starts_at__gte=now)
        if self.value() == "past":
            return queryset.filter(starts_at__lt=now)
        return queryset


class NeedsTriageFilter(admin.SimpleListFilter):
    title = "triage"
    parameter_name = "triage"

    def lookups(self, request, model_admin):
        return [("needed", "Needs triage")]

    def queryset(self, request, queryset):
        if self.value() == "needed":
            return queryset.filter(status=Status.REQUESTED)
        return queryset


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        required=False,
        max_length=500,
        label="Reason",
    )


def _status_action(status, permission, verb, reason_required=False, reason_help=""):
    """An admin action that asks for a reason on an intermediate page, then changes each status."""

    @admin.action(description=f"{verb} selected appointments", permissions=[permission])
    def action(modeladmin, request, queryset):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if reason_required:
            form.fields["reason"].required = True
            form.fields["reason"].error_messages["required"] = "Give the patient a reason: they will see it."
        if "apply" in request.POST and form.is_valid():
            changed, refused = 0, []
            for appointment in queryset.select_related(None).only("pk", "status", "reference"):
                try:
                    booking.change_status(appointment, status, form.cleaned_data["reason"])
                    changed += 1
                except booking.InvalidTransition as error:
                    refused.append(f"{appointment.reference}: {error}")
            if changed:
                modeladmin.message_user(request, f"{verb}: {changed} appointment(s).", messages.SUCCESS)
            for message in refused:
                modeladmin.message_user(request, message, messages.ERROR)
            return None
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": f"{verb} appointments",
            "verb": verb,
            "form": form,
            "reason_help": reason_help,
            "appointments": queryset.select_related("visit_type", "provider"),
            "action": request.POST.get("action"),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "opts": modeladmin.model._meta,
            "select_across": request.POST.get("select_across", "0"),
        }
        return TemplateResponse(request, "admin/appointments/appointment/status_action.html", context)

    action.__name__ = f"mark_{status}"
    return action


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = [
        "when", "patient", "visit_type", "provider", "status_badge", "triage_flags", "source_article", "created_at",
    ]
    list_display_links = ["when", "patient"]
    list_filter = [NeedsTriageFilter, "status", WhenFilter, "provider", "visit_type", "location"]
    list_select_related = ["visit_type", "provider", "source_article"]
    search_fields = ["reference", "first_name", "last_name", "email", "phone"]
    search_help_text = "Search by reference, name, email or phone."
    show_full_result_count = False
    paginator = AppointmentPaginator
    list_per_page = 50

    class Media:
        css = {"all": ["css/staff.css"]}
    actions = [
        _status_action(Status.CONFIRMED, "triage", "Confirm"),
        _status_action(Status.DECLINED, "triage", "Decline", reason_required=True,
                       reason_help="The patient sees this reason on their confirmation page."),
        _status_action(Status.CANCELLED, "triage", "Cancel"),
        _status_action(Status.COMPLETED, "attendance", "Mark completed"),
        _status_action(Status.NO_SHOW, "attendance", "Mark no-show"),
        "export_csv",
    ]
    readonly_fields = [
        "reference", "status", "status_reason", "visit_type", "provider", "location", "starts_at", "ends_at",
        "triage", "intake_reasons", "rls_urge_to_move", "rls_worse_at_rest", "rls_relieved_by_movement",
        "rls_worse_evening", "reported_risk_factors", "notes", "source_article", "consent_version", "consented_at",
        "created_at", "updated_at", "audit_trail", "move_link",
    ]
    fieldsets = [
        ("Appointment", {"fields": ["reference", "status", "status_reason", "visit_type", "provider", "location",
                                    "starts_at", "ends_at", "move_link"]}),
        ("Patient", {"fields": ["first_name", "last_name", "date_of_birth", "guardian_name", "email", "phone",
                                "preferred_contact", "is_new_patient", "insurance_carrier"]}),
        ("Intake (as the patient sent it)", {"fields": ["triage", "intake_reasons", "rls_urge_to_move",
                                                        "rls_worse_at_rest", "rls_relieved_by_movement",
                                                        "rls_worse_evening", "reported_risk_factors", "notes",
                                                        "source_article", "consent_version", "consented_at"]}),
        ("History", {"fields": ["created_at", "updated_at", "audit_trail"]}),
    ]

    # Queryset and ordering: requests awaiting triage first, then upcoming by time, then the past.

    def get_queryset(self, request):
        now = timezone.now()
        return (
            self.model._default_manager.get_queryset()
            .annotate(
                triage_rank=Case(
                    When(status=Status.REQUESTED, then=Value(0)),
                    When(starts_at__gte=now, then=Value(1)),
                    default=Value(2),
                    output_field=IntegerField(),
                ),
                upcoming_start=Case(When(starts_at__gte=now, then=F("starts_at"))),
            )
            .order_by(*self.get_ordering(request))
        )

    def get_ordering(self, request):
        if request.GET.get(WhenFilter.parameter_name) in {"all", "past"}:
            # History views: newest first straight from the starts_at index, no sort of the whole table.
            return ["-starts_at", "-pk"]
        return ["triage_rank", F("upcoming_start").asc(nulls_last=True), "-starts_at", "-pk"]

    def get_search_results(self, request, queryset, search_term):
        """Each word matches a reference, name, email or phone; "(201) 555-0123" also finds "+12015550123".

        Built as one Q on the queryset it is given, so the list filters still apply.
        """
        if not search_term.strip():
            return queryset, False
        words = Q()
        for bit in smart_split(search_term):
            if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
                bit = unescape_string_literal(bit)
            words &= Q(*[(f"{field}__icontains", bit) for field in self.search_fields], _connector=Q.OR)
        digits = "".join(ch for ch in search_term if ch.isascii() and ch.isdigit())
        if len(digits) >= 7:
            words |= Q(phone__contains=digits)
        return queryset.filter(words), False

    # Columns

    @admin.display(description="When", ordering="starts_at")
    def when(self, appointment):
        return timezone.localtime(appointment.starts_at).strftime("%a %d %b %Y, %H:%M")

    @admin.display(description="Patient", ordering="last_name")
    def patient(self, appointment):
        return appointment.patient_name if not appointment.erased_at else "(erased)"

    @admin.display(description="Status", ordering="status")
    def status_badge(self, appointment):
        return format_html('<span class="status status-{}">{}</span>', appointment.status,
                           appointment.get_status_display())

    @admin.display(description="Triage flags")
    def triage_flags(self, appointment):
        flags = []
        if appointment.rls_core_features:
            flags.append(f"RLS {appointment.rls_core_features}/4")
        if "rls" in appointment.reasons:
            flags.append("restless legs")
        other = [Appointment.Reason(key).label.lower() for key in appointment.reasons if key != "rls"
                 and key in Appointment.Reason.values]
        flags.extend(other)
        return ", ".join(flags) or "—"

    # Change page

    @admin.display(description="Triage summary")
    def triage(self, appointment):
        return appointment.triage_summary()

    @admin.display(description="Reasons for the visit")
    def intake_reasons(self, appointment):
        labels = dict(Appointment.Reason.choices)
        return ", ".join(labels.get(key, key) for key in appointment.reasons) or "—"

    @admin.display(description="Risk factors reported")
    def reported_risk_factors(self, appointment):
        return ", ".join(factor.name for factor in appointment.risk_factors.all()) or "None reported"

    @admin.display(description="Audit trail")
    def audit_trail(self, appointment):
        entries = list(audit.entries_for(appointment)[:200])
        if not entries:
            return "No entries yet."
        return format_html(
            "<ul class='audit-trail'>{}</ul>",
            format_html_join(
                "", "<li>{} — {} by {}{}</li>",
                (
                    (
                        timezone.localtime(entry.occurred_at).strftime("%d %b %Y %H:%M"),
                        _describe(entry),
                        _actor(entry),
                        f" from {entry.address}" if entry.address else "",
                    )
                    for entry in entries
                ),
            ),
        )

    @admin.display(description="Change time")
    def move_link(self, appointment):
        if appointment.pk and appointment.is_active:
            url = reverse("admin:appointments_appointment_move", args=[appointment.pk])
            return format_html('<a href="{}">Move to another time</a>', url)
        return "—"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            appointment = self.get_object(request, object_id)
            if appointment is not None and self.has_view_or_change_permission(request, appointment):
                audit.record_access(request, "view", [appointment])
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        # The history page names the patient, so opening it is a view like the change page.
        appointment = self.get_object(request, object_id)
        if appointment is not None and self.has_view_or_change_permission(request, appointment):
            audit.record_access(request, "view", [appointment])
        return super().history_view(request, object_id, extra_context)

    def get_object(self, request, object_id, from_field=None):
        object_id = str(object_id)
        if not (object_id.isascii() and object_id.isdigit()):  # "²".isdigit() is True, int("²") fails
            return None
        return (
            self.model._default_manager.select_related("visit_type", "provider", "location", "source_article")
            .prefetch_related("risk_factors", "source_article__risk_factors")
            .filter(pk=object_id)
            .first()
        )

    def add_view(self, request, form_url="", extra_context=None):
        # Staff add appointments through "Book by phone", which checks the time is free.
        if not self.has_add_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(reverse("admin:appointments_appointment_book"))

    # Permissions used by the actions

    def has_triage_permission(self, request):
        return request.user.has_perm("appointments.triage_appointment")

    def has_attendance_permission(self, request):
        return request.user.has_perm("appointments.record_attendance")

    def has_export_permission(self, request):
        return request.user.has_perm("appointments.export_appointment")

    def has_schedule_permission(self, request):
        return request.user.has_perm("appointments.view_schedule")

    def has_booking_permission(self, request):
        return request.user.has_perm("appointments.add_appointment")

    @admin.action(description="Export selected appointments as CSV", permissions=["export"])
    def export_csv(self, request, queryset):
        rows = (
            queryset.select_related("visit_type", "provider", "location", "source_article")
            .prefetch_related("risk_factors", "source_article__risk_factors")
            .order_by("starts_at")
        )
        audit.record_access(request, "export", rows)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="appointments-{timezone.localdate()}.csv"'
        writer = csv.writer(response)
        writer.writerow([
            "Reference", "Start", "End", "Status", "Visit type", "Provider", "Location", "First name", "Last name",
            "Date of birth", "Email", "Phone", "Preferred contact", "New patient", "Triage summary", "Came from",
        ])
        for a in rows:
            before_phone = [
                a.reference, timezone.localtime(a.starts_at).isoformat(), timezone.localtime(a.ends_at).isoformat(),
                a.get_status_display(), a.visit_type.name, a.provider.name, a.location.name, a.first_name,
                a.last_name, a.date_of_birth or "", a.email,
            ]
            after_phone = [
                a.get_preferred_contact_display(), "yes" if a.is_new_patient else "no", a.triage_summary(),
                a.source_article.title if a.source_article_id else "",
            ]
            # The phone is a validated E.164 number ("+1201…"): text, not a formula, so it stays as it is.
            writer.writerow([*map(_safe_cell, before_phone), str(a.phone), *map(_safe_cell, after_phone)])
        return response

    # Extra admin views: the schedule, phone bookings, moves

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("schedule/", wrap(self.schedule_view), name="appointments_appointment_schedule"),
            path("book/", wrap(self.book_view), name="appointments_appointment_book"),
            path("<int:pk>/move/", wrap(self.move_view), name="appointments_appointment_move"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_book": self.has_booking_permission(request),
            "can_see_schedule": self.has_schedule_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def schedule_view(self, request):
        if not self.has_schedule_permission(request):
            raise PermissionDenied
        day = requested_day(self, request, timezone.localdate())
        span = "week" if request.GET.get("span") == "week" else "day"
        schedule = build_schedule(day, span)
        step = timedelta(days=7 if span == "week" else 1)
        context = {
            **self.admin_site.each_context(request),
            "title": schedule["title"],
            "opts": self.model._meta,
            "schedule": schedule,
            "span": span,
            "day": day,
            "previous": (day - step).isoformat(),
            "next": (day + step).isoformat(),
            "today": timezone.localdate().isoformat(),
        }
        return TemplateResponse(request, "admin/appointments/appointment/schedule.html", context)

    def book_view(self, request):
        if not self.has_booking_permission(request):
            raise PermissionDenied
        pick = SlotPickForm(request.GET or None)
        context = {**self.admin_site.each_context(request), "title": "Book by phone", "opts": self.model._meta,
                   "pick": pick}
        if pick.is_valid():
            visit_type, provider, day = (pick.cleaned_data[k] for k in ("visit_type", "provider", "date"))
            policy = availability.Policy.for_staff()
            slots = availability.find_slots(visit_type, day, 1, provider=provider, policy=policy)
            context["slots"] = slots
            chosen = request.GET.get("slot", "")
            slot = next((s for s in slots if f"{s.provider_id}@{s.start.isoformat()}" == chosen), None)
            if slot:
                provider_obj = Provider.objects.get(pk=slot.provider_id)
                choice = booking.SlotChoice(visit_type, provider_obj, Location.objects.get(pk=slot.location_id),
                                            slot.start)
                form = PhoneBookingForm(request.POST if request.method == "POST" else None)
                context.update(choice=choice, form=form, chosen=chosen)
                if request.method == "POST" and form.is_valid():
                    details = {k: v for k, v in form.cleaned_data.items() if k not in {"risk_factors", "consent"}}
                    details.update(status=Status.CONFIRMED, consent_version="phone",
                                   consented_at=timezone.now())
                    try:
                        appointment = booking.request_appointment(
                            choice, details, form.cleaned_data["risk_factors"],
                            policy=availability.Policy.for_staff(),
                        )
                    except booking.SlotTaken:
                        self.message_user(request, "That time was just taken. Choose another.", messages.ERROR)
                    else:
                        self.message_user(request, f"Booked {appointment.reference} for "
                                          f"{appointment.patient_name}.", messages.SUCCESS)
                        return HttpResponseRedirect(
                            reverse("admin:appointments_appointment_change", args=[appointment.pk])
                        )
        return TemplateResponse(request, "admin/appointments/appointment/book.html", context)

    def move_view(self, request, pk):
        appointment = get_object_or_404(Appointment.objects.select_related("visit_type", "provider"), pk=pk)
        if not self.has_change_permission(request, appointment):
            raise PermissionDenied
        if request.method == "GET":
            audit.record_access(request, "view", [appointment])
        day = requested_day(self, request, timezone.localdate(appointment.starts_at))
        policy = availability.Policy.for_staff()
        slots = availability.find_slots(appointment.visit_type, day, 1, policy=policy, ignore=appointment.pk)
        if request.method == "POST":
            chosen = request.POST.get("slot", "")
            slot = next((s for s in slots if f"{s.provider_id}@{s.start.isoformat()}" == chosen), None)
            if slot is None:
                self.message_user(request, "Choose one of the free times listed.", messages.ERROR)
            else:
                choice = booking.SlotChoice(appointment.visit_type, Provider.objects.get(pk=slot.provider_id),
                                            Location.objects.get(pk=slot.location_id), slot.start)
                try:
                    booking.reschedule(appointment, choice, policy=policy, keep_status=True)
                except (booking.SlotTaken, booking.InvalidTransition) as error:
                    message = str(error) or "That time was just taken. Choose another."
                    self.message_user(request, message, messages.ERROR)
                else:
                    self.message_user(request, f"Moved {appointment.reference}.", messages.SUCCESS)
                    return HttpResponseRedirect(reverse("admin:appointments_appointment_change", args=[pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Move {appointment.reference}",
            "opts": self.model._meta,
            "appointment": appointment,
            "slots": slots,
            "day": day,
            "previous": (day - timedelta(days=1)).isoformat(),
            "next": (day + timedelta(days=1)).isoformat(),
        }
        return TemplateResponse(request, "admin/appointments/appointment/move.html", context)


def _describe(entry):
    """One audit entry in words: the action, the fields it touched, status and time moves."""
    text = entry.get_action_display()
    if entry.changed_fields:
        text += ": " + ", ".join(field.replace("_", " ") for field in entry.changed_fields)
    status = entry.changes.get("status")
    if status:
        labels = dict(Appointment.Status.choices)
        old, new = (labels.get(status.get(key), status.get(key) or "—") for key in ("from", "to"))
        text += f" (status {old} → {new})"
    return text


def _actor(entry):
    """Who did it: a staff member, a patient creating their request online, or the system (commands, shell)."""
    if entry.username:
        return entry.username
    if entry.action == entry.Action.CREATE and entry.user_id is None:
        return "the patient online"
    return "system"


def _safe_cell(value):
    """Stop spreadsheet formula injection from patient-typed text."""
    text = str(value)
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text

