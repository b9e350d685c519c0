"""A right password and a wrong one take the same time up to the answer, whatever the code.

Measured on the real form, real database and the production password hasher (with fewer rounds, so
the test is quick; both answers run it once): interleaved tries, medians compared.
"""

import statistics
import time

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from staff.sites import StaffLoginForm
from tests.staff.fixtures import PASSWORD

TRIES = 50


class QuickPBKDF2(PBKDF2PasswordHasher):
    """The production algorithm, fewer rounds: the cost is the same for both answers either way."""

    iterations = 20_000


@pytest.fixture
def measured_login(settings, two_factor, staff_member, authenticator):
    settings.PASSWORD_HASHERS = [f"{__name__}.QuickPBKDF2"]
    settings.AXES_FAILURE_LIMIT = 10 * TRIES  # the lockout has its own test; here every try is checked
    user = staff_member("Front desk")
    user.set_password(PASSWORD)
    user.save()
    authenticator(user)

    def seconds(password):
        request = RequestFactory().post("/admin/login/", REMOTE_ADDR="203.0.113.30")
        form = StaffLoginForm(request, data={"username": user.username, "password": password, "otp_token": "000000"})
        started = time.perf_counter()
        assert not form.is_valid()
        return time.perf_counter() - started

    return seconds


def test_a_right_and_a_wrong_password_do_the_same_work(measured_login):
    """The work itself, counted: the same queries either way (one savepoint more to roll back)."""
    measured_login(PASSWORD)  # the first failure creates the lockout counter's row; then both update it
    with CaptureQueriesContext(connection) as right:
        measured_login(PASSWORD)
    with CaptureQueriesContext(connection) as wrong:
        measured_login("not the password")
    assert abs(len(right.captured_queries) - len(wrong.captured_queries)) <= 1


def test_a_right_and_a_wrong_password_take_the_same_time_before_the_code_check(measured_login):
    right, wrong = [], []
    for _ in range(TRIES):  # interleaved, so a busy moment slows both alike
        right.append(measured_login(PASSWORD))
        wrong.append(measured_login("not the password"))
    right_median, wrong_median = statistics.median(right), statistics.median(wrong)
    print(f"\nmedian over {TRIES} tries: right password {right_median * 1000:.2f} ms, "
          f"wrong password {wrong_median * 1000:.2f} ms")  # fmt: skip
    # Before the change: 53.5 ms against 42.1 ms (27 %). The margin allows for a shared, busy machine.
    assert abs(right_median - wrong_median) < 0.15 * min(right_median, wrong_median)


def test_only_a_right_password_counts_a_wrong_code_against_the_authenticator(two_factor, staff_member, authenticator):
    user = staff_member("Front desk")
    device = authenticator(user)

    def try_code(password):
        request = RequestFactory().post("/admin/login/", REMOTE_ADDR="203.0.113.31")
        form = StaffLoginForm(request, data={"username": user.username, "password": password, "otp_token": "000000"})
        assert not form.is_valid()
        device.refresh_from_db()
        return device.throttling_failure_count

    assert try_code("not the password") == 0  # checked, then rolled back: a stranger cannot throttle the device
    assert try_code(PASSWORD) == 1  # the password was right: the wrong code counts
