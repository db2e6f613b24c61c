"""Near-identical texts (one wire story syndicated by several outlets) via 64-bit SimHash.

Small edits (a different byline, a trimmed last paragraph) flip few bits of the fingerprint, so
two copies differ in at most a handful of bits while unrelated texts differ in about half.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)
SHINGLE_WORDS = 3
# Bits that may differ between two copies of one text; measured on edited copies in the tests.
MAX_DISTANCE = 6
# Shorter texts share shingles by chance (teasers, one-line entries): never call them copies.
MIN_WORDS = 40


def simhash(text: str) -> int | None:
    """A signed 64-bit fingerprint (fits a BIGINT column), or None for texts too short to compare."""
    words = _WORD.findall(text.lower())
    if len(words) < MIN_WORDS:
        return None
    digests = b"".join(
        hashlib.blake2b(" ".join(words[i : i + SHINGLE_WORDS]).encode(), digest_size=8).digest()
        for i in range(len(words) - SHINGLE_WORDS + 1)
    )
    bits = np.unpackbits(np.frombuffer(digests, dtype=np.uint8).reshape(-1, 8), axis=1)
    majority = (2 * bits.sum(axis=0, dtype=np.int64) > len(bits)).astype(np.uint8)
    return int.from_bytes(np.packbits(majority).tobytes(), "big", signed=True)


def near_duplicates(a: int, b: int) -> bool:
    return ((a ^ b) & ((1 << 64) - 1)).bit_count() <= MAX_DISTANCE


# MAX_DISTANCE + 1 bands: two copies differ in at most MAX_DISTANCE bits, so at least one band
# is identical, and an index on (band, value) finds the candidates without scanning the store.
_BAND_WIDTHS = (10, 9, 9, 9, 9, 9, 9)
assert sum(_BAND_WIDTHS) == 64 and len(_BAND_WIDTHS) == MAX_DISTANCE + 1


def bands(fingerprint: int) -> list[tuple[int, int]]:
    """(band number, band value) pairs of a fingerprint."""
    unsigned = fingerprint & ((1 << 64) - 1)
    result, shift = [], 0
    for number, width in enumerate(_BAND_WIDTHS):
        result.append((number, unsigned >> shift & ((1 << width) - 1)))
        shift += width
    return result
