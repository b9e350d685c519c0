"""The waitlist in the staff admin: who waits (since when, for which window), the freed times and the offers made.

Staff put a caller on the list from the appointment's page (templatetags/waitlist_admin.py: "Put on the
waitlist" opens the add form here with the appointment filled in); saving goes through `offers.join`.
"""

from django import forms
from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from appointments.models import Appointment, WorkingHours
from audit.trail import record_access
from waitlist import offers, openings
from waitlist.models import Offer, Opening, WaitlistEntry


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%a %b %-d, %Y, %-I:%M %p") if moment else "—"


class WaitlistEntryForm(forms.ModelForm):
    weekdays = forms.TypedMultipleChoiceField(
        required=False, coerce=int, widget=forms.CheckboxSelectMultiple, choices=WorkingHours.Weekday.choices,
        help_text="None ticked: any weekday.",
    )  # fmt: skip

    class Meta:
        model = WaitlistEntry
        fields = ["appointment", "specialist", "weekdays", "part_of_day", "channel"]

    def clean_appointment(self):
        appointment = self.cleaned_data["appointment"]
        if not appointment.is_active or appointment.starts_at <= timezone.now():
            raise forms.ValidationError("Only an upcoming requested or confirmed visit can wait for an earlier time.")
        return appointment

    def clean(self):
        if not openings.is_enabled():
            raise forms.ValidationError("The waitlist is turned off (TRUFFLES_WAITLIST_ENABLED).")
        return super().clean()


class OfferInline(admin.TabularInline):
    model = Offer
    fields = ["created_at", "starts_at", "opening", "state", "expires_at", "answered_at", "outcome"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = "Offers sent"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(admin.ModelAdmin):
    form = WaitlistEntryForm
    list_display = ["joined_at", "appointment", "patient", "visit", "current_time", "window_label", "specialist",
                    "state", "offers_sent", "unanswered_offers"]  # fmt: skip
    list_display_links = ["joined_at", "appointment"]
    list_filter = ["state", "channel", "specialist"]
    list_select_related = ["appointment__visit_type", "specialist"]
    raw_id_fields = ["appointment"]
    search_fields = ["appointment__reference"]
    search_help_text = "Search by reference."
    readonly_fields = ["state", "joined_at", "left_at", "unanswered_offers", "added_by"]
    actions = ["take_off_the_list"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "appointment"] if obj else self.readonly_fields

    def get_inlines(self, request, obj):
        return [OfferInline] if obj else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "appointment":  # the appointments admin orders by annotations this query lacks
            kwargs["queryset"] = Appointment.objects.order_by("pk")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="Patient")
    def patient(self, entry):
        return entry.appointment.patient_name if not entry.appointment.erased_at else "(erased)"

    @admin.display(description="Visit")
    def visit(self, entry):
        return entry.appointment.visit_type.name

    @admin.display(description="Booked for", ordering="appointment__starts_at")
    def current_time(self, entry):
        return _when(entry.appointment.starts_at)

    @admin.display(description="Offers")
    def offers_sent(self, entry):
        return entry.offers.count()

    def get_changeform_initial_data(self, request):
        return {"appointment": request.GET.get("appointment")} if request.GET.get("appointment") else {}

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        result = offers.join(
            data.get("appointment") or obj.appointment, specialist=data["specialist"], weekdays=data["weekdays"],
            part_of_day=data["part_of_day"], channel=data["channel"], added_by=request.user.get_username(),
        )  # fmt: skip
        if isinstance(result, str):  # the form's checks make this rare: the visit passed while the form was open
            self.message_user(request, result, level="error")
            return
        obj.pk = result.pk

    def save_related(self, request, form, formsets, change):
        pass  # offers are read-only here; the entry itself was saved by offers.join

    def response_add(self, request, obj, post_url_continue=None):
        return self._back_to_appointment(request, obj) or super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        return self._back_to_appointment(request, obj) or super().response_change(request, obj)

    def _back_to_appointment(self, request, obj):
        if "_continue" in request.POST or "_addanother" in request.POST:
            return None
        self.message_user(request, "The patient is on the waitlist.")
        return HttpResponseRedirect(reverse("admin:appointments_appointment_change", args=[obj.appointment_id]))

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:  # the list names patients: a view of each listed appointment
            record_access(request, "view", [entry.appointment_id for entry in changelist.result_list])
        return response

    @admin.action(description="Take the selected patients off the waitlist", permissions=["change"])
    def take_off_the_list(self, request, queryset):
        for entry in queryset:
            offers.leave(entry)
        self.message_user(request, f"{queryset.count()} patient(s) taken off the waitlist.")


@admin.register(Opening)
class OpeningAdmin(admin.ModelAdmin):
    """Every time freed while someone waited, and whether the waitlist filled it."""

    list_display = ["created_at", "cause", "provider", "starts_at", "ends_at", "state", "outcome"]
    list_filter = ["state", "cause", "provider"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Opening._meta.fields]


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    """The offers sent and what became of each."""

    list_display = ["created_at", "reference", "starts_at", "specialist", "state", "expires_at", "answered_at",
                    "outcome"]  # fmt: skip
    list_filter = ["state", "opening__cause"]
    list_select_related = ["entry__appointment", "opening__provider"]
    search_fields = ["entry__appointment__reference"]
    search_help_text = "Search by reference."
    date_hierarchy = "created_at"

    @admin.display(description="Appointment")
    def reference(self, offer):
        url = reverse("admin:appointments_appointment_change", args=[offer.entry.appointment_id])
        return format_html('<a href="{}">{}</a>', url, offer.entry.appointment.reference)

    @admin.display(description="Specialist")
    def specialist(self, offer):
        return offer.opening.provider.name

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Offer._meta.fields]
