"""`make run`: Streamlit serving serve.py — the page behind its Content-Security-Policy, and the embedded model's
API at the page's own /v1. serve.py's lifespan loads the model and the pages' modules before the server answers.
"""

from __future__ import annotations

import sys

from streamlit.web import cli


def main() -> None:
    sys.argv = ["streamlit", "run", "serve.py", *sys.argv[1:]]
    sys.exit(cli.main())


if __name__ == "__main__":
    main()
