"""When a feed is polled next, decided from its interval, its failures in a row and what the server asked."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.feeds.backoff import MAX_BACKOFF, NextPoll, next_poll

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOUR = 3600


def test_a_feed_read_is_polled_again_after_its_interval_and_its_failures_are_forgotten():
    assert next_poll(NOW, 900, 4, ok=True) == NextPoll(NOW + timedelta(minutes=15), 0)


@pytest.mark.parametrize(("failed_before", "wait"), [(0, 2 * 900), (1, 4 * 900), (3, 16 * 900)])
def test_each_failure_in_a_row_doubles_the_wait(failed_before, wait):
    assert next_poll(NOW, 900, failed_before, ok=False) == NextPoll(NOW + timedelta(seconds=wait), failed_before + 1)


def test_the_wait_is_never_longer_than_a_day_however_often_the_feed_failed():
    assert next_poll(NOW, HOUR, 7, ok=False).at == NOW + MAX_BACKOFF == NOW + timedelta(hours=24)
    assert next_poll(NOW, HOUR, 10_000, ok=False) == NextPoll(NOW + MAX_BACKOFF, 10_001)


def test_a_server_asking_for_a_longer_wait_gets_it_up_to_a_day():
    assert next_poll(NOW, 60, 0, ok=False, retry_after=600).at == NOW + timedelta(seconds=600)
    assert next_poll(NOW, 60, 0, ok=False, retry_after=30).at == NOW + timedelta(seconds=120)  # sooner: ignored
    assert next_poll(NOW, 60, 0, ok=False, retry_after=3 * 24 * HOUR).at == NOW + MAX_BACKOFF
