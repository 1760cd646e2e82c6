"""`make run`: Streamlit serving serve.py (app.py behind its Content-Security-Policy), with the page's modules and
the embedded model loading meanwhile.

Without this the first page view imports every module the pages use and loads the model, and waits for
both. Here a background thread of this process (the one Streamlit runs the pages in) does it while the
server starts: the page's `embedded_gateway()` then finds the model started, or waits for the rest. The
model is loaded only when it is the default backend.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading

from streamlit.web import cli

from playground import backends
from playground.local import shared_gateway

# What the pages import (pandas and Altair among them): the slowest part of a first view after the model.
PAGE_MODULES = ("views.shared", "components.cells", "components.charts", "components.tool_builder", "components.compare_view")


def warm(model: bool) -> None:
    for name in PAGE_MODULES:
        importlib.import_module(name)
    if model:
        shared_gateway()


def main() -> None:
    model = backends.default_backend(os.environ) == "embedded" and not os.environ.get(backends.ENV_BASE_URL)
    threading.Thread(target=warm, args=(model,), name="warm-up", daemon=True).start()
    sys.argv = ["streamlit", "run", "serve.py", *sys.argv[1:]]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
