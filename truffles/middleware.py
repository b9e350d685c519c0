from django.db import InterfaceError, OperationalError
from django.template.response import TemplateResponse


class DatabaseUnavailableMiddleware:
    """Show the friendly 503 page, not a 500, while the database is unreachable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)):
            response = TemplateResponse(request, "503.html", status=503)
            response["Retry-After"] = "60"
            return response.render()
        return None
