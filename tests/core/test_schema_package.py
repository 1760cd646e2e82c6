"""playground.schema re-exports the public names of its modules, so every `from playground.schema import …`
(the request's tool and response-format rules among them) works."""

from __future__ import annotations

import importlib

import pytest

import playground.schema as facade

PARTS = [
    "playground.schema.models",
    "playground.schema.form",
    "playground.schema.validate",
    "playground.schema.answers",
    "playground.schema.example",
]


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


def test_the_request_checks_tools_and_response_formats_with_the_schema_rules() -> None:
    from playground.request import models as request

    assert request.tool_list_problems is facade.tool_list_problems
    assert request.response_format_problems is facade.response_format_problems
