"""The stored documents themselves, one JSON file each: the source of truth.

Everything else on disk (chunk store, vectors, BM25) can be rebuilt from these files, so a
damaged chunk store costs re-embedding, never the operator's articles.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from index.atomic import write_text_atomic
from index.documents import Document


class Originals:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def save(self, document: Document) -> None:
        write_text_atomic(self._path(document.doc_id), json.dumps(asdict(document)))

    def load_all(self) -> dict[str, Document]:
        """Every readable stored document; unreadable files are skipped (reported by caller)."""
        found: dict[str, Document] = {}
        for path in sorted(self.folder.glob("*.json")):
            try:
                document = Document(**json.loads(path.read_text(encoding="utf-8")))
            except (ValueError, TypeError, UnicodeDecodeError):
                continue
            found[document.doc_id] = document
        return found

    def remove(self, doc_id: str) -> None:
        self._path(doc_id).unlink(missing_ok=True)

    def _path(self, doc_id: str) -> Path:
        return self.folder / f"{doc_id}.json"
