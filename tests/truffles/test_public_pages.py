"""What search engines and browsers fetch besides the pages: robots.txt, the icon, compressed HTML."""

import gzip
import urllib.robotparser
from http import HTTPStatus

import pytest

from tests.appointments.fixtures import local


@pytest.fixture
def robots(client, db):
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(client.get("/robots.txt").text.splitlines())
    return parser


def test_robots_txt_lets_search_engines_find_the_request_page(robots):
    assert robots.can_fetch("Googlebot", "http://testserver/appointments/request/")
    assert robots.can_fetch("Googlebot", "http://testserver/appointments/request/?visit_type=rls-consultation")
    assert robots.can_fetch("Googlebot", "http://testserver/articles/restless-legs-syndrome-causes/")


def test_robots_txt_keeps_the_details_step_and_booking_pages_out(robots):
    assert not robots.can_fetch("Googlebot", "http://testserver/appointments/request/details/?visit_type=x")
    assert not robots.can_fetch("Googlebot", "http://testserver/appointments/manage/abc/")
    assert not robots.can_fetch("Googlebot", "http://testserver/admin/")


def test_request_page_names_its_canonical_address(client, clinic):
    response = client.get("/appointments/request/?visit_type=rls-consultation&from=restless-legs-syndrome-causes")
    assert '<link rel="canonical" href="http://testserver/appointments/request/">' in response.text


def test_favicon_ico_leads_to_the_clinic_icon(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == HTTPStatus.MOVED_PERMANENTLY
    assert response["Location"].startswith("/static/icons/favicon")
    assert response["Location"].endswith(".ico")


def test_pages_name_an_icon_and_a_touch_icon(client, db):
    text = client.get("/").text
    assert 'rel="icon"' in text
    assert 'rel="apple-touch-icon"' in text


@pytest.mark.parametrize("path", ["/", "/articles/", "/appointments/request/"])
def test_public_pages_are_sent_compressed(client, clinic, path):
    response = client.get(path, headers={"Accept-Encoding": "gzip, br"})
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Encoding"] == "gzip"
    assert "</html>" in gzip.decompress(response.content).decode()


def test_details_form_is_compressed_with_a_fresh_csrf_mask_each_time(client, clinic, booking_day):
    start = local(booking_day, 9).isoformat()
    path = f"/appointments/request/details/?visit_type=vein-evaluation&provider={clinic['marsh'].pk}&start={start}"
    pages = [client.get(path, headers={"Accept-Encoding": "gzip"}) for _ in range(2)]
    assert all(page["Content-Encoding"] == "gzip" for page in pages)
    marker = 'name="csrfmiddlewaretoken" value="'
    tokens = [gzip.decompress(page.content).decode().split(marker)[1][:64] for page in pages]
    assert tokens[0] != tokens[1]  # BREACH cannot converge on a token that changes every response


def test_staff_pages_and_signed_in_browsers_get_uncompressed_html(client, db):
    assert not client.get("/admin/login/", headers={"Accept-Encoding": "gzip"}).has_header("Content-Encoding")
    client.cookies["sessionid"] = "anything"
    assert not client.get("/", headers={"Accept-Encoding": "gzip"}).has_header("Content-Encoding")
