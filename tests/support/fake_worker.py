"""`qabot serve` with the fake embedder, as a process: `python -m tests.support.fake_worker CONFIG`.

The composition is `qabot serve`'s own (qabot/serve.py); only the model is replaced, by
tests/support/fake_embedder.py, so that several workers start in seconds and run beside
each other on a small machine (tests about delivery, not about answers' quality).
"""

from __future__ import annotations

import sys

from qabot.config import load_config
from qabot.serve import serve
from tests.support.fake_embedder import FakeEmbedder

if __name__ == "__main__":
    sys.exit(serve(load_config(sys.argv[1]), embedder=FakeEmbedder()))
