"""How dates and times read wherever a template or the admin uses the default formats.

US clinics write "Mon Dec 7, 2026, 9:30 AM": 12-hour times, the weekday first. The staff
pages use these names (DATETIME_FORMAT, TIME_FORMAT) so every admin view shows one format.
"""

DATETIME_FORMAT = "D M j, Y, g:i A"
SHORT_DATETIME_FORMAT = "D M j, Y, g:i A"
TIME_FORMAT = "g:i A"
DATE_FORMAT = "D M j, Y"
