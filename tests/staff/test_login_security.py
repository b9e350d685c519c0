import os
import re
import subprocess
import sys
import time
from http import HTTPStatus

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff.sessions import LAST_SEEN, STARTED
from staff.sites import StaffLoginForm
from tests.staff.fixtures import PASSWORD, current_code

LOGIN = "/admin/login/"
ADMIN = "/admin/"


def attempt(client, username, password, address="203.0.113.20", **extra):
    return client.post(
        LOGIN, {"username": username, "password": password, "next": ADMIN, **extra}, REMOTE_ADDR=address
    )


def test_repeated_failures_lock_out_that_user_from_that_address(client, staff_member):
    staff_member("Front desk")
    limit = django_settings.AXES_FAILURE_LIMIT

    for _ in range(limit - 1):
        refused = attempt(client, "front-desk", "wrong password")
        assert refused.status_code == HTTPStatus.OK
        assert "Please enter the correct username and password" in refused.text
    locked = attempt(client, "front-desk", "wrong password")

    assert locked.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "Too many failed sign-in attempts" in locked.text
    assert "Try again in 30 minutes" in locked.text
    # Even the right password is refused while locked out.
    assert attempt(client, "front-desk", PASSWORD).status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert client.get(ADMIN).status_code == HTTPStatus.FOUND


def test_a_lockout_is_per_user_and_address(client, staff_member):
    staff_member("Front desk")
    staff_member("Clinician")
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        attempt(client, "front-desk", "wrong password")

    from_elsewhere = attempt(client, "front-desk", PASSWORD, address="198.51.100.80")
    other_user = attempt(client.__class__(), "clinician", PASSWORD)

    assert from_elsewhere.status_code == HTTPStatus.FOUND
    assert other_user.status_code == HTTPStatus.FOUND


def test_a_staff_session_ends_after_the_idle_timeout(client, staff_member, sign_in):
    sign_in(client, staff_member("Front desk"))
    assert client.get(ADMIN).status_code == HTTPStatus.OK
    session = client.session
    session[LAST_SEEN] = time.time() - (django_settings.TRUFFLES_STAFF_IDLE_MINUTES * 60 + 5)
    session.save()

    response = client.get(ADMIN, follow=True)

    assert response.redirect_chain[-1][0].startswith(LOGIN)
    assert "signed out after 30 minutes without activity" in response.text
    assert not response.context["user"].is_authenticated


def test_activity_keeps_a_staff_session_alive(client, staff_member, sign_in):
    sign_in(client, staff_member("Front desk"))
    session = client.session
    session[LAST_SEEN] = time.time() - (django_settings.TRUFFLES_STAFF_IDLE_MINUTES * 60 - 120)
    session.save()

    assert client.get(ADMIN).status_code == HTTPStatus.OK
    assert client.session[LAST_SEEN] > time.time() - 60
    assert client.get(ADMIN).status_code == HTTPStatus.OK


def test_a_staff_session_ends_after_the_absolute_limit_despite_activity(client, staff_member, sign_in):
    sign_in(client, staff_member("Front desk"))
    session = client.session
    session[STARTED] = time.time() - (django_settings.TRUFFLES_STAFF_SESSION_HOURS * 3600 + 5)
    session[LAST_SEEN] = time.time()
    session.save()

    response = client.get(ADMIN, follow=True)

    assert response.redirect_chain[-1][0].startswith(LOGIN)
    assert "sessions end after 12 hours" in response.text


@pytest.mark.process
def test_production_settings_require_the_second_factor():
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("TRUFFLES_", "DJANGO_"))
    }
    env.update(DJANGO_SECRET_KEY="only-for-this-check", DJANGO_SETTINGS_MODULE="truffles.settings")
    script = "from django.conf import settings; print(settings.TRUFFLES_REQUIRE_2FA)"

    production = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True, timeout=60
    )
    development = subprocess.run(
        [sys.executable, "-c", script], env={**env, "DJANGO_DEBUG": "true"}, capture_output=True, text=True,
        check=True, timeout=60,
    )

    assert production.stdout.strip() == "True"
    assert development.stdout.strip() == "False"


def test_a_password_alone_does_not_open_the_admin(two_factor, client, staff_member, authenticator):
    authenticator(staff_member("Front desk"))

    response = attempt(client, "front-desk", PASSWORD)

    assert response.status_code == HTTPStatus.OK
    assert StaffLoginForm.failure_message in response.text
    assert client.get(ADMIN).status_code == HTTPStatus.FOUND


def test_a_wrong_code_is_refused(two_factor, client, staff_member, authenticator):
    device = authenticator(staff_member("Front desk"))
    wrong = str((int(current_code(device)) + 1) % 1_000_000).zfill(6)

    response = attempt(client, "front-desk", PASSWORD, otp_token=wrong)

    assert StaffLoginForm.failure_message in response.text
    assert client.get(ADMIN).status_code == HTTPStatus.FOUND


def test_the_password_and_the_current_code_open_the_admin(two_factor, client, staff_member, authenticator):
    device = authenticator(staff_member("Front desk"))

    response = attempt(client, "front-desk", PASSWORD, otp_token=current_code(device))

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == ADMIN
    assert client.get(ADMIN).status_code == HTTPStatus.OK


def test_a_staff_member_without_an_authenticator_is_told_how_to_get_one(two_factor, client, staff_member):
    staff_member("Front desk")

    response = attempt(client, "front-desk", PASSWORD, otp_token="123456")

    assert "No authenticator app yet? Ask the clinic manager to enrol one." in response.text
    assert client.get(ADMIN).status_code == HTTPStatus.FOUND


def wrong_code(device):
    return str((int(current_code(device)) + 1) % 1_000_000).zfill(6)


def visible(response):
    """The page as a stranger compares it: without the per-request CSRF token and nonce."""
    return re.sub(r' ?(value|nonce)="[^"]*"', "", response.text)


def test_a_right_password_with_a_wrong_code_looks_exactly_like_a_wrong_password(
    two_factor, client, staff_member, authenticator
):
    device = authenticator(staff_member("Front desk"))

    wrong_password = attempt(client, "front-desk", "not the password", otp_token=wrong_code(device))
    right_password = attempt(client, "front-desk", PASSWORD, otp_token=wrong_code(device))
    no_code = attempt(client, "front-desk", PASSWORD)
    no_such_user = attempt(client, "nobody-here", PASSWORD, otp_token="123456")

    pages = {visible(response) for response in (wrong_password, right_password, no_code, no_such_user)}
    assert len(pages) == 1
    assert {response.status_code for response in (wrong_password, right_password, no_code)} == {HTTPStatus.OK}
    assert StaffLoginForm.failure_message in wrong_password.text


def test_right_passwords_with_wrong_codes_count_toward_the_lockout(two_factor, client, staff_member, authenticator):
    device = authenticator(staff_member("Front desk"))

    for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "front-desk", PASSWORD, otp_token=wrong_code(device)).status_code == HTTPStatus.OK
    locked = attempt(client, "front-desk", PASSWORD, otp_token=wrong_code(device))

    assert locked.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert attempt(client, "front-desk", PASSWORD, otp_token=current_code(device)).status_code == (
        HTTPStatus.TOO_MANY_REQUESTS
    )


def test_the_typed_password_is_never_rendered_back(two_factor, client, staff_member, authenticator):
    device = authenticator(staff_member("Front desk"))

    for response in (
        attempt(client, "front-desk", PASSWORD),
        attempt(client, "front-desk", PASSWORD, otp_token=wrong_code(device)),
        attempt(client, "front-desk", PASSWORD + "-typo", otp_token=current_code(device)),
    ):
        assert PASSWORD not in response.text


def test_a_session_without_the_second_factor_is_refused(two_factor, client, staff_member, sign_in):
    nurse = staff_member("Front desk")
    client.force_login(nurse)
    assert client.get(ADMIN).status_code == HTTPStatus.FOUND

    sign_in(client, nurse)
    assert client.get(ADMIN).status_code == HTTPStatus.OK


def test_the_login_page_labels_the_code_field_for_keyboard_and_screen_reader_users(two_factor, client):
    page = client.get(LOGIN)

    assert page.status_code == HTTPStatus.OK
    assert '<label for="id_otp_token" class="required">Code from your authenticator app</label>' in page.text
    assert 'autocomplete="one-time-code"' in page.text
    assert 'aria-describedby="otp-help"' in page.text


def test_without_required_second_factor_the_login_asks_for_the_password_only(client, settings):
    settings.TRUFFLES_REQUIRE_2FA = False

    assert "otp_token" not in client.get(LOGIN).text


def test_enrolling_prints_a_key_that_signs_the_staff_member_in(two_factor, client, staff_member, capsys):
    nurse = staff_member("Front desk")

    call_command("enrol_totp", "front-desk")

    output = capsys.readouterr().out
    assert "otpauth://totp/" in output
    device = TOTPDevice.objects.get(user=nurse)
    assert attempt(client, "front-desk", PASSWORD, otp_token=current_code(device)).status_code == HTTPStatus.FOUND
