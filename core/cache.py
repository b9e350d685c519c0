"""The shared page cache, signed: an entry someone else wrote is a miss, never unpickled, never served.

Django's database and Redis caches read values back with pickle, and the site's own database role
(or anyone who reaches Redis) can write them: a forged entry would run code in every worker, or a
forged page would be served to every visitor. Each value is stored as an HMAC (with SECRET_KEY) and
the pickle it covers; reading checks the HMAC first. What the database backend reads is opened with
an unpickler that knows no classes (plain bytes come out, nothing runs) before the check.
"""

import base64
import io
import pickle

from django.core.cache.backends.db import DatabaseCache
from django.db import connections, models, router
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.timezone import now as tz_now

SALT = "core.cache.SignedPickle"
DIGEST_BYTES = 32  # SHA-256


def sign(value) -> bytes:
    payload = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    return salted_hmac(SALT, payload, algorithm="sha256").digest() + payload


class Forged(ValueError):
    """A cache entry without our signature."""


def verified(signed: object):
    """The value inside `signed`; Forged when it does not carry our signature (nothing is unpickled then)."""
    if not isinstance(signed, bytes) or len(signed) <= DIGEST_BYTES:
        raise Forged("not a signed cache entry")
    digest, payload = signed[:DIGEST_BYTES], signed[DIGEST_BYTES:]
    if not constant_time_compare(digest, salted_hmac(SALT, payload, algorithm="sha256").digest()):
        raise Forged("the cache entry's signature does not match")
    return pickle.loads(payload)  # noqa: S301 (signed with our secret just above)


class _PlainBytesUnpickler(pickle.Unpickler):
    """Opens a pickle of plain data only: any class or function it names is refused, so nothing runs."""

    def find_class(self, module, name):
        raise Forged(f"a cache entry names {module}.{name}")


def _stored_bytes(text: str) -> bytes:
    unwrapped = _PlainBytesUnpickler(io.BytesIO(base64.b64decode(text.encode(), validate=True))).load()
    if not isinstance(unwrapped, bytes):
        raise Forged("a cache entry that is not bytes")
    return unwrapped


class SignedDatabaseCache(DatabaseCache):
    """Django's database cache with signed values; reading is Django's get_many but for the check."""

    def _base_set(self, mode, key, value, timeout=None):
        # Django pickles these bytes again; the read below opens that outer pickle without classes.
        return super()._base_set(mode, key, None if mode == "touch" else sign(value), timeout)

    def get_many(self, keys, version=None):
        if not keys:
            return {}
        key_map = {self.make_and_validate_key(key, version=version): key for key in keys}
        connection = connections[router.db_for_read(self.cache_model_class)]
        quote_name = connection.ops.quote_name
        placeholders = ", ".join(["%s"] * len(key_map))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote_name('cache_key')}, {quote_name('value')}, {quote_name('expires')} "  # noqa: S608
                f"FROM {quote_name(self._table)} WHERE {quote_name('cache_key')} IN ({placeholders})",
                list(key_map),
            )
            rows = cursor.fetchall()
        expression = models.Expression(output_field=models.DateTimeField())
        converters = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
        result, expired = {}, []
        for key, value, expires in rows:
            for converter in converters:
                expires = converter(expires, expression, connection)
            if expires < tz_now():
                expired.append(key)
                continue
            try:
                result[key_map[key]] = verified(_stored_bytes(connection.ops.process_clob(value)))
            except (Forged, pickle.UnpicklingError, ValueError, EOFError):
                expired.append(key)  # a forged entry is a miss, and goes
        self._base_delete_many(expired)
        return result


class SignedPickleSerializer:
    """For Django's RedisCache (OPTIONS "serializer"): the same signed values."""

    def __init__(self, protocol=None):
        pass

    def dumps(self, obj) -> bytes:
        return sign(obj)

    def loads(self, data):
        try:
            return verified(data)
        except Forged:
            return None  # a miss: the page is built afresh and stored signed
