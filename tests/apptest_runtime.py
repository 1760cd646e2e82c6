"""AppTest as a server runs its sessions: what a Streamlit server builds once and AppTest builds again for every run.

A server keeps one registry of installed components and one cache of compiled page scripts for all its sessions and
reruns. AppTest looks for the components in every installed package's metadata once per AppTest, and parses, rewrites
(Streamlit's "magic") and compiles `app.py` and the page on every `run()`: costs the served page never pays, which
slowed the tests and made `bench.page` report them as the page's script time. Streamlit 1.67 keeps them in
`AppTest._bidi_component_manager` and in the `ScriptCache` that `app_test` and `local_script_runner` each make; under
other names this only gets slower.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from unittest import mock

from streamlit.components.v2.component_manager import BidiComponentManager
from streamlit.runtime.scriptrunner.script_cache import ScriptCache
from streamlit.testing.v1 import AppTest, app_test, local_script_runner


@contextmanager
def like_a_server() -> Iterator[None]:
    """Every AppTest started inside shares one component registry and one cache of compiled scripts."""
    found = BidiComponentManager()
    found.discover_and_register_components(start_file_watching=False)
    scripts = ScriptCache()
    init = AppTest.__init__

    def init_sharing(self: AppTest, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        init(self, *args, **kwargs)
        self._bidi_component_manager = found

    with ExitStack() as patches:
        patches.enter_context(mock.patch.object(AppTest, "__init__", init_sharing))
        for module in (app_test, local_script_runner):
            patches.enter_context(mock.patch.object(module, "ScriptCache", lambda: scripts))
        yield
