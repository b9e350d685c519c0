"""Who is offered a freed time, in which order, and when nobody is: the rules of waitlist/offers.py.

The worker's tasks run in this process (`run_queued_tasks`, django-tasks-db's own code); emails land in
the test outbox. tests/waitlist/test_claims.py races real connections; tests/e2e/test_waitlist.py runs it all.
"""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from appointments import booking
from appointments.models import Appointment, Closure, Message, WorkingHours
from tests.appointments.fixtures import local
from tests.appointments.mail_fixtures import run_queued_tasks
from tests.waitlist.fixtures import offers_to
from waitlist import offers
from waitlist.models import Offer, Opening, WaitlistEntry, window_fits

pytestmark = pytest.mark.django_db
ZONE = ZoneInfo("America/New_York")


def test_the_window_rule_reads_as_the_patient_chose_it():
    tuesday_morning = datetime(2026, 12, 8, 9, 30, tzinfo=ZONE)
    tuesday_afternoon = datetime(2026, 12, 8, 14, 0, tzinfo=ZONE)
    assert window_fits([], "any", tuesday_morning)
    assert window_fits([1, 3], "any", tuesday_afternoon)
    assert not window_fits([0, 2], "any", tuesday_morning)
    assert window_fits([], "morning", tuesday_morning)
    assert not window_fits([], "morning", tuesday_afternoon)
    assert window_fits([1], "afternoon", tuesday_afternoon)
    assert not window_fits([1], "afternoon", tuesday_morning)


def test_a_cancelled_time_is_offered_first_to_who_joined_first(
    waiting_patient, visit_to_cancel, mailoutbox, booking_day
):
    first = waiting_patient("Ada", weeks=2)
    second = waiting_patient("Bea", weeks=1)  # an earlier visit, but joined later
    booking.cancel(visit_to_cancel, "The patient is unwell.")
    run_queued_tasks()
    (offer,) = offers_to(first)
    assert offers_to(second) == []
    assert offer.starts_at == local(booking_day, 9)
    assert offer.state == Offer.State.OPEN
    (email,) = [m for m in mailoutbox if m.to == ["ada@example.com"]]
    assert email.subject == "Truffles Vein Specialists: An earlier time has opened"
    body = email.body
    assert f"http://127.0.0.1:8000{offer.get_absolute_url()}" in body or offer.get_absolute_url() in body
    assert "9:00 AM" in body
    assert "Dr. Elena Marsh" in body
    for private in ["1968", "Acme", "Throbbing", "varicose", "2015550199"]:
        assert private not in body
        assert private not in email.subject


def test_an_offer_that_lapses_passes_the_time_to_the_next_in_line(
    waiting_patient, visit_to_cancel, waitlist_settings, mailoutbox
):
    first, second = waiting_patient("Ada", weeks=2), waiting_patient("Bea", weeks=3)
    booking.cancel(visit_to_cancel)
    run_queued_tasks()
    Offer.objects.filter(entry=first).update(expires_at=timezone.now() - timedelta(seconds=1))
    offers.offer_opening(Opening.objects.get().pk)
    assert [offer.state for offer in offers_to(first)] == [Offer.State.EXPIRED]
    assert [offer.state for offer in offers_to(second)] == [Offer.State.OPEN]
    first.refresh_from_db()
    assert first.unanswered_offers == 1
    assert first.state == WaitlistEntry.State.WAITING


def test_no_offer_for_a_time_inside_the_minimum_notice(
    waiting_patient, make_appointment, waitlist_settings, mailoutbox
):
    entry = waiting_patient("Ada", weeks=2)
    soon = timezone.localtime() + timedelta(hours=3)
    tomorrow_ish = make_appointment(start=soon.replace(minute=0, second=0, microsecond=0),
                                    status=Appointment.Status.CONFIRMED, email="other@example.com")  # fmt: skip
    booking.cancel(tomorrow_ish)
    run_queued_tasks()
    assert offers_to(entry) == []
    assert not any(m.to == ["ada@example.com"] for m in mailoutbox)
    assert all(opening.state == Opening.State.UNFILLED for opening in Opening.objects.all())


def test_no_offer_to_who_left_the_list_or_wants_other_days(waiting_patient, visit_to_cancel):
    left = waiting_patient("Ada", weeks=2)
    offers.leave(left)
    wrong_day = waiting_patient("Bea", weeks=2, hour=10, weekdays=[2, 3])  # the freed time is a Monday
    afternoons = waiting_patient("Cy", weeks=2, hour=11, part_of_day="afternoon")
    other_specialist = waiting_patient("Di", weeks=2, provider="okafor", specialist=None)
    booking.cancel(visit_to_cancel)
    run_queued_tasks()
    assert offers_to(left) == []
    assert offers_to(wrong_day) == []
    assert offers_to(afternoons) == []
    assert len(offers_to(other_specialist)) == 1  # "any specialist": Dr. Marsh's time fits Di too


def test_no_offer_of_a_later_time_than_the_patients_own(waiting_patient, make_appointment, booking_day):
    entry = waiting_patient("Ada", weeks=1)
    later = make_appointment(day=booking_day + timedelta(weeks=2), hour=10, status=Appointment.Status.CONFIRMED,
                             email="other@example.com")  # fmt: skip
    booking.cancel(later)
    run_queued_tasks()
    assert offers_to(entry) == []


def test_offers_stop_after_the_set_number_of_unanswered_ones(
    waiting_patient, make_appointment, booking_day, waitlist_settings
):
    waitlist_settings.TRUFFLES_WAITLIST = {**waitlist_settings.TRUFFLES_WAITLIST, "MAX_UNANSWERED": 2}
    entry = waiting_patient("Ada", weeks=3)
    for hour in (9, 11, 14):
        visit = make_appointment(day=booking_day, hour=hour, status=Appointment.Status.CONFIRMED,
                                 email="other@example.com")  # fmt: skip
        booking.cancel(visit)
        run_queued_tasks()
        Offer.objects.filter(state=Offer.State.OPEN).update(expires_at=timezone.now() - timedelta(seconds=1))
        for opening in Opening.objects.filter(state=Opening.State.OFFERING):
            offers.offer_opening(opening.pk)
    entry.refresh_from_db()
    assert len(offers_to(entry)) == 2
    assert entry.state == WaitlistEntry.State.STOPPED


def test_the_waitlist_setting_turns_it_all_off(waiting_patient, visit_to_cancel, waitlist_settings):
    entry = waiting_patient("Ada", weeks=2)
    waitlist_settings.TRUFFLES_WAITLIST = {**waitlist_settings.TRUFFLES_WAITLIST, "ENABLED": False}
    booking.cancel(visit_to_cancel)
    run_queued_tasks()
    assert offers_to(entry) == []
    assert not Opening.objects.exists()
    assert offers.join(entry.appointment, specialist=None, weekdays=[], part_of_day="any") == (
        "The clinic is not keeping a waitlist at the moment."
    )


def test_new_working_hours_and_a_removed_closure_are_offered(waiting_patient, clinic, booking_day):
    saturday_patient = waiting_patient("Ada", weeks=3, weekdays=[5])
    WorkingHours.objects.create(provider=clinic["marsh"], location=clinic["location"], weekday=5,
                                starts_at=time(9), ends_at=time(12))  # fmt: skip
    run_queued_tasks()
    (offer,) = offers_to(saturday_patient)
    assert timezone.localtime(offer.starts_at).weekday() == 5
    assert timezone.localtime(offer.starts_at).hour == 9
    assert offer.opening.cause == Opening.Cause.NEW_HOURS

    tuesday = booking_day + timedelta(days=1)
    closure = Closure.objects.create(provider=clinic["marsh"], starts_at=local(tuesday, 0),
                                     ends_at=local(tuesday + timedelta(days=1), 0), reason="Training")  # fmt: skip
    tuesday_patient = waiting_patient("Bea", weeks=3, hour=11, weekdays=[1])
    closure.delete()
    run_queued_tasks()
    (offer,) = offers_to(tuesday_patient)
    assert offer.opening.cause == Opening.Cause.CLOSURE_REMOVED
    assert offer.starts_at == local(tuesday, 9)


def test_an_offer_email_is_not_sent_once_the_patient_left(waiting_patient, visit_to_cancel, mailoutbox):
    entry = waiting_patient("Ada", weeks=2)
    booking.cancel(visit_to_cancel)
    offers.offer_opening(Opening.objects.get().pk)  # the offer is made; its email still waits in the queue
    offers.leave(entry)
    run_queued_tasks()
    message = Message.objects.get(kind=Message.Kind.WAITLIST_OFFER)
    assert message.state == Message.State.SKIPPED
    assert not any(m.to == ["ada@example.com"] for m in mailoutbox)


def test_offers_wait_for_the_morning_at_night(waiting_patient, visit_to_cancel, waitlist_settings):
    waitlist_settings.TRUFFLES_WAITLIST = {**waitlist_settings.TRUFFLES_WAITLIST, "OFFER_HOURS": (8, 21)}
    evening = datetime(2026, 12, 8, 22, 30, tzinfo=ZONE)
    assert offers.next_offer_hour(evening.replace(hour=9)) is None
    assert offers.next_offer_hour(evening) == datetime(2026, 12, 9, 8, 0, tzinfo=ZONE)
    assert offers.next_offer_hour(evening.replace(hour=6)) == datetime(2026, 12, 8, 8, 0, tzinfo=ZONE)

    entry = waiting_patient("Ada", weeks=2)
    waitlist_settings.TRUFFLES_WAITLIST = {**waitlist_settings.TRUFFLES_WAITLIST, "OFFER_HOURS": (0, 0)}
    booking.cancel(visit_to_cancel)
    run_queued_tasks()
    assert offers_to(entry) == []
    assert Opening.objects.get().state == Opening.State.OFFERING  # offered in the morning, not dropped


def test_new_working_hours_cost_one_question_when_nobody_waits(clinic, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):  # the row, the schedule version's trigger, "anyone waiting?"
        WorkingHours.objects.create(provider=clinic["marsh"], location=clinic["location"], weekday=5,
                                    starts_at=time(9), ends_at=time(12))  # fmt: skip

    assert not Opening.objects.exists()
