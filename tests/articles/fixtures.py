"""Fixtures for article tests; registered in tests/conftest.py."""
