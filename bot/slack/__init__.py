"""Posting digests to Slack channels through incoming webhooks (slack-sdk): the items in mrkdwn, via the outbox."""
