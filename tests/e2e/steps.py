"""Steps several browser journeys share."""

import re

from appointments.models import Appointment


def enter_the_emailed_code(page, email):
    """Step 3 of 3: type the code the request's email carries, as its owner does; wait for their page."""
    page.wait_for_url("**/appointments/request/check-email/")
    code = Appointment.objects.filter(email=email).latest("pk").email_check.code()
    page.get_by_label("Code from the email").fill(code)
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_url(re.compile(r"/appointments/manage/"))
