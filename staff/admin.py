from datetime import UTC

from django.contrib import admin
from django.db.models import Q
from django.utils import timezone

from staff.models import AuditEntry

REFERENCE_PREFIX = "TVS-"


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only for everyone, superusers included; the database refuses edits as well."""

    list_display = ["time_utc", "action", "username_or_website", "appointment_id", "address", "fields_changed"]
    list_filter = ["action", "username"]
    search_fields = ["=appointment_id", "=username"]
    search_help_text = "Appointment number or reference (TVS-…), or exact username."
    readonly_fields = [
        "time_utc", "action", "appointment_id", "user_id", "username", "address", "changed_fields", "changes"
    ]
    fields = readonly_fields
    show_full_result_count = False
    list_per_page = 100

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term.upper().startswith(REFERENCE_PREFIX):
            from appointments.models import Appointment

            ids = Appointment.objects.filter(reference__iexact=term).values("pk")
            return queryset.filter(appointment_id__in=ids), False
        if term and not term.isdigit():
            return queryset.filter(username=term), False
        if term:
            return queryset.filter(Q(appointment_id=int(term)) | Q(username=term)), False
        return queryset, False

    @admin.display(description="Time (UTC)", ordering="occurred_at")
    def time_utc(self, entry):
        return timezone.localtime(entry.occurred_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")

    @admin.display(description="User", ordering="username")
    def username_or_website(self, entry):
        return entry.username or "website (patient)"

    @admin.display(description="Fields changed")
    def fields_changed(self, entry):
        return ", ".join(entry.changed_fields)
