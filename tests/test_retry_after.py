from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from web.retry_after import retry_after_seconds


@pytest.mark.parametrize(("value", "seconds"), [
    ("120", 120.0),
    (" 7 ", 7.0),
    (3, 3.0),
    (timedelta(seconds=42), 42.0),
    ("-5", 0.0),
    (None, None),
    ("soon", None),
])
def test_retry_after_reads_seconds_and_parsed_values(value, seconds):
    assert retry_after_seconds(value) == seconds


def test_retry_after_reads_an_http_date():
    in_a_minute = format_datetime(datetime.now(UTC) + timedelta(seconds=60), usegmt=True)
    assert 55 <= retry_after_seconds(in_a_minute) <= 60
