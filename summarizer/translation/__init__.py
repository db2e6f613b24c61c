"""Translation of a source's sentences into a channel's language, each checked against its own source."""
