"""The stored documents themselves, one JSON file each: the source of truth.

Everything else on disk (chunk store, vectors, BM25) can be rebuilt from these files, so a
damaged chunk store costs re-embedding, never the operator's articles.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path

from index.atomic import write_bytes_atomic, write_text_atomic
from index.documents import Document

log = logging.getLogger("qabot.index")


class Originals:
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

    def ids(self) -> set[str]:
        """The id of every stored document file, readable or not."""
        return {path.stem for path in self.folder.glob("*.json")}

    def remove(self, doc_id: str) -> None:
        self._path(doc_id).unlink(missing_ok=True)

    def _path(self, doc_id: str) -> Path:
        return self.folder / f"{doc_id}.json"
