"""deploy/: the systemd units an operator installs are valid, and each one comes back after a failure."""

import configparser
import shutil
import subprocess

import pytest

from tests.processes import GRANIAN_FLAGS, ROOT

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
