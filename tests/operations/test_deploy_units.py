"""deploy/: the systemd units an operator installs are valid, and each one comes back after a failure."""

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.processes import (
    GRANIAN_FLAGS,
    ROOT,
    database_url,
    free_port,
    production_env,
    running,
    start_granian,
    wait_until_answers,
)

DEPLOY = ROOT / "deploy"
SERVICES = ["truffles-web.service", "truffles-worker.service", "truffles-purge.service", "truffles-backup.service"]


def unit(name):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string((DEPLOY / name).read_text().replace("\\\n", " "))
    return parser


@pytest.fixture
def installed(tmp_path):
    """The units as installed from this checkout (paths pointing here, so the commands exist)."""
    for path in DEPLOY.glob("truffles-*"):
        (tmp_path / path.name).write_text(path.read_text().replace("/srv/truffles", str(ROOT)))
    return tmp_path


@pytest.mark.process
def test_systemd_finds_nothing_wrong_with_the_units(installed):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is needed to check deploy/ (Debian: apt-get install systemd)")
    result = subprocess.run(
        [analyze, "verify", *sorted(str(path) for path in installed.iterdir())],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_restarts_after_a_failure(name):
    assert unit(name)["Service"]["Restart"] in {"always", "on-failure"}


def test_the_web_server_respawns_workers_as_make_serve_does():
    command = unit("truffles-web.service")["Service"]["ExecStart"]
    makefile = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    for flag in GRANIAN_FLAGS:
        assert flag in command.split()
        assert flag in makefile


def test_the_purge_runs_daily_and_catches_up_after_downtime():
    timer = unit("truffles-purge.timer")["Timer"]
    assert timer["Unit"] == "truffles-purge.service"
    assert timer["OnCalendar"].endswith("03:15:00")
    assert timer["Persistent"] in {"yes", "true"}
    assert "purge_patient_data" in unit("truffles-purge.service")["Service"]["ExecStart"]


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_is_given_a_bounded_time_to_stop(name):
    assert 0 < int(unit(name)["Service"]["TimeoutStopSec"]) <= 120


def test_backups_run_every_few_hours_bounded_and_catch_up_after_downtime():
    timer = unit("truffles-backup.timer")["Timer"]
    service = unit("truffles-backup.service")["Service"]
    assert timer["Unit"] == "truffles-backup.service"
    assert timer["Persistent"] in {"yes", "true"}
    assert timer["OnCalendar"] == "*-*-* 00/4:30:00"
    assert service["ExecStart"].endswith("manage.py backup")
    assert service["TimeoutStartSec"] == "1h"
    assert service["UMask"] == "0077"
    assert "/srv/truffles/var" in service["ReadWritePaths"]


def test_the_web_servers_processes_share_an_emptied_metrics_directory():
    service = unit("truffles-web.service")["Service"]
    assert service["Environment"] == f"PROMETHEUS_MULTIPROC_DIR=/run/{service['RuntimeDirectory']}"
    assert "--log-config /srv/truffles/deploy/granian-logging.json" in service["ExecStart"]


def environment_files(name):
    return [line.split("=", 1)[1].strip() for line in (DEPLOY / name).read_text().splitlines()
            if line.startswith("EnvironmentFile=")]  # fmt: skip


def test_only_the_migrate_unit_reads_the_owners_credentials():
    migrate = unit("truffles-migrate.service")["Service"]
    assert "/etc/truffles/owner.env" in environment_files("truffles-migrate.service")
    assert "TRUFFLES_DATABASE_ROLE=owner" in migrate["ExecStart"]
    assert "migrate" in migrate["ExecStart"]
    for name in SERVICES:
        assert "/etc/truffles/owner.env" not in environment_files(name), name
        assert "manage.py migrate" not in (DEPLOY / name).read_text(), name
        assert "TRUFFLES_DATABASE_ROLE=owner" not in (DEPLOY / name).read_text(), name
    web = unit("truffles-web.service")["Unit"]
    assert "truffles-migrate.service" in web["Requires"]
    assert "truffles-migrate.service" in web["After"]


@pytest.mark.process
@pytest.mark.django_db(transaction=True)
def test_the_web_process_environment_holds_no_owner_credentials(tmp_path):
    """granian started with what the web unit reads: neither it nor its workers hold the owner's password."""
    etc = {"/etc/truffles/env": {**production_env(), "DATABASE_URL": database_url()},
           "/etc/truffles/owner.env": {"DATABASE_OWNER_URL": "postgresql://truffles_owner:owner-secret-4711@db/x"}}
    environment = {}
    for path in environment_files("truffles-web.service"):
        environment.update(etc[path])
    port = free_port()
    with running(start_granian(port, environment, tmp_path / "web.log")) as granian:
        wait_until_answers(f"http://127.0.0.1:{port}/healthz", 60)
        processes = [psutil.Process(granian.pid), *psutil.Process(granian.pid).children(recursive=True)]
        environments = [Path(f"/proc/{process.pid}/environ").read_bytes() for process in processes]
    assert len(environments) >= 2  # granian and its worker
    for environ in environments:
        assert b"DATABASE_OWNER_URL" not in environ
        assert b"owner-secret-4711" not in environ
    # The deployment check says so when the owner's URL does reach a process running as the app's role.
    check = [sys.executable, "manage.py", "check", "--deploy", "--tag", "truffles", "--fail-level", "WARNING"]
    clean = subprocess.run(check, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120)
    leaked = subprocess.run(check, cwd=ROOT, env={**environment, **etc["/etc/truffles/owner.env"]},
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert "truffles.W007" not in clean.stdout + clean.stderr
    assert leaked.returncode != 0
    assert "truffles.W007" in leaked.stderr
