"""A team's setup: several app processes on one database (a real PostgreSQL started by tests/pg.py, and the
SQLite file for comparison). Two pages editing one notebook at once: one save is refused and kept as a copy
the page is offered, nothing lost; 8 processes × 25 writes at once: every write is stored or refused with a message,
and the stored ones are exactly the notebook's messages."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from pathlib import Path

import pytest

from playground.notebook import ChatMessage, Notebook
from playground.store import NotebookStore
from tests.integration.team_workers import EditOutcome, WriteCounts, edit_once, many_writes
from tests.pg import postgres_server

pytestmark = pytest.mark.integration

# Fresh processes, as separate app servers are: no shared pool or connection. Each is forked from a server process
# that imported the workers' modules once (a spawned process would import them again, most of its cost).
SPAWN = multiprocessing.get_context("forkserver")
SPAWN.set_forkserver_preload(["tests.integration.team_workers"])
PROCESSES, WRITES = 8, 25  # enough for the processes to race: each run has seen refusals


@pytest.fixture(params=["postgresql", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    found = postgres_server().new_database() if request.param == "postgresql" else f"sqlite:///{tmp_path / 'team.sqlite3'}"
    yield found
    NotebookStore(url=found).dispose()


def run(target: object, args_of: list[tuple[object, ...]], timeout_s: float) -> list[str]:
    """Start one process per args tuple (each gets the shared barrier and queue last); their JSON results."""
    barrier, out = SPAWN.Barrier(len(args_of)), SPAWN.Queue()
    processes = [SPAWN.Process(target=target, args=(*args, barrier, out)) for args in args_of]  # type: ignore[arg-type]
    for p in processes:
        p.start()
    try:
        results = [out.get(timeout=timeout_s) for _ in processes]
    finally:
        for p in processes:
            p.join(timeout=60)
    assert [p.exitcode for p in processes] == [0] * len(processes)
    return results


def test_two_processes_editing_one_notebook_lose_nothing(url: str) -> None:
    store = NotebookStore(url=url)
    original = store.save(Notebook(title="Shared", conversation=[ChatMessage(content="Colours?")]))
    outcomes = {
        o.process: o
        for o in (
            EditOutcome.model_validate_json(r) for r in run(edit_once, [(url, original.id, "A"), (url, original.id, "B")], 300)
        )
    }
    assert all(o.error is None and o.wrote for o in outcomes.values())
    [winner] = [o for o in outcomes.values() if not o.conflict_copy]
    [refused] = [o for o in outcomes.values() if o.conflict_copy]
    assert winner.notebook_id == original.id
    assert refused.notebook_id != original.id and refused.title.endswith("(changed in another tab)")  # offered back as a copy

    stored = store.load(original.id)
    copy = store.load(refused.notebook_id)
    assert stored is not None and copy is not None and stored.version == 2
    a_in, b_in = (stored, copy) if winner.process == "A" else (copy, stored)
    assert a_in.title.startswith("Renamed in process A")  # A's edit is kept, in the original or the copy
    assert [m.content for m in b_in.conversation] == ["Colours?", "Added in process B"]  # and so is B's
    assert sorted(s.id for s in store.list()) == sorted([original.id, copy.id])
    print(f"\n{url.split(':')[0]}: process {winner.process} saved, process {refused.process} was offered copy {copy.id}")


def test_eight_processes_writing_at_once_are_each_stored_or_refused() -> None:
    """On PostgreSQL, the team's database (the SQLite file passes it too, in about the same time)."""
    url = postgres_server().new_database()
    store = NotebookStore(url=url)
    shared = store.save(Notebook(title="Hammered", conversation=[ChatMessage(content="start")]))
    results = [
        WriteCounts.model_validate_json(r) for r in run(many_writes, [(url, shared.id, i, WRITES) for i in range(PROCESSES)], 900)
    ]

    stored = [m for r in results for m in r.stored]
    refused = [m for r in results for m in r.refused]
    assert len(stored) + len(refused) == PROCESSES * WRITES  # every write accounted for
    assert stored  # at least one write got through
    assert all("was changed elsewhere" in message for message in refused)
    final = store.load(shared.id)
    assert final is not None
    assert final.version == 1 + len(stored)  # one version per stored write, none skipped or doubled
    contents = [m.content for m in final.conversation]
    assert contents[0] == "start" and sorted(contents[1:]) == sorted(stored)  # exactly the stored writes, none lost
    for r in results:  # and each process's writes in the order it made them
        assert [c for c in contents if c.startswith(f"p{r.process}-")] == r.stored
    slowest = max(r.seconds for r in results)
    print(
        f"\n{url.split(':')[0]}: {PROCESSES} processes × {WRITES} writes: {len(stored)} stored, {len(refused)} refused "
        f"(ConflictError), per process stored {[len(r.stored) for r in results]}, slowest process {slowest:.1f} s"
    )
    store.dispose()
