"""Behind the TLS proxy every request comes from the proxy: the client is the hop it forwarded."""

import subprocess
import sys
from http import HTTPStatus

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from appointments.models import Appointment
from audit import trail
from audit.middleware import AuditContextMiddleware
from audit.models import AuditEntry
from core.client import client_address
from tests.appointments.fixtures import local
from tests.staff.fixtures import PASSWORD

PROXY = "10.0.0.2"
DETAILS = "/appointments/request/details/"
LOGIN = "/admin/login/"


def via(forwarded_for="", remote=PROXY):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


@pytest.fixture
def behind_proxy(settings):
    settings.TRUFFLES_TRUSTED_PROXIES = 1
    return settings


def test_without_a_proxy_the_forwarded_header_is_ignored(settings):
    settings.TRUFFLES_TRUSTED_PROXIES = 0
    assert client_address(via("198.51.100.9", remote="203.0.113.5")) == "203.0.113.5"


def test_behind_one_proxy_the_client_is_the_hop_the_proxy_added(behind_proxy):
    assert client_address(via("203.0.113.7")) == "203.0.113.7"
    # A client cannot choose its address by sending its own header: the proxy appends the real one.
    assert client_address(via("1.2.3.4, 203.0.113.7")) == "203.0.113.7"


def test_behind_two_proxies_the_client_is_the_second_hop_from_the_right(settings):
    settings.TRUFFLES_TRUSTED_PROXIES = 2
    assert client_address(via("1.2.3.4, 203.0.113.7, 10.0.0.9")) == "203.0.113.7"


@pytest.mark.parametrize(
    "forwarded", ["", "unknown", "203.0.113.7:443", "<script>", "fe80::1%" + "x" * 60, " , "]
)
def test_a_missing_or_malformed_hop_falls_back_to_the_connection_address(behind_proxy, forwarded):
    assert client_address(via(forwarded)) == PROXY


def test_too_few_hops_for_the_trusted_proxies_falls_back_to_the_connection_address(settings):
    settings.TRUFFLES_TRUSTED_PROXIES = 2
    assert client_address(via("203.0.113.7")) == PROXY


def test_ipv6_clients_are_named_in_one_spelling(behind_proxy):
    assert client_address(via("2001:DB8:0:0::1")) == "2001:db8::1"


@pytest.mark.process
def test_the_setting_follows_the_environment():
    code = "from django.conf import settings; print(settings.TRUFFLES_TRUSTED_PROXIES)"
    # Settings never connect at import; a URL keeps them from starting the embedded server.
    base = {"DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": "postgres://nobody@localhost/unused"}

    def trusted(**env):
        result = subprocess.run(
            [sys.executable, "-c", code],
            env={**base, **env}, capture_output=True, text=True, timeout=60, check=True,
        )
        return int(result.stdout)

    assert trusted() == 0
    assert trusted(DJANGO_BEHIND_PROXY="true") == 1
    assert trusted(DJANGO_BEHIND_PROXY="true", DJANGO_TRUSTED_PROXY_COUNT="2") == 2


def test_patients_behind_the_proxy_have_their_own_rate_limit(
    client, clinic, booking_day, slot_post, behind_proxy
):
    behind_proxy.TRUFFLES_BOOKING = {**behind_proxy.TRUFFLES_BOOKING, "RATE_PER_ADDRESS_PER_HOUR": 1}
    for index, hour in enumerate([9, 10, 11]):
        slot = {"visit_type": clinic["vein"], "provider": clinic["marsh"], "start": local(booking_day, hour)}
        response = client.post(
            DETAILS,
            slot_post(slot, email=f"patient{index}@example.com"),
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=f"203.0.113.{index + 1}",
        )
        assert response.status_code == HTTPStatus.FOUND, response.content.decode()[:500]
    assert Appointment.objects.count() == 3

    again = {"visit_type": clinic["vein"], "provider": clinic["marsh"], "start": local(booking_day, 14)}
    response = client.post(
        DETAILS, slot_post(again, email="patient9@example.com"), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.1"
    )
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_a_sign_in_lockout_behind_the_proxy_locks_out_only_that_client(client, staff_member, behind_proxy):
    staff_member("Front desk")

    def attempt(password, address):
        return client.__class__().post(
            LOGIN,
            {"username": "front-desk", "password": password, "next": "/admin/"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=address,
        )

    for _ in range(behind_proxy.AXES_FAILURE_LIMIT):
        attempt("wrong password", "198.51.100.66")

    assert attempt(PASSWORD, "198.51.100.66").status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert attempt(PASSWORD, "203.0.113.20").status_code == HTTPStatus.FOUND


def test_the_audit_trail_names_the_client_not_the_proxy(make_appointment, staff_member, behind_proxy):
    appointment = make_appointment()
    nurse = staff_member("Front desk")
    request = via("192.0.2.55")
    request.user = nurse

    def confirm(request):
        Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.CONFIRMED)
        trail.record_access(request, "view", [appointment])
        return HttpResponse("ok")

    AuditContextMiddleware(confirm)(request)

    entries = AuditEntry.objects.for_appointment(appointment).exclude(action="create")
    assert {entry.address for entry in entries} == {"192.0.2.55"}
