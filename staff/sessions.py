"""Staff session limits: idle timeout and absolute length (TRUFFLES_STAFF_IDLE_MINUTES, _SESSION_HOURS)."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout

STARTED = "staff:session_started"
LAST_SEEN = "staff:last_seen"
# Writing the session on every request would cost an UPDATE each time; a minute is precise enough.
TOUCH_EVERY_SECONDS = 60


def start_staff_session(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[STARTED] = now
        request.session[LAST_SEEN] = now


def enforce_limits(request) -> bool:
    """Sign the user out if a limit has passed; return whether the session is still valid."""
    session = request.session
    now = time.time()
    started = session.setdefault(STARTED, now)
    last_seen = session.setdefault(LAST_SEEN, now)
    idle = settings.TRUFFLES_STAFF_IDLE_MINUTES * 60
    absolute = settings.TRUFFLES_STAFF_SESSION_HOURS * 3600
    if now - last_seen > idle:
        reason = f"You were signed out after {settings.TRUFFLES_STAFF_IDLE_MINUTES} minutes without activity."
    elif now - started > absolute:
        reason = f"You were signed out because sessions end after {settings.TRUFFLES_STAFF_SESSION_HOURS} hours."
    else:
        if now - last_seen >= TOUCH_EVERY_SECONDS:
            session[LAST_SEEN] = now
        return True
    logout(request)
    messages.info(request, reason + " Please sign in again.")
    return False
