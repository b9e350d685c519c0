from django.conf import settings
from django.middleware.gzip import GZipMiddleware

# Pages that hold a patient's or the staff's details and can echo input (admin search, filters).
UNCOMPRESSED_PREFIXES = ("/admin/", "/appointments/manage/")


class PublicPageGZipMiddleware(GZipMiddleware):
    """Gzip the public pages; leave alone those where compression could leak a secret (BREACH).

    BREACH needs a secret and attacker-chosen text in one compressed response. Public pages carry
    no secret but the CSRF token, which Django masks afresh on every response, and Django adds
    random padding to every gzip body. Staff pages and a patient's own booking page carry patient
    details next to echoed input, so they go out uncompressed, as does anything sent to a browser
    that holds a session (staff, or a patient mid-request).
    """

    def process_response(self, request, response):
        if request.path.startswith(UNCOMPRESSED_PREFIXES) or settings.SESSION_COOKIE_NAME in request.COOKIES:
            return response
        return super().process_response(request, response)
