"""The audit trail in the admin: read-only for everyone, superusers included; the database refuses edits too."""

from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import formats, timezone

from audit.models import AuditEntry
from core.numbers import whole_number_or_none

REFERENCE_PREFIX = "TVS-"


class StaffMemberFilter(admin.SimpleListFilter):
    """Entries by one staff member; the choices come from the (small) staff list, not the audit table."""

    title = "staff member"
    parameter_name = "username"

    def lookups(self, request, model_admin):
        usernames = get_user_model().objects.filter(is_staff=True).order_by("username").values_list(
            "username", flat=True
        )
        return [(username, username) for username in usernames]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        # A NUL byte cannot be in a username, and PostgreSQL refuses it in a query.
        if "\x00" in self.value():
            return queryset.none()
        return queryset.filter(username=self.value())


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only for everyone, superusers included; the database refuses edits as well."""

    list_display = ["occurred", "action", "actor", "appointment_id", "subject", "where", "address", "fields_changed"]
    list_filter = ["action", StaffMemberFilter]
    search_fields = ["=appointment_id", "=username"]
    search_help_text = "Appointment number or reference (TVS-…), or exact username."
    readonly_fields = [
        "occurred", "action", "appointment_id", "subject", "where", "user_id", "username", "address", "changed_fields",
        "changes",
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
            # The audit app sits below appointments: it looks the model up instead of importing it.
            appointments = apps.get_model("appointments", "Appointment")
            ids = appointments.objects.filter(reference__iexact=term).values("pk")
            return queryset.filter(appointment_id__in=ids), False
        if not term:
            return queryset, False
        if (number := whole_number_or_none(term)) is not None:
            return queryset.filter(Q(appointment_id=number) | Q(username=term)), False
        return queryset.filter(username=term), False

    @admin.display(description="When", ordering="occurred_at")
    def occurred(self, entry):
        # The clinic's time and the staff pages' one format; seconds, as an audit may need them.
        return formats.date_format(timezone.localtime(entry.occurred_at), "D M j, Y, g:i:s A")

    @admin.display(description="User", ordering="username")
    def actor(self, entry):
        return entry.actor

    @admin.display(description="Fields changed")
    def fields_changed(self, entry):
        return ", ".join(entry.changed_fields)
