from tests.staff.fixtures import *  # noqa: F403
