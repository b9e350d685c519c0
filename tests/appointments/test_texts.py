"""What each text says: one SMS segment, the facts a patient needs, nothing about their health.

Pure (no database): appointments/texts.py composes every text from plain values.
"""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from appointments import texts
from appointments.models import Message

ZONE = ZoneInfo("America/New_York")
# The longest a day and time can print ("Wed, Sep 30, 12:45 PM"), a realistic site address, a long link.
LONGEST = texts.TextFacts(
    clinic="Truffles Vein Specialists", phone="(555) 010-2030", starts=datetime(2026, 9, 30, 12, 45, tzinfo=ZONE),
    reference="TVS-ABC234", link="https://truffles-veins.example/v/abcdefghij", confirmed=False,
)  # fmt: skip
NOT_TEXTED_HERE = {Message.Kind.CLINIC_NOTICE, Message.Kind.EMAIL_CODE}  # the clinic's notice; the code is email only
PATIENT_KINDS = [kind for kind in Message.Kind.values if kind not in NOT_TEXTED_HERE]


@pytest.mark.parametrize("kind", PATIENT_KINDS)
@pytest.mark.parametrize("first", [True, False], ids=["first text", "later text"])
def test_every_notification_fits_one_sms_segment(kind, first):
    text = texts.compose(kind, LONGEST, first=first)
    assert texts.gsm7_length(text) is not None, f"{kind} needs UCS-2: {text!r}"
    assert texts.gsm7_length(text) <= 160, f"{kind} is {texts.gsm7_length(text)} characters: {text}"
    print(f"\n{kind} ({'first' if first else 'later'}): {texts.gsm7_length(text)} characters: {text}")


@pytest.mark.parametrize("kind", PATIENT_KINDS)
def test_every_notification_names_clinic_time_reference_and_a_way_back(kind):
    text = texts.compose(kind, LONGEST)
    assert text.startswith("Truffles Vein Specialists")
    assert "Wed, Sep 30, 12:45 PM" in text
    assert "TVS-ABC234" in text
    assert LONGEST.link in text or "(555) 010-2030" in text


def test_the_first_text_to_a_number_says_how_to_stop_and_later_ones_need_not():
    assert texts.compose(Message.Kind.CONFIRMED, LONGEST, first=True).endswith("Reply STOP to end")
    assert "STOP" not in texts.compose(Message.Kind.CONFIRMED, LONGEST)


def test_the_reminder_asks_for_c_or_r():
    text = texts.compose(Message.Kind.REMINDER, LONGEST)
    assert "Reply C to confirm, R to change, or call (555) 010-2030." in text


def test_a_visit_booked_by_phone_gets_the_clinics_number_instead_of_a_link():
    facts = texts.TextFacts(clinic="Truffles Vein Specialists", phone="(555) 010-2030", starts=LONGEST.starts,
                            reference="TVS-ABC234")  # fmt: skip
    assert texts.compose(Message.Kind.CONFIRMED, facts).endswith("is confirmed. Call (555) 010-2030.")


@pytest.mark.parametrize("name", list(texts.ANSWERS))
def test_every_answer_to_a_patients_text_fits_one_segment(name):
    text = texts.answer(name, LONGEST)
    assert texts.fits_one_segment(text), text
    print(f"\nanswer {name}: {texts.gsm7_length(text)} characters: {text}")


def test_an_unknown_number_gets_the_clinics_phone_and_nothing_else():
    assert texts.answer("unknown_number", clinic="Truffles Vein Specialists", phone="(555) 010-2030") == (
        "Please call (555) 010-2030."
    )


def test_gsm7_counts_the_extension_table_twice_and_refuses_what_needs_ucs2():
    assert texts.gsm7_length("a{b}") == 6
    assert texts.gsm7_length("it’s") is None  # a curly apostrophe would cut a segment to 70 characters
    assert not texts.fits_one_segment("x" * 161)


@pytest.mark.parametrize(
    ("clock", "waits_until"),
    [
        (time(20, 59), None),
        (time(21, 0), datetime(2026, 12, 8, 8, 0)),
        (time(23, 30), datetime(2026, 12, 8, 8, 0)),
        (time(0, 10), datetime(2026, 12, 7, 8, 0)),
        (time(7, 59), datetime(2026, 12, 7, 8, 0)),
        (time(8, 0), None),
        (time(12, 0), None),
    ],
)
def test_nothing_is_texted_between_nine_at_night_and_eight_in_the_morning(clock, waits_until):
    moment = datetime(2026, 12, 7, clock.hour, clock.minute, tzinfo=ZONE)
    expected = waits_until.replace(tzinfo=ZONE) if waits_until else None
    assert texts.quiet_until(moment, time(21), time(8)) == expected
