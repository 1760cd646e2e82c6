"""playground.schema re-exports the public names of the schema modules it was split into, so every
`from playground.schema import …` (request.py's `check_schema` among them) keeps working."""

from __future__ import annotations

import importlib

import pytest

import playground.schema as facade

PARTS = ["playground.schema.models", "playground.schema.form", "playground.schema.checks", "playground.schema.example"]


@pytest.mark.parametrize("module", PARTS)
def test_every_public_name_of_each_part_is_re_exported_as_the_same_object(module: str) -> None:
    part = importlib.import_module(module)
    assert part.__all__
    for name in part.__all__:
        if name == "EnumValue":  # a type alias, used by annotations only
            continue
        assert name in facade.__all__, name
        assert getattr(facade, name) is getattr(part, name), name


def test_the_facade_exports_only_what_the_parts_define() -> None:
    defined = {n for m in PARTS for n in importlib.import_module(m).__all__}
    assert set(facade.__all__) <= defined
    for name in facade.__all__:
        assert hasattr(facade, name), name


def test_check_schema_is_where_request_imports_it() -> None:
    from playground.request import check_schema

    assert check_schema is facade.check_schema
    assert check_schema({"type": "object"}) == []
    assert check_schema({"type": "objekt"})
