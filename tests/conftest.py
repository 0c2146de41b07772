"""Shared fixtures live in tests/fixtures/ and are loaded here as plugins."""

pytest_plugins = [
    "tests.fixtures.localfw",
    "tests.fixtures.demo",
    "tests.fixtures.slack",
    "tests.fixtures.store",
]
