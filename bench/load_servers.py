"""The load benchmark's processes: the app servers (as `make serve`), nginx in front, and one request to each."""

import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

from common import BASE_DIR

from tests.processes import free_port, loopback_nginx, wait_until_answers

VENV_BIN = Path(sys.executable).parent
SECRET_KEY = "bench-only-key-" + "x" * 40
# The server configurations compared; the first is `make serve`.
# granian's default of up to 256 threads per worker would also mean as many database connections.
GRANIAN = ["granian", "--interface", "wsgi", "--no-ws"]
SERVERS = {
    "granian": [*GRANIAN, "--workers", "2", "--blocking-threads", "1"],
    "granian-4t": [*GRANIAN, "--workers", "2", "--blocking-threads", "4"],
    "gunicorn-sync": ["gunicorn", "--worker-class", "sync", "--workers", "4"],
    "gunicorn-gthread": ["gunicorn", "--worker-class", "gthread", "--workers", "2", "--threads", "4"],
}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
    """(status, headers, body) of one request, redirects not followed: a row must not measure a redirect."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class Servers:
    """The processes of one run; all stopped (by their own process group) on exit."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.processes = []

    def start(self, command: list[str], env: dict[str, str], log_name: str) -> subprocess.Popen:
        log = open(self.workdir / f"{log_name}.log", "wb")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            command, env=env, cwd=BASE_DIR, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes.append(process)
        return process

    def stop(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)
        self.processes.remove(process)

    def stop_all(self) -> None:
        for process in list(self.processes):
            self.stop(process)


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url, DJANGO_SECRET_KEY=SECRET_KEY, DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost", DJANGO_SECURE_SSL_REDIRECT="false",
        DJANGO_SECURE_COOKIES="false", DJANGO_HSTS_SECONDS="0", DJANGO_LOG_LEVEL="WARNING",
        TRUFFLES_REQUIRE_2FA="false", TRUFFLES_HORIZON_DAYS="365",
        # The POST row books hundreds of times from one address: the anti-abuse limits are raised for it.
        TRUFFLES_RATE_PER_ADDRESS_PER_HOUR="10000000", TRUFFLES_RATE_PER_EMAIL_PER_DAY="10000000",
        TRUFFLES_MAX_OPEN_REQUESTS_PER_PATIENT="10000000", TRUFFLES_MAX_UNPROVEN_PER_NETWORK="10000000",
        TRUFFLES_MAX_UNPROVEN_PER_DOMAIN="10000000",
        PYTHONPATH=str(BASE_DIR),
        # As behind deploy/nginx.conf: the client address is the hop the proxy adds (the POST row sets it).
        DJANGO_TRUSTED_PROXY_COUNT="1",
    )  # fmt: skip
    env.update(extra)
    return env


def start_app(servers: Servers, name: str, env: dict[str, str], label: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    command = [str(VENV_BIN / SERVERS[name][0]), *SERVERS[name][1:]]
    if name.startswith("granian"):
        command += ["--host", "127.0.0.1", "--port", str(port), "truffles.wsgi:application"]
    else:
        command += ["--bind", f"127.0.0.1:{port}", "--chdir", str(BASE_DIR), "truffles.wsgi:application"]
    process = servers.start(command, env, label)
    wait_until_answers(f"http://127.0.0.1:{port}/healthz", 60)
    return process, port


def start_nginx(servers: Servers, workdir: Path, app_port: int) -> tuple[subprocess.Popen, int, int]:
    """nginx in front of the app on loopback, plus the static server: (process, static port, front port)."""
    static_port, front_port = free_port(), free_port()
    # deploy/nginx.conf on loopback without its access log, plus a static server for the reference row.
    static_server = f"""
    server {{
        listen 127.0.0.1:{static_port};
        root {workdir}/static-site;
        location = /article.html {{ default_type text/html; gzip_static on; }}
    }}
"""
    command = loopback_nginx(workdir, front_port, app_port, access_log=False, extra_servers=static_server)
    nginx = servers.start(command, dict(os.environ), "nginx")
    wait_until_answers(f"http://127.0.0.1:{static_port}/article.html", 60)
    return nginx, static_port, front_port
