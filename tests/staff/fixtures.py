"""Fixtures for staff tests: appointments with a patient, staff members in a role, and a second factor.

Import them where needed (`from tests.staff.fixtures import *`), or register this module in tests/conftest.py.
"""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from appointments.models import Appointment

PASSWORD = "a long enough staff password"
PATIENT = {
    "first_name": "Rosalind",
    "last_name": "Quarterman",
    "date_of_birth": date(1968, 2, 14),
    "email": "rosalind.quarterman@example.com",
    "phone": "+12015550199",
    "insurance_carrier": "Acme Health",
    "guardian_name": "",
    "notes": "Throbbing calves after my night shifts.",
    "reasons": ["varicose", "pain"],
    "rls_urge_to_move": True,
    "rls_worse_evening": True,
}
# Text that must never be copied into the audit trail.
INTAKE_TEXT = ["Rosalind", "Quarterman", "rosalind.quarterman", "2015550199", "Throbbing calves", "Acme", "1968"]


@pytest.fixture
def make_appointment(clinic):
    """An appointment for PATIENT starting `start` (default: a week ahead at 10:00 UTC)."""

    def build(start=None, status=Appointment.Status.REQUESTED, provider=None, **details):
        start = start or (timezone.now() + timedelta(days=7)).replace(hour=10, minute=0, second=0, microsecond=0)
        visit_type = clinic["vein"]
        return Appointment.objects.create(
            visit_type=visit_type,
            provider=provider or clinic["marsh"],
            location=clinic["location"],
            starts_at=start,
            ends_at=start + visit_type.duration,
            busy_until=start + visit_type.duration + visit_type.buffer_after,
            status=status,
            consent_version="2026-11",
            consented_at=start - timedelta(days=3),
            **{**PATIENT, **details},
        )

    return build


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
