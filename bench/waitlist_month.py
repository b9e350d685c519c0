"""A month of a two-specialist clinic, simulated through the real booking code, with and without the
waitlist and text reminders: how many freed times are refilled, and how fast.

Run: `.venv/bin/python bench/waitlist_month.py [--days 28] [--seed 7]`. Each scenario gets a fresh
database (`<name>_waitlist_<n>`); the clock is simulated (django.utils.timezone.now is replaced), the
worker's tasks run in this process in time order (django-tasks-db's own Worker), and every booking,
cancellation, offer and claim goes through appointments/booking.py and waitlist/offers.py.

Assumptions (say so when quoting the figures):
- Clinic: two specialists, weekdays 9:00-12:30 and 13:30-17:00, one visit type (45 min + 15 min buffer),
  booked about 85 % full three weeks ahead when the month starts; 24 h minimum notice (the default).
- Demand: 11 new patients a day (about the clinic's capacity of ~12 visits a day); 60 % take the earliest
  free time, the others one of the next 40 free times.
- No-shows: 18 % without text reminders. Dantas et al., Health Policy 2018;122(4):412-21 (105 studies):
  23 % on average across specialties, 13 % in the lowest region; we take a little less than the average
  because patients already get email reminders.
- Text reminders 48 h ahead cut no-shows by 23 % (RR 0.77; Tang, SMS reminders meta-analysis, 12 RCTs;
  Cochrane CD007458.pub3 found attendance RR 1.14). Half of the patients the reminder saves cancel on
  it (reply R) instead of attending; that frees their time 48 h ahead.
- Cancellations ahead of time: 10 % of visits, exponentially distributed lead, mean 4 days (our
  assumption; no source fits a vein clinic).
- Waitlist: 30 % of patients booked more than 7 days out join; half of them "any time", a quarter
  mornings only, a quarter two chosen weekdays. An offered patient takes it with probability 0.5,
  after a delay with mean 25 min counted from 8 am if the offer came at night; offers hold 30 min.
"""

import argparse
import heapq
import itertools
import random
import statistics
import sys
from collections import Counter
from datetime import datetime, time, timedelta
from time import perf_counter
from zoneinfo import ZoneInfo

from common import setup_django, use_bench_database

setup_django()

import django.utils.timezone as django_timezone  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402

ZONE = ZoneInfo(settings.TIME_ZONE)
ARRIVALS_PER_DAY = 11
EARLIEST_SHARE = 0.6
NO_SHOW = 0.18
TEXT_REMINDER_RR = 0.77
REMINDER_HOURS = 48
CANCEL_AHEAD = 0.10
CANCEL_LEAD_MEAN_HOURS = 96
JOIN_SHARE = 0.30
TAKE_OFFER = 0.5
ANSWER_MEAN_MINUTES = 25
SCENARIOS = [
    ("neither", False, False),
    ("text reminders", False, True),
    ("waitlist", True, False),
    ("waitlist + text reminders", True, True),
]


class Clock:
    """The simulated "now" every timezone.now() call sees."""

    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now


class Month:
    """One scenario: events in time order, the worker's tasks run when due, figures kept as they happen."""

    def __init__(self, clock, seed, waitlist, texts, days):
        self.clock, self.waitlist, self.texts = clock, waitlist, texts
        self.start, self.end = clock.now, clock.now + timedelta(days=days)
        self.arrivals, self.fates, self.answers = (random.Random(seed + n) for n in range(3))
        self.events, self.order = [], itertools.count()
        self.freed = []  # [provider id, start, busy_until, freed at, refilled at]
        self.counts = Counter()
        self.answered = set()
        self._setup_clinic()

    def _setup_clinic(self):
        from appointments.models import Location, Provider, VisitType, WorkingHours

        self.location = Location.objects.create(name="Harbor Street", address="120 Harbor Street",
                                                phone="(555) 010-2030", email="care@example.com")  # fmt: skip
        self.visit = VisitType.objects.create(name="Vein evaluation", slug="vein-evaluation",
                                              duration=timedelta(minutes=45),
                                              buffer_after=timedelta(minutes=15))  # fmt: skip
        for name in ("Dr. Marsh", "Dr. Okafor"):
            provider = Provider.objects.create(name=name)
            provider.visit_types.set([self.visit])
            for weekday in range(5):
                for start, end in ((time(9), time(12, 30)), (time(13, 30), time(17))):
                    WorkingHours.objects.create(provider=provider, location=self.location, weekday=weekday,
                                                starts_at=start, ends_at=end)  # fmt: skip

    def at(self, when, kind, payload=None):
        heapq.heappush(self.events, (when, next(self.order), kind, payload))

    def run(self):
        self._fill_ahead()
        self.at(self.start + self._gap(), "arrival")
        while self.events and self.events[0][0] < self.end:
            when, _, kind, payload = heapq.heappop(self.events)
            self._run_tasks_until(when)
            self.clock.now = max(self.clock.now, when)
            getattr(self, f"_on_{kind}")(payload)
            self._run_tasks_until(self.clock.now)
        return self._figures()

    def _fill_ahead(self):
        from appointments import availability

        policy = availability.Policy.for_patients()
        for slot in availability.find_slots(self.visit, django_timezone.localdate(), 21, policy=policy):
            if self.arrivals.random() < 0.85:
                self._book(slot)

    def _gap(self):
        return timedelta(days=self.arrivals.expovariate(ARRIVALS_PER_DAY))

    def _on_arrival(self, _):
        from appointments import availability

        self.at(self.clock.now + self._gap(), "arrival")
        slots = availability.find_slots(self.visit, django_timezone.localdate(), 28)
        if not slots:
            self.counts["patients turned away"] += 1
            return
        self._book(slots[0] if self.arrivals.random() < EARLIEST_SHARE else self.arrivals.choice(slots[:40]))

    def _book(self, slot):
        from appointments import booking
        from appointments.models import Provider

        n = next(self.order)
        choice = booking.SlotChoice(self.visit, Provider.objects.get(pk=slot.provider_id), self.location, slot.start)
        outcome = booking.book_by_phone(choice, {
            "first_name": "Pat", "last_name": f"Ient{n}", "email": f"patient{n}@example.com", "phone": "+12015550123",
        })  # fmt: skip
        if outcome.ok:
            self.counts["booked"] += 1
            self._refilled(outcome.appointment)
            self._decide_fate(outcome.appointment)

    def _decide_fate(self, appointment):
        roll, lead = self.fates.random(), timedelta(hours=self.fates.expovariate(1 / CANCEL_LEAD_MEAN_HOURS))
        saved, cancels_on_reminder = self.fates.random() < 1 - TEXT_REMINDER_RR, self.fates.random() < 0.5
        if roll < CANCEL_AHEAD:
            self.at(max(appointment.starts_at - lead, self.clock.now + timedelta(hours=1)), "cancel", appointment.pk)
        elif roll < CANCEL_AHEAD + NO_SHOW:
            if self.texts and saved and cancels_on_reminder:
                reminded = appointment.starts_at - timedelta(hours=REMINDER_HOURS)
                self.at(max(reminded, self.clock.now + timedelta(hours=1)), "cancel", appointment.pk)
            elif not (self.texts and saved):
                self.at(appointment.starts_at, "no_show", appointment.pk)
        far_ahead = appointment.starts_at - self.clock.now > timedelta(days=7)
        if self.waitlist and far_ahead and self.fates.random() < JOIN_SHARE:
            self._join(appointment)

    def _join(self, appointment):
        from waitlist import offers

        roll = self.fates.random()
        weekdays = sorted(self.fates.sample(range(5), 2)) if roll > 0.75 else []
        part_of_day = "morning" if 0.5 < roll <= 0.75 else "any"
        offers.join(appointment, specialist=None, weekdays=weekdays, part_of_day=part_of_day)
        self.counts["joined the waitlist"] += 1

    def _on_cancel(self, pk):
        from appointments import booking
        from appointments.models import Appointment

        appointment = Appointment.objects.get(pk=pk)
        if appointment.can_be_cancelled_by_patient():
            self._freed(appointment)
            booking.cancel_by_patient(appointment)
            self.counts["cancelled"] += 1

    def _on_no_show(self, pk):
        from appointments.models import Appointment

        if Appointment.objects.filter(pk=pk).active().exists():
            self.counts["no-shows"] += 1

    def _on_answer(self, pk):
        from waitlist import offers
        from waitlist.models import Offer

        offer = Offer.objects.select_related("entry__appointment").get(pk=pk)
        before = offer.entry.appointment
        result = offers.claim(pk)
        self.counts[f"claims: {'moved' if result.moved else 'too late'}"] += 1
        if result.moved:
            self._freed(before)
            self._refilled(result.appointment)

    def _freed(self, appointment):
        if appointment.starts_at < self.end:
            self.freed.append(
                [appointment.provider_id, appointment.starts_at, appointment.busy_until, self.clock.now, None]
            )

    def _refilled(self, appointment):
        for record in self.freed:
            provider, start, until, freed_at, refilled_at = record
            if refilled_at is None and provider == appointment.provider_id and start < appointment.busy_until \
                    and appointment.starts_at < until:  # fmt: skip
                record[4] = self.clock.now
                return

    def _run_tasks_until(self, limit):
        """Run the worker's tasks due by `limit`, each at its own time, as `manage.py worker` would."""
        from django_tasks_db.management.commands.db_worker import Worker
        from django_tasks_db.models import DBTaskResult, get_date_max

        worker = Worker(queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
                        max_tasks=None, worker_id="bench", excluded_queue_names=[])  # fmt: skip
        while True:
            # Emails are not part of the simulation (answers to offers are drawn from the Offer rows).
            DBTaskResult.objects.filter(task_path="appointments.tasks.deliver_message").delete()
            pending = DBTaskResult.objects.filter(status="READY")
            if not pending.filter(run_after=get_date_max()).exists():
                due = pending.filter(run_after__lte=limit).order_by("run_after").values_list("run_after", flat=True)
                if not due:
                    return
                self.clock.now = max(self.clock.now, due[0])
            with transaction.atomic():
                result = DBTaskResult.objects.ready().get_locked()
                if result is None:
                    return
                result.claim(worker.worker_id)
            worker.run_task(result)
            self._schedule_answers()

    def _schedule_answers(self):
        from waitlist.models import Offer

        for offer in Offer.objects.filter(state=Offer.State.OPEN).exclude(pk__in=self.answered):
            self.answered.add(offer.pk)
            self.counts["offers sent"] += 1
            if self.answers.random() < TAKE_OFFER:
                seen = self.clock.now.astimezone(ZONE)
                if not 8 <= seen.hour < 21:
                    morning = seen.date() + timedelta(days=1 if seen.hour >= 21 else 0)
                    seen = datetime.combine(morning, time(8), tzinfo=ZONE)
                self.at(seen + timedelta(minutes=self.answers.expovariate(1 / ANSWER_MEAN_MINUTES)), "answer", offer.pk)

    def _figures(self):
        counted = [record for record in self.freed if self.start <= record[3] < self.end]
        refilled = [record for record in counted if record[4] is not None]
        hours = [(record[4] - record[3]).total_seconds() / 3600 for record in refilled]
        return {
            "freed": len(counted), "refilled share": len(refilled) / len(counted) if counted else 0.0,
            "median hours to refill": statistics.median(hours) if hours else None, **self.counts,
        }  # fmt: skip


def copy_database(template: str, name: str) -> None:
    """A fresh copy of the migrated, empty database for each scenario (faster than migrating again)."""
    from django.db import connection, connections

    connections["default"].close()
    settings.DATABASES["default"]["NAME"] = connections["default"].settings_dict["NAME"] = "postgres"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    connections["default"].close()
    settings.DATABASES["default"]["NAME"] = connections["default"].settings_dict["NAME"] = name


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    settings.TRUFFLES_WAITLIST = {**settings.TRUFFLES_WAITLIST, "ENABLED": True, "HOLD_MINUTES": 30}
    real_now = django_timezone.now
    today = real_now().astimezone(ZONE).date()
    monday = today + timedelta(days=7 - today.weekday())
    rows = []
    template = use_bench_database("waitlist")
    for number, (name, waitlist, texts) in enumerate(SCENARIOS):
        started = perf_counter()
        django_timezone.now = real_now
        copy_database(template, f"{template}_{number}")
        django_timezone.now = Clock(datetime.combine(monday, time(0), tzinfo=ZONE))
        figures = Month(django_timezone.now, args.seed, waitlist, texts, args.days).run()
        rows.append((name, figures))
        print(f"{name} ({perf_counter() - started:.0f} s): {figures}", file=sys.stderr)
    django_timezone.now = real_now
    print(f"A {args.days}-day month, two specialists, seed {args.seed}: freed times refilled, and how fast")
    print(f"{'scenario':28} {'freed':>6} {'refilled':>9} {'median h':>9} {'no-shows':>9} {'offers':>7} {'moved':>6}")
    for name, figures in rows:
        median = figures["median hours to refill"]
        print(f"{name:28} {figures['freed']:>6} {figures['refilled share']:>9.0%} "
              f"{'—' if median is None else f'{median:.1f}':>9} {figures.get('no-shows', 0):>9} "
              f"{figures.get('offers sent', 0):>7} {figures.get('claims: moved', 0):>6}")  # fmt: skip


if __name__ == "__main__":
    main()
