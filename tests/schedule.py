"""How pytest-xdist hands out the test files (tests/conftest.py installs it for `--dist loadfile`)."""

from __future__ import annotations

from xdist.scheduler import LoadFileScheduling

BROWSER = "tests/browser/"
# The files whose tests each take seconds (a real model answering, processes started): handed out before the rest,
# so the run does not end waiting on one of them while the other processes stand idle.
SLOW = "tests/integration/"


class JourneysTogether(LoadFileScheduling):
    """pytest-xdist's `--dist loadfile` (each file runs whole on one process), except that the browser journeys
    (every file under tests/browser/) are one unit, handed out first: one process serves one page and drives one
    Chromium through them in order, while the other processes take the other files, the integration files first.
    (xdist's own `--dist loadgroup` cannot group them: xdist 3.8 renames a grouped test by setting `item._nodeid`,
    which pytest 9 no longer reads, so every journey stayed its own unit.)"""

    def _split_scope(self, nodeid: str) -> str:
        return BROWSER if nodeid.startswith(BROWSER) else super()._split_scope(nodeid)

    def _assign_work_unit(self, node) -> None:  # type: ignore[no-untyped-def]
        for scope in [s for s in self.workqueue if s.startswith(SLOW)][::-1]:
            self.workqueue.move_to_end(scope, last=False)
        if BROWSER in self.workqueue:
            self.workqueue.move_to_end(BROWSER, last=False)
        super()._assign_work_unit(node)
