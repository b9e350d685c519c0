"""The front desk's workplace in the Django admin: appointments and the schedule's configuration.

Configuration only; the pages that are not a model's list or form live in admin_views.py.
"""

from datetime import timedelta
from functools import update_wrapper

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from appointments import admin_views, booking, messages
from appointments.exports import write_csv
from appointments.models import Appointment, Closure, Location, Message, Provider, VisitType, WorkingHours
from appointments.paginators import AppointmentPaginator
from audit.models import AuditEntry
from audit.trail import record_access


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
        now, today = timezone.now(), timezone.localdate()
        when = {
            None: queryset.front_desk_default,
            "today": lambda: queryset.on_local_days(today),
            "week": lambda: queryset.on_local_days(today - timedelta(days=today.weekday()), 7),
            "upcoming": lambda: queryset.filter(starts_at__gte=now),
            "past": lambda: queryset.filter(starts_at__lt=now),
        }
        return when.get(self.value(), lambda: queryset)()


class NeedsTriageFilter(admin.SimpleListFilter):
    title = "triage"
    parameter_name = "triage"

    def lookups(self, request, model_admin):
        return [("needed", "Needs triage")]

    def queryset(self, request, queryset):
        if self.value() == "needed":
            return queryset.awaiting_triage()
        return queryset


def _status_action(status, permission, verb, reason_required=False, reason_help=""):
    """An admin action that asks for a reason on an intermediate page, then takes the booking step."""
    step = booking.STATUS_STEPS[status]

    @admin.action(description=f"{verb} selected appointments", permissions=[permission])
    def action(modeladmin, request, queryset):
        return admin_views.status_change(modeladmin, request, queryset, step, verb, reason_required, reason_help)

    action.__name__ = f"mark_{status}"
    return action


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    view_on_site = False  # the patient's page opens only with the patient's link
    list_display = [
        "when", "patient", "visit_type", "provider", "status_badge", "triage_flags", "source_article", "created_at",
    ]
    list_display_links = ["when", "patient"]
    list_filter = [NeedsTriageFilter, "status", WhenFilter, "provider", "visit_type", "location"]
    list_select_related = ["visit_type", "provider", "source_article"]
    search_fields = Appointment.SEARCH_FIELDS
    search_help_text = "Search by reference, name, email or phone."
    show_full_result_count = False
    paginator = AppointmentPaginator
    list_per_page = 50

    class Media:
        css = {"all": ["css/staff.css"]}

    actions = [
        _status_action(Appointment.Status.CONFIRMED, "triage", "Confirm"),
        _status_action(Appointment.Status.DECLINED, "triage", "Decline", reason_required=True,
                       reason_help="The patient sees this reason on their confirmation page."),
        _status_action(Appointment.Status.CANCELLED, "triage", "Cancel"),
        _status_action(Appointment.Status.COMPLETED, "attendance", "Mark completed"),
        _status_action(Appointment.Status.NO_SHOW, "attendance", "Mark no-show"),
        "export_csv",
    ]
    readonly_fields = [
        "reference", "status", "status_reason", "visit_type", "provider", "location", "starts_at", "ends_at",
        "triage", "intake_reasons", "rls_urge_to_move", "rls_worse_at_rest", "rls_relieved_by_movement",
        "rls_worse_evening", "reported_risk_factors", "notes", "source_article", "consent_version", "consented_at",
        "created_at", "updated_at", "audit_trail", "move_link", "patient_messages",
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
        ("Emails about this appointment", {"fields": ["patient_messages"]}),
        ("History", {"fields": ["created_at", "updated_at", "audit_trail"]}),
    ]

    def get_queryset(self, request):
        return self.model._default_manager.with_triage_rank().order_by(*self.get_ordering(request))

    def get_ordering(self, request):
        if request.GET.get(WhenFilter.parameter_name) in {"all", "past"}:
            # History views: newest first straight from the starts_at index, no sort of the whole table.
            return ["-starts_at", "-pk"]
        return Appointment.TRIAGE_ORDER

    def get_search_results(self, request, queryset, search_term):
        return queryset.search(search_term), False

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
        flags = [f"RLS {appointment.rls_core_features}/4"] if appointment.rls_core_features else []
        flags.extend(label.lower() for label in appointment.reason_labels)
        return ", ".join(flags) or "—"

    @admin.display(description="Triage summary")
    def triage(self, appointment):
        return appointment.triage_summary()

    @admin.display(description="Reasons for the visit")
    def intake_reasons(self, appointment):
        return ", ".join(appointment.reason_labels) or "—"

    @admin.display(description="Risk factors reported")
    def reported_risk_factors(self, appointment):
        return ", ".join(factor.name for factor in appointment.risk_factors.all()) or "None reported"

    @admin.display(description="Audit trail")
    def audit_trail(self, appointment):
        entries = AuditEntry.objects.for_appointment(appointment)[:200]
        return render_to_string("admin/appointments/appointment/audit_trail.html",
                                {"entries": entries, "status_labels": dict(Appointment.Status.choices)})

    @admin.display(description="Sent and queued")
    def patient_messages(self, appointment):
        return render_to_string("admin/appointments/appointment/messages.html",
                                {"messages": appointment.messages.order_by("created_at", "pk")})

    @admin.display(description="Change time")
    def move_link(self, appointment):
        if appointment.pk and appointment.is_active:
            url = reverse("admin:appointments_appointment_move", args=[appointment.pk])
            return format_html('<a href="{}">Move to another time</a>', url)
        return "—"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "GET":
            self._record_view(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        # The history page names the patient, so opening it is a view like the change page.
        self._record_view(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def _record_view(self, request, object_id):
        appointment = self.get_object(request, object_id)
        if appointment is not None and self.has_view_or_change_permission(request, appointment):
            record_access(request, "view", [appointment])

    def get_object(self, request, object_id, from_field=None):
        object_id = str(object_id)
        if not (object_id.isascii() and object_id.isdigit()):  # "²".isdigit() is True, int("²") fails
            return None
        return self.model._default_manager.with_details().filter(pk=object_id).first()

    def add_view(self, request, form_url="", extra_context=None):
        # Staff add appointments through "Book by phone", which checks the time is free.
        if not self.has_add_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(reverse("admin:appointments_appointment_book"))

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
        rows = queryset.with_details().order_by("starts_at")
        record_access(request, "export", rows)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="appointments-{timezone.localdate()}.csv"'
        write_csv(rows, response)
        return response

    # The pages in admin_views.py: the schedule, phone bookings, moves.
    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("schedule/", wrap(self._view(admin_views.schedule)), name="appointments_appointment_schedule"),
            path("book/", wrap(self._view(admin_views.book_by_phone)), name="appointments_appointment_book"),
            path("<int:pk>/move/", wrap(self._view(admin_views.move)), name="appointments_appointment_move"),
            *super().get_urls(),
        ]

    def _view(self, view):
        return update_wrapper(lambda request, *args, **kwargs: view(self, request, *args, **kwargs), view)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_book": self.has_booking_permission(request),
            "can_see_schedule": self.has_schedule_permission(request),
        }
        return super().changelist_view(request, extra_context)


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """What the clinic sent or owes, for "I never got it" and for failures (filter: Failed)."""

    list_display = ["created_at", "appointment", "kind", "state", "attempts", "send_after", "sent_at", "last_error"]
    list_filter = ["state", "kind"]
    list_select_related = ["appointment"]
    search_fields = ["appointment__reference"]
    search_help_text = "Search by reference."
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Message._meta.fields]

    @admin.action(description="Send the selected failed messages again", permissions=["change"])
    def send_again(self, request, queryset):
        count = messages.send_again(queryset)
        self.message_user(request, f"{count} message(s) queued again.")
