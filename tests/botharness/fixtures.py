"""Pytest fixtures for bot tests (register with ``pytest_plugins``)."""

import pytest

from summarizer import load_language_detector


@pytest.fixture(scope="session", autouse=True)
def _language_detector() -> None:
    # It loads its models on first use, once per process (about ten seconds): done up front, that
    # cost shows as this fixture's instead of in whichever test happens to run first.
    load_language_detector()


@pytest.fixture(autouse=True)
def _retry_after_as_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns when RetryAfter.retry_after is read as an int.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
