"""Posting digests to Discord channels through webhooks: the items in Discord markdown, sent through the outbox."""
