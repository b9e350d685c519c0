from datetime import date

from django import forms
from django.conf import settings
from django.utils import timezone

from appointments.models import Appointment, Provider, VisitType
from articles.models import RiskFactor
from core.days import age_on

YES_NO = [("no", "No"), ("yes", "Yes")]
# What a patient agrees to when they tick the text box (TCPA); stored word for word with its version.
TEXT_CONSENT_WORDING = (
    "I agree to get texts about this visit from {clinic} at this number (about 3 to 6). "
    "Message and data rates may apply. Reply STOP to end, HELP for help. Not needed to book."
)
# Visit types for restless legs: their form opens with "Restless legs" ticked and its questions shown.
RLS_VISIT_TYPES = {"rls-consultation"}


class DateOfBirthWidget(forms.MultiWidget):
    """Month, day and year as three labelled boxes (the US order; GOV.UK and USWDS use this pattern)."""

    def __init__(self, attrs=None):
        box = {"inputmode": "numeric", "class": "form-control"}
        super().__init__(
            {
                "month": forms.TextInput({**box, "autocomplete": "bday-month", "maxlength": 2, "size": 2}),
                "day": forms.TextInput({**box, "autocomplete": "bday-day", "maxlength": 2, "size": 2}),
                "year": forms.TextInput({**box, "autocomplete": "bday-year", "maxlength": 4, "size": 4}),
            },
            attrs,
        )

    def decompress(self, value):
        return [value.month, value.day, value.year] if value else [None, None, None]


class DateOfBirthField(forms.MultiValueField):
    """A date from three boxes, with a message that says which part is missing or wrong."""

    widget = DateOfBirthWidget

    def __init__(self, **kwargs):
        parts = [forms.CharField(required=False) for _ in range(3)]
        super().__init__(parts, require_all_fields=False, **kwargs)

    def compress(self, values):
        month, day, year = ((value or "").strip() for value in (values or ["", "", ""]))
        if not (month or day or year):
            return None
        missing = [name for name, value in (("month", month), ("day", day), ("year", year)) if not value]
        if missing:
            raise forms.ValidationError(f"Date of birth must include a {' and a '.join(missing)}.")
        if not (month + day + year).isdigit():
            raise forms.ValidationError("Enter your date of birth in numbers, for example 4 23 1971.")
        if len(year) != 4:
            raise forms.ValidationError("Enter the year of birth with 4 digits, for example 1971.")
        try:
            return date(int(year), int(month), int(day))
        except ValueError:
            raise forms.ValidationError("Date of birth must be a real date, for example 4 23 1971.") from None


class SlotSearchForm(forms.Form):
    """Step 1: what kind of visit, with whom (optional), which week."""

    visit_type = forms.ModelChoiceField(
        # With the schedule version: the week's free times are kept under it (availability.cached_slots).
        queryset=VisitType.objects.with_schedule_version().filter(bookable_online=True),
        to_field_name="slug",
        empty_label=None,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        label="Type of visit",
        error_messages={"invalid_choice": "Choose one of the visit types listed."},
    )
    provider = forms.ModelChoiceField(
        queryset=Provider.objects.filter(active=True),
        required=False,
        empty_label="Any specialist (earliest times)",
        label="Specialist",
        error_messages={"invalid_choice": "Choose one of the specialists listed."},
    )
    week = forms.DateField(required=False, widget=forms.HiddenInput)
    source = forms.SlugField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the specialists who offer the chosen visit type.
        slug = self.data.get("visit_type", "")
        visit_type = VisitType.objects.filter(slug=slug).first() if isinstance(slug, str) and slug.isascii() else None
        if visit_type is not None:
            self.fields["provider"].queryset = Provider.objects.offering(visit_type)


class AppointmentRequestForm(forms.ModelForm):
    """Step 2: who the patient is and what bothers them. Nothing is saved unless all is valid."""

    reasons = forms.MultipleChoiceField(
        choices=Appointment.Reason.choices,
        widget=forms.CheckboxSelectMultiple,
        label="What would you like us to look at?",
        error_messages={"required": "Choose at least one reason for your visit."},
    )
    risk_factors = forms.ModelMultipleChoiceField(
        queryset=RiskFactor.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Do any of these apply to you?",
    )
    date_of_birth = DateOfBirthField(
        label="Date of birth", error_messages={"required": "Enter your date of birth."}
    )
    urgent_one_leg = forms.ChoiceField(
        choices=YES_NO,
        widget=forms.RadioSelect,
        label="Sudden swelling, pain, warmth or redness in one leg?",
        error_messages={"required": "Answer the safety question about swelling, pain or redness in one leg."},
    )
    urgent_breathing = forms.ChoiceField(
        choices=YES_NO,
        widget=forms.RadioSelect,
        label="Sudden shortness of breath or chest pain?",
        error_messages={"required": "Answer the safety question about shortness of breath or chest pain."},
    )
    urgent_bleeding = forms.ChoiceField(
        choices=YES_NO,
        widget=forms.RadioSelect,
        label="A vein that is bleeding and does not stop when you press on it?",
        error_messages={"required": "Answer the safety question about a bleeding vein."},
    )
    urgent_cord = forms.ChoiceField(
        choices=YES_NO,
        widget=forms.RadioSelect,
        label="A new hot, red, painful cord along a vein?",
        error_messages={"required": "Answer the safety question about a hot, red, painful vein."},
    )
    notify_by = forms.ChoiceField(
        choices=[("email", "Email"), ("text", "Text"), ("both", "Both")],
        initial=Appointment.NotifyBy.EMAIL,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        label="Updates by",
        required=False,  # none chosen: email, as before texts existed
    )
    text_consent = forms.BooleanField(required=False, label=TEXT_CONSENT_WORDING)
    consent = forms.BooleanField(
        label="I agree that the clinic keeps these details to arrange my visit.",
        error_messages={"required": "We can only accept your request once you agree to the privacy notice."},
    )
    # Honeypot: hidden from people, tempting to bots. Filled in means not a person.
    website = forms.CharField(required=False, label="Leave this field empty")
    submission_token = forms.UUIDField(widget=forms.HiddenInput)

    class Meta:
        model = Appointment
        fields = [
            "first_name", "last_name", "date_of_birth", "guardian_name", "email", "phone",
            "reasons",
            "rls_urge_to_move", "rls_worse_at_rest", "rls_relieved_by_movement", "rls_worse_evening",
            "takes_dopamine_medicine", "known_sleep_apnea", "recent_blood_loss",
            "risk_factors", "notes",
        ]
        labels = {
            "first_name": "First name",
            "last_name": "Last name",
            "date_of_birth": "Date of birth",
            "guardian_name": "Parent or guardian's full name",
            "email": "Email",
            "phone": "Phone number",
            "preferred_contact": "How should we contact you?",
            "insurance_carrier": "Insurance carrier (optional)",
            "rls_urge_to_move": "An urge to move my legs, often with odd feelings in them",
            "rls_worse_at_rest": "It begins or gets worse when I sit or lie still",
            "rls_relieved_by_movement": "Walking or stretching eases it",
            "rls_worse_evening": "It is worse in the evening or at night",
            "takes_dopamine_medicine": "I take pramipexole, ropinirole, rotigotine or levodopa",
            "known_sleep_apnea": "I have been told I have sleep apnea",
            "recent_blood_loss": "I have recently lost or given blood",
            "notes": "Anything else we should know? (optional)",
        }
        help_texts = {
            "guardian_name": "Needed when the patient is under 18.",
        }
        widgets = {
            "preferred_contact": forms.RadioSelect,
            "notes": forms.Textarea(attrs={"rows": 2, "maxlength": 1000}),
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }
        error_messages = {
            "first_name": {"required": "Enter your first name."},
            "last_name": {"required": "Enter your last name."},
            "email": {
                "required": "Enter your email address.",
                "invalid": "Enter an email address like name@example.com.",
            },
            "phone": {
                "required": "Enter a phone number we can reach you on.",
                "invalid": "Enter a valid phone number, for example (201) 555-0123.",
            },
            "notes": {"max_length": "Keep your note under 1,000 characters (it has %(show_value)d)."},
        }

    rls_answers_need_rls_reason = True
    # Page order, so the error summary lists problems as the patient meets them.
    field_order = [
        "urgent_one_leg", "urgent_breathing", "urgent_bleeding", "urgent_cord", "first_name",
        "last_name", "date_of_birth", "guardian_name",
        "email", "phone", "notify_by", "text_consent", "reasons",
    ]  # fmt: skip
    RLS_FIELDS = ["rls_urge_to_move", "rls_worse_at_rest", "rls_relieved_by_movement", "rls_worse_evening",
                  "takes_dopamine_medicine", "known_sleep_apnea", "recent_blood_loss"]
    # Any "yes" stops the request with the urgent-care page, and nothing is stored.
    URGENT_FIELDS = ["urgent_one_leg", "urgent_breathing", "urgent_bleeding", "urgent_cord"]
    # The questions above finish this sentence, on the page and in the staff's phone script.
    URGENT_LEAD_IN = "Right now, do you have any of these?"

    def __init__(self, *args, visit_type=None, **kwargs):
        if visit_type is not None and visit_type.slug in RLS_VISIT_TYPES:
            kwargs.setdefault("initial", {}).setdefault("reasons", [Appointment.Reason.RLS])
        super().__init__(*args, **kwargs)
        # Optional in the database only so the retention job can erase it.
        self.fields["date_of_birth"].required = True
        self.fields["risk_factors"].label_from_instance = lambda factor: factor.patient_label
        self.fields["phone"].widget.attrs["autocomplete"] = "tel"
        self.fields["text_consent"].label = TEXT_CONSENT_WORDING.format(clinic=settings.TRUFFLES_CLINIC["name"])
        self.fields["website"].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})

    def answers(self) -> dict:
        """What the patient told us, as the booking steps take it (risk factors and consent to texts included)."""
        answers = {name: self.cleaned_data[name] for name in self.Meta.fields}
        answers["notify_by"] = self.cleaned_data["notify_by"] or Appointment.NotifyBy.EMAIL
        if self.cleaned_data["text_consent"] and answers["notify_by"] != Appointment.NotifyBy.EMAIL:
            answers.update(
                text_consent_wording=self.fields["text_consent"].label,
                text_consent_version=settings.TRUFFLES_TEXTS["CONSENT_VERSION"],
                text_consented_at=timezone.now(),
            )
        return answers

    @property
    def asks_about_rls(self) -> bool:
        """The restless-legs questions are shown when "Restless legs" is one of the reasons."""
        reasons = self.data.getlist("reasons") if self.is_bound else self.initial.get("reasons", [])
        return Appointment.Reason.RLS in reasons

    @property
    def asks_for_text_consent(self) -> bool:
        """The consent box for texts shows once texts are chosen (the script shows it as the patient chooses)."""
        return self.is_bound and self.data.get("notify_by") in (Appointment.NotifyBy.TEXT, Appointment.NotifyBy.BOTH)

    @property
    def needs_guardian(self) -> bool:
        """The guardian's name is asked only once it is needed (or was given)."""
        return "guardian_name" in self.errors or bool(self.data.get("guardian_name"))

    def error_links(self):
        """Each problem, in page order, with the id of the control to put the cursor in."""
        links = []
        for field in self:
            for message in field.errors:
                widget = field.field.widget
                if isinstance(widget, forms.MultiWidget):
                    target = f"{field.auto_id}_{next(iter(widget.widgets_names)).lstrip('_')}"
                elif isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
                    target = f"{field.auto_id}_0"
                else:
                    target = field.auto_id
                links.append((message, target))
        return links

    @property
    def has_urgent_signs(self) -> bool:
        return "yes" in [self.data.get(name) for name in self.URGENT_FIELDS]

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website", "").strip())

    def clean_first_name(self):
        return self.cleaned_data["first_name"].strip()

    def clean_last_name(self):
        return self.cleaned_data["last_name"].strip()

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if born > today:
            raise forms.ValidationError("Your date of birth cannot be in the future.")
        if born < date(today.year - 120, 1, 1):
            raise forms.ValidationError("Check the year of your date of birth.")
        return born

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        if self.rls_answers_need_rls_reason and Appointment.Reason.RLS not in cleaned.get("reasons", []):
            # Answers typed before "Restless legs" was unticked are not the patient's last word.
            cleaned.update(dict.fromkeys(self.RLS_FIELDS, False), risk_factors=[])
        if cleaned.get("notify_by") in (Appointment.NotifyBy.TEXT, Appointment.NotifyBy.BOTH) and not cleaned.get(
            "text_consent"
        ):
            self.add_error("text_consent", "To get texts, tick this box to agree to them, or choose email only.")
        born = cleaned.get("date_of_birth")
        if born and age_on(born, timezone.localdate()) < 18 and not cleaned.get("guardian_name", "").strip():
            self.add_error("guardian_name", "Patients under 18 need a parent or guardian: enter their full name.")
        return cleaned


class EmailCodeForm(forms.Form):
    """The 6-digit code from the email; pasted with spaces or a dash, it still counts."""

    code = forms.CharField(
        label="Code from the email",
        max_length=20,
        error_messages={"required": "Enter the 6-digit code from the email."},
        # The template writes the input out (autocomplete="one-time-code", inputmode="numeric").
        widget=forms.TextInput({"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_code(self):
        digits = "".join(ch for ch in self.cleaned_data["code"] if ch.isascii() and ch.isdigit())
        if len(digits) != 6:
            raise forms.ValidationError("The code has 6 digits, like 123456. Check the latest email from us.")
        return digits
