from django.conf import settings
from django.utils.cache import add_never_cache_headers


class PrivacyHeadersMiddleware:
    """Permissions-Policy on every response; no-store where a page can show or carry patient data.

    Browsers and shared caches keep nothing from the request flow, the manage pages (their URLs are
    the patient's key) or the admin, whatever each view remembers to say.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if request.path.startswith(settings.NO_STORE_PATHS):
            add_never_cache_headers(response)
        return response
