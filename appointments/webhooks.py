"""Twilio's two webhooks: texts patients send (/sms/inbound/) and delivery reports (/sms/status/).

Both answer only requests signed by Twilio for the address under TRUFFLES_SITE_URL (anything else:
403 and nothing changes), and answer TwiML. Neither logs the number or the words.
"""

from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.twiml.messaging_response import MessagingResponse

from appointments import replies, sms


def _twiml(text: str = "") -> HttpResponse:
    response = MessagingResponse()
    if text:
        response.message(text)
    return HttpResponse(str(response), content_type="text/xml; charset=utf-8")


@csrf_exempt  # Twilio cannot hold a CSRF token; its signature is checked instead
@require_POST
def inbound(request):
    if not sms.signed_by_twilio(request):
        return HttpResponseForbidden("Not signed by Twilio.")
    text = replies.InboundText(
        sid=request.POST.get("MessageSid", "")[:40], number=request.POST.get("From", ""),
        body=request.POST.get("Body", ""),
    )  # fmt: skip
    return _twiml(replies.answer(text))


@csrf_exempt
@require_POST
def status(request):
    if not sms.signed_by_twilio(request):
        return HttpResponseForbidden("Not signed by Twilio.")
    replies.record_delivery(
        request.GET.get("notification", ""), request.POST.get("MessageSid", ""),
        request.POST.get("MessageStatus", ""), request.POST.get("ErrorCode", ""),
    )  # fmt: skip
    return _twiml()
