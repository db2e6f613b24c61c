"""A parse worker that dies on cue, as one does when a native parser crashes.

`ParsePool(initializer=partial(abort_on_marker, log))` makes every worker abort (SIGABRT, like
glibc's "double free or corruption") when a page or feed it is given contains MARKER, writing a
line to `log` first so a test can count the tries.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

MARKER = b"<!-- this input crashes the parser -->"


def abort_on_marker(log: Path) -> None:
    import feedparser
    import trafilatura

    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # no core file per crash

    def crash_on_marker(data: bytes) -> None:
        if MARKER in data:
            with log.open("a") as tries:
                tries.write(f"worker {os.getpid()} aborted\n")
            os.abort()

    load_html, parse = trafilatura.load_html, feedparser.parse

    def load_html_or_crash(html, *args, **kwargs):
        crash_on_marker(html)
        return load_html(html, *args, **kwargs)

    def parse_or_crash(source, *args, **kwargs):
        crash_on_marker(source.getvalue())
        return parse(source, *args, **kwargs)

    trafilatura.load_html, feedparser.parse = load_html_or_crash, parse_or_crash
