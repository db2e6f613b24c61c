"""Several `bot run` processes on one PostgreSQL database, the CPU kept busy: every story reaches each
channel once, each due feed is fetched by one of them, and each process stops on SIGTERM within seconds (bench/scale_out.py measures more)."""

from __future__ import annotations

import pytest

from bench.scale_out import run

# Real processes, minutes each on two busy cores.
pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.mark.parametrize("processes", [2, 3])
async def test_processes_on_one_database_post_every_story_once_and_stop_on_sigterm(tmp_path, postgres_url, processes):
    result = await run(tmp_path, postgres_url, processes=processes, feeds=2, stories=6, load=2, timeout=480)

    assert result["exited_early"] == []
    assert (result["missing"], result["duplicates"]) == (0, 0)
    assert result["exit_codes"] == [0] * processes
    assert result["fetches_per_due_feed"] == 1  # the processes share the polling
    # SIGTERM to exit; the margin is for the busy machine (the bench reports the times).
    assert max(result["stop_seconds"]) < 15
