"""Fixtures for staff tests: appointments with a patient, staff members in a role, and a second factor.

Import them where needed (`from tests.staff.fixtures import *`), or register this module in tests/conftest.py.
"""


import pytest
from django.contrib.auth.models import Group, User
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from staff.roles import CLINIC_MANAGER
from tests.appointments.fixtures import INTAKE_TEXT, PATIENT  # noqa: F401 (shared with staff tests)

PASSWORD = "a long enough staff password"


@pytest.fixture
def staff_member(db):
    """A staff user in the given role (a group from staff/roles.py), or a superuser with role=None."""

    def build(role=None, username=None):
        username = username or (role or "superuser").lower().replace(" ", "-")
        if role is None:
            return User.objects.create_superuser(username, f"{username}@example.com", PASSWORD)
        user = User.objects.create_user(username, f"{username}@example.com", PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        return user

    return build


@pytest.fixture
def manager_client(client, staff_member):
    """A browser signed in as the clinic manager (Insights, for one)."""
    client.force_login(staff_member(CLINIC_MANAGER))
    return client


def current_code(device: TOTPDevice) -> str:
    """The code the staff member's authenticator app shows right now."""
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    return str(code).zfill(device.digits)


@pytest.fixture
def authenticator():
    """Enrol a TOTP device for a user, as `manage.py enrol_totp` does."""

    def enrol(user):
        return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)

    return enrol


@pytest.fixture
def sign_in(authenticator):
    """Sign a user in on a test client, second factor included (as after a login with a valid code)."""

    def login(client, user):
        device = TOTPDevice.objects.filter(user=user).first() or authenticator(user)
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    return login


@pytest.fixture
def two_factor(settings):
    """Production behaviour: the admin demands the second factor."""
    settings.TRUFFLES_REQUIRE_2FA = True
    return settings
