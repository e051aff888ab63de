"""The fast tier's guard: with this folder on PYTHONPATH (`make test-fast` puts it there),
Python runs this file at start-up, in the test process and in every Python child it starts,
and from then on the libraries that run the real embedding model cannot be imported. A
test that reaches for the model without the `model` mark fails loudly, naming the library,
instead of quietly making the fast tier slow.

(Python imports the first `sitecustomize` on its path; this one shadows the system's, which
only installs a crash reporter.)
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType

MODEL_LIBRARIES = frozenset({"onnxruntime", "torch", "sentence_transformers", "transformers"})


class RealModelBlocked(MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname.partition(".")[0] in MODEL_LIBRARIES:
            raise ImportError(
                f"the fast test tier never loads the real model, but this imported {fullname}: "
                "use tests/support/fake_embedder.py, or mark the test @pytest.mark.model"
            )
        return None  # anything else: the usual finders


sys.meta_path.insert(0, RealModelBlocked())
