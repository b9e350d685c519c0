"""The fast loop can trust the marks: a test that starts a process without saying so fails (tests/conftest.py)."""

import subprocess
import sys

import pytest


def test_a_test_not_marked_process_cannot_start_one():
    with pytest.raises(RuntimeError, match=r"is not marked @pytest\.mark\.process"):
        subprocess.run([sys.executable, "-c", "pass"], check=True, timeout=10)


@pytest.mark.process
def test_a_test_marked_process_may_start_one():
    assert subprocess.run([sys.executable, "-c", "pass"], check=True, timeout=10).returncode == 0


def test_a_test_using_a_stand_in_server_is_marked_process(request, smtp_server):
    assert request.node.get_closest_marker("process")
