"""A number longer than any of ours is refused with a 400 that says so, never a 500.

Python refuses to convert digit strings over 4,300 characters; a fuzzer found availability.json's
`days` answering 500 to one. Pure parsing first, then every numeric parameter of the site's pages.
"""

from http import HTTPStatus

import pytest

from core.numbers import TooLong, whole_number, whole_number_or_none

HUGE = "9" * 5_000
LONG = "1" * 19  # past bigint, far below Python's limit


@pytest.mark.parametrize("text", [HUGE, LONG])
def test_an_overlong_number_is_too_long_not_a_crash(text):
    with pytest.raises(TooLong):
        whole_number(text)
    assert whole_number_or_none(text) is None


@pytest.mark.parametrize("text", ["", "-1", "²", "1.5", "١٢", None, "0x10"])
def test_only_ascii_digits_are_a_whole_number(text):
    assert whole_number_or_none(text) is None


def test_leading_zeros_do_not_make_a_number_long():
    assert whole_number("0" * 40 + "7") == 7


@pytest.mark.parametrize(("parameter", "message"), [
    ("days", "days must be a whole number from 1 to 31."),
    ("provider", "provider is too long to be a specialist's id."),
])
@pytest.mark.parametrize("digits", [HUGE, LONG])
def test_availability_answers_overlong_numbers_with_a_400(client, clinic, booking_day, parameter, message, digits):
    params = {"visit_type": "vein-evaluation", "date": booking_day.isoformat(), parameter: digits}
    response = client.get("/appointments/availability.json", params)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json() == {"error": message, "parameter": parameter}


def test_the_details_page_answers_an_overlong_specialist_with_a_400_that_says_so(client, open_slot):
    params = {"visit_type": "vein-evaluation", "provider": HUGE, "start": open_slot["start"].isoformat()}
    response = client.get("/appointments/request/details/", params)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "The address has a specialist number too long to be one of ours." in response.content.decode()


@pytest.fixture
def signed_in_admin(client, staff_member, sign_in):
    return sign_in(client, staff_member())


@pytest.mark.parametrize(("url", "says"), [
    (f"/admin/appointments/appointment/{HUGE}/change/", "appointment number"),
    (f"/admin/appointments/appointment/{LONG}/change/", "appointment number"),
    (f"/admin/appointments/appointment/{HUGE}/history/", "appointment number"),
    (f"/admin/appointments/appointment/book/?patient={HUGE}", "patient number"),
])
def test_staff_pages_answer_overlong_numbers_with_a_400_that_says_so(signed_in_admin, clinic, url, says):
    response = signed_in_admin.get(url)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert f"The address has a {says} too long to be one of ours." in response.content.decode()


@pytest.mark.parametrize("url", [
    f"/admin/appointments/appointment/{HUGE}/move/",
    f"/admin/appointments/appointment/{HUGE}/status/confirmed/",
    f"/admin/audit/auditentry/?q={HUGE}",
    f"/admin/appointments/appointment/?p={HUGE}",
    f"/articles/?page={HUGE}",
])
def test_other_pages_never_fail_on_an_overlong_number(signed_in_admin, clinic, url):
    assert signed_in_admin.get(url).status_code < HTTPStatus.INTERNAL_SERVER_ERROR
