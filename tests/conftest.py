import fcntl
import hashlib
import os
import shutil
import sys
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command
from hypothesis import HealthCheck, is_hypothesis_test
from hypothesis import settings as hypothesis_settings
from whitenoise.base import WhiteNoise

# Playwright's sync API runs an event loop in the test thread; live-server tests
# talk to the database from that same thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Each app keeps its fixtures in its own module; registering them here shares them with tests/e2e/.
pytest_plugins = [
    "tests.articles.fixtures",
    "tests.appointments.fixtures",
    "tests.appointments.mail_fixtures",
    "tests.appointments.text_fixtures",
    "tests.staff.fixtures",
    "tests.waitlist.fixtures",
]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Collected static files, kept between runs (collected_static); COLLECTED marks a finished collection.
STATIC_CACHE = Path(__file__).resolve().parent.parent / "var" / "test-static"
COLLECTED = ".collected"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


# Property tests try 25 inputs each while you work; `make test` and CI pass --hypothesis-profile=full.
hypothesis_settings.register_profile(
    "full",
    max_examples=500,
    deadline=None,  # a real view on a real database: the first call is slow, and that is no failure
    database=None,  # no .hypothesis/ folder of remembered failures: every run draws afresh
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
hypothesis_settings.register_profile("dev", hypothesis_settings.get_profile("full"), max_examples=25)
hypothesis_settings.load_profile("dev")

# The fast loop (`make test-fast`) leaves out tests marked browser, process or fuzz. The marks follow
# from what a test uses, so nobody has to remember them: tests/e2e/ and the `chromium` fixture mean
# browser; these fixtures mean process; a Hypothesis @given test is fuzz. A test that starts a process
# any other way says so with @pytest.mark.process, or it fails (see refuse_unmarked_processes).
BROWSER_FIXTURES = {"chromium"}
PROCESS_FIXTURES = {"smtp_server", "stalled_smtp", "down_smtp", "worker", "fake_twilio"}
MAY_START_PROCESSES = ("browser", "process")


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by these marks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        uses = set(item.fixturenames)
        if "e2e" in Path(str(item.fspath)).parts or uses & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)
        if uses & PROCESS_FIXTURES:
            item.add_marker(pytest.mark.process)
        if is_hypothesis_test(getattr(item, "obj", None)):
            item.add_marker(pytest.mark.fuzz)


_unmarked_test = {"id": None}  # the test now setting up or running, when it may not start processes


def refuse_unmarked_processes(event: str, args: tuple) -> None:
    """Audit hook: a test without the browser or process mark must not start a process."""
    if event == "subprocess.Popen" and _unmarked_test["id"]:
        raise RuntimeError(
            f"{_unmarked_test['id']} started {args[1]!r} but is not marked @pytest.mark.process "
            "(tests/conftest.py says how tests are marked)"
        )


sys.addaudithook(refuse_unmarked_processes)


@contextmanager
def processes_refused_unless_marked(item: pytest.Item) -> Iterator[None]:
    if not any(item.get_closest_marker(name) for name in MAY_START_PROCESSES):
        _unmarked_test["id"] = item.nodeid
    try:
        yield
    finally:
        _unmarked_test["id"] = None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, object, object]:
    with processes_refused_unless_marked(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    with processes_refused_unless_marked(item):
        return (yield)


@pytest.fixture(scope="session", autouse=True)
def collected_static() -> Path:
    """Serve static files the way production does: hashed and compressed by WhiteNoise.

    Compressing some 750 files takes seconds, so they are collected once per change of the sources
    into var/test-static/<digest>/ and shared by every test process and every later run.
    """
    root = STATIC_CACHE / static_sources_digest()
    STATIC_CACHE.mkdir(parents=True, exist_ok=True)
    with open(STATIC_CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one test process collects, the others wait for it
        settings.STATIC_ROOT = root
        if not (root / COLLECTED).exists():
            for stale in STATIC_CACHE.iterdir():
                if stale.is_dir():
                    shutil.rmtree(stale)
            call_command("collectstatic", "--no-input", verbosity=0)
            (root / COLLECTED).touch()
    return root


@pytest.fixture(scope="session", autouse=True)
def static_files_read_once(collected_static: Path) -> Iterator[None]:
    """WhiteNoise reads the headers of every static file when a middleware chain is built, and the test
    client builds one per Client(): 0.1-0.2 s a test. Read them once; the collected files never change."""
    read = {}
    add_files = WhiteNoise.add_files

    def add_files_once(self: WhiteNoise, root: str, prefix: str | None = None) -> None:
        if self.autorefresh:  # nothing is read up front then
            return add_files(self, root, prefix)
        key = (str(root), prefix, self.max_age, self.allow_all_origins, self.charset, self.add_headers_function)
        if key not in read:
            kept, self.files = self.files, {}
            add_files(self, root, prefix)
            read[key], self.files = self.files, kept
        self.files.update(read[key])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(WhiteNoise, "add_files", add_files_once)
        yield


@pytest.fixture(scope="session", autouse=True)
def quick_flush_after_transactional_tests() -> Iterator[None]:
    """Empty the database after a transactional test in milliseconds, not half a second (tests/quick_flush.py)."""
    from django.test import TransactionTestCase

    from tests import quick_flush

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TransactionTestCase, "_fixture_teardown", quick_flush.fixture_teardown)
        yield


def static_sources_digest() -> str:
    """A digest of every file collectstatic would collect, and of the storage that hashes and compresses them."""
    digest = hashlib.sha256(settings.STORAGES["staticfiles"]["BACKEND"].encode())
    for finder in get_finders():
        for path, storage in sorted(finder.list([]), key=lambda found: found[0]):
            digest.update(path.encode())
            digest.update(Path(storage.path(path)).read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def live_server(collected_static):
    """pytest-django's live server, but static files come through WhiteNoise as in production.

    The stock fixture serves /static/ from the app finders, which know nothing of hashed names.
    """
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("localhost", start=False)
    server.thread.static_handler = lambda application: application
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Browser tests need Debian's chromium at {CHROMIUM} ('apt-get install chromium').")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(params=[PHONE, DESKTOP], ids=["phone", "desktop"])
def viewport(request):
    return request.param


@pytest.fixture
def page(chromium, live_server):
    # Reduced motion turns off Bootstrap's colour transitions, so axe never measures a colour half-way
    # through a hover fade (a flake seen on the cancel page's calendar button).
    context = chromium.new_context(viewport=PHONE, base_url=live_server.url, reduced_motion="reduce")
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Any failed script or stylesheet is a defect; the page's own status is the test's business.
    page.on("response", lambda r: _note_failed_resource(r, errors))
    page.on("console", lambda m: _note_console_error(m, errors))
    yield page
    context.close()
    assert not errors, f"The page reported errors: {errors}"


def _note_failed_resource(response, errors):
    if response.status >= 400 and response.request.resource_type != "document":
        errors.append(f"{response.status} {response.url}")


def _note_console_error(message, errors):
    # Failed loads are caught with their URL by _note_failed_resource.
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        errors.append(message.text)


def assert_accessible(page):
    """Fail with axe-core's readable report on any violation."""
    from axe_playwright_python.sync_playwright import Axe

    # A click that navigates returns once the new page starts loading; check the page, not half of it.
    page.wait_for_load_state()
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


@pytest.fixture
def axe():
    return assert_accessible


def tab_to(page, locator, limit=250):
    """Press Tab until `locator` has the focus, as a keyboard user would."""
    target = locator.element_handle()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"Could not reach {locator} with the Tab key")
