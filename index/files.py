"""The persistent layers of one index folder, shared by the engine's collaborators.

documents/      the stored documents (JSON), the source of truth
chunks.sqlite   chunks, sentences and their embeddings (per document, never recomputed)
snapshot-*/     FAISS + BM25 + lexicon + sentence table derived from the store
CURRENT         names the snapshot in use (replaced atomically)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from index.locking import WriteLock
from index.originals import Originals
from index.store import ChunkStore

STORE_FILE = "chunks.sqlite"


@dataclass
class IndexFiles:
    folder: Path
    originals: Originals
    store: ChunkStore  # replaced by a rebuilt one when found damaged (index/reconcile.py)
    lock: WriteLock
