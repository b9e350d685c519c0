"""Every change to an appointment happens here, one function per step the clinic names.

Each step takes plain values, runs in one transaction and returns an `Outcome` that the caller
(a patient view, an admin view or action, a command) only has to show. PostgreSQL's exclusion
constraint has the last word on double booking; the checks here give people a clear answer first.
Patient messages hook on here, and `signals.time_freed` tells listeners (the waitlist) of time a step frees.

Three modules: `times` (choosing, holding and releasing a time; `SlotChoice` and `Outcome`), `online`
(a patient's request and its email code) and `steps` (the rest: phone bookings, moves, status
changes, check-in, erasure). Callers use `from appointments import booking` and the names below.
"""

from appointments.booking.online import (
    ALREADY_BOOKED,
    CODE_EXPIRED,
    NO_MORE_CODES,
    WRONG_CODE,
    browser_digest,
    prove_email,
    request_online,
    resend_code,
)
from appointments.booking.steps import (
    STATUS_STEPS,
    book_by_phone,
    cancel,
    cancel_by_patient,
    confirm,
    confirm_by_patient,
    decline,
    erase_by_staff,
    mark_completed,
    mark_no_show,
    move_by_patient,
    move_by_staff,
    move_to_offered_time,
    record_arrival,
)
from appointments.booking.times import (
    NO_DOUBLE_BOOKING,
    TAKEN,
    Outcome,
    SlotChoice,
    choose_slot,
    choose_slot_by_key,
    nearest_alternatives,
    release_expired_holds,
    release_hold,
)

__all__ = [
    "ALREADY_BOOKED", "CODE_EXPIRED", "NO_DOUBLE_BOOKING", "NO_MORE_CODES", "STATUS_STEPS", "TAKEN", "WRONG_CODE",
    "Outcome", "SlotChoice", "book_by_phone", "browser_digest", "cancel", "cancel_by_patient", "choose_slot",
    "choose_slot_by_key", "confirm", "confirm_by_patient", "decline", "erase_by_staff", "mark_completed",
    "mark_no_show", "move_by_patient", "move_by_staff", "move_to_offered_time", "nearest_alternatives",
    "prove_email", "record_arrival", "release_expired_holds", "release_hold", "request_online", "resend_code",
]  # fmt: skip
