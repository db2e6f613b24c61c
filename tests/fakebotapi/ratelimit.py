"""Telegram's flood limits for bots sending messages."""

import math
import time
from collections import deque


class FloodControl:
    """Decides whether one more message may be sent now, Telegram style.

    Three limits apply together: per chat a token bucket (``per_chat_per_second``
    with a burst of ``per_chat_burst``), per group or channel at most
    ``per_group_per_minute`` messages in any ``group_window`` seconds, and at most
    ``global_per_second`` messages over all chats in any second.
    """

    def __init__(
        self,
        *,
        per_chat_per_second: float,
        per_chat_burst: int,
        per_group_per_minute: int,
        group_window: float,
        global_per_second: int,
    ) -> None:
        self.per_chat_per_second = per_chat_per_second
        self.per_chat_burst = per_chat_burst
        self.per_group_per_minute = per_group_per_minute
        self.group_window = group_window
        self.global_per_second = global_per_second
        self._chat_buckets: dict[int, tuple[float, float]] = {}  # chat id -> (tokens, updated at)
        self._group_sends: dict[int, deque[float]] = {}
        self._global_sends: deque[float] = deque()

    def try_send(self, chat_id: int, *, is_group: bool) -> int | None:
        """Record a send and return None, or return the retry_after seconds if it is refused.

        A refused send is not recorded, as Telegram does not count it either.
        """
        now = time.monotonic()
        tokens = self._chat_tokens(chat_id, now)
        waits = [(1 - tokens) / self.per_chat_per_second if tokens < 1 else 0.0]
        waits.append(_window_wait(self._global_sends, self.global_per_second, 1.0, now))
        if is_group:
            group_sends = self._group_sends.setdefault(chat_id, deque())
            waits.append(
                _window_wait(group_sends, self.per_group_per_minute, self.group_window, now)
            )
        wait = max(waits)
        if wait > 0:
            return max(1, math.ceil(wait))
        self._chat_buckets[chat_id] = (tokens - 1, now)
        self._global_sends.append(now)
        if is_group:
            self._group_sends[chat_id].append(now)
        return None

    def _chat_tokens(self, chat_id: int, now: float) -> float:
        tokens, updated_at = self._chat_buckets.get(chat_id, (self.per_chat_burst, now))
        return min(self.per_chat_burst, tokens + (now - updated_at) * self.per_chat_per_second)


def _window_wait(sends: deque[float], limit: int, window: float, now: float) -> float:
    """Seconds until one more send fits into the sliding window (0 if it fits now)."""
    while sends and sends[0] <= now - window:
        sends.popleft()
    if len(sends) < limit:
        return 0.0
    return sends[len(sends) - limit] + window - now
