from datetime import date

from django.core.management import call_command

from appointments import availability
from appointments.management.commands.load_demo_schedule import thanksgiving
from appointments.models import Closure, Provider, VisitType, WorkingHours


def test_demo_schedule_loads_once_however_often_it_runs(db):
    call_command("load_demo_schedule", verbosity=0)
    counts = (Provider.objects.count(), WorkingHours.objects.count(), Closure.objects.count())
    call_command("load_demo_schedule", verbosity=0)
    assert (Provider.objects.count(), WorkingHours.objects.count(), Closure.objects.count()) == counts
    assert counts[0] == 2
    assert Closure.objects.filter(reason__startswith="Christmas Day").exists()


def test_demo_schedule_offers_times_in_the_coming_weeks(db):
    call_command("load_demo_schedule", verbosity=0)
    vein = VisitType.objects.get(slug="vein-evaluation")
    slots = availability.find_slots(vein, date.today(), 21)
    assert len({slot.provider_id for slot in slots}) == 2
    assert all(slot.start.hour != 12 for slot in slots)


def test_thanksgiving_is_the_fourth_thursday_of_november():
    assert thanksgiving(2026) == date(2026, 11, 26)
    assert thanksgiving(2027) == date(2027, 11, 25)


def test_public_holidays_close_the_clinic_once(db):
    call_command("add_holidays", "--year", "2027", verbosity=0)
    call_command("add_holidays", "--year", "2027", verbosity=0)
    july_fourth = Closure.objects.filter(reason="Public holiday: Independence Day")
    assert july_fourth.count() == 1
    assert july_fourth.get().provider is None
    assert Closure.objects.count() >= 10


def test_the_demo_and_the_holiday_command_close_a_day_once_between_them(db):
    call_command("add_holidays", "--year", str(date.today().year + 1), verbosity=0)
    call_command("load_demo_schedule", verbosity=0)

    new_years_day = Closure.objects.filter(provider=None, starts_at__date=date(date.today().year + 1, 1, 1))
    assert new_years_day.count() == 1
