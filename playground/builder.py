"""What the tool and schema builders keep and decide, without drawing anything.

- Allowed values as the person types them (`enum_to_text` / `text_to_enum`) and optional numbers typed as text.
- Rows of a form: a row's address segment (`row_label`), the node at a path, adding and removing rows.
- The sidebar's tools (`ToolRow`) and response schema in a notebook's settings: `rows_from_settings`,
  `settings_of`, `schema_from_settings`, and switching a library tool on or off for the next run.
- Problems placed where they belong: on a form's rows (`ProblemsByAddress`), per sidebar row (`tool_problems`),
  and worded with the row they name (`where`, `place`).

Models are kept in session state and settings as plain data (`dump` / `load`), never as the models themselves.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from playground import examples
from playground.schema import (
    FieldForm,
    FormError,
    InputError,
    JsonResponseSchema,
    JsonTool,
    Problem,
    PropertyRow,
    SchemaForm,
    ToolForm,
    enum_text,
    parse_enum_text,
    parse_json_text,
    parse_response_schema,
    parse_tools,
    response_format_json,
    schema_to_form,
    tool_content_problems,
    tool_list_problems,
    tool_to_json,
)

Tool = ToolForm | JsonTool
Schema = SchemaForm | JsonResponseSchema
Path = tuple[int | str, ...]  # row indexes, and "items" for an array's item schema

# ------------------------------------------------------------------------------------ values typed as text


def enum_to_text(values: list[Any] | None, type_: str) -> str:
    """Allowed values as the person types them: "celsius, fahrenheit"; a JSON array when a value would not
    survive that (a comma or outer spaces in it, an empty string, a value of another type)."""
    if values is None:
        return ""
    texts = [enum_text(v) for v in values]
    simple = values and all(
        t and t == t.strip() and "," not in t and not t.startswith("[") and json.dumps(parse_enum_text(t, type_)) == json.dumps(v)
        for t, v in zip(texts, values, strict=True)
    )
    return ", ".join(texts) if simple else json.dumps(values, ensure_ascii=False)


def text_to_enum(text: str, type_: str) -> list[Any] | None:
    """What `enum_to_text` wrote (or a person typed) back to values; "" means no list of allowed values."""
    t = text.strip()
    if not t:
        return None
    if t.startswith("["):
        try:
            value = parse_json_text(t)
        except InputError:
            value = None
        if isinstance(value, list) and all(v is None or isinstance(v, str | int | float | bool) for v in value):
            return value
    return [parse_enum_text(part.strip(), type_) for part in t.split(",") if part.strip()]


def number_text(value: Any) -> str:
    """An optional number as its text box shows it ("" for none)."""
    return "" if value is None else json.dumps(value)


def parse_number(text: str, integer: bool) -> tuple[Any, str | None]:
    """(value, error) for an optional number typed as text."""
    t = text.strip()
    if not t:
        return None, None
    if integer:
        return (int(t), None) if re.fullmatch(r"[+-]?\d+", t) else (None, "Give a whole number.")
    value = parse_enum_text(t, "number")
    return (value, None) if isinstance(value, int | float) and not isinstance(value, bool) else (None, "Give a number.")


def free_name(stem: str, taken: Sequence[str]) -> str:
    """`stem`, or `stem_2`, `stem_3`, … : the first that is not `taken`."""
    if stem not in taken:
        return stem
    n = 2
    while f"{stem}_{n}" in taken:
        n += 1
    return f"{stem}_{n}"


# ------------------------------------------------------------------------------------ rows of a form


def row_label(i: int, row: PropertyRow, seen: set[str]) -> str:
    """A row's address segment, as the checks name it: its name, or "#i" when empty or repeated."""
    return row.name if row.name and row.name not in seen else f"#{i}"


def node_at(form: FieldForm, path: Path) -> FieldForm:
    """The row (or an array's item schema) at `path` of `form`."""
    node = form
    for seg in path:
        nxt = node.items if seg == "items" else node.properties[int(seg)]
        assert nxt is not None
        node = nxt
    return node


def change_rows(model: Any, op: str, path: Path) -> Any:
    """The tool or schema form with a row added to the object at `path` (`op` "add") or the row at `path`
    removed ("delete"); anything else (JSON kept as JSON) as it is."""
    target = model.parameters if isinstance(model, ToolForm) else model.json_schema if isinstance(model, SchemaForm) else None
    if target is None:
        return model
    target = copy.deepcopy(target)
    if op == "add":
        node_at(target, path).properties.append(PropertyRow())
    elif op == "delete" and path:
        del node_at(target, path[:-1]).properties[int(path[-1])]
    if isinstance(model, ToolForm):
        return model.model_copy(update={"parameters": target})
    return model.model_copy(update={"json_schema": target})


class ProblemsByAddress:
    """Problems to show, each taken by the first row whose address it names."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.left = list(problems)

    def at(self, address: str) -> list[Problem]:
        """Problems of the thing at `address` itself (`<address>` or `<address>.<setting>`)."""
        mine = [
            p
            for p in self.left
            if p.path == address or (p.path.startswith(address + ".") and "." not in p.path[len(address) + 1 :])
        ]
        self.left = [p for p in self.left if p not in mine]
        return mine

    def setting(self, address: str, setting: str) -> list[Problem]:
        """Problems of one setting of the thing at `address` (shown right under its widget)."""
        mine = [p for p in self.left if p.path == f"{address}.{setting}"]
        self.left = [p for p in self.left if p not in mine]
        return mine


# ------------------------------------------------------------------------------------ tools and schemas as JSON


def one_tool(tools: list[Tool]) -> Tool:
    """The one tool of `tools`; InputError when there are none or several."""
    if len(tools) != 1:
        raise InputError([Problem(path="tools", code="not_one_tool", message=f"Give one tool here, not {len(tools)}.")])
    return tools[0]


def tool_json(tool: Tool) -> dict[str, Any] | None:
    """The tool in the API's shape, or None while two rows share a name (JSON cannot hold both)."""
    try:
        return tool_to_json(tool)
    except FormError:
        return None


def response_schema_json(entry: Schema) -> dict[str, Any] | None:
    """The API's `json_schema` object ({name, schema, strict?}), or None while two rows share a name."""
    try:
        return response_format_json(entry)["json_schema"]
    except FormError:
        return None


def dump(model: Tool | Schema) -> dict[str, Any]:
    """A tool or schema as plain JSON-able data: {"form": …} (everything the form holds) or {"json": …}.

    Session state and settings keep this, never the models themselves: Streamlit reloads the modules when a
    source file changes, and a model made before that is no longer an instance of the reloaded class."""
    if isinstance(model, ToolForm | SchemaForm):
        return {"form": model.model_dump(mode="json", exclude_defaults=True)}
    if isinstance(model, JsonTool):
        return {"json": model.tool}
    return {"json": response_format_json(model)["json_schema"]}


def load(kind: str, saved: Any) -> Any:
    """`dump` undone (kind "tool" or "schema"); None when it cannot be read."""
    if not isinstance(saved, dict):
        return None
    try:
        if isinstance(saved.get("form"), dict):
            return (ToolForm if kind == "tool" else SchemaForm).model_validate(saved["form"])
        return one_tool(parse_tools(saved.get("json"))) if kind == "tool" else parse_response_schema(saved.get("json"))
    except (ValidationError, InputError):
        return None


def signature(value: Any) -> str:
    """A value as a string that changes whenever the value does (to tell whether it changed since)."""
    return json.dumps(value, sort_keys=True, default=str)


class Draft(BaseModel):
    """JSON typed into a JSON tab that could not be read: kept as typed, with why."""

    text: str
    problems: list[Problem]
    model: str  # signature of the model when it was typed: a later edit in the form replaces the draft


@dataclass
class BuilderValue:
    """What a builder field gives the sidebar: the value for build_request and the problems that block Run."""

    value: Any
    problems: list[Problem]


def json_problems(exc: InputError, path: str) -> list[Problem]:
    """Pasted-JSON problems, worded as the JSON tab shows them."""
    out = []
    for p in exc.problems:
        message = p.message
        if p.code == "not_json":
            message = "This is n" + message[1:]  # "This is not valid JSON: … at line 1, column 3."
        out.append(p.model_copy(update={"message": message, "path": p.path or path}))
    return out


# ------------------------------------------------------------------------------------ the sidebar's tools


class ToolRow(BaseModel):
    """One tool in the sidebar: on (sent) or off (kept, not sent), the library item it came from, and the MCP
    server that answers its calls (its name in PLAYGROUND_MCP_SERVERS, or its URL), if one does."""

    on: bool = True
    tool: ToolForm | JsonTool
    library_id: str | None = None
    server: str | None = None

    def saved(self) -> dict[str, Any]:
        """JSON-able, for the notebook's settings: the form itself (so nothing it holds is lost), or the JSON."""
        out: dict[str, Any] = {"on": self.on, **dump(self.tool)}
        if self.library_id:
            out["library_id"] = self.library_id
        if self.server:
            out["server"] = self.server
        return out

    @classmethod
    def restored(cls, saved: Any) -> ToolRow | None:
        tool = load("tool", saved)
        if tool is None:
            return None
        server = saved.get("server")
        return cls(
            on=bool(saved.get("on", True)),
            tool=tool,
            library_id=saved.get("library_id"),
            server=server if isinstance(server, str) and server else None,
        )


def rows_from_settings(settings: dict[str, Any]) -> tuple[list[ToolRow], Draft | None]:
    """The sidebar's tools from a notebook's settings: `tools.rows` when it agrees with `tools` (what was
    sent), else `tools` itself (older notebooks kept the JSON text there)."""
    sent = settings.get("tools")
    saved = settings.get("tools.rows")
    rows = [r for r in (ToolRow.restored(s) for s in saved) if r is not None] if isinstance(saved, list) else []
    if isinstance(saved, list) and (sent or None) == (enabled_json(rows) or None):
        return rows, None
    off = [r for r in rows if not r.on]
    if sent is None or (isinstance(sent, str) and not sent.strip()) or sent == []:
        return off, None
    try:
        parsed = parse_tools(sent)
    except InputError as exc:
        text = sent if isinstance(sent, str) else json.dumps(sent, indent=2, ensure_ascii=False)
        return off, Draft(text=text, problems=json_problems(exc, "tools"), model="")
    return [ToolRow(tool=t) for t in parsed] + off, None


def enabled_json(rows: Sequence[ToolRow]) -> list[dict[str, Any]]:
    """The tools that are on, in the API's shape (what the next run sends)."""
    return [j for j in (tool_json(r.tool) for r in rows if r.on) if j is not None]


def settings_of(rows: Sequence[ToolRow]) -> dict[str, Any]:
    """What the notebook's settings keep of the sidebar's tools."""
    return {"tools": enabled_json(rows) or None, "tools.rows": [r.saved() for r in rows]}


def in_run(settings: dict[str, Any], item: Any) -> bool:
    """Whether the library `item` (a `library.LibraryItem`) is on for the next run of the notebook these settings are."""
    rows, _ = rows_from_settings(settings)
    return any(r.on and r.library_id == item.id for r in rows)


def use_in_run(settings: dict[str, Any], item: Any, on: bool) -> None:
    """Switch a library tool on (its current version) or off for the next run; the sidebar follows."""
    rows, _ = rows_from_settings(settings)
    mine = [i for i, r in enumerate(rows) if r.library_id == item.id]
    if on:
        tool = one_tool(parse_tools(item.value))
        for i in mine:
            rows[i] = rows[i].model_copy(update={"on": True, "tool": tool})
        if not mine:
            rows.append(ToolRow(tool=tool, library_id=item.id))
    else:
        for i in mine:
            rows[i] = rows[i].model_copy(update={"on": False})
    settings.update(settings_of(rows))


def refresh_in_run(settings: dict[str, Any], item: Any) -> None:
    """A library tool was edited: the notebook's copy of it (on or off) becomes the new version."""
    rows, _ = rows_from_settings(settings)
    mine = [i for i, r in enumerate(rows) if r.library_id == item.id]
    if not mine:
        return
    tool = one_tool(parse_tools(item.value))
    for i in mine:
        rows[i] = rows[i].model_copy(update={"tool": tool})
    settings.update(settings_of(rows))


@functools.lru_cache(maxsize=64)
def _validated(saved: str) -> tuple[list[Problem], list[Problem]]:
    """(the API's rules, the rest) for tools given as `dump`s in JSON: every rerun draws the sidebar, the tools seldom change."""
    tools = [load("tool", d) for d in json.loads(saved)]
    return tool_list_problems(tools), tool_content_problems(tools)


def validate(tools: Sequence[Tool]) -> tuple[list[Problem], list[Problem]]:
    """(problems of the API's rules, which the request itself reports; the rest), remembered for the tools seen."""
    api, rest = _validated(json.dumps([dump(t) for t in tools], sort_keys=True))
    return list(api), list(rest)


def tool_problems(rows: Sequence[ToolRow]) -> tuple[list[Problem], dict[int, list[Problem]]]:
    """(problems that block Run beyond the API's rules, which the request itself reports, addressed "tools.<i>"
    by position among the tools that are on; every problem to show per row, addressed "tools.<row>")."""
    on = [i for i, r in enumerate(rows) if r.on]
    api, blocking = validate([rows[i].tool for i in on])
    shown: dict[int, list[Problem]] = {i: [] for i in range(len(rows))}
    for p in api + blocking:
        parts = p.path.split(".")
        if len(parts) > 1 and parts[1].isdigit():
            row = on[int(parts[1])]
            shown[row].append(p.model_copy(update={"path": ".".join(["tools", str(row), *parts[2:]])}))
    for i, r in enumerate(rows):
        if not r.on:  # not sent, so not blocking; still worth seeing
            shown[i] = [
                p.model_copy(update={"path": p.path.replace("tools.0", f"tools.{i}", 1)}) for p in sum(validate([r.tool]), [])
            ]
    return blocking, shown


def where(tools: Sequence[Tool], p: Problem) -> str:
    """A problem's place in words: "get_weather › unit" (the row path after the tool)."""
    parts = p.path.split(".")
    if len(parts) < 2 or not parts[1].isdigit() or int(parts[1]) >= len(tools):
        return ""
    if len(parts) < 4 or parts[2] != "parameters":
        return ""  # a problem of the tool itself (its name): said on its own
    tool = tools[int(parts[1])]
    return " › ".join([tool.name or f"tool {int(parts[1]) + 1}", *([place(parts[3:-1])] if parts[4:] else [])])


def place(segments: Sequence[str]) -> str:
    """Row names along a problem's path in words: "stops › items › city"; a row without a name ("#2") is "property 3"."""
    return " › ".join(f"property {int(n[1:]) + 1}" if re.fullmatch(r"#\d+", n) else n for n in segments)


# ------------------------------------------------------------------------------------ the sidebar's response schema


EXAMPLE_SCHEMA = SchemaForm(name="weather_report", strict=True, json_schema=schema_to_form(examples.WEATHER_SCHEMA))


def schema_from_settings(settings: dict[str, Any]) -> tuple[Schema, Draft | None]:
    """The sidebar's response schema from a notebook's settings: the form when kept and in agreement with
    `response_format.schema` (what was sent), else that JSON (older notebooks kept its text)."""
    sent = settings.get("response_format.schema")
    entry = load("schema", settings.get("response_format.rows"))
    if entry is not None and (sent is None or response_schema_json(entry) == sent):
        return entry, None
    if sent is None or (isinstance(sent, str) and not sent.strip()):
        return EXAMPLE_SCHEMA.model_copy(deep=True), None
    try:
        return parse_response_schema(sent), None
    except InputError as exc:
        text = sent if isinstance(sent, str) else json.dumps(sent, indent=2, ensure_ascii=False)
        return EXAMPLE_SCHEMA.model_copy(deep=True), Draft(text=text, problems=json_problems(exc, "response_format"), model="")


def schema_words(entry: Schema) -> str:
    """The schema in a line: “weather_report”: an object with city, temperature, condition."""
    if isinstance(entry, JsonResponseSchema):
        return f"“{entry.name}”: kept as JSON (the form cannot show all of it)."
    names = [r.name or f"field {i + 1} (no name yet)" for i, r in enumerate(entry.json_schema.properties)]
    return f"“{entry.name}”: an object with " + (", ".join(names) if names else "no fields yet") + "."
