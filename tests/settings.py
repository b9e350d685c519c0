"""Production settings with the few switches a test run needs.

Everything else (DEBUG off, secure cookies, CSP, hashed static files) stays as in production.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-key-not-used-anywhere-else")
# Live-server tests speak plain HTTP to Chromium; the redirect itself is covered by check --deploy.
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
# Admin tests sign in with force_login; tests/staff/ switch the second factor on (the production default).
os.environ.setdefault("TRUFFLES_REQUIRE_2FA", "false")
# Tests create and empty databases: they connect as the owner (the app's own role is tested apart).
os.environ.setdefault("TRUFFLES_DATABASE_ROLE", "owner")
# Test changes never commit, so no NOTIFY arrives: pages ask for the version (one test turns it on).
os.environ.setdefault("TRUFFLES_VERSION_LISTENER", "false")

from truffles.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The audit table refuses TRUNCATE (audit/triggers.py) unless the connection opts in; Django's
# test flush between transactional tests empties tables with TRUNCATE, so test connections opt in.
_database_options = DATABASES["default"].setdefault("OPTIONS", {})  # noqa: F405
# A test's commits need not survive a crash of the server: not waiting for the disk on each commit
# makes the flush after every transactional test and the racing tests cheaper.
_database_options["options"] = " ".join(
    filter(None, [_database_options.get("options", ""), "-c truffles.allow_truncate=on", "-c synchronous_commit=off"])
)

# Several checkouts (or people) can share one PostgreSQL server: each names its own test database.
if os.environ.get("TRUFFLES_TEST_DATABASE"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TRUFFLES_TEST_DATABASE"]}  # noqa: F405

# A worker process the tests start (tests/appointments/mail_fixtures.py) works on the test database.
if os.environ.get("TRUFFLES_WORKER_TEST_DATABASE"):
    DATABASES["default"]["NAME"] = os.environ["TRUFFLES_WORKER_TEST_DATABASE"]  # noqa: F405
