"""tests/schedule.py: how `make test` hands the test files to its pytest-xdist processes."""

from __future__ import annotations

from types import SimpleNamespace

from xdist.remote import Producer

from tests.schedule import JourneysTogether


class Process:
    """A pytest-xdist worker as the scheduler sees it: it is sent test indexes and, at the end, told to stop."""

    def __init__(self, number: int) -> None:
        self.gateway = SimpleNamespace(id=f"gw{number}")
        self.sent: list[int] = []
        self.shutting_down = False

    def send_runtest_some(self, indexes: list[int]) -> None:
        self.sent += indexes

    def shutdown(self) -> None:
        self.shutting_down = True


COLLECTION = [
    *(f"tests/app/test_page.py::test_{i}" for i in range(6)),  # the largest file: xdist hands it out first
    "tests/browser/test_chat_journey.py::test_chat",
    "tests/browser/test_chat_journey.py::test_fork",
    "tests/core/test_fields.py::test_labels",
    "tests/browser/test_tools_journey.py::test_weather",
    *(f"tests/core/test_store.py::test_{i}" for i in range(3)),
    "tests/integration/test_gateway.py::test_stream",
    "tests/integration/test_tools.py::test_call",
]


def scheduled(collection: list[str], count: int) -> list[Process]:
    """`count` processes after JourneysTogether handed `collection` out, as `pytest -n <count>` sets it up."""
    options = {"tx": ["popen"] * count, "loadscopereorder": True}
    config = SimpleNamespace(option=SimpleNamespace(**options), getvalue=options.__getitem__)
    scheduler = JourneysTogether(config, Producer("test"))  # type: ignore[arg-type]
    processes = [Process(n) for n in range(count)]
    for process in processes:
        scheduler.add_node(process)  # type: ignore[arg-type]
        scheduler.add_node_collection(process, collection)  # type: ignore[arg-type]
    scheduler.schedule()
    return processes


def test_the_browser_journeys_run_together_first_on_one_process_and_the_other_files_on_the_others() -> None:
    processes = scheduled(COLLECTION, 3)

    journeys = [i for i, nodeid in enumerate(COLLECTION) if nodeid.startswith("tests/browser/")]
    first = processes[0].sent
    assert first[: len(journeys)] == journeys  # all of them, in collection order, before anything else
    for process in processes[1:]:
        assert not set(process.sent) & set(journeys)
        assert process.sent  # the others took other files meanwhile
    for process in processes:  # each file whole on one process
        files = {COLLECTION[i].split("::")[0] for i in process.sent}
        for other in processes:
            if other is not process:
                assert not files & {COLLECTION[i].split("::")[0] for i in other.sent}


def test_the_integration_files_are_handed_out_before_the_quick_ones() -> None:
    collection = [nodeid for nodeid in COLLECTION if not nodeid.startswith("tests/browser/")]  # `-m "not browser"`
    processes = scheduled(collection, 2)

    firsts = {collection[process.sent[0]].split("::")[0] for process in processes}
    assert firsts == {"tests/integration/test_gateway.py", "tests/integration/test_tools.py"}
