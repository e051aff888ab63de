"""The stored documents themselves, one JSON file each: the source of truth.

Everything else on disk (chunk store, vectors, BM25) can be rebuilt from these files, so a
damaged chunk store costs re-embedding, never the operator's articles. `OriginalsStore` is
what the engine needs of them; `index/store/postgres.py` keeps them in a shared database.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import struct
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from index.ingest.documents import Document
from index.store.atomic import remove_partials, write_bytes_atomic, write_text_atomic

log = logging.getLogger("qabot.index")
_STAT_FIELDS = struct.Struct("<qqqQ")  # size, mtime_ns, ctime_ns, inode


@dataclass(frozen=True)
class FolderState:
    """What `Originals.fingerprint` saw: a digest of the files' metadata, and their ids."""

    digest: str
    ids: frozenset[str]


class OriginalsStore(Protocol):
    def save(self, document: Document) -> None: ...

    def replacing(self, document: Document) -> AbstractContextManager[None]:
        """Save `document`; if the block fails, put back what was stored before."""
        ...

    def load_all(self) -> dict[str, Document]: ...

    def fingerprint(self) -> FolderState:
        """Cheap: what changes whenever a document is added, removed or rewritten."""
        ...

    def remove(self, doc_id: str) -> None: ...

    def tidy(self) -> None:
        """Delete what an interrupted save left behind."""
        ...


class Originals:
    """The stored documents as JSON files in one folder (`OriginalsStore`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def save(self, document: Document) -> None:
        write_text_atomic(self._path(document.doc_id), json.dumps(asdict(document)))

    @contextmanager
    def replacing(self, document: Document) -> Iterator[None]:
        """Save `document`; if the block fails, put back what was stored before."""
        path = self._path(document.doc_id)
        previous = path.read_bytes() if path.is_file() else None
        self.save(document)
        try:
            yield
        except BaseException:
            if previous is None:
                path.unlink(missing_ok=True)
            else:
                write_bytes_atomic(path, previous)
            raise

    def load_all(self) -> dict[str, Document]:
        """Every readable stored document; an unreadable file is reported and left in place."""
        found: dict[str, Document] = {}
        for path in sorted(self.folder.glob("*.json")):
            try:
                document = Document(**json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, TypeError) as exc:
                log.warning("the stored document %s is unreadable (%s); add it again", path, exc)
                continue
            found[document.doc_id] = document
        return found

    def fingerprint(self) -> FolderState:
        """A digest of every stored document file's name, size, mtime, ctime and inode.

        One `stat` per file and no read: a fraction of a second for 1e5 files, where parsing
        them all (`load_all`) takes seconds. Adding, removing or rewriting a file changes it
        (a rewrite, atomic or in place, sets a new ctime, which no tool can set back; an
        atomic one also a new inode). A copied folder gets new ctimes and inodes: it only
        fails to match, which costs one full parse.
        """
        entries: list[tuple[str, int, int, int, int]] = []
        with os.scandir(self.folder) as found:
            for entry in found:
                if not entry.name.endswith(".json"):  # what load_all globs for
                    continue
                try:
                    info = entry.stat()
                except FileNotFoundError:  # removed meanwhile: as if never there
                    continue
                entries.append(
                    (entry.name, info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
                )
        entries.sort()
        pack = _STAT_FIELDS.pack
        digest = hashlib.sha256(b"".join(os.fsencode(n) + b"\0" + pack(*s) for n, *s in entries))
        ids = frozenset(os.path.splitext(name)[0] for name, *_ in entries)  # as Path.stem
        return FolderState(digest.hexdigest(), ids)

    def remove(self, doc_id: str) -> None:
        self._path(doc_id).unlink(missing_ok=True)

    def tidy(self) -> None:
        remove_partials(self.folder)

    def _path(self, doc_id: str) -> Path:
        return self.folder / f"{doc_id}.json"
