import pytest

from tests.articles.fixtures import reseed_risk_factors


@pytest.fixture(autouse=True)
def risk_factor_rows(db):
    """Every article test sees the seeded risk factors, even after a browser test flushed them."""
    reseed_risk_factors()
