"""nginx's one-second micro-cache, as shipped in deploy/nginx.conf, in front of a real granian."""

import gzip
import time
import urllib.request

import pytest

from tests.processes import (
    free_port,
    loopback_nginx,
    production_env,
    running,
    start,
    start_granian,
    wait_until,
    wait_until_answers,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.process]

# The cache keeps a page one second and a hit's open file is checked once a second: an edit shows
# within two seconds; a bit more for a loaded test machine.
EDIT_SHOWS_WITHIN = 4.0


def fetch(url: str, **headers: str) -> tuple[str, str, bytes]:
    """(X-Micro-Cache, Content-Encoding, body) of a GET."""
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (loopback only)
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        return response.headers.get("X-Micro-Cache", ""), response.headers.get("Content-Encoding", ""), response.read()


@pytest.fixture
def front(tmp_path):
    """The article pages through nginx with the shipped configuration, in front of granian."""
    app_port, front_port = free_port(), free_port()
    nginx = loopback_nginx(tmp_path, front_port, app_port)
    with (
        running(start_granian(app_port, production_env(), tmp_path / "granian.log", workers=1)),
        running(start(nginx, production_env(), tmp_path / "nginx.log")),
    ):
        url = f"http://127.0.0.1:{front_port}"
        wait_until_answers(url + "/healthz", 60)
        yield url


def test_readers_get_stored_copies_staff_never_do_and_an_edit_shows_within_seconds(front, make_article):
    article = make_article(title="Leg cramps at night", slug="leg-cramps-at-night")
    page = f"{front}/articles/{article.slug}/"

    assert fetch(page)[0] == "MISS"
    status, _, body = fetch(page)
    assert status == "HIT"
    assert b"Leg cramps at night" in body
    # A signed-in visitor (or one with a pending message) is never served a stored page.
    assert fetch(page, Cookie="sessionid=abc")[0] == "BYPASS"
    # Two browsers' Accept-Encoding lines share one stored gzip copy.
    first = fetch(page, **{"Accept-Encoding": "gzip, deflate, br"})
    second = fetch(page, **{"Accept-Encoding": "gzip, br, zstd"})
    assert (first[0], first[1]) == ("MISS", "gzip")
    assert (second[0], second[1]) == ("HIT", "gzip")
    assert b"Leg cramps at night" in gzip.decompress(second[2])

    article.title = "Night-time leg cramps"
    article.save()
    edited_at = time.monotonic()

    def edit_shows() -> bool:
        plain, compressed = fetch(page)[2], gzip.decompress(fetch(page, **{"Accept-Encoding": "gzip"})[2])
        return b"Night-time leg cramps" in plain and b"Night-time leg cramps" in compressed

    wait_until(edit_shows, EDIT_SHOWS_WITHIN, "the edit to show in both stored copies", interval=0.1)
    print(f"\nthe edit showed through the micro-cache after {time.monotonic() - edited_at:.2f} s")
