"""Fixtures for appointment tests; registered in tests/conftest.py."""
