"""Posting digests to Matrix rooms (matrix-nio): the items rendered as Matrix HTML, sent through the outbox."""
