"""Coverage-guided fuzzing of ingest, run on demand (CI runs the hypothesis fuzzing in
tests/index/test_fuzz_ingest.py instead). Needs atheris, which the project does not depend on:

    .venv/bin/pip install atheris
    .venv/bin/python -m benchmarks.fuzz_ingest -max_total_time=600 [CORPUS_DIR ...]

The first byte of each input picks the file type, the rest is the file. Only IngestError may
leave parse_bytes: libFuzzer reports anything else as a crash and saves the input.
"""

from __future__ import annotations

import contextlib
import sys

from index.errors import IngestError
from index.ingest.documents import SUPPORTED_SUFFIXES, parse_bytes


def ingest_one(data: bytes) -> None:
    if not data:
        return
    suffix = SUPPORTED_SUFFIXES[data[0] % len(SUPPORTED_SUFFIXES)]
    with contextlib.suppress(IngestError):
        parse_bytes(f"fuzz{suffix}", data[1:])


def main() -> None:
    try:
        import atheris
    except ImportError:
        sys.exit("atheris is not installed: .venv/bin/pip install atheris")
    # The parsers are imported lazily by index.documents: import them now to instrument them.
    import markdown_it
    import pypdf
    import trafilatura

    del markdown_it, pypdf, trafilatura
    atheris.instrument_all()
    atheris.Setup(sys.argv, ingest_one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
