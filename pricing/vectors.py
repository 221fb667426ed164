"""French word vectors for the matcher's semantic signal (spaCy's ``fr_core_news_md`` table).

Only the vectors table is read (no pipeline, no parser, no entity recogniser): 20 000 distinct
300-dimension vectors shared by 500 000 word forms. The matcher works on lower-case ASCII text
("fenetre", not "fenêtre"), so the forms are folded the same way; where several forms fold to
one word the lower-case form wins. The folded table (vectors normalised to unit length, words,
rows) is kept on disk beside the grid's lemmas, keyed by the model's version, so later processes
read it in a fraction of a second instead of decoding spaCy's string store.

Loading is shared by every matcher of a process and guarded by a lock.
"""
from __future__ import annotations

import hashlib
import os
import threading
import unicodedata
from importlib import metadata
from pathlib import Path

import numpy as np

VECTORS_MODEL = "fr_core_news_md"

_tables: dict[tuple[str, str], "WordVectors"] = {}
_tables_lock = threading.Lock()


def _fold(word: str) -> str:
    word = unicodedata.normalize("NFKD", word.lower().replace("œ", "oe").replace("æ", "ae"))
    return "".join(c for c in word if not unicodedata.combining(c))


def word_key(word: str) -> int:
    """A stable 64-bit key for a word: the table keeps sorted keys, not 340 000 strings."""
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(), "little")


class WordVectors:
    """Unit-length vectors of folded French words; ``None`` for a word the table lacks."""

    def __init__(self, keys: np.ndarray, rows: np.ndarray, data: np.ndarray, version: str) -> None:
        order = np.argsort(keys)
        self._keys = keys[order]
        self._rows = rows[order]
        self._data = data
        self.version = version
        self.dimension = data.shape[1]
        self._cache: dict[str, int] = {}
        self._joined: dict[str, np.ndarray | None] = {}

    def _row(self, word: str) -> int:
        row = self._cache.get(word)
        if row is None:
            key = np.uint64(word_key(word))
            at = int(np.searchsorted(self._keys, key))
            row = int(self._rows[at]) if at < len(self._keys) and self._keys[at] == key else -1
            if len(self._cache) < 200_000:
                self._cache[word] = row
        return row

    def __contains__(self, word: str) -> bool:
        return self._row(word) >= 0

    def vector(self, word: str) -> np.ndarray | None:
        """The word's vector; for a word the table lacks that is two words joined (the matcher
        joins "chauffe-eau", "papier peint"), the mean of theirs."""
        row = self._row(word)
        if row >= 0:
            return self._data[row]
        if word not in self._joined:
            found = None
            for cut in range(3, len(word) - 2):
                left, right = self._row(word[:cut]), self._row(word[cut:])
                if left >= 0 and right >= 0:
                    joined = self._data[left] + self._data[right]
                    found = joined / max(float(np.linalg.norm(joined)), 1e-6)
                    break
            if len(self._joined) < 50_000:
                self._joined[word] = found
            return found
        return self._joined[word]


def model_version(model: str = VECTORS_MODEL) -> str | None:
    try:
        return f"{model}=={metadata.version(model)}"
    except metadata.PackageNotFoundError:
        return None


def _read_model(model: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The folded table straight from the installed package's ``vocab/`` folder."""
    import importlib

    from spacy.strings import StringStore
    from spacy.vectors import Vectors

    package = Path(importlib.import_module(model).__file__).parent
    vocab = next(package.glob(f"{model}-*/vocab"))
    vectors = Vectors().from_disk(vocab)
    strings = StringStore().from_disk(vocab / "strings.json")
    chosen: dict[str, tuple[int, bool]] = {}
    for key, row in vectors.key2row.items():
        form = strings[key]
        word = _fold(form)
        if not word.isascii() or not word.replace("-", "").isalnum():
            continue
        lower = form == form.lower()
        if word not in chosen or (lower and not chosen[word][1]):
            chosen[word] = (row, lower)
    data = np.asarray(vectors.data, dtype=np.float32)
    data = data / np.maximum(np.linalg.norm(data, axis=1, keepdims=True), 1e-6)
    keys = np.array([word_key(w) for w in chosen], dtype=np.uint64)
    return keys, np.array([row for row, _ in chosen.values()], dtype=np.int32), data.astype(np.float32)


def load_vectors(cache_dir: Path, model: str = VECTORS_MODEL) -> WordVectors | None:
    """The process's table for ``model`` (None when the model is not installed)."""
    version = model_version(model)
    if version is None:
        return None
    with _tables_lock:
        key = (model, version)
        if key in _tables:
            return _tables[key]
        path = cache_dir / f"vectors-{version.replace('==', '-')}-v2.npz"
        try:
            with np.load(path, allow_pickle=False) as cached:
                keys, rows, data = cached["keys"], cached["rows"], cached["data"]
        except (OSError, ValueError, KeyError):
            keys, rows, data = _read_model(model)
            try:  # a cache that cannot be written only costs the next process its seconds
                cache_dir.mkdir(parents=True, exist_ok=True)
                partial = path.with_suffix(f".{os.getpid()}.tmp.npz")
                np.savez(partial, keys=keys, rows=rows, data=data)
                os.replace(partial, path)
            except OSError:
                pass
        table = WordVectors(keys, rows, data, version)
        _tables[key] = table
        return table
