"""Property tests: whatever a client sends to the public entry points, no 500 and no unescaped reflection.

Each property runs generated inputs through the real views (test client, real PostgreSQL): 500 under
`make test` and CI, 25 in a plain `pytest` (the Hypothesis profiles in tests/conftest.py).
"""

from http import HTTPStatus

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from tests.appointments.fixtures import local, request_with_code

# Markup with a marker: if it comes back verbatim, the page reflected it unescaped.
markup = st.text(alphabet="abcxyz019", min_size=1, max_size=8).map(lambda s: f'<b data-fz="{s}">"\'&')
odd = st.text(max_size=60)  # any code points: control characters, NUL, surrogates' neighbours, RTL marks
edge = st.sampled_from(["", "0", "-1", "99999999999999999999", "2026-02-30", "%00", "..", "\x00"])
# Digit strings past bigint and past Python's 4,300-digit int() limit (a fuzzer's 500 on availability.json).
overlong = st.integers(min_value=19, max_value=6_000).map(lambda length: "7" * length)
value = st.one_of(markup, odd, edge, overlong)


def assert_safe(response, *sent):
    assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR, response.content[:500]
    body = response.content.decode(errors="replace")
    for text in sent:
        if isinstance(text, str) and "<b data-fz=" in text:
            assert text not in body


@pytest.fixture
def fuzz_client(db, clinic, rls_article):
    return Client()


@given(q=value, topic=value, page=value)
def test_article_search_never_errors_nor_reflects(fuzz_client, q, topic, page):
    assert_safe(fuzz_client.get("/articles/", {"q": q, "topic": topic, "page": page}, secure=True), q, topic, page)


@given(visit_type=st.one_of(value, st.just("vein-evaluation")), day=value, days=value, provider=value)
def test_availability_json_never_errors_nor_reflects(fuzz_client, visit_type, day, days, provider):
    response = fuzz_client.get(
        "/appointments/availability.json",
        {"visit_type": visit_type, "date": day, "days": days, "provider": provider},
        secure=True,
    )
    assert_safe(response, visit_type, day, days, provider)
    assert response["Content-Type"].startswith("application/json")


@given(parameter=st.sampled_from(["days", "provider"]), number=overlong)
def test_availability_json_refuses_every_overlong_number_with_a_400(fuzz_client, booking_day, parameter, number):
    params = {"visit_type": "vein-evaluation", "date": booking_day.isoformat(), parameter: number}
    response = fuzz_client.get("/appointments/availability.json", params, secure=True)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert response.json()["parameter"] == parameter


DETAIL_FIELDS = [
    "first_name", "last_name", "date_of_birth", "email", "phone", "preferred_contact", "is_new_patient",
    "insurance_carrier", "reasons", "notes", "urgent_one_leg", "urgent_breathing", "consent",
    "urgent_bleeding", "urgent_cord", "website",
    "submission_token", "visit_type", "provider", "start", "alternative", "from", "reschedule",
]


@given(changes=st.dictionaries(st.sampled_from(DETAIL_FIELDS), value, max_size=6))
def test_the_request_details_post_never_errors_nor_reflects(fuzz_client, clinic, booking_day, slot_post, changes):
    slot = {"visit_type": clinic["vein"], "provider": clinic["marsh"], "start": local(booking_day, 9)}
    data = {**slot_post(slot), **changes}
    response = fuzz_client.post("/appointments/request/details/", data, secure=True)
    assert_safe(response, *changes.values())


@pytest.fixture
def manage_url(fuzz_client, clinic, booking_day, slot_post):
    slot = {"visit_type": clinic["vein"], "provider": clinic["marsh"], "start": local(booking_day, 10)}
    return request_with_code(fuzz_client, slot_post(slot), secure=True).url


@given(
    token=st.one_of(
        st.just(None),  # the patient's real link
        st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", min_size=1, max_size=80),
    ),
    tail=st.sampled_from(["", "cancel/", "calendar.ics"]),
    query=value,
    post=st.booleans(),
)
def test_the_manage_link_never_errors_nor_reflects(fuzz_client, manage_url, token, tail, query, post):
    url = (manage_url if token is None else f"/appointments/manage/{token}/") + tail
    if post:
        response = fuzz_client.post(url, {"reason": query, "confirm": query}, secure=True)
    else:
        response = fuzz_client.get(url, {"q": query}, secure=True)
    assert_safe(response, query)
    if token is not None:
        assert response.status_code in (HTTPStatus.NOT_FOUND, HTTPStatus.METHOD_NOT_ALLOWED)
