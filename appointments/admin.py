from django.contrib import admin

from appointments.models import Appointment, Closure, Location, Provider, VisitType, WorkingHours


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "email"]


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
    filter_horizontal = ["visit_types"]
    inlines = [WorkingHoursInline]


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ["reason", "provider", "starts_at", "ends_at"]
    list_filter = ["provider"]
    date_hierarchy = "starts_at"


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    list_display = ["starts_at", "reference", "patient_name", "visit_type", "provider", "status", "created_at"]
    list_filter = ["status", "visit_type", "provider", "location"]
    list_select_related = ["visit_type", "provider"]
    search_fields = ["reference", "last_name", "email"]
    date_hierarchy = "starts_at"
    readonly_fields = ["reference", "triage", "created_at", "updated_at", "consent_version", "consented_at"]

    @admin.display(description="Triage summary")
    def triage(self, appointment):
        return appointment.triage_summary()
