"""A forged entry in the shared page cache is ignored: never unpickled, never served.

The site's database role can write the cache table (and anyone on the network can write Redis):
entries here are written straight into the table, as such a writer would.
"""

import base64
import os
import pickle
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.utils import timezone

from core.cache import SignedPickleSerializer, sign

pytestmark = pytest.mark.django_db


class RunsCode:
    """Unpickling this creates a directory: proof that a cache entry ran code."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def write_row(key, value_bytes):
    cache = caches["pages"]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO truffles_page_cache (cache_key, value, expires) VALUES (%s, %s, %s) "
            "ON CONFLICT (cache_key) DO UPDATE SET value = EXCLUDED.value, expires = EXCLUDED.expires",
            [cache.make_key(key), base64.b64encode(value_bytes).decode(), timezone.now() + timedelta(hours=1)],
        )


@pytest.mark.parametrize("forged", [
    "a pickle that runs code",
    "bytes that look signed",
    "a pickle of our own page shape",
])  # fmt: skip
def test_a_forged_cache_row_is_a_miss_and_runs_nothing(tmp_path, forged):
    marker = tmp_path / "ran"
    value = {
        "a pickle that runs code": pickle.dumps(RunsCode(marker)),
        "bytes that look signed": pickle.dumps(b"\x00" * 32 + pickle.dumps(RunsCode(marker))),
        "a pickle of our own page shape": pickle.dumps((200, [], b"<h1>Forged</h1>")),
    }[forged]
    write_row("page:forged", value)

    assert caches["pages"].get("page:forged") is None
    assert not marker.exists()
    with connection.cursor() as cursor:  # and it is gone
        cursor.execute("SELECT count(*) FROM truffles_page_cache WHERE cache_key = %s",
                       [caches["pages"].make_key("page:forged")])  # fmt: skip
        assert cursor.fetchone()[0] == 0


def test_our_own_entries_come_back(tmp_path):
    page = (200, [("Content-Type", "text/html")], b"<h1>Vein evaluation</h1>")
    caches["pages"].set("page:ours", page)
    assert caches["pages"].get("page:ours") == page


def test_a_forged_page_in_the_shared_cache_is_never_served(make_article):
    make_article(title="Iron and restless legs", summary="Iron matters.")
    first = Client().get("/articles/")
    assert first.status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM truffles_page_cache")
        assert cursor.fetchone()[0] >= 1  # the page is in the shared cache
        forged = base64.b64encode(pickle.dumps((200, [("Content-Type", "text/html")], b"<h1>Forged</h1>")))
        cursor.execute("UPDATE truffles_page_cache SET value = %s", [forged.decode()])

    again = Client().get("/articles/")  # a new process's view: nothing in its own memory

    assert b"Forged" not in again.content
    assert "Iron and restless legs" in again.text


def test_the_redis_serializer_refuses_what_it_did_not_sign(tmp_path):
    marker = tmp_path / "ran"
    serializer = SignedPickleSerializer()

    assert serializer.loads(pickle.dumps(RunsCode(marker))) is None
    assert serializer.loads(b"x" * 40) is None
    assert not marker.exists()
    assert serializer.loads(serializer.dumps({"page": b"ok"})) == {"page": b"ok"}
    assert serializer.dumps(5) == sign(5)  # integers are signed too: nothing is taken on trust
