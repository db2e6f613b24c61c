import asyncio

import pytest

from summarizer.backends.batching import BatchingWorker


async def test_concurrent_requests_share_a_batch():
    batches: list[list[int]] = []

    def run(items):
        batches.append(list(items))
        return [item * 10 for item in items]

    worker = BatchingWorker(run, max_batch=8, max_wait=0.05)
    results = await asyncio.gather(*(worker.submit(i) for i in range(8)))
    await worker.aclose()
    assert results == [i * 10 for i in range(8)]
    assert len(batches) < 8  # fewer passes than requests
    assert sorted(i for batch in batches for i in batch) == list(range(8))


async def test_a_failing_batch_reports_to_its_callers_and_the_worker_goes_on():
    calls = 0

    def run(items):
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("model exploded")
        return list(items)

    worker = BatchingWorker(run, max_wait=0)
    with pytest.raises(RuntimeError, match="exploded"):
        await worker.submit(1)
    assert await worker.submit(2) == 2
    await worker.aclose()


async def test_a_full_queue_makes_the_caller_wait_for_room():
    release = asyncio.Event()
    loop = asyncio.get_running_loop()

    def run(items):
        asyncio.run_coroutine_threadsafe(release.wait(), loop).result()
        return list(items)

    worker = BatchingWorker(run, max_batch=1, max_wait=0, max_queue=1)
    first = asyncio.create_task(worker.submit(1))
    await asyncio.sleep(0.05)  # the first is being processed
    second = asyncio.create_task(worker.submit(2))
    await asyncio.sleep(0.05)  # the second waits in the queue
    third = asyncio.create_task(worker.submit(3))
    await asyncio.sleep(0.05)
    assert worker.waiting == 1 and not third.done()  # no room: it waits rather than fails
    release.set()
    assert (await first, await second, await third) == (1, 2, 3)
    await worker.aclose()


def test_the_worker_serves_one_event_loop_after_another():
    worker = BatchingWorker(lambda items: list(items), max_wait=0)

    async def submit(item):
        return await asyncio.wait_for(worker.submit(item), timeout=5)

    assert asyncio.run(submit(1)) == 1
    assert asyncio.run(submit(2)) == 2  # the first loop is closed; the worker must not hang
    asyncio.run(worker.aclose())


async def test_the_worker_refuses_a_second_live_event_loop():
    worker = BatchingWorker(lambda items: list(items), max_wait=0)
    assert await worker.submit(1) == 1

    def from_another_loop():
        return asyncio.run(asyncio.wait_for(worker.submit(2), timeout=5))

    with pytest.raises(RuntimeError, match="another event loop"):
        await asyncio.to_thread(from_another_loop)
    await worker.aclose()
