"""What every benchmark shares: production settings, a throw-away database, and one measuring stick."""

import os
import statistics
import sys
from pathlib import Path
from time import perf_counter

BASE_DIR = Path(__file__).resolve().parent.parent
REPEAT = 15
# Benchmarks start servers with the tests' own helpers (tests/processes.py: free_port, wait_until).
sys.path.insert(0, str(BASE_DIR))


def setup_django():
    os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-key")
    os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("TRUFFLES_REQUIRE_2FA", "false")
    # Benchmarks create and fill their own databases: they connect as the owner, not the site's role.
    os.environ.setdefault("TRUFFLES_DATABASE_ROLE", "owner")
    os.environ["DJANGO_SETTINGS_MODULE"] = "truffles.settings"
    import django
    from django.core.management import call_command
    from django.test.utils import setup_test_environment

    django.setup()
    setup_test_environment()
    call_command("collectstatic", "--no-input", verbosity=0)  # hashed static files, as `make serve`


def use_bench_database(suffix: str) -> str:
    """Switch to `<database>_<suffix>`, created afresh so every run's figures compare; returns its name."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, connections

    name = f"{settings.DATABASES['default']['NAME']}_{suffix}"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connections["default"].close()
    settings.DATABASES["default"]["NAME"] = name
    connections["default"].settings_dict["NAME"] = name
    call_command("migrate", verbosity=0)
    return name


def measure(client, url, repeat=REPEAT, before=lambda: None):
    """(queries, median milliseconds) for one page, after a warm-up request; `before()` runs before each."""
    from django.db import connection

    client.get(url)
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    before()
    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    timings = []
    for _ in range(repeat):
        before()
        started = perf_counter()
        client.get(url)
        timings.append((perf_counter() - started) * 1000)
    return len(queries), statistics.median(timings)
