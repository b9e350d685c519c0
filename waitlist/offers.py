"""The waitlist's clinic actions, one plain function each: join, leave, offer a freed time, claim an offer.

Fairness (README "The waitlist"): a freed time goes to those who joined first, a few at once
(OFFERS_AT_ONCE); the first of them to claim it has their own appointment moved there through
`booking.move_to_offered_time`, under the exclusion constraint. Claims for one opening queue on its
row lock, so a second claimer sees the first one's move and is told the time has gone.
"""

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from appointments import availability, booking, notifications
from appointments.models import Appointment, Provider
from core.days import at_clinic_time
from waitlist import openings
from waitlist.models import Offer, Opening, WaitlistEntry

State = WaitlistEntry.State
GONE = "Someone else took that time a moment before you. You keep your current time and stay on the list."
LAPSED = "That offer has lapsed. You keep your current time and stay on the list."


@dataclass(frozen=True)
class Claim:
    """What a claim did: moved (the appointment, at its new time), or why not, in the patient's words."""

    moved: bool
    message: str
    appointment: Appointment | None = None


def offer_policy(now: datetime | None = None) -> availability.Policy:
    """Which times may be offered: the patients' notice and horizon, any visit type (staff add callers)."""
    return replace(availability.Policy.for_patients(now), online_only=False)


@transaction.atomic
def join(appointment: Appointment, *, specialist: Provider | None, weekdays: list[int], part_of_day: str,
         channel: str = WaitlistEntry.Channel.EMAIL, added_by: str = "") -> WaitlistEntry | str:
    """Put an appointment on the list (or change its window); returns the entry, or why not."""
    locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if not openings.is_enabled():
        return "The clinic is not keeping a waitlist at the moment."
    if not locked.is_active or locked.starts_at <= timezone.now():
        return "Only an upcoming requested or confirmed visit can wait for an earlier time."
    entry = WaitlistEntry.objects.filter(appointment=locked).first()
    if entry is None or entry.state != State.WAITING:  # a new place at the end of the line
        entry = entry or WaitlistEntry(appointment=locked)
        entry.joined_at, entry.left_at, entry.unanswered_offers = timezone.now(), None, 0
    entry.specialist, entry.weekdays, entry.part_of_day = specialist, sorted(set(weekdays)), part_of_day
    entry.channel, entry.state, entry.added_by = channel, State.WAITING, added_by or entry.added_by
    entry.save()
    return entry


@transaction.atomic
def leave(entry: WaitlistEntry) -> WaitlistEntry:
    """Off the list: offers already sent can no longer be taken, and unsent ones are not sent."""
    locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
    if locked.state == State.WAITING:
        locked.state, locked.left_at = State.LEFT, timezone.now()
        locked.save(update_fields=["state", "left_at"])
    return locked


@transaction.atomic
def offer_opening(opening_id: int) -> str:
    """The worker's step for one freed time: lapse old offers, then offer it on, or close it."""
    opening = Opening.objects.select_for_update().select_related("provider").filter(pk=opening_id).first()
    if opening is None or opening.state != Opening.State.OFFERING:
        return "closed"
    now = timezone.now()
    if not openings.is_enabled():
        opening.close(Opening.State.UNFILLED, "The waitlist was turned off.")
        return "waitlist off"
    _lapse_offers(opening, now)
    wake = next_offer_hour(now)
    if wake:  # nobody reads an offer at 3 am: it would lapse unread and count against them
        openings.queue_offers(opening, run_after=wake)
        return "waiting for the morning"
    waiting = list(opening.offers.filter(state=Offer.State.OPEN).select_related("entry__appointment__visit_type"))
    made, retry_at = _make_offers(opening, now, waiting)
    waiting += made
    if not waiting and retry_at:  # those it suits are deciding on another offer: ask again when theirs lapses
        openings.queue_offers(opening, run_after=retry_at)
        return "waiting for other offers to be answered"
    if not waiting:
        claimed = opening.offers.filter(state=Offer.State.CLAIMED).exists()
        state = Opening.State.FILLED if claimed else Opening.State.UNFILLED
        opening.close(state, "Taken from the waitlist." if claimed else "Nobody waiting could take it in time.")
        return opening.state
    openings.queue_offers(opening, run_after=min(offer.expires_at for offer in waiting))
    return f"{len(made)} offer(s) sent"


def next_offer_hour(now: datetime) -> datetime | None:
    """None inside the hours offers go out (clinic time, OFFER_HOURS); otherwise when they next start."""
    first, last = settings.TRUFFLES_WAITLIST["OFFER_HOURS"]
    local = timezone.localtime(now)
    if first <= local.hour < last:
        return None
    day = local.date() + timedelta(days=1 if local.hour >= last else 0)
    return at_clinic_time(day, time(first))


def _lapse_offers(opening: Opening, now: datetime) -> None:
    """Offers past their hold lapse; a patient who lets MAX_UNANSWERED lapse in a row gets no more."""
    limit = settings.TRUFFLES_WAITLIST["MAX_UNANSWERED"]
    for offer in opening.offers.select_related("entry").filter(state=Offer.State.OPEN, expires_at__lte=now):
        offer.state, offer.outcome = Offer.State.EXPIRED, "No answer within the hold."
        offer.save(update_fields=["state", "outcome"])
        entry = WaitlistEntry.objects.select_for_update().get(pk=offer.entry_id)
        entry.unanswered_offers += 1
        if entry.unanswered_offers >= limit and entry.state == State.WAITING:
            entry.state, entry.left_at = State.STOPPED, now
        entry.save(update_fields=["unanswered_offers", "state", "left_at"])


def _make_offers(opening: Opening, now: datetime, waiting: list[Offer]) -> tuple[list[Offer], datetime | None]:
    """Offer each fitting patient, in fair order, the earliest free time of the opening that suits them.

    Up to OFFERS_AT_ONCE patients share one start time; times offered side by side never overlap, so
    every claim that wins leaves the others' times intact. A patient holds one offer at a time: for
    those deciding on another, returns when the first of those offers lapses.
    """
    at_once = settings.TRUFFLES_WAITLIST["OFFERS_AT_ONCE"]
    hold = timedelta(minutes=settings.TRUFFLES_WAITLIST["HOLD_MINUTES"])
    free_times = _free_times(opening, offer_policy(now))
    held = Counter()  # start -> offers open for it
    spans = {}  # start -> until when a visit there keeps the specialist busy
    for offer in waiting:
        _note_offered(held, spans, offer.starts_at, _busy_until(offer.entry, offer.starts_at))
    made, retry_at = [], None
    for entry in WaitlistEntry.objects.who_could_take(opening, now)[:200]:
        appointment = entry.appointment
        start = next(
            (start for start in free_times(appointment.visit_type)
             if start < appointment.starts_at and entry.fits(start)
             and _fits_beside(start, _busy_until(entry, start), spans, held, at_once)),
            None,
        )  # fmt: skip
        if start is None:
            continue
        if entry.deciding_until:
            retry_at = min(retry_at or entry.deciding_until, entry.deciding_until)
            continue
        offer = Offer.objects.create(opening=opening, entry=entry, starts_at=start, created_at=now,
                                     expires_at=min(now + hold, start))  # fmt: skip
        offer.message = notifications.offer_time(offer.entry.appointment, offer.pk)
        offer.save(update_fields=["message"])
        _note_offered(held, spans, start, _busy_until(entry, start))
        made.append(offer)
    return made, retry_at


def _busy_until(entry: WaitlistEntry, start: datetime) -> datetime:
    visit_type = entry.appointment.visit_type
    return start + visit_type.duration + visit_type.buffer_after


def _note_offered(held: Counter, spans: dict, start: datetime, until: datetime) -> None:
    held[start] += 1
    spans[start] = max(spans.get(start, start), until)


def _fits_beside(start: datetime, until: datetime, spans: dict, held: Counter, at_once: int) -> bool:
    """A start time shared with fewer than `at_once` others, or one that overlaps no other time on offer."""
    if start in spans:
        return held[start] < at_once
    return all(until <= other or start >= other_until for other, other_until in spans.items())


def _free_times(opening: Opening, policy: availability.Policy):
    """visit type -> the free start times inside the opening, computed once per visit type."""
    first_day = timezone.localdate(opening.starts_at)
    days = (timezone.localdate(opening.ends_at - timedelta(microseconds=1)) - first_day).days + 1
    known = {}

    def for_visit_type(visit_type) -> list[datetime]:
        if visit_type.pk not in known:
            slots = availability.find_slots(visit_type, first_day, days, provider=opening.provider, policy=policy)
            known[visit_type.pk] = [s.start for s in slots if opening.starts_at <= s.start < opening.ends_at]
        return known[visit_type.pk]

    return for_visit_type


def claim(offer_id: int) -> Claim:
    """The patient takes the offered time: their own appointment moves there, or they hear why not."""
    with transaction.atomic():
        opening_id = Offer.objects.values_list("opening_id", flat=True).get(pk=offer_id)
        # Claims for one opening take turns here; the exclusion constraint stays the last word.
        Opening.objects.select_for_update().get(pk=opening_id)
        offer = Offer.objects.select_for_update().select_related(
            "opening", "entry__appointment__visit_type", "entry__appointment__location"
        ).get(pk=offer_id)
        refusal = _refusal(offer)
        if refusal:
            return refusal
        appointment = offer.entry.appointment
        slot = booking.choose_slot(appointment.visit_type, offer.opening.provider_id, offer.starts_at, offer_policy())
        outcome = booking.move_to_offered_time(appointment, slot) if slot else booking.Outcome(taken=True)
        _answer(offer)
        if not outcome.ok:
            _close_offer(offer, Offer.State.GONE, "Taken by someone else first." if outcome.taken else outcome.error)
            return Claim(False, GONE if outcome.taken else outcome.error)
        _close_offer(offer, Offer.State.CLAIMED, "The visit moved to this time.")
        WaitlistEntry.objects.filter(pk=offer.entry_id).update(state=State.MOVED, left_at=timezone.now())
        offer.opening.offers.filter(state=Offer.State.OPEN, starts_at=offer.starts_at).update(
            state=Offer.State.GONE, outcome="Another patient took it first."
        )
        openings.queue_offers(offer.opening)  # what is left of the opening, if any, goes to the next in line
        return Claim(True, "Your visit has moved to the earlier time.", outcome.appointment)


def _refusal(offer: Offer) -> Claim | None:
    if offer.state == Offer.State.CLAIMED:
        return Claim(True, "You already took this time.", offer.entry.appointment)
    if offer.state == Offer.State.GONE:
        return Claim(False, GONE)
    if offer.state == Offer.State.WITHDRAWN or offer.entry.state != State.WAITING:
        return Claim(False, "This offer was withdrawn: you are no longer on the waitlist for this visit.")
    if not offer.is_open:
        return Claim(False, LAPSED)
    if offer.starts_at < offer_policy().earliest:
        return Claim(False, "That time is now too close to move online. Please call us if you would like it.")
    return None


def _answer(offer: Offer) -> None:
    """Any answer, even too late, shows the patient still reads our offers."""
    WaitlistEntry.objects.filter(pk=offer.entry_id).update(unanswered_offers=0)


def _close_offer(offer: Offer, state: str, outcome: str) -> None:
    offer.state, offer.outcome, offer.answered_at = state, outcome[:200], timezone.now()
    offer.save(update_fields=["state", "outcome", "answered_at"])
