"""A bot process killed mid-digest (SIGKILL: no shutdown at all), then started again on the same store."""

from __future__ import annotations

import pytest

from bench.restart import killed_mid_digest

# Real processes: two bot starts (bench/restart.py measures how long the recovery takes).
pytestmark = pytest.mark.slow


async def test_a_bot_killed_mid_digest_sends_the_rest_once_and_in_order_after_its_restart(tmp_path, tiny_causal_dir):
    result = await killed_mid_digest(tmp_path, tiny_causal_dir)

    assert 0 < result["sent_before_kill"] < result["messages"]
    assert result["lost"] == 0 and result["in_order"]
    # At least once: only the message in flight at the kill may have gone out twice.
    assert result["repeated"] <= 1
