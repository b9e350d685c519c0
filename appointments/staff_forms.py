"""Forms for staff working in the admin: booking a patient who calls."""

from datetime import timedelta

from django import forms
from django.utils import timezone

from appointments.forms import AppointmentRequestForm
from appointments.models import Appointment, Provider, VisitType

# Staff browse and book within this distance of today; further dates are typos (and overflow date arithmetic).
DATE_WINDOW = timedelta(days=3 * 366)


def within_window(day) -> bool:
    return abs(day - timezone.localdate()) <= DATE_WINDOW


class SlotPickForm(forms.Form):
    visit_type = forms.ModelChoiceField(queryset=VisitType.objects.all(), label="Visit type")
    provider = forms.ModelChoiceField(
        queryset=Provider.objects.filter(active=True), required=False, empty_label="Any specialist", label="Specialist"
    )
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate)

    def clean_date(self):
        day = self.cleaned_data["date"]
        if not within_window(day):
            raise forms.ValidationError("Choose a date within three years of today.")
        return day


class PhoneBookingForm(AppointmentRequestForm):
    """The patient form without the online-only parts: staff ask the safety questions aloud."""

    consent = forms.BooleanField(
        label="The patient agreed to the privacy notice on the phone.",
        error_messages={"required": "Read the privacy notice to the patient and tick this box."},
    )
    # The online form splits the date of birth into three boxes and no longer asks whether the patient
    # is new (it is looked up), their insurer or how to reach them (asked when the visit is confirmed);
    # staff keep them all.
    date_of_birth = forms.DateField(label="Date of birth", widget=forms.DateInput(attrs={"type": "date"}))
    is_new_patient = forms.TypedChoiceField(
        choices=[("true", "New to the clinic"), ("false", "I have been here before")],
        coerce=lambda value: value == "true",
        widget=forms.RadioSelect,
        label="Have you visited us before?",
    )
    # Staff may note restless-legs answers whatever reason they tick.
    rls_answers_need_rls_reason = False

    class Meta(AppointmentRequestForm.Meta):
        fields = [*AppointmentRequestForm.Meta.fields, "preferred_contact", "is_new_patient", "insurance_carrier"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in (*self.URGENT_FIELDS, "website", "submission_token"):
            del self.fields[name]
        self.fields["reasons"].required = False
        # Staff type for the patient: messages speak about the patient, not to them.
        for name, message in STAFF_REQUIRED_MESSAGES.items():
            self.fields[name].error_messages["required"] = message
        self.fields["date_of_birth"].error_messages["invalid"] = "Enter the patient's date of birth as a date."
        self.fields["notify_by"].label = "Updates about this visit by"
        # What staff read aloud, stored word for word as the patient's consent.
        self.fields["text_consent"].label = "Read to the patient, who agreed: " + self.fields["text_consent"].label


STAFF_REQUIRED_MESSAGES = {
    "first_name": "Enter the patient's first name.",
    "last_name": "Enter the patient's last name.",
    "date_of_birth": "Enter the patient's date of birth.",
    "email": "Enter the patient's email address.",
    "phone": "Enter a phone number the patient can be reached on.",
    "is_new_patient": "Say whether the patient has visited before.",
}


class PatientFindForm(forms.Form):
    find = forms.CharField(
        label="Returning patient", min_length=2, max_length=100,
        help_text="Last name, date of birth (MM/DD/YYYY) or phone number.",
        error_messages={"min_length": "Type at least two letters or digits.",
                        "required": "Type a name, a date of birth or a phone number."},
    )

    def patients(self):
        return list(Appointment.objects.returning_patients(self.cleaned_data["find"])) if self.is_valid() else []


# What a returning patient's last visit gives the phone booking form; the intake is asked afresh.
PREFILLED = ["first_name", "last_name", "date_of_birth", "guardian_name", "email", "phone", "preferred_contact",
             "insurance_carrier"]


def details_of(appointment: Appointment) -> dict:
    """The phone booking form's initial values for a patient who has been here before."""
    return {**{name: getattr(appointment, name) for name in PREFILLED}, "is_new_patient": "false"}


def red_flag_questions() -> list[str]:
    """The safety questions the website asks, for staff to read to a caller in the same words."""
    return [AppointmentRequestForm.base_fields[name].label for name in AppointmentRequestForm.URGENT_FIELDS]


class InsightsPeriodForm(forms.Form):
    """The days the clinic manager's figures cover; at most a year, so the page stays quick."""

    first = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}),
                            error_messages={"invalid": "Enter a date as YYYY-MM-DD."})
    last = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}),
                           error_messages={"invalid": "Enter a date as YYYY-MM-DD."})

    LONGEST = timedelta(days=366)

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first"), cleaned.get("last")
        if first and last:
            if last < first:
                self.add_error("last", "The last day comes before the first.")
            elif last - first > self.LONGEST:
                self.add_error("last", "Choose at most a year.")
            elif not (within_window(first) and within_window(last)):
                self.add_error("first", "Choose dates within three years of today.")
        return cleaned
