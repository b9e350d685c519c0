"""The front desk's workplace in the Django admin: appointments and the schedule's configuration.

Configuration only; the pages that are not a model's list or form are AppointmentAdmin methods mixed in
from admin_views.py, admin_calendar.py and admin_insights.py, routed in `AppointmentAdmin.get_urls`.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html

from appointments import notifications
from appointments.admin_calendar import CalendarPages
from appointments.admin_filters import NeedsTriageFilter, StatusFilter, WhenFilter
from appointments.admin_insights import InsightsPage
from appointments.admin_views import STATUS_STEPS, AppointmentPages
from appointments.exports import write_csv
from appointments.models import (
    Appointment,
    Closure,
    Location,
    Message,
    Provider,
    TextReply,
    VisitType,
    WorkingHours,
)
from appointments.paginators import AppointmentPaginator
from audit.models import AuditEntry
from audit.trail import record_access, record_listing
from core.numbers import OverlongNumber, TooLong, whole_number


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


def _date_then_time(moment):
    """The one staff format ("Mon Dec 7, 2026, 9:30 AM"), breaking only between the date and the time."""
    local = timezone.localtime(moment)
    return format_html('<span class="nowrap">{},</span> <span class="nowrap">{}</span>',
                       formats.date_format(local, "DATE_FORMAT"), formats.time_format(local, "TIME_FORMAT"))


def _status_action(step):
    """A list action that asks for a reason on an intermediate page, then takes the booking step."""

    @admin.action(description=f"{step.verb} selected appointments", permissions=[step.permission])
    def action(modeladmin, request, queryset):
        return modeladmin.status_change_page(request, queryset, step)

    action.__name__ = f"mark_{step.status}"
    return action


@admin.register(Appointment)
class AppointmentAdmin(CalendarPages, AppointmentPages, InsightsPage, admin.ModelAdmin):
    view_on_site = False  # the patient's page opens only with the patient's link
    # Status and triage first: at 1280 px every column fits without scrolling sideways.
    list_display = ["when", "status_badge", "patient", "triage_flags", "visit_type", "provider", "received"]
    list_display_links = ["when", "patient"]
    list_filter = [NeedsTriageFilter, StatusFilter, WhenFilter, "provider", "visit_type", "location"]
    list_select_related = ["visit_type", "provider", "source_article"]
    search_fields = Appointment.SEARCH_FIELDS
    search_help_text = "Search by reference, name, email or phone."
    show_full_result_count = False
    paginator = AppointmentPaginator
    list_per_page = 50

    class Media:
        css = {"all": ["css/staff.css"]}

    actions = [*(_status_action(step) for step in STATUS_STEPS.values()), "export_csv", "erase_details"]
    readonly_fields = [
        "reference", "status", "status_reason", "visit_type", "provider", "location", "starts_at", "ends_at",
        "age", "triage", "intake_reasons", "rls_urge_to_move", "rls_worse_at_rest", "rls_relieved_by_movement",
        "rls_worse_evening", "takes_dopamine_medicine", "known_sleep_apnea", "recent_blood_loss",
        "reported_risk_factors", "notes", "source_article", "consent_version", "consented_at",
        "created_at", "updated_at", "audit_trail", "move_link", "patient_messages", "arrived_at",
        "patient_confirmed_at", "text_consent", "patient_replies",
    ]
    fieldsets = [
        ("Appointment", {"fields": ["reference", "status", "status_reason", "visit_type", "provider", "location",
                                    "starts_at", "ends_at", "arrived_at", "move_link", "patient_confirmed_at"]}),
        ("Patient", {"fields": ["first_name", "last_name", ("date_of_birth", "age"), "guardian_name", "email", "phone",
                                "preferred_contact", "notify_by", "text_consent", "is_new_patient",
                                "insurance_carrier"]}),
        ("Intake (as the patient sent it)", {"fields": ["triage", "intake_reasons", "rls_urge_to_move",
                                                        "rls_worse_at_rest", "rls_relieved_by_movement",
                                                        "rls_worse_evening", "takes_dopamine_medicine",
                                                        "known_sleep_apnea", "recent_blood_loss",
                                                        "reported_risk_factors", "notes",
                                                        "source_article", "consent_version", "consented_at"]}),
        ("Emails and texts about this appointment", {"fields": ["patient_messages", "patient_replies"]}),
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
        return _date_then_time(appointment.starts_at)

    @admin.display(description="Received", ordering="created_at")
    def received(self, appointment):
        return _date_then_time(appointment.created_at)

    @admin.display(description="Patient", ordering="last_name")
    def patient(self, appointment):
        return appointment.patient_name if not appointment.erased_at else "(erased)"

    @admin.display(description="Status", ordering="status")
    def status_badge(self, appointment):
        coming = format_html(' <span class="patient-confirmed">{}</span>', "patient said C") if (
            appointment.patient_confirmed_at and appointment.is_active) else ""
        return format_html('<span class="status status-{}">{}</span>{}', appointment.status,
                           appointment.get_status_display(), coming)

    @admin.display(description="Triage")
    def triage_flags(self, appointment):
        flags = [f"RLS {appointment.rls_core_features}/4"] if appointment.rls_core_features else []
        flags.extend(label for label in appointment.short_reasons if not (flags and label == "RLS"))
        came_from = appointment.source_article.title if appointment.source_article_id else ""
        return format_html("{}{}", ", ".join(flags) or "—",
                           format_html('<span class="came-from">read: {}</span>', came_from) if came_from else "")

    @admin.display(description="Age")
    def age(self, appointment):
        return f"{appointment.age} years old" if appointment.age is not None else "—"

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
                                {"entries": entries, "status_labels": dict(Appointment.Status.choices),
                                 "field_labels": Appointment.field_labels()})

    @admin.display(description="Sent and queued")
    def patient_messages(self, appointment):
        return render_to_string("admin/appointments/appointment/messages.html",
                                {"messages": appointment.messages.order_by("created_at", "pk")})

    @admin.display(description="Texts from the patient")
    def patient_replies(self, appointment):
        return render_to_string("admin/appointments/appointment/replies.html",
                                {"replies": appointment.text_replies.order_by("received_at", "pk")})

    @admin.display(description="Consent to texts")
    def text_consent(self, appointment):
        if not appointment.text_consented_at:
            return "None given"
        when = formats.date_format(timezone.localtime(appointment.text_consented_at), "DATETIME_FORMAT")
        return f"Version {appointment.text_consent_version}, {when}: “{appointment.text_consent_wording}”"

    @admin.display(description="Change time")
    def move_link(self, appointment):
        if appointment.pk and appointment.is_active:
            url = reverse("admin:appointments_appointment_move", args=[appointment.pk])
            return format_html('<a href="{}">Move to another time</a>', url)
        return "—"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        appointment = self.get_object(request, object_id)
        if appointment is not None and self.has_view_or_change_permission(request, appointment):
            if request.method == "GET":
                record_access(request, "view", [appointment])
            extra_context = {**(extra_context or {}), **self.change_page_context(request, appointment)}
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
        try:
            pk = whole_number(str(object_id))  # "²".isdigit() is True, int("²") fails; whole_number refuses both
        except TooLong:
            raise OverlongNumber("appointment number") from None
        except ValueError:
            return None
        return self.model._default_manager.with_details().filter(pk=pk).first()

    def add_view(self, request, form_url="", extra_context=None):
        # Staff add appointments through "Book by phone", which checks the time is free.
        if not self.has_add_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(reverse("admin:appointments_appointment_book"))

    def has_triage_permission(self, request):
        return request.user.has_perm("appointments.triage_appointment")

    def has_attendance_permission(self, request):
        return request.user.has_perm("appointments.record_attendance")

    def has_delete_permission(self, request, obj=None):
        # Never deleted, not even by a superuser: "Erase patient details" keeps the row and its trail.
        return False

    def has_erase_permission(self, request):
        return request.user.has_perm("appointments.delete_appointment")

    @admin.action(description="Erase patient details of selected appointments", permissions=["erase"])
    def erase_details(self, request, queryset):
        return self.erasure_page(request, queryset)

    def has_export_permission(self, request):
        return request.user.has_perm("appointments.export_appointment")

    def has_schedule_permission(self, request):
        return request.user.has_perm("appointments.view_schedule")

    def has_booking_permission(self, request):
        return request.user.has_perm("appointments.add_appointment")

    def has_insights_permission(self, request):
        return request.user.has_perm("appointments.view_insights")

    @admin.action(description="Export selected appointments as CSV", permissions=["export"])
    def export_csv(self, request, queryset):
        rows = queryset.with_details().order_by("starts_at")
        record_access(request, "export", rows)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="appointments-{timezone.localdate()}.csv"'
        write_csv(rows, response)
        return response

    def get_urls(self):
        """The front desk's and the manager's pages, each a method wrapped like the admin's own views."""
        wrap = self.admin_site.admin_view
        return [
            path("calendar/", wrap(self.calendar_view), name="appointments_appointment_calendar"),
            path("calendar/check-in/", wrap(self.check_in_view), name="appointments_appointment_check_in"),
            path("schedule/", wrap(self.schedule_view), name="appointments_appointment_schedule"),
            path("book/", wrap(self.book_by_phone_view), name="appointments_appointment_book"),
            path("<int:pk>/move/", wrap(self.move_view), name="appointments_appointment_move"),
            path("<int:pk>/status/<str:status>/", wrap(self.status_view), name="appointments_appointment_status"),
            path("insights/", wrap(self.insights_view), name="appointments_appointment_insights"),
            path("awaiting-triage.json", wrap(self.awaiting_triage_view),
                 name="appointments_appointment_awaiting_triage"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_book": self.has_booking_permission(request),
            "can_see_schedule": self.has_schedule_permission(request),
            "is_nav_sidebar_enabled": False,  # the list gets the full width of a 1280 px screen
        }
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if request.method == "GET" and changelist is not None:
            # Each row shows a name and triage flags: the trail keeps which rows, one INSERT per page.
            record_listing(request, "appointment list", changelist.result_list)
        return response


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """What the clinic sent or owes, for "I never got it" and for failures (filter: Failed)."""

    list_display = ["created_at", "appointment", "kind", "channel", "state", "attempts", "send_after", "sent_at",
                    "delivery", "last_error"]
    list_filter = ["state", "channel", "kind"]
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
        count = notifications.send_again(queryset)
        self.message_user(request, f"{count} message(s) queued again.")


@admin.register(TextReply)
class TextReplyAdmin(admin.ModelAdmin):
    """Texts patients sent: what the keywords did, and the words no keyword matched, for the front desk."""

    list_display = ["received_at", "appointment", "meaning", "body", "needs_attention"]
    list_filter = ["needs_attention", "meaning"]
    list_editable = ["needs_attention"]
    list_select_related = ["appointment"]
    search_fields = ["appointment__reference"]
    search_help_text = "Search by reference."
    fields = ["received_at", "appointment", "meaning", "body", "needs_attention"]
    readonly_fields = ["received_at", "appointment", "meaning", "body"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
