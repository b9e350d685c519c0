"""Finding 1: a crashed app-server worker must not take the site down (a real `make serve`)."""

import signal
import time

import psutil
import pytest

from tests.processes import free_port, granian_workers, production_env, running, start, wait_until, wait_until_answers

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.process]

STARTUP_BOUND = 180
RECOVERY_BOUND = 30
CRASH_LOOP_WINDOW = 6


def wait_for_workers(main_pid: int, count: int, bound: float, besides: set[int]) -> None:
    def new_workers() -> bool:
        return len([worker for worker in granian_workers(main_pid) if worker.pid not in besides]) >= count

    wait_until(new_workers, bound, f"granian to have {count} new workers", interval=0.05)


def test_the_site_answers_again_after_its_workers_are_killed(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with running(start(["make", "-s", "serve", f"PORT={port}"], production_env(), tmp_path / "serve.log")) as serve:
        wait_until_answers(url + "healthz", STARTUP_BOUND)
        first, second = granian_workers(serve.pid)

        # One worker dies: the other answers (a request the dead one had accepted is lost) and granian
        # starts a new one.
        first.send_signal(signal.SIGKILL)
        one_killed_at = time.monotonic()
        answered = wait_until_answers(url, RECOVERY_BOUND)
        wait_for_workers(serve.pid, 2, RECOVERY_BOUND, besides={first.pid})
        replaced = time.monotonic() - one_killed_at

        # Every worker dies at once: the site is down until granian has started new ones. (granian stops
        # altogether when a worker it respawned dies again within 5.5 s; systemd restarts it then.)
        time.sleep(CRASH_LOOP_WINDOW)
        killed_at = time.monotonic()
        for worker in granian_workers(serve.pid):
            worker.send_signal(signal.SIGKILL)
        log = lambda: (tmp_path / "serve.log").read_text()  # noqa: E731
        try:
            back = wait_until_answers(url, RECOVERY_BOUND)
        except AssertionError as error:
            raise AssertionError(log()) from error
        print(f"\none worker killed: the site answered after {answered:.2f} s, a new worker in {replaced:.2f} s; "
              f"all workers killed: the home page answered again after {back:.2f} s")

        assert psutil.pid_exists(serve.pid), log()
        assert serve.poll() is None, log()
        assert time.monotonic() - killed_at < RECOVERY_BOUND
        assert "Respawning" in log()
        del second
