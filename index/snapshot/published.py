"""The snapshot questions read, and whether another process has published a newer one.

A snapshot is replaced, never changed: publishing builds the next one aside and moves the
`CURRENT` pointer (index/snapshot/build.py). Another process (the CLI beside a running bot) may
move the pointer too, which the pointer file's mtime reveals at the next question.

With a Qdrant collection (`remote`) the vectors and BM25 are not in the snapshot: the
writer's changes go to the collection first (then the snapshot follows), and every other
publish or load checks that the collection still holds the store's chunks, refilling it
from the store when it does not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from index.snapshot.build import POINTER, Snapshot, build_snapshot, load_snapshot
from index.store.chunks import ChunkStore


class RemoteVectors(Protocol):
    """Vectors and BM25 kept outside the snapshot, equal to the chunk store's chunks
    (index/search/qdrant.py: `QdrantCollection`)."""

    def apply(self, store: ChunkStore, added: np.ndarray, removed: np.ndarray) -> None:
        """The writer's change: the added chunks (read from the store) in, the removed out."""
        ...

    def ensure_matches(self, store: ChunkStore) -> bool:
        """Refill from the store when they diverged; whether they matched."""
        ...

    def refill(self, store: ChunkStore) -> None:
        """Make them hold exactly the store's chunks."""
        ...


class PublishedSnapshot:
    def __init__(
        self,
        folder: Path,
        recipe: dict[str, int],
        hnsw_threshold: int,
        remote: RemoteVectors | None = None,
    ) -> None:
        self._folder = folder
        self._recipe = recipe
        self._hnsw_threshold = hnsw_threshold
        self._remote = remote
        self._snapshot: Snapshot | None = None
        self._pointer_seen = 0

    @property
    def snapshot(self) -> Snapshot | None:
        return self._snapshot

    def publish(
        self,
        store: ChunkStore,
        added: tuple[np.ndarray, np.ndarray] | None = None,
        removed: np.ndarray | None = None,
        *,
        ours: bool = True,
    ) -> None:
        """Build and switch to the snapshot of the store's generation; with the chunks
        `added` and `removed` since the current one, it is updated instead of rebuilt.
        `ours`: this process made the change, so it also makes it in the remote collection."""
        changes = added is not None or removed is not None
        if self._remote is not None:
            if changes and ours:
                no_ids = np.zeros(0, dtype=np.int64)
                self._remote.apply(
                    store,
                    added[0] if added is not None else no_ids,
                    removed if removed is not None else no_ids,
                )
            else:
                self._remote.ensure_matches(store)
        self._snapshot = build_snapshot(
            self._folder,
            store,
            self._recipe,
            self._hnsw_threshold,
            previous=self._snapshot if changes else None,
            added=added,
            removed=removed,
            remote=self._remote is not None,
        )
        self._pointer_seen = self._pointer_mtime()

    @property
    def remote(self) -> bool:
        """Whether the vectors live in a Qdrant collection."""
        return self._remote is not None

    def verify_remote(self, store: ChunkStore) -> bool:
        """Refill the collection if it does not hold the store's chunks; True if it did."""
        return self._remote is None or self._remote.ensure_matches(store)

    def refill_remote(self, store: ChunkStore) -> None:
        """Make the remote collection hold exactly the store's chunks (`qabot index rebuild`)."""
        if self._remote is not None:
            self._remote.refill(store)

    def follow(self, store: ChunkStore) -> None:
        """Publish the store's generation after another worker changed it: the chunks added
        and removed since our snapshot, found by comparing chunk ids."""
        snapshot = self._snapshot
        if snapshot is None:
            self.publish(store)
            return
        held = snapshot.chunk_ids
        stored = store.chunk_ids()
        removed = np.setdiff1d(held, stored)
        added = store.vectors(np.setdiff1d(stored, held).tolist())
        self.publish(store, added=added, removed=removed, ours=False)

    def load(self, store: ChunkStore, *, behind: bool = False) -> None:
        """Switch to the snapshot on disk; IndexCorrupt says why it cannot be trusted.
        `behind`: also one of an older store generation (a shared store: `follow` it)."""
        self._snapshot = load_snapshot(
            self._folder, store, self._recipe, remote=self._remote is not None, behind=behind
        )
        self._pointer_seen = self._pointer_mtime()
        if self._remote is not None:
            self._remote.ensure_matches(store)

    def exists(self) -> bool:
        """Whether a snapshot was ever published in the folder."""
        return (self._folder / POINTER).exists()

    def changed_on_disk(self) -> bool:
        """Whether there is none yet, or another process published since we loaded."""
        return self._snapshot is None or self._pointer_mtime() != self._pointer_seen

    def behind(self, store: ChunkStore) -> bool:
        """Whether the store changed since this snapshot was built (or it changed on disk)."""
        snapshot = self._snapshot
        return (
            snapshot is None
            or snapshot.manifest.store_generation != store.generation
            or self.changed_on_disk()
        )

    def _pointer_mtime(self) -> int:
        try:
            return (self._folder / POINTER).stat().st_mtime_ns
        except FileNotFoundError:
            return 0
