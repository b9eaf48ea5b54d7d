"""Deterministic embedding vectors: the same text gives the same vector, similar texts similar ones.

No model is loaded. A text becomes a set of features (its words and character trigrams; a token
array gives its tokens and token pairs). Each block of 64 dimensions holds one codeword from a fixed,
seeded codebook, picked by a MinHash of the features: two texts choose the same codeword in a block
with probability close to the Jaccard overlap of their feature sets, so cosine similarity follows
textual overlap. Every codeword has the same norm, so the vector is L2-normalized by construction.

Why blocks of precomputed codewords rather than a projection: the JSON text (and float32 bytes) of
each codeword is rendered once per vector length, so answering costs a few string joins instead of
formatting 1536 floats per request, which alone would cap the emulator near 1,500 req/s.

Values are float32 and printed in the shortest form that reads back as the same float32, so the
`float` and `base64` encodings decode to the same numbers. Fewer dimensions (the `-3-` models'
`dimensions`) are a prefix of the full vector, renormalized, as with those models.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import math
import random
import re
import struct
from collections.abc import Sequence
from functools import lru_cache

BLOCK = 64
CODEWORDS = 512
_MASK = CODEWORDS - 1
_EMPTY = 1 << 64
_SPREAD = 0x9E3779B1  # an odd constant: borrowed blocks get distinct codewords per distance
_WORD = re.compile(r"\w+", re.UNICODE)
_NATIVE = {"text-embedding-3-large": 3072}
_REPORTED = {"text-embedding-ada-002": "ada"}

Input = str | tuple[int, ...]


def native_dimensions(model: str) -> int:
    """The model's full vector length (3072 for text-embedding-3-large, else 1536)."""
    return _NATIVE.get(model, 1536)


def reported_model(model: str) -> str:
    """The `model` an embeddings answer names: the model, not the deployment; ada-002 says `ada`."""
    return _REPORTED.get(model, model)


def supports_dimensions(model: str) -> bool:
    """Only the text-embedding-3 family takes `dimensions`."""
    return "-3-" in model


def _features(item: Input) -> list[str]:
    if isinstance(item, tuple):
        feats = [f"t{t}" for t in item] + [f"b{a},{b}" for a, b in itertools.pairwise(item)]
    else:
        words = _WORD.findall(item.lower())
        joined = " " + " ".join(words) + " "
        feats = [f"w{w}" for w in words] + [f"c{joined[i : i + 3]}" for i in range(len(joined) - 2)]
    return list(dict.fromkeys(feats)) or [f"s{item!r}"]


@lru_cache(maxsize=65_536)
def _hash(model: str, feature: str) -> int:
    """A 64-bit hash of one feature, seeded by the model so each model has its own vectors."""
    return int.from_bytes(hashlib.blake2b(f"{model}\x00{feature}".encode(), digest_size=8).digest(), "little")


@lru_cache(maxsize=4_096)
def codeword_indices(model: str, item: Input) -> tuple[int, ...]:
    """Per block, a codeword chosen by one-permutation MinHash over the features.

    Each feature hashes once: the hash names a block and a rank, and each block keeps its
    lowest-ranked feature. A block no feature fell in borrows from the next filled block, shifted by
    the distance (densification), so two texts agree on a block about as often as their feature sets
    overlap, at one hash per feature rather than one per feature and block.
    """
    blocks = native_dimensions(model) // BLOCK
    best = [_EMPTY] * blocks
    for feature in _features(item):
        rank, block = divmod(_hash(model, feature), blocks)
        if rank < best[block]:
            best[block] = rank
    out = [0] * blocks
    source = 2 * blocks  # set on the first pass: there is always at least one feature
    for i in range(2 * blocks - 1, -1, -1):  # right to left, twice round, so borrowing wraps
        if best[i % blocks] != _EMPTY:
            source = i
        if i < blocks:
            borrowed = best[source % blocks] + (source - i) * _SPREAD
            out[i] = borrowed & _MASK
    return tuple(out)


def _to_f32(value: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


def f32_text(value: float) -> str:
    """The shortest decimal that reads back as the same float32 (as Azure prints vectors)."""
    text = ""
    for digits in range(6, 10):
        text = f"{value:.{digits}g}"
        if _to_f32(float(text)) == value:
            break
    return text if any(c in text for c in ".en") else text + ".0"


@lru_cache(maxsize=1)
def _unit_codebook() -> tuple[tuple[float, ...], ...]:
    """Unit-norm codewords sharing a common direction, so unrelated texts still correlate a little."""
    rng = random.Random(0xE3BED)
    mean = [rng.gauss(0, 1) for _ in range(BLOCK)]
    scale = 0.6 / math.sqrt(sum(m * m for m in mean))
    book = []
    for _ in range(CODEWORDS):
        raw = [rng.gauss(0, 1) / math.sqrt(BLOCK) + m * scale for m in mean]
        norm = math.sqrt(sum(r * r for r in raw))
        book.append(tuple(r / norm for r in raw))
    return tuple(book)


@lru_cache(maxsize=8)
def _scaled(blocks: int) -> tuple[tuple[str, ...], tuple[bytes, ...]]:
    """Each codeword scaled for a vector of `blocks` blocks: its JSON text and float32 bytes."""
    factor = 1 / math.sqrt(blocks)
    texts, raws = [], []
    for word in _unit_codebook():
        values = [_to_f32(v * factor) for v in word]
        texts.append(",".join(f32_text(v) for v in values))
        raws.append(struct.pack(f"<{BLOCK}f", *values))
    return tuple(texts), tuple(raws)


def _odd_length(indices: Sequence[int], dimensions: int) -> list[float]:
    """A length that is not whole blocks: the prefix of the unit codewords, renormalized."""
    book = _unit_codebook()
    values = [v for i in indices[: -(-dimensions // BLOCK)] for v in book[i]][:dimensions]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [_to_f32(v / norm) for v in values]


def render(model: str, item: Input, dimensions: int, encoding: str) -> str:
    """The JSON value of one `embedding`: an array of floats, or a quoted base64 string."""
    indices = codeword_indices(model, item)
    if dimensions % BLOCK == 0:
        texts, raws = _scaled(dimensions // BLOCK)
        used = indices[: dimensions // BLOCK]
        if encoding == "base64":
            return '"' + base64.b64encode(b"".join([raws[i] for i in used])).decode() + '"'
        return "[" + ",".join([texts[i] for i in used]) + "]"
    values = _odd_length(indices, dimensions)
    if encoding == "base64":
        return '"' + base64.b64encode(struct.pack(f"<{len(values)}f", *values)).decode() + '"'
    return "[" + ",".join(f32_text(v) for v in values) + "]"
