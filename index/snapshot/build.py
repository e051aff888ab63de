"""The derived, read-only search structures of one store generation, and their manifest.

A snapshot (FAISS vectors, BM25, lexicon, sentences, manifest) is built in a fresh folder
and made current by atomically replacing the `CURRENT` pointer file, so a reader, or a process that
crashed mid-build, never sees a half-written index. The manifest records the format, the
model, the chunker settings, the store generation it was derived from and a checksum per
file; any mismatch makes the snapshot stale and it is rebuilt from the chunk store.

With `retrieval.backend: qdrant` the vectors and BM25 live in a Qdrant collection instead
(`remote`: index/search/qdrant.py, kept in step by index/snapshot/published.py) and the
snapshot keeps the rest: lexicon, sentence table, chunk tokens. The snapshot only holds
these structures; searching them is index/search/'s.

A snapshot also keeps every chunk's words as ids (`tokens.npz`), read only by the next
publish, which then tokenizes just the new chunks. It is optional: a snapshot written
before it existed loads as before, and its next publish tokenizes every chunk once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from index.api import DocumentInfo
from index.errors import IndexCorrupt
from index.ingest.embedding import DIMENSION, MODEL_NAME
from index.snapshot.bm25 import Bm25Index
from index.snapshot.chunk_tokens import TOKENS_FILE, ChunkTokens
from index.snapshot.faiss import FaissIndex
from index.snapshot.lexical_build import build_lexical
from index.snapshot.lexicon import Lexicon
from index.snapshot.sentences import SentenceTable
from index.store.atomic import fsync_tree, write_text_atomic
from index.store.chunks import ChunkStore

log = logging.getLogger("qabot.index")
FORMAT_VERSION = 2  # 2: sentence spans and vectors kept in the snapshot
POINTER = "CURRENT"
QDRANT_KIND = "qdrant"  # the manifest's vector_kind when the vectors live in Qdrant
TOMBSTONE_LIMIT = 0.2  # share of removed vectors an HNSW index may carry before a rebuild
_FOLDER_NAME = re.compile(r"snapshot-\d+-[0-9a-f]{8}")
_CHECKSUM_LIMIT = 256 * 1024 * 1024  # larger files are checked by size (hashing costs seconds)


@dataclass(frozen=True)
class Manifest:
    format_version: int
    model: str
    dimension: int
    chunking: dict[str, int]
    store_generation: int
    vector_kind: str
    chunks: int
    files: dict[str, dict[str, object]]


@dataclass
class Snapshot:
    folder: Path
    manifest: Manifest
    lexicon: Lexicon
    sentences: SentenceTable
    # the documents of this generation, so answering never queries the store for them
    documents: dict[str, DocumentInfo] = field(default_factory=dict)
    # the in-process vector and BM25 indexes (None when they live in a Qdrant collection)
    vectors: FaissIndex | None = None
    bm25: Bm25Index | None = None

    @property
    def chunk_ids(self) -> np.ndarray:
        """The chunks this snapshot holds, ascending."""
        return self.sentences.chunk_ids

    def positions(self, chunk_ids: np.ndarray) -> np.ndarray:
        """Each chunk's position in the sentence table, -1 for chunks this snapshot lacks."""
        held = self.sentences.chunk_ids
        if not len(held):
            return np.full(len(chunk_ids), -1, dtype=np.int64)
        found = np.minimum(np.searchsorted(held, chunk_ids), len(held) - 1)
        return np.where(held[found] == chunk_ids, found, -1)


def build_snapshot(
    index_dir: Path,
    store: ChunkStore,
    chunking: dict[str, int],
    hnsw_threshold: int,
    previous: Snapshot | None = None,
    added: tuple[np.ndarray, np.ndarray] | None = None,
    removed: np.ndarray | None = None,
    remote: bool = False,
) -> Snapshot:
    """Build the snapshot of the store's current generation and make it current.

    With `previous` and the ids added/removed since, a flat vector index is updated in
    place of being rebuilt; otherwise every vector is read back from the store. Likewise
    only chunks newer than `previous` are tokenized when it kept its chunks' tokens.
    With `remote` vectors (a Qdrant collection) no vector or BM25 index is built here.
    """
    generation = store.generation
    folder = index_dir / f"snapshot-{generation}-{uuid.uuid4().hex[:8]}"
    folder.mkdir(parents=True)
    vectors = None
    if not remote:
        vectors = _vectors(store, hnsw_threshold, previous, added, removed)
        vectors.save(folder / "vectors.faiss")
    chunk_tokens = _chunk_tokens(store, previous)
    chunk_tokens.save(folder)
    chunk_ids = np.asarray(chunk_tokens.chunk_ids, dtype=np.int64)
    bm25, lexicon = None, None
    if not remote:
        bm25, lexicon = build_lexical(chunk_tokens)
        bm25.save(folder / "bm25")
    else:
        lexicon = Lexicon.from_counts(chunk_tokens, chunk_tokens.term_counts())
    del chunk_tokens  # the next publish reads it back from the folder
    sentences = _sentences(folder, store, chunk_ids, previous)
    (folder / "lexicon.json").write_text(lexicon.to_json(), encoding="utf-8")
    manifest = Manifest(
        format_version=FORMAT_VERSION,
        model=MODEL_NAME,
        dimension=DIMENSION,
        chunking=chunking,
        store_generation=generation,
        vector_kind=vectors.kind if vectors is not None else QDRANT_KIND,
        chunks=len(chunk_ids),
        files=_fingerprints(folder),
    )
    fsync_tree(folder)
    write_text_atomic(folder / "manifest.json", json.dumps(asdict(manifest), indent=1))
    write_text_atomic(index_dir / POINTER, folder.name)
    remove_other_snapshots(index_dir, keep=folder.name)
    documents = {d.doc_id: d for d in store.documents()}
    return Snapshot(folder, manifest, lexicon, sentences, documents, vectors, bm25)


def _vectors(
    store: ChunkStore,
    hnsw_threshold: int,
    previous: Snapshot | None,
    added: tuple[np.ndarray, np.ndarray] | None,
    removed: np.ndarray | None,
) -> FaissIndex:
    """Update the previous index when that is exact; otherwise rebuild from stored vectors.

    A flat index takes additions and removals while it stays below the HNSW threshold; an
    HNSW index marks removals as tombstones, and is rebuilt once they pass
    `TOMBSTONE_LIMIT` of its vectors (they cost search work and memory).
    """
    if previous is not None and previous.vectors is not None:
        total = len(previous.vectors) + (len(added[0]) if added else 0)
        kind = "hnsw" if total >= hnsw_threshold else "flat"
        if kind == previous.vectors.kind:
            updated = FaissIndex.load(previous.folder / "vectors.faiss")  # a private copy
            if removed is not None and len(removed):
                updated.remove(removed)
            if added is not None:
                updated.add(*added)
            if updated.removed_share <= TOMBSTONE_LIMIT:
                return updated
            log.info(
                "rebuilding the vector index without its %d removed chunks", len(updated.removed)
            )
    ids, vectors = store.all_vectors()
    return FaissIndex.build(ids, vectors, hnsw_threshold)


def _chunk_tokens(store: ChunkStore, previous: Snapshot | None) -> ChunkTokens:
    """Every stored chunk's words: the previous snapshot's for the chunks it has (when it
    kept them: snapshots written before the token file existed did not), else tokenized."""
    if previous is not None:
        if not (previous.folder / TOKENS_FILE).is_file():
            log.info("the previous index kept no chunk tokens: tokenizing every chunk")
        else:
            try:
                return _extend_tokens(store, previous)
            except ValueError as exc:
                log.warning("tokenizing every chunk again: %s", exc)
    return ChunkTokens.empty().extend(store.iter_texts())


def _extend_tokens(store: ChunkStore, previous: Snapshot) -> ChunkTokens:
    """The previous snapshot's tokens without removed chunks, plus the newer chunks' (new
    chunks always have larger ids: the store's AUTOINCREMENT). ValueError if they disagree."""
    cached = ChunkTokens.load(previous.folder)
    if not np.array_equal(cached.chunk_ids, previous.chunk_ids):
        raise ValueError(f"{TOKENS_FILE} does not match the snapshot's chunks")
    stored = store.chunk_ids()
    newest = int(cached.chunk_ids[-1]) if len(cached) else -1
    kept = cached.select(np.isin(cached.chunk_ids, stored))
    if not np.array_equal(kept.chunk_ids, stored[stored <= newest]):
        raise ValueError("the store holds chunks older than the snapshot that it lacks")
    tokens = kept.extend(store.iter_texts(after=newest))
    if not np.array_equal(tokens.chunk_ids, stored):
        raise ValueError("the chunks changed while the index was being built")
    return tokens


def _sentences(
    folder: Path, store: ChunkStore, chunk_ids: np.ndarray, previous: Snapshot | None
) -> SentenceTable:
    """Extend the previous snapshot's sentence table when it matches; else read the store."""
    if previous is not None:
        try:
            return SentenceTable.write(folder, store, chunk_ids, previous.sentences)
        except ValueError as exc:
            log.warning("reading every sentence from the store again: %s", exc)
    return SentenceTable.write(folder, store, chunk_ids)


def load_snapshot(
    index_dir: Path,
    store: ChunkStore,
    chunking: dict[str, int],
    remote: bool = False,
    *,
    behind: bool = False,
) -> Snapshot:
    """Load the current snapshot of the store and its documents; IndexCorrupt says why it
    cannot be trusted. `behind`: one of an older store generation is loaded too (a shared
    store that other workers change: the caller follows it)."""
    folder = current_folder(index_dir)
    manifest = _read_manifest(folder)
    _check_manifest(manifest, store.generation, chunking, behind)
    if (manifest.vector_kind == QDRANT_KIND) != remote:
        raise IndexCorrupt(f"the index in {folder} was built for another retrieval.backend")
    if _fingerprints(folder) != manifest.files:
        raise IndexCorrupt(f"files in {folder} do not match their manifest (truncated or changed)")
    vectors, bm25 = None, None
    try:
        if not remote:
            vectors = FaissIndex.load(folder / "vectors.faiss")
            bm25 = Bm25Index.load(folder / "bm25")
        lexicon = Lexicon.from_json((folder / "lexicon.json").read_text(encoding="utf-8"))
        sentences = SentenceTable.load(folder)
    except Exception as exc:  # any library error here means the files are unusable
        raise IndexCorrupt(f"the index in {folder} cannot be read ({exc})") from exc
    sizes = {len(sentences.chunk_ids)}
    if vectors is not None and bm25 is not None:
        sizes |= {len(vectors), len(bm25.chunk_ids)}
    if sizes != {manifest.chunks}:
        raise IndexCorrupt(f"the index in {folder} is incomplete")
    documents = {d.doc_id: d for d in store.documents()}
    return Snapshot(folder, manifest, lexicon, sentences, documents, vectors, bm25)


def current_folder(index_dir: Path) -> Path:
    """The snapshot folder the `CURRENT` pointer names."""
    pointer = index_dir / POINTER
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError as exc:
        raise IndexCorrupt("no search index has been built yet") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexCorrupt(f"the index pointer {pointer} is unreadable ({exc})") from exc
    if not _FOLDER_NAME.fullmatch(name):
        raise IndexCorrupt(f"the index pointer {pointer} is damaged")
    return index_dir / name


def _read_manifest(folder: Path) -> Manifest:
    """The manifest, its format checked first: another format may have other fields."""
    try:
        raw = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"the index manifest in {folder} is missing or unreadable") from exc
    version = raw.get("format_version") if isinstance(raw, dict) else None
    if version != FORMAT_VERSION:
        raise IndexCorrupt(f"the index is format {version}; this qabot reads {FORMAT_VERSION}")
    try:
        return Manifest(**raw)
    except TypeError as exc:
        raise IndexCorrupt(f"the index manifest in {folder} is incomplete ({exc})") from exc


def _check_manifest(
    manifest: Manifest, store_generation: int, chunking: dict[str, int], behind: bool
) -> None:
    if manifest.model != MODEL_NAME or manifest.dimension != DIMENSION:
        raise IndexCorrupt(f"the index was built with {manifest.model}, not {MODEL_NAME}")
    if manifest.chunking != chunking:
        raise IndexCorrupt("the index was built with other chunking settings")
    if behind and manifest.store_generation < store_generation:
        return
    if manifest.store_generation != store_generation:
        raise IndexCorrupt(
            f"the index is of chunk store generation {manifest.store_generation}, the store is "
            f"at {store_generation} (an update was interrupted)"
        )


def _fingerprints(folder: Path) -> dict[str, dict[str, object]]:
    """Size and checksum of every file of a snapshot but its manifest."""
    names = sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and p.name != "manifest.json"
    )
    result: dict[str, dict[str, object]] = {}
    for name in names:
        path = folder / name
        size = path.stat().st_size
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if size <= _CHECKSUM_LIMIT else None
        result[name] = {"size": size, "sha256": digest}
    return result


def remove_other_snapshots(index_dir: Path, keep: str) -> None:
    """Delete older snapshots and those a crash left unfinished (call only as the one writer)."""
    for folder in index_dir.glob("snapshot-*"):
        if folder.name != keep:
            shutil.rmtree(folder, ignore_errors=True)
