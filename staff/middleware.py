from staff import sessions


class StaffSessionTimeoutMiddleware:
    """Sign staff out after a period of inactivity and after an absolute session length."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_staff:
            sessions.enforce_limits(request)
        return self.get_response(request)
