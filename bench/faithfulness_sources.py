"""Sources of the labelled faithfulness set, named by path relative to the repository.

A source is a text file (title on the first line), an HTML page (its article text, as the bot
extracts it), an entry of a feed ("feed.xml#2", counted from 0: its title and full content) or a
line of a JSONL story file ("stories.jsonl#s01-ar-1": its title and text). Paths may point
outside the repository (the shared sample corpus, "../shared/corpus/..."): a missing file is
reported, not fatal.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class MissingSource(Exception):
    """A source file named in the set is not on this machine."""


def read_source(spec: str, root: Path = ROOT) -> str:
    path_part, _, anchor = spec.partition("#")
    path = (root / path_part).resolve()
    if not path.is_file():
        raise MissingSource(spec)
    if path.suffix == ".html":
        from web.extract import extract_article

        page = extract_article(path.read_bytes(), url=path.as_uri())
        return f"{page.title}\n{page.text}" if page.title else page.text
    if path.suffix == ".jsonl":
        for line in path.read_text(encoding="utf-8").splitlines():
            story = json.loads(line)
            if story["id"] == anchor:
                return f"{story['title']}\n{story['text']}"
        raise MissingSource(spec)
    if anchor:
        from bot.feeds.parse import parse_feed

        feed = parse_feed(path.read_bytes(), url=path.as_uri(), fetched_at=datetime.now(timezone.utc))
        entry = feed.entries[int(anchor)]
        return f"{entry.title}\n{entry.content or entry.summary}"
    return path.read_text(encoding="utf-8")
