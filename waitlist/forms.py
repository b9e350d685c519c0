from django import forms

from appointments.models import Appointment, WorkingHours
from waitlist.models import WaitlistEntry


class WaitlistForm(forms.Form):
    """"Tell me if an earlier time opens": the window that suits the patient, the specialist, the channel."""

    window = forms.ChoiceField(
        label="When could you come instead?",
        choices=[("any", "Any time before my visit"), ("chosen", "Only on the days or times I choose")],
        widget=forms.RadioSelect, initial="any",
    )  # fmt: skip
    weekdays = forms.TypedMultipleChoiceField(
        label="Days", required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
        choices=[(day, name[:3]) for day, name in WorkingHours.Weekday.choices if day < 5],
    )  # fmt: skip
    part_of_day = forms.ChoiceField(
        label="Time of day", widget=forms.RadioSelect, initial=WaitlistEntry.PartOfDay.ANY,
        choices=[("any", "Any"), ("morning", "Mornings"), ("afternoon", "Afternoons")],
    )  # fmt: skip
    specialist = forms.ChoiceField(label="With", initial="any")
    channel = forms.ChoiceField(
        label="Tell me by", choices=WaitlistEntry.Channel.choices, widget=forms.RadioSelect,
        initial=WaitlistEntry.Channel.EMAIL,
    )  # fmt: skip

    def __init__(self, *args, appointment: Appointment, **kwargs):
        super().__init__(*args, **kwargs)
        self.appointment = appointment
        self.fields["specialist"].choices = [("any", "Any specialist"), ("own", f"Only {appointment.provider}")]

    @classmethod
    def for_entry(cls, entry: WaitlistEntry | None, appointment: Appointment) -> "WaitlistForm":
        if entry is None:
            return cls(appointment=appointment)
        chosen = bool(entry.weekdays) or entry.part_of_day != WaitlistEntry.PartOfDay.ANY
        return cls(appointment=appointment, initial={
            "window": "chosen" if chosen else "any", "weekdays": entry.weekdays, "part_of_day": entry.part_of_day,
            "specialist": "own" if entry.specialist_id else "any", "channel": entry.channel,
        })  # fmt: skip

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("window") == "any":
            cleaned["weekdays"], cleaned["part_of_day"] = [], WaitlistEntry.PartOfDay.ANY
        elif not cleaned.get("weekdays") and cleaned.get("part_of_day") == WaitlistEntry.PartOfDay.ANY:
            self.add_error("weekdays", "Choose at least one day, or mornings or afternoons.")
        return cleaned

    def choices(self) -> dict:
        """The form's answers as `offers.join` takes them."""
        data = self.cleaned_data
        return {
            "specialist": self.appointment.provider if data["specialist"] == "own" else None,
            "weekdays": data["weekdays"], "part_of_day": data["part_of_day"], "channel": data["channel"],
        }  # fmt: skip
