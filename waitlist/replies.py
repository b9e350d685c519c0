"""The waitlist's text keyword: "Y" takes the time a waitlist offer texted to the patient."""

from appointments import replies
from appointments.models import Appointment, TextReply
from appointments.replies import InboundText
from waitlist import offers
from waitlist.models import Offer


def take_offer(text: InboundText, appointment: Appointment) -> str:
    """Y: claim the sender's latest waitlist offer (found by their number), and say whether they got it."""
    offer = Offer.objects.filter(entry__appointment__phone=text.number).order_by("-created_at", "-pk").first()
    if offer is None:
        return replies.not_understood(text, appointment)
    claim = offers.claim(offer.pk)
    moved = offer.entry.appointment
    moved.refresh_from_db()
    answer = "offer_taken" if claim.moved else "offer_gone"
    return replies.record_reply(text, moved, TextReply.Meaning.TAKE_OFFER, answer, needs_attention=False)
