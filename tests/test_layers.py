"""The apps depend one way, in the order README's "Layout" lists them: each imports only those above it.

Every import counts, the ones inside functions too (a late import is still a dependency); migrations
are history and may name any app.
"""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# From the ground up: shared infrastructure, the trail, the content, the schedule, the waitlist, staff
# roles over every app, and the project (settings, URLs, the site's own pages) on top.
LAYERS = ["core", "audit", "articles", "appointments", "waitlist", "staff", "truffles"]


def modules_of(package: str) -> list[Path]:
    return [path for path in (ROOT / package).rglob("*.py") if "migrations" not in path.parts]


def imported_packages(path: Path) -> set[str]:
    """Our packages a module imports, wherever the import statement stands."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & set(LAYERS)


def test_each_app_imports_only_the_apps_below_it():
    upward = [
        f"{path.relative_to(ROOT)} imports {name}"
        for depth, package in enumerate(LAYERS)
        for path in modules_of(package)
        for name in imported_packages(path)
        if LAYERS.index(name) > depth
    ]
    assert upward == []


def test_the_readme_lists_the_apps_in_that_order():
    layout = (ROOT / "README.md").read_text().split("## Layout", 1)[1].split("\n## ", 1)[0]
    listed = [name for name in re.findall(r"^\| `(\w+)/` \|", layout, flags=re.M) if name in LAYERS]
    assert listed == LAYERS


def test_settings_install_our_apps_in_that_order():
    from django.conf import settings

    assert [app for app in settings.INSTALLED_APPS if app in LAYERS] == LAYERS
