"""What the clinic says by text message, and when it may say it. Pure: no database, no network.

Every notification fits one SMS segment (160 GSM-7 characters) with a realistic site address
(tests/appointments/test_texts.py counts each one), and carries the clinic, the day and time, the
reference and a short link: never a name, a reason, a date of birth or anything else about health.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from appointments.models import Message
from core import dates

Kind = Message.Kind
SEGMENT = 160
# GSM 03.38: the basic set costs one character, the extension table two; anything else forces UCS-2 (70).
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")
HOW_TO_STOP = " Reply STOP to end"

# {clinic} {ref} {when} {link}: the facts a text may carry. {link} is the short link, or "Call <phone>".
WORDING = {
    Kind.RECEIVED: "{clinic}: request {ref} for {when} received. We'll confirm. {link}",
    Kind.CONFIRMED: "{clinic}: your visit {ref} on {when} is confirmed. {link}",
    Kind.DECLINED: "{clinic}: sorry, we can't keep {when} ({ref}). Book again: {link}",
    Kind.CANCELLED: "{clinic}: your visit {ref} on {when} is cancelled. {link}",
    Kind.PATIENT_CANCELLED: "{clinic}: you cancelled your visit {ref} on {when}. {link}",
    Kind.MOVED: "{clinic}: your visit {ref} moved to {when}{status}. {link}",
    Kind.REMINDER: "{clinic} reminder: visit {ref} on {when}. Reply C to confirm, R to change, or call {phone}.",
    # {when} is the offered time; Y claims it (appointments/replies.py), the link opens the patient's page.
    Kind.WAITLIST_OFFER: "{clinic}: earlier time for {ref}: {when}. Reply Y to take it. {link}",
}
# Answers to texts patients send (appointments/replies.py).
ANSWERS = {
    "stopped": "{clinic}: you will get no more texts from us. Reply START to get them again.",
    "started": "{clinic}: texts are back on. Reply STOP to opt out, HELP for help.",
    "help": "{clinic}: texts about your visits. Call {phone} for help. Reply STOP to opt out.",
    "confirmed": "{clinic}: thank you, we will see you on {when}.",
    "change": "{clinic}: choose another time here: {link} or call {phone}.",
    "not_understood": "{clinic}: reply C to confirm, R to change, or call {phone}. Other texts go to our front desk.",
    "unknown_number": "Please call {phone}.",
    "offer_taken": "{clinic}: done. Your visit {ref} is now on {when}. {link}",
    "offer_gone": "{clinic}: sorry, that time is no longer free. Your visit stays on {when}.",
}  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class TextFacts:
    clinic: str  # the clinic's name, so the patient knows who writes
    phone: str  # the clinic's phone number
    starts: datetime  # the visit's start, in the clinic's time zone
    reference: str  # e.g. TVS-ABC234
    link: str = ""  # the short link (absolute), or "" for a visit booked by phone
    confirmed: bool = False  # whether the visit is confirmed (a moved visit may wait for the clinic)


def when(starts: datetime) -> str:
    """"Mon, Dec 14, 9:00 AM" (core/dates.py): short, and unambiguous within the 60 days patients book ahead."""
    return f"{dates.short_weekday_date(starts)}, {dates.clock_time(starts)}"


def compose(kind: str, facts: TextFacts, *, first: bool = False) -> str:
    """The text for one notification; `first` adds how to stop (the first text to a number says it)."""
    text = WORDING[kind].format(
        clinic=facts.clinic, ref=facts.reference, when=when(facts.starts), phone=facts.phone,
        link=facts.link or f"Call {facts.phone}.",
        status=", confirmed" if facts.confirmed else "; we'll confirm",
    )  # fmt: skip
    return text + HOW_TO_STOP if first else text


def answer(name: str, facts: TextFacts | None = None, *, clinic: str = "", phone: str = "") -> str:
    """An answer to a patient's text; `facts` when it is about their visit."""
    values = {"clinic": clinic, "phone": phone, "link": "", "when": "", "ref": ""}
    if facts:
        values.update(clinic=facts.clinic, phone=facts.phone, link=facts.link or f"Call {facts.phone}.",
                      when=when(facts.starts), ref=facts.reference)  # fmt: skip
    return ANSWERS[name].format(**values)


def gsm7_length(text: str) -> int | None:
    """Characters a text costs in GSM-7, or None when it needs UCS-2 (a curly quote, an emoji…)."""
    length = 0
    for character in text:
        if character in GSM7_BASIC:
            length += 1
        elif character in GSM7_EXTENDED:
            length += 2
        else:
            return None
    return length


def fits_one_segment(text: str) -> bool:
    length = gsm7_length(text)
    return length is not None and length <= SEGMENT


def quiet_until(moment: datetime, quiet_from: time, quiet_until: time) -> datetime | None:
    """When texting may start again if `moment` (clinic time) falls in the quiet hours, else None.

    The hours wrap midnight (21:00 to 08:00): a text due at 23:30 or at 06:00 waits for 08:00.
    """
    clock = moment.time()
    wraps = quiet_from > quiet_until
    inside = (clock >= quiet_from or clock < quiet_until) if wraps else (quiet_from <= clock < quiet_until)
    if not inside:
        return None
    morning = moment.date() + timedelta(days=1) if wraps and clock >= quiet_from else moment.date()
    return datetime.combine(morning, quiet_until, tzinfo=moment.tzinfo)
