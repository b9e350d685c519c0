"""Settings for Truffles, read from environment variables (every one is listed in the README).

Two parts, read top to bottom: `framework` (Django's own settings and its libraries', in the order a
request meets them) and `clinic` (ours). Our own settings are all named TRUFFLES_*: one dict per clinic
area with several knobs (TRUFFLES_CLINIC, _BOOKING, _MESSAGES, _TEXTS, _TWILIO, _WAITLIST), a plain
name for a lone switch.
"""

from truffles.settings.clinic import *  # noqa: F403, E402  (after the framework: it reads DEBUG and the hosts)
from truffles.settings.framework import *  # noqa: F403
