"""The outbox in the store: which digest message goes next, and who may send it.

A sender takes a message by claiming it with one conditional UPDATE (which only one process can
win, on SQLite and on PostgreSQL alike), and marks it sent once Telegram has accepted it. A claim
is a short lease that its sender renews while it lives, so two live processes never send the same
message. A claim names its process: a bot restarted on the same host takes back its dead
predecessor's claims at once; elsewhere they lapse within LEASE.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.store.tables import Channel, Digest, OutboxMessage, utcnow

log = logging.getLogger(__name__)

# A claim lasts this long unless renewed; its sender renews all its claims every third of it.
# (Leases are set by each process's clock: the bot's hosts must agree on the time to well within this.)
LEASE = timedelta(seconds=30)


@dataclass(frozen=True)
class QueuedMessage:
    id: int
    digest_id: int
    position: int
    text: str
    channel_id: int
    chat: str
    topic: int  # a Telegram forum topic; 0: none
    paused: bool  # its channel is paused: it waits
    feed: str | None = None  # the feed whose forum topic it goes to (a channel with topics: per_feed)


def this_process() -> str:
    """host:boot:pid:start: which process this is, in a way another process on the host can check."""
    return f"{socket.gethostname()}:{_boot_id()}:{os.getpid()}:{_start_time(os.getpid())}"


def _owner_gone(owner: str) -> bool:
    """Whether a claim's sender is a process of this host that no longer runs (or ran before a reboot).

    Only Linux says (through /proc); elsewhere, and for other hosts, the lease decides.
    """
    host, boot, pid, start, _sender = (owner.split(":") + [""] * 5)[:5]
    if host != socket.gethostname() or not boot or boot == "-" or _boot_id() == "-":
        return False
    if boot != _boot_id():
        return True
    return not pid.isdigit() or _start_time(int(pid)) != start


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
    except OSError:
        return "-"


def _start_time(pid: int) -> str:
    """When the process started, in clock ticks since boot ("" when there is no such process)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]  # field 22; the command name before it may hold spaces


class OutboxClaims:
    """One sender's view of the outbox: what waits, and the messages it claims, sends and gives back."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, platform: str, lease: timedelta = LEASE) -> None:
        self._sessions = sessions
        self._platform = platform  # the sender's: it sees only the channels on its platform
        self._lease = lease
        self._renewal: asyncio.Task[None] | None = None
        # Names this process (see _owner_gone) and this sender within it.
        self.sender_id = f"{this_process()}:{uuid.uuid4().hex[:8]}"

    def close(self) -> None:
        """Renew no more: the claims held lapse within the lease."""
        if self._renewal is not None:
            self._renewal.cancel()

    async def channels_waiting(self) -> list[int]:
        """The channels of the sender's platform, not paused, with messages to send."""
        async with self._sessions() as session:
            return list(
                await session.scalars(
                    select(Digest.channel_id)
                    .join(OutboxMessage, OutboxMessage.digest_id == Digest.id)
                    .join(Channel, Channel.id == Digest.channel_id)
                    .where(OutboxMessage.sent_at.is_(None), Channel.paused_reason.is_(None),
                           Channel.platform == self._platform)
                    .distinct()
                )
            )

    async def take_back_dead_claims(self) -> None:
        """Free the claims of senders this process sees gone (a killed bot on this host), without
        waiting for their leases to run out."""
        async with self._sessions.begin() as session:
            owners = set(await session.scalars(
                select(OutboxMessage.claimed_by).where(
                    OutboxMessage.sent_at.is_(None), OutboxMessage.claimed_by.is_not(None)
                ).distinct()
            ))
            dead = [owner for owner in owners if _owner_gone(owner)]
            if dead:
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.claimed_by.in_(dead), OutboxMessage.sent_at.is_(None))
                    .values(claimed_by=None, claimed_until=None)
                )
        if dead:
            log.info("took back outbox claims of senders that are gone: %s", ", ".join(sorted(dead)))

    async def oldest_unsent_digest(self, channel_id: int) -> int | None:
        async with self._sessions() as session:
            return await session.scalar(
                select(func.min(OutboxMessage.digest_id))
                .join(Digest, Digest.id == OutboxMessage.digest_id)
                .where(Digest.channel_id == channel_id, OutboxMessage.sent_at.is_(None))
            )

    async def next_unsent(self, digest_id: int) -> QueuedMessage | None:
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(OutboxMessage, Channel)
                    .join(Digest, Digest.id == OutboxMessage.digest_id)
                    .join(Channel, Channel.id == Digest.channel_id)
                    .where(OutboxMessage.digest_id == digest_id, OutboxMessage.sent_at.is_(None))
                    .order_by(OutboxMessage.position)
                    .limit(1)
                )
            ).first()
        if row is None:
            return None
        message, channel = row
        return QueuedMessage(message.id, digest_id, message.position, message.text, channel.id, channel.chat,
                             channel.topic, channel.paused_reason is not None, message.feed)

    async def claim(self, message_id: int) -> bool:
        """Take the message for this sender unless another live sender holds it (or it was sent meanwhile)."""
        self._keep_claims()
        now = utcnow()
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == message_id,
                    OutboxMessage.sent_at.is_(None),
                    or_(OutboxMessage.claimed_by.is_(None), OutboxMessage.claimed_until < now),
                )
                .values(claimed_by=self.sender_id, claimed_until=now + self._lease,
                        attempts=OutboxMessage.attempts + 1)
            )
        return result.rowcount == 1

    async def mark_sent(self, message_id: int, telegram_message_id: int | None) -> None:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.claimed_by == self.sender_id)
                .values(sent_at=utcnow(), telegram_message_id=telegram_message_id, claimed_until=None)
            )
        if result.rowcount != 1:
            log.error("outbox message %s was sent after its claim lapsed; another sender may repeat it", message_id)

    async def release(self, message_id: int, error: str) -> None:
        """Give the message back unsent, noting why."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.claimed_by == self.sender_id)
                .values(claimed_by=None, claimed_until=None, last_error=error)
            )

    async def complete(self, digest_id: int) -> bool:
        """Mark the digest posted; True when this call did."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(Digest)
                .where(Digest.id == digest_id, Digest.completed_at.is_(None))
                .values(completed_at=utcnow())
            )
        return result.rowcount == 1

    async def replace(self, message: QueuedMessage, pieces: list[str]) -> None:
        """Put `pieces` in the message's place, in order (a message Telegram found too long, split)."""
        async with self._sessions.begin() as session:
            # Later messages are held back by this unsent one, so no other sender is moving them.
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.digest_id == message.digest_id, OutboxMessage.position > message.position)
                .values(position=OutboxMessage.position + len(pieces) - 1)
            )
            await session.execute(update(OutboxMessage).where(OutboxMessage.id == message.id).values(text=pieces[0]))
            session.add_all(
                OutboxMessage(digest_id=message.digest_id, position=message.position + offset, text=piece,
                              feed=message.feed)
                for offset, piece in enumerate(pieces[1:], start=1)
            )

    def _keep_claims(self) -> None:
        """Start renewing this sender's claims (once, on its first claim)."""
        if self._renewal is None or self._renewal.done():
            self._renewal = asyncio.get_running_loop().create_task(self._renew_claims())

    async def _renew_claims(self) -> None:
        while True:
            await asyncio.sleep(self._lease.total_seconds() / 3)
            try:
                async with self._sessions.begin() as session:
                    await session.execute(
                        update(OutboxMessage)
                        .where(OutboxMessage.claimed_by == self.sender_id, OutboxMessage.sent_at.is_(None))
                        .values(claimed_until=utcnow() + self._lease)
                    )
            except SQLAlchemyError as exc:  # the claims may lapse; a send after that is logged by mark_sent
                log.warning("outbox claims not renewed: %s", exc)
