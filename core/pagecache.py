"""Whole public pages for visitors without a session, built once per content version.

A page marked with `public_page` is answered, for a GET without a session or messages cookie, from
the version of the content in the database (one query) and a cache keyed by that version:
- a browser's `If-None-Match` that matches gets a 304 right away (the ETag is the version);
- otherwise the stored page is sent: from this process's memory, else from the shared cache
  (`CACHES["pages"]`: Redis with REDIS_URL, PostgreSQL's database cache without), else it is
  rendered and stored in both.
Staff changes bump the version in their own transaction (the articles_content_changed
triggers), and an article scheduled for later changes the key when its time comes, so nothing is served
stale. Because the key holds the version, a copy kept in memory can never be out of date either.

The middleware sits outside the session, auth and staff middleware: a hit skips them all. The CSP
middleware stays outside it, so each response still gets its own nonce (swapped into the stored page).
"""

import datetime
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date

from core import versions
from core.models import Version

# Stands for the CSP nonce in a stored page; each response gets its own in its place.
NONCE_PLACEHOLDER = b"truffles-csp-nonce-placeholder"
# Headers that belong to one response, never to a stored page.
UNSTORED_HEADERS = {"set-cookie", "date", "etag", "last-modified", "cache-control"}

VERSIONS_SQL = "SELECT name, number, changed_at, scheduled FROM truffles_version"

# name -> (number, changed_at, scheduled publications) of a version row.
VersionRows = dict[str, tuple[int, datetime.datetime, list[datetime.datetime]]]
# (status, headers, body with the nonce placeholder): what is kept of a page.
StoredPage = tuple[int, list[tuple[str, str]], bytes]
View = Callable[..., HttpResponseBase]
PageKey = Callable[[HttpRequest, datetime.datetime, VersionRows], str | None]


class PublicPage:
    """A view whose page is the same for every visitor without a session (see `public_page`)."""

    def __init__(self, view: View, key: PageKey | None, shared: bool) -> None:
        self.view, self.page_key, self.page_shared = view, key, shared
        # Named as the view it wraps, for the URL resolver and for logs.
        self.__name__ = getattr(view, "__name__", type(view).__name__)
        self.__qualname__ = getattr(view, "__qualname__", self.__name__)
        self.__module__ = getattr(view, "__module__", __name__)
        self.__doc__ = view.__doc__

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return self.view(request, *args, **kwargs)


def public_page(view: View, *, key: PageKey | None = None, shared: bool = True) -> PublicPage:
    """Mark a view whose page is the same for every visitor without a session.

    `key(request, now, versions)`, for a page that depends on more than the content (the free
    times), returns what else its page is kept under, or None to neither serve nor store this one.
    `versions` is `current_versions()`, already fetched. shared=False keeps the pages in this
    process only: for pages that change with every booking, a write to the shared cache costs more
    than the render it would save another process.
    """
    return PublicPage(view, key, shared)


def current_versions() -> VersionRows:
    """name -> (number, changed_at, scheduled) of every version (a few rows), from memory
    (core/versions.py) or one query."""
    rows = versions.known_all()
    return _version_rows() if rows is None else rows


def content_state(now: datetime.datetime, rows: VersionRows | None = None) -> tuple[str, datetime.datetime] | None:
    """(version, last change) of the content; None before the first version."""
    return version_state(Version.CONTENT, now, rows)


def version_state(
    name: str, now: datetime.datetime, rows: VersionRows | None = None
) -> tuple[str, datetime.datetime] | None:
    """(version, last change) of the named version; None before its first.

    A scheduled publication that has come counts as a change: it is in the version, and its time
    is the last change.
    """
    row = (current_versions() if rows is None else rows).get(name)
    if not row:
        return None
    number, changed_at, scheduled = row
    come = [moment for moment in scheduled if moment <= now]
    if come:
        return f"{number}.{len(come)}", max(changed_at, come[-1])
    return str(number), changed_at


def _version_rows() -> VersionRows:
    """The version rows, asked for. With CONN_HEALTH_CHECKS Django would first send `SELECT 1` on a
    reused connection: a second round trip on a path that needs one. This query is the health check
    instead: if the server dropped the connection (a restart, an idle timeout), it is closed and the
    query runs once more on a new one.
    """
    db: Any = connection  # health_check_done is Django's own flag, not in the type stubs
    if db.connection is None or db.health_check_done or db.in_atomic_block:
        return _fetch_version_rows()
    db.health_check_done = True
    try:
        return _fetch_version_rows()
    except (OperationalError, InterfaceError):
        connection.close()
    return _fetch_version_rows()


def _fetch_version_rows() -> VersionRows:
    with connection.cursor() as cursor:
        cursor.execute(VERSIONS_SQL)
        return {name: (number, changed_at, scheduled) for name, number, changed_at, scheduled in cursor}


class LocalCache[K, V]:
    """The most recently used answers of this process, by a key that holds the version they were built under."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self.entries: OrderedDict[K, V] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()

    def set(self, key: K, entry: V) -> None:
        if self.max_entries <= 0:
            return
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)


class PublicPageCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.local: LocalCache[str, StoredPage] = LocalCache(settings.TRUFFLES_PAGE_CACHE_LOCAL_ENTRIES)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        view = self.public_view(request) if settings.TRUFFLES_PAGE_CACHE else None
        validators = self.validators(request, view) if view is not None else None
        if view is None or validators is None:
            return self.get_response(request)
        digest, modified = validators
        response: HttpResponseBase | None = get_conditional_response(
            request, etag=f'"{digest}"', last_modified=modified
        )
        if response is None:
            response, kept = self.stored_or_rendered(request, f"page:{digest}", view.page_shared)
            if not kept:
                return response  # not a page to keep (an error, a cookie): sent as the view made it
        response.headers["ETag"] = f'"{digest}"'
        if modified:
            response.headers["Last-Modified"] = http_date(modified)
        # Browsers may keep the page but must ask again each time, so corrections show at once.
        patch_cache_control(response, no_cache=True)
        return response

    def validators(self, request: HttpRequest, view: PublicPage) -> tuple[str, int | None] | None:
        """The page's ETag digest and Last-Modified (Unix time, or None when the ETag alone says), from
        the versions it depends on; None when this page is neither served nor stored."""
        now = timezone.now()
        rows = current_versions()
        state = content_state(now, rows)
        if state is None:
            return None
        number, changed = state
        extra: str | None = ""
        if view.page_key is not None:
            extra = view.page_key(request, now, rows)
            if extra is None:
                return None
        host_and_path = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
        fingerprint = f"{settings.TRUFFLES_RELEASE}\x1f{number}\x1f{extra}\x1f{host_and_path}"
        digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:32]
        # A page keyed by more than the content changes without a content change: no Last-Modified.
        return digest, int(changed.timestamp()) if view.page_key is None else None

    def stored_or_rendered(self, request: HttpRequest, key: str, shared: bool) -> tuple[HttpResponseBase, bool]:
        """The kept page (this process's, else the shared cache's), or the view's page rendered and kept;
        and whether it is a kept page (False: the view's answer may not be kept)."""
        page = self.local.get(key)
        if page is None and shared:
            page = caches["pages"].get(key)
            if page is not None:
                self.local.set(key, page)
        if page is not None:
            return self.build(request, page), True
        response = self.get_response(request)
        if not self.storable(response):
            return response, False
        self.store(key, request, response, shared)
        return response, True

    @staticmethod
    def public_view(request: HttpRequest) -> PublicPage | None:
        """The marked view this request goes to, or None when its page may not come from the cache."""
        if request.method != "GET":
            return None
        cookies = request.COOKIES
        if settings.SESSION_COOKIE_NAME in cookies or "messages" in cookies:
            return None
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return None
        return match.func if isinstance(match.func, PublicPage) else None

    @staticmethod
    def storable(response: HttpResponseBase) -> bool:
        cache_control = response.get("Cache-Control", "")
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and "private" not in cache_control
            and "no-store" not in cache_control
        )

    def store(self, key: str, request: HttpRequest, response: HttpResponseBase, shared: bool) -> StoredPage:
        body = getattr(response, "content", b"")  # storable: not streaming
        nonce = getattr(request, "_csp_nonce", None)
        if nonce:
            body = body.replace(str(nonce).encode(), NONCE_PLACEHOLDER)
        # No session existed, so the page is the same whatever cookies come: no Vary: Cookie.
        self.drop_cookie_from_vary(response)
        headers = [(name, value) for name, value in response.headers.items() if name.lower() not in UNSTORED_HEADERS]
        page = (response.status_code, headers, body)
        self.local.set(key, page)
        if shared:
            caches["pages"].set(key, page)
        return page

    @staticmethod
    def build(request: HttpRequest, page: StoredPage) -> HttpResponse:
        status, headers, body = page
        if NONCE_PLACEHOLDER in body:
            body = body.replace(NONCE_PLACEHOLDER, str(getattr(request, "_csp_nonce", "")).encode())
        response = HttpResponse(body, status=status)
        for name, value in headers:
            response.headers[name] = value
        return response

    @staticmethod
    def drop_cookie_from_vary(response: HttpResponseBase) -> None:
        vary = [field.strip() for field in response.get("Vary", "").split(",") if field.strip()]
        kept = [field for field in vary if field.lower() != "cookie"]
        if kept:
            response.headers["Vary"] = ", ".join(kept)
        elif "Vary" in response:
            del response.headers["Vary"]
