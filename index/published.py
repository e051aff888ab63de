"""The snapshot questions read, and whether another process has published a newer one.

A snapshot is replaced, never changed: publishing builds the next one aside and moves the
`CURRENT` pointer (index/snapshot.py). Another process (the CLI beside a running bot) may
move the pointer too, which the pointer file's mtime reveals at the next question.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from index.snapshot import POINTER, Snapshot, build_snapshot, load_snapshot
from index.store import ChunkStore


class PublishedSnapshot:
    def __init__(self, folder: Path, recipe: dict[str, int], hnsw_threshold: int) -> None:
        self._folder = folder
        self._recipe = recipe
        self._hnsw_threshold = hnsw_threshold
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
    ) -> None:
        """Build and switch to the snapshot of the store's generation; with the chunks
        `added` and `removed` since the current one, it is updated instead of rebuilt."""
        previous = self._snapshot if added is not None or removed is not None else None
        self._snapshot = build_snapshot(
            self._folder,
            store,
            self._recipe,
            self._hnsw_threshold,
            previous=previous,
            added=added,
            removed=removed,
        )
        self._pointer_seen = self._pointer_mtime()

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
        self.publish(store, added=added, removed=removed)

    def load(self, store: ChunkStore) -> None:
        """Switch to the snapshot on disk; IndexCorrupt says why it cannot be trusted."""
        self._snapshot = load_snapshot(self._folder, store, self._recipe)
        self._pointer_seen = self._pointer_mtime()

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
