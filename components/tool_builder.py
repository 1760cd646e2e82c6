"""The tool and response-schema builder: define a tool, or the JSON shape of an answer, without writing JSON.

A tool is a name, a description and a table of parameters (name, type, description, required, allowed values,
the type of an array's items, and rows of their own for nested objects and arrays of objects); a response
schema is a name and the same table. The JSON it makes is shown at once, pasted JSON fills the form (one
tool or an array), what the form cannot show (`oneOf`, `$ref`, …) stays JSON and says which construct, each
validation problem is shown on the row that caused it, and `example_for` shows what a valid answer looks like.

State. Every editor edits a model its caller holds (a `Slot`): widgets are seeded from the model when they
have no state, and read back into it on every run, so a widget Streamlit dropped (a page switch) loses
nothing. A setting nobody touched keeps its exact value (a pasted `"uniqueItems": false` stays false). Adding
or deleting a row happens in a callback: it reads the widgets into the model first (`draw=False`), changes the
model, then forgets the editor's widgets so they re-seed. Widget keys are `state.builder_key(scope, path,
setting)`. Nothing here does I/O: callers read and write the library.

The sidebar uses `tools_field` and `schema_field`: a short list there (and a JSON tab for developers), each editor
opening in a dialog as wide as the page, since the ~300 px sidebar cuts a form; the Tools & schemas page uses
`tool_editor` / `schema_editor` in the page itself.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st
from pydantic import BaseModel, ValidationError

from components import state as keys
from components.text import inline_code, plain, safe_inline, safe_markdown
from playground import examples
from playground.presets import Preset, presets
from playground.schema import (
    ENUM_TYPES,
    PARAM_TYPES,
    FieldForm,
    FormError,
    InputError,
    JsonResponseSchema,
    JsonTool,
    ObjectForm,
    Problem,
    PropertyRow,
    SchemaForm,
    ToolForm,
    enum_text,
    example_for,
    parse_enum_text,
    parse_json_text,
    parse_response_schema,
    parse_tools,
    response_content_problems,
    response_format_json,
    schema_to_form,
    tool_content_problems,
    tool_list_problems,
    tool_to_json,
    validate_response_schema,
)

ss = st.session_state
Tool = ToolForm | JsonTool
Schema = SchemaForm | JsonResponseSchema
Path = tuple[int | str, ...]  # row indexes, and "items" for an array's item schema
TYPE_WORDS = {
    "string": "text",
    "number": "number",
    "integer": "whole number",
    "boolean": "true/false",
    "array": "list",
    "object": "object",
}
ANY_ITEM = "any"
Problems = Sequence[Problem] | Callable[[Any], Sequence[Problem]]


@dataclass(frozen=True)
class Slot:
    """Where an editor's model lives; both work inside callbacks."""

    get: Callable[[], Any]
    set: Callable[[Any], None]


def forget(prefix: str) -> None:
    """Drop every widget state under `prefix` (a scope and a dot), so the widgets re-seed from the model."""
    for key in [k for k in ss if isinstance(k, str) and k.startswith(prefix)]:
        del ss[key]


# ------------------------------------------------------------------------------------ allowed values as text


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


def _number_text(value: Any) -> str:
    return "" if value is None else json.dumps(value)


def _parse_number(text: str, integer: bool) -> tuple[Any, str | None]:
    """(value, error) for an optional number typed as text."""
    t = text.strip()
    if not t:
        return None, None
    if integer:
        return (int(t), None) if re.fullmatch(r"[+-]?\d+", t) else (None, "Give a whole number.")
    value = parse_enum_text(t, "number")
    return (value, None) if isinstance(value, int | float) and not isinstance(value, bool) else (None, "Give a number.")


# ------------------------------------------------------------------------------------ drawing or reading


class _Ui:
    """Draws widgets (`draw`) or only reads their current values (in callbacks, before changing the model)."""

    def __init__(self, draw: bool) -> None:
        self.draw = draw

    def widget(self, where: Any, kind: str, key: str, seed: Any, label: str, **kwargs: Any) -> Any:
        if not self.draw:
            return ss[key] if key in ss else seed
        if key not in ss:
            ss[key] = seed
        getattr(where, kind)(label, key=key, **kwargs)
        return ss[key]

    def kept(
        self, where: Any, kind: str, key: str, original: Any, seed: Any, label: str, parse: Callable[[Any], Any], **kwargs: Any
    ) -> Any:
        """A widget whose untouched value keeps `original` exactly; a changed one is `parse`d."""
        value = self.widget(where, kind, key, seed, label, **kwargs)
        return original if value == seed else parse(value)


class _Problems:
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


def _show(ui: _Ui, where: Any, problems: Sequence[Problem]) -> None:
    if ui.draw:
        for p in problems:
            where.error(safe_markdown(p.message), icon=":material/error:")


def _label(i: int, row: PropertyRow, seen: set[str]) -> str:
    """A row's address segment, as the checks name it: its name, or "#i" when empty or repeated."""
    return row.name if row.name and row.name not in seen else f"#{i}"


def _node(form: FieldForm, path: Path) -> FieldForm:
    node = form
    for seg in path:
        nxt = node.items if seg == "items" else node.properties[int(seg)]
        assert nxt is not None
        node = nxt
    return node


# ------------------------------------------------------------------------------------ one schema (a row or an item)


@dataclass
class _Ctx:
    ui: _Ui
    scope: str
    problems: _Problems
    slot: Slot
    kind: str  # "tool" or "schema": the model in the slot, for callbacks
    row_word: str  # "parameter" or "field"


def _more(ctx: _Ctx, where: Any, f: FieldForm, path: Path) -> FieldForm:
    """The settings a row seldom needs, behind a button: null allowed, default, bounds, pattern, format…"""
    ui, k = ctx.ui, (lambda s: keys.builder_key(ctx.scope, path, s))
    pop = where.popover("More", help="More settings: null allowed, default, limits, pattern, format") if ui.draw else None
    upd: dict[str, Any] = {}
    upd["nullable"] = ui.widget(pop, "checkbox", k("nullable"), f.nullable, "Can be null")
    upd["title"] = ui.widget(pop, "text_input", k("title"), f.title, "Title")
    if f.type in ENUM_TYPES:
        upd["default"] = ui.kept(
            pop,
            "text_input",
            k("default"),
            f.default,
            "" if f.default is None else enum_text(f.default),
            "Default",
            lambda t: None if not t.strip() else parse_enum_text(t, f.type),
        )

    def number(attr: str, label: str, integer: bool) -> None:
        original = getattr(f, attr)
        seed = _number_text(original)
        text = ui.widget(pop, "text_input", k(attr), seed, label)
        if text == seed:
            upd[attr] = original
            return
        value, error = _parse_number(text, integer)
        if error and ui.draw and pop is not None:
            pop.caption(f":red[{plain(error)}]")
        upd[attr] = value if error is None else original

    if f.type == "string":
        upd["format"] = ui.kept(
            pop,
            "text_input",
            k("format"),
            f.format,
            f.format or "",
            "Format",
            lambda t: t.strip() or None,
            placeholder="date, date-time, email, uri…",
        )
        upd["pattern"] = ui.kept(
            pop, "text_input", k("pattern"), f.pattern, f.pattern or "", "Pattern (regular expression)", lambda t: t or None
        )
        number("min_length", "Shortest length", True)
        number("max_length", "Longest length", True)
    elif f.type in ("number", "integer"):
        number("minimum", "Minimum", f.type == "integer")
        number("maximum", "Maximum", f.type == "integer")
        number("exclusive_minimum", "Greater than", f.type == "integer")
        number("exclusive_maximum", "Less than", f.type == "integer")
        number("multiple_of", "Multiple of", False)
    elif f.type == "array":
        number("min_items", "Fewest items", True)
        number("max_items", "Most items", True)
        upd["unique_items"] = ui.kept(
            pop, "checkbox", k("unique_items"), f.unique_items, bool(f.unique_items), "Items must differ", lambda v: bool(v)
        )
    elif f.type == "object":
        choices = {"not said": None, "allowed": True, "not allowed": False}
        seed = {None: "not said", True: "allowed", False: "not allowed"}[f.additional_properties]
        upd["additional_properties"] = ui.kept(
            pop,
            "selectbox",
            k("additional"),
            f.additional_properties,
            seed,
            "Other properties",
            lambda c: choices[c],
            options=list(choices),
        )
    return f.model_copy(update=upd)


def _items(ctx: _Ctx, where: Any, row: FieldForm, path: Path, address: str) -> FieldForm | None:
    """An array's item schema: its type, and its allowed values, item type or rows in turn."""
    ui = ctx.ui
    items = row.items
    here = (*path, "items")
    seed = items.type if items is not None else ANY_ITEM
    chosen = ui.widget(
        where,
        "selectbox",
        keys.builder_key(ctx.scope, here, "type"),
        seed,
        "Each item is",
        options=[ANY_ITEM, *PARAM_TYPES],
        format_func=lambda t: "anything" if t == ANY_ITEM else t,
        help="The type of every item of the list",
    )
    if chosen == ANY_ITEM:
        return None if items is None or seed != ANY_ITEM else items
    item = (items or FieldForm()).model_copy(update={"type": chosen})
    return _details(ctx, where, item, here, f"{address}.items", item_of=True)


def _details(
    ctx: _Ctx, where: Any, f: FieldForm, path: Path, address: str, *, item_of: bool = False, enum_at: Any = None
) -> FieldForm:
    """What a schema holds beyond its type: allowed values (scalars, in `enum_at` if given), item schema
    (arrays), rows (objects)."""
    ui = ctx.ui
    k = lambda s: keys.builder_key(ctx.scope, path, s)  # noqa: E731
    if f.type in ENUM_TYPES:
        seed = enum_to_text(f.enum, f.type)
        enum = ui.kept(
            enum_at if enum_at is not None else where,
            "text_input",
            k("enum"),
            f.enum,
            seed,
            "Allowed item values" if item_of else "Allowed values",
            lambda t: text_to_enum(t, f.type),
            placeholder="any; or e.g. celsius, fahrenheit",
            help="Comma-separated (or a JSON array). Empty: any value of the type.",
        )
        f = f.model_copy(update={"enum": enum})
        _show(ui, enum_at if enum_at is not None else where, ctx.problems.setting(address, "enum"))
    _show(ui, where, ctx.problems.at(address))  # the rest of this row's own problems, before its fields
    if f.type == "array":
        box = where.container(border=True) if ui.draw else None
        f = f.model_copy(update={"items": _items(ctx, box, f, path, address)})
    elif f.type == "object":
        f = _rows(ctx, where, f, path, address)
    return f


def _row(ctx: _Ctx, where: Any, row: PropertyRow, path: Path, address: str) -> PropertyRow:
    """One property: name, type, required, description, then what its type holds (values, items, fields):
    name, type, required, more and delete on one line, description and allowed values on the next."""
    ui = ctx.ui
    k = lambda s: keys.builder_key(ctx.scope, path, s)  # noqa: E731
    box: Any = where.container(border=True, key=k("row")) if ui.draw else None
    cols: list[Any] = [box] * 6
    if ui.draw:
        cols = [*box.columns([2.6, 2.2, 2, 1.4, 1.2], vertical_alignment="bottom"), None]
        cols = [cols[0], cols[1], None, cols[2], cols[3], cols[4]]
    name = ui.widget(cols[0], "text_input", k("name"), row.name, "Name", placeholder="e.g. city")
    type_ = ui.widget(
        cols[1],
        "selectbox",
        k("type"),
        row.type,
        "Type",
        options=list(PARAM_TYPES),
        help="string: text · number · integer: a whole number · boolean: true/false · array: a list · "
        "object: named fields of its own",
    )
    required = ui.widget(cols[3], "checkbox", k("required"), row.required, "Required")
    updated: Any = _more(ctx, cols[4], row.model_copy(update={"name": name, "type": type_, "required": required}), path)
    if ui.draw:
        cols[5].button(
            "Remove",
            key=k("delete"),
            help=f"Remove this {ctx.row_word}",
            on_click=_op,
            args=(ctx.slot, ctx.kind, ctx.scope, "delete", path),
            type="tertiary",
        )
    _show(ui, box, ctx.problems.setting(address, "name"))  # under the first line
    second = box.columns(2) if ui.draw else [box, box]
    description = ui.widget(
        second[0], "text_input", k("description"), row.description, "Description", placeholder="What it means, for the model"
    )
    updated = updated.model_copy(update={"description": description})
    details = _details(ctx, box, updated, path, address, enum_at=second[1] if ui.draw else None)
    assert isinstance(details, PropertyRow)
    return details


def _rows(ctx: _Ctx, where: Any, obj: FieldForm, path: Path, address: str) -> FieldForm:
    """An object's rows, then "Add …" (top level: the tool's parameters or the schema's fields)."""
    ui = ctx.ui
    if path:
        _show(ui, where, ctx.problems.at(address))
    if ui.draw and path and obj.properties:
        where.caption("Its fields:")
    seen: set[str] = set()
    rows: list[PropertyRow] = []
    for i, row in enumerate(obj.properties):
        label = _label(i, row, seen)
        seen.add(row.name)
        rows.append(_row(ctx, where, row, (*path, i), f"{address}.{label}"))
    if ui.draw:
        word = ctx.row_word if not path else "field"
        where.button(
            f"Add a {word}",
            key=keys.builder_key(ctx.scope, path, "add"),
            on_click=_op,
            args=(ctx.slot, ctx.kind, ctx.scope, "add", path),
            type="tertiary",
        )
    return obj.model_copy(update={"properties": rows})


# ------------------------------------------------------------------------------------ structural changes (callbacks)


def _op(slot: Slot, kind: str, scope: str, op: str, path: Path) -> None:
    """Add a row to the object at `path`, or delete the row at `path`; then the widgets re-seed."""
    model = _read(slot, kind, scope)
    target = model.parameters if isinstance(model, ToolForm) else model.json_schema if isinstance(model, SchemaForm) else None
    if target is None:
        return
    target = copy.deepcopy(target)
    if op == "add":
        _node(target, path).properties.append(PropertyRow())
    elif op == "delete" and path:
        parent = _node(target, path[:-1])
        del parent.properties[int(path[-1])]
    if isinstance(model, ToolForm):
        model = model.model_copy(update={"parameters": target})
    else:
        model = model.model_copy(update={"json_schema": target})
    slot.set(model)
    forget(scope + ".p.")  # the rows re-seed; the name, description and an open editor stay as they are


def _read(slot: Slot, kind: str, scope: str) -> Any:
    """The model with what the widgets hold now (no drawing)."""
    ctx = _Ctx(_Ui(False), scope, _Problems([]), slot=slot, kind=kind, row_word="")
    model = slot.get()
    if kind == "tool":
        return _tool_body(ctx, None, model, "tools.0")
    return _schema_body(ctx, None, model, "response_format")


# ------------------------------------------------------------------------------------ a tool


def _constructs(ui: _Ui, where: Any, reasons: Sequence[Any]) -> None:
    if not ui.draw:
        return
    lines = "\n".join(f"- {safe_inline(r.message)} (at {inline_code(r.path)})" for r in reasons)
    where.info(
        "The form cannot show all of this, so its JSON stays the source; edit it below.\n\n" + lines,
        icon=":material/data_object:",
    )


def _json_source(ctx: _Ctx, where: Any, value: dict[str, Any], parse: Callable[[str], Any], original: Any) -> Any:
    """A JSON text area that is the source of a tool or schema the form cannot show."""
    key = keys.builder_key(ctx.scope, (), "json")
    seed = json.dumps(value, indent=2, ensure_ascii=False)
    text = ctx.ui.widget(where, "text_area", key, seed, "JSON", height=260)
    if text == seed:
        return original
    try:
        return parse(text)
    except InputError as exc:
        _show(ctx.ui, where, exc.problems)
        return original


def _tool_body(ctx: _Ctx, where: Any, tool: Tool, address: str) -> Tool:
    ui = ctx.ui
    k = lambda s: keys.builder_key(ctx.scope, (), s)  # noqa: E731
    if isinstance(tool, JsonTool):
        _show(ui, where, ctx.problems.at(address))
        _constructs(ui, where, tool.reasons)
        return _json_source(ctx, where, tool.tool, lambda t: _one_tool(parse_tools(t)), tool)
    name = ui.widget(
        where,
        "text_input",
        k("name"),
        tool.name,
        "Tool name",
        placeholder="get_weather",
        help="Letters, digits, _ and -, up to 64 characters; the model calls the tool by this name",
    )
    description = ui.widget(
        where,
        "text_area",
        k("description"),
        tool.description,
        "What it does",
        placeholder="Get the current weather for a city",
        height=68,
        help="The model reads this to decide when to call the tool",
    )
    _show(ui, where, ctx.problems.at(address))
    if ui.draw:
        where.markdown("**Parameters**", help="What the model must give when it calls the tool")
    parameters = _rows(ctx, where, tool.parameters, (), f"{address}.parameters")
    _show(ui, where, ctx.problems.at(f"{address}.parameters"))
    assert isinstance(parameters, ObjectForm)
    return tool.model_copy(update={"name": name, "description": description, "parameters": parameters})


def _one_tool(tools: list[Tool]) -> Tool:
    if len(tools) != 1:
        raise InputError([Problem(path="tools", code="not_one_tool", message=f"Give one tool here, not {len(tools)}.")])
    return tools[0]


def tool_json(tool: Tool) -> dict[str, Any] | None:
    """The tool in the API's shape, or None while two rows share a name (JSON cannot hold both)."""
    try:
        return tool_to_json(tool)
    except FormError:
        return None


def _json_view(where: Any, value: Any, caption: str) -> None:
    where.caption(caption)
    if value is None:
        where.warning("Two rows of one object share a name, so there is no JSON until one is renamed.", icon=":material/warning:")
    else:
        where.code(json.dumps(value, indent=2, ensure_ascii=False), language="json", wrap_lines=True)


def _beside(beside: bool, folded: str) -> tuple[Any, Any]:
    """Where the form and its JSON go: side by side, or (in a dialog, which may be narrow) the form across the
    whole width with the JSON folded under it."""
    if beside:
        left, right = st.columns([3, 2], gap="medium")
        return left, right
    return st.container(), st.expander(folded)


def tool_editor(slot: Slot, *, scope: str, problems: Problems = (), address: str = "tools.0", beside: bool = True) -> Tool:
    """A tool's form, its JSON and an example call (beside it, or folded under it). Returns the tool as edited
    and stores it in `slot`. `problems` (or a function giving them for the tool as the widgets hold it now) are
    located under `address` ("tools.<i>")."""
    tool = _read(slot, "tool", scope)
    found = problems(tool) if callable(problems) else problems
    ctx = _Ctx(_Ui(True), scope, _Problems(found), slot, "tool", "parameter")
    left, right = _beside(beside, "The tool as JSON, and an example call")
    edited = _tool_body(ctx, left, tool, address)
    value = tool_json(edited)
    _json_view(right, value, "The tool as JSON (what is sent)")
    if value is not None:
        right.caption("An example call that obeys it")
        right.code(
            f"{edited.name}({json.dumps(example_for(value['function'].get('parameters', {})), ensure_ascii=False)})",
            language=None,
            wrap_lines=True,
        )
    _show(ctx.ui, st, ctx.problems.left)
    slot.set(edited)
    return edited


# ------------------------------------------------------------------------------------ a response schema


def _schema_body(ctx: _Ctx, where: Any, entry: Schema, address: str) -> Schema:
    ui = ctx.ui
    k = lambda s: keys.builder_key(ctx.scope, (), s)  # noqa: E731
    top = where.columns([3, 2], vertical_alignment="bottom") if ui.draw else [where, where]
    name = ui.widget(
        top[0],
        "text_input",
        k("name"),
        entry.name,
        "Schema name",
        help="A name for the answer's shape (letters, digits, _ and -)",
    )
    strict = ui.kept(
        top[1],
        "checkbox",
        k("strict"),
        entry.strict,
        bool(entry.strict),
        "Strict",
        lambda v: bool(v),
        help="Ask the server to follow the schema exactly",
    )
    _show(ui, where, ctx.problems.at(address))
    if isinstance(entry, JsonResponseSchema):
        _show(ui, where, ctx.problems.at(f"{address}.schema"))
        _constructs(ui, where, entry.reasons)
        spec = response_format_json(entry)["json_schema"]
        parsed = _json_source(ctx, where, spec, parse_response_schema, entry)
        return parsed.model_copy(update={"name": name, "strict": strict}) if parsed is entry else parsed
    if ui.draw:
        where.markdown("**Fields of the answer**", help="The JSON object the answer must be")
    schema = _rows(ctx, where, entry.json_schema, (), f"{address}.schema")
    _show(ui, where, ctx.problems.at(f"{address}.schema"))
    return entry.model_copy(update={"name": name, "strict": strict, "json_schema": schema})


def schema_json(entry: Schema) -> dict[str, Any] | None:
    """The API's `json_schema` object ({name, schema, strict?}), or None while two rows share a name."""
    try:
        return response_format_json(entry)["json_schema"]
    except FormError:
        return None


def _example(where: Any, spec: dict[str, Any] | None) -> None:
    if spec is None:
        return
    where.caption("A valid answer looks like this")
    where.code(json.dumps(example_for(spec["schema"]), indent=2, ensure_ascii=False), language="json", wrap_lines=True)


def schema_editor(
    slot: Slot, *, scope: str, problems: Problems = (), address: str = "response_format", beside: bool = True
) -> Schema:
    """A response schema's form, with its JSON and an example of a valid answer (beside it, or folded under it).
    Returns the schema as edited and stores it in `slot`. `problems` as for `tool_editor`."""
    entry = _read(slot, "schema", scope)
    found = problems(entry) if callable(problems) else problems
    ctx = _Ctx(_Ui(True), scope, _Problems(found), slot, "schema", "field")
    left, right = _beside(beside, "The schema as JSON, and an example answer")
    edited = _schema_body(ctx, left, entry, address)
    spec = schema_json(edited)
    _json_view(right, spec, "The schema as JSON (sent as response_format.json_schema)")
    _example(right, spec)
    _show(ctx.ui, st, ctx.problems.left)
    slot.set(edited)
    return edited


# ------------------------------------------------------------------------------------ the sidebar: this run's tools


class ToolRow(BaseModel):
    """One tool in the sidebar: on (sent) or off (kept, not sent), and the library item it came from."""

    on: bool = True
    tool: ToolForm | JsonTool
    library_id: str | None = None

    def saved(self) -> dict[str, Any]:
        """JSON-able, for the notebook's settings: the form itself (so nothing it holds is lost), or the JSON."""
        out: dict[str, Any] = {"on": self.on, **dump(self.tool)}
        if self.library_id:
            out["library_id"] = self.library_id
        return out

    @classmethod
    def restored(cls, saved: Any) -> ToolRow | None:
        tool = load("tool", saved)
        if tool is None:
            return None
        return cls(on=bool(saved.get("on", True)), tool=tool, library_id=saved.get("library_id"))


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
        return _one_tool(parse_tools(saved.get("json"))) if kind == "tool" else parse_response_schema(saved.get("json"))
    except (ValidationError, InputError):
        return None


class Draft(BaseModel):
    """JSON typed into a JSON tab that could not be read: kept as typed, with why."""

    text: str
    problems: list[Problem]
    model: str  # signature of the model when it was typed: a later edit in the form replaces the draft


def _signature(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def rows_from_settings(settings: dict[str, Any]) -> tuple[list[ToolRow], Draft | None]:
    """The sidebar's tools from a notebook's settings: `tools.rows` when it agrees with `tools` (what was
    sent), else `tools` itself (older notebooks kept the JSON text there)."""
    sent = settings.get("tools")
    saved = settings.get("tools.rows")
    rows = [r for r in (ToolRow.restored(s) for s in saved) if r is not None] if isinstance(saved, list) else []
    if isinstance(saved, list) and (sent or None) == (_enabled_json(rows) or None):
        return rows, None
    off = [r for r in rows if not r.on]
    if sent is None or (isinstance(sent, str) and not sent.strip()) or sent == []:
        return off, None
    try:
        parsed = parse_tools(sent)
    except InputError as exc:
        text = sent if isinstance(sent, str) else json.dumps(sent, indent=2, ensure_ascii=False)
        return off, Draft(text=text, problems=_json_problems(exc, "tools"), model="")
    return [ToolRow(tool=t) for t in parsed] + off, None


def _enabled_json(rows: Sequence[ToolRow]) -> list[dict[str, Any]]:
    return [j for j in (tool_json(r.tool) for r in rows if r.on) if j is not None]


def settings_of(rows: Sequence[ToolRow]) -> dict[str, Any]:
    """What the notebook's settings keep of the sidebar's tools."""
    return {"tools": _enabled_json(rows) or None, "tools.rows": [r.saved() for r in rows]}


def _json_problems(exc: InputError, path: str) -> list[Problem]:
    """Pasted-JSON problems, worded as the JSON tab shows them."""
    out = []
    for p in exc.problems:
        message = p.message
        if p.code == "not_json":
            message = "This is n" + message[1:]  # "This is not valid JSON: … at line 1, column 3."
        out.append(p.model_copy(update={"message": message, "path": p.path or path}))
    return out


def _stored_rows() -> list[ToolRow]:
    """The sidebar's rows as last stored (plain data in the session, see `dump`)."""
    return [r for r in (ToolRow.restored(d) for d in ss.get(keys.BUILDER_TOOLS) or []) if r is not None]


def _tools_slot(i: int) -> Slot:
    def get() -> Tool:
        return load("tool", ss[keys.BUILDER_TOOLS][i])

    def put(tool: Tool) -> None:
        rows = ss[keys.BUILDER_TOOLS]
        if i < len(rows):
            rows[i] = {**{k: v for k, v in rows[i].items() if k not in ("form", "json")}, **dump(tool)}

    return Slot(get, put)


def _current_rows() -> list[ToolRow]:
    """The sidebar's rows with what their widgets hold now (for callbacks, and before drawing)."""
    rows = _stored_rows()
    out = []
    for i, row in enumerate(rows):
        scope = keys.sidebar_tool(i)
        on = ss.get(keys.builder_key(scope, (), "on"), row.on)
        out.append(row.model_copy(update={"on": bool(on), "tool": _read(_tools_slot(i), "tool", scope)}))
    return out


def _put_rows(rows: Sequence[ToolRow]) -> None:
    ss[keys.BUILDER_TOOLS] = [r.saved() for r in rows]


def _set_rows(rows: list[ToolRow]) -> None:
    _put_rows(rows)
    forget(keys.SIDEBAR_TOOLS + ".")


def add_tool(value: dict[str, Any] | Tool | None, library_id: str | None = None) -> None:
    """Callback: add a tool to this run (on), from a preset or library value, or an empty one."""
    rows = _current_rows()
    tool: Tool
    if value is None:
        tool = ToolForm(name=_free_name("new_tool", [r.tool.name for r in rows]))
    elif isinstance(value, ToolForm | JsonTool):
        tool = value
    else:
        tool = _one_tool(parse_tools(value))
    rows.append(ToolRow(tool=tool, library_id=library_id))
    _set_rows(rows)
    ss[keys.TOOLS_ADD] = False  # close the menu
    if value is None:
        _edit("tool", len(rows) - 1)  # an empty tool is filled in its form


def _edit(kind: str, i: int = 0) -> None:
    """Callback: open the editor of tool `i` ("tool") or of the response schema ("schema") in its dialog."""
    ss[keys.BUILDER_EDITING] = (kind, i)


def _close() -> None:
    """Callback (the dialog dismissed): nothing is lost, every edit is already in the model."""
    ss.pop(keys.BUILDER_EDITING, None)


def _editing(kind: str) -> int | None:
    """Which editor of `kind` is open: a dialog closes on a full rerun unless it is opened again."""
    open_ = ss.get(keys.BUILDER_EDITING)
    return open_[1] if open_ is not None and open_[0] == kind else None


def _done_button() -> None:
    if st.button("Done", key=keys.BUILDER_DONE, type="primary", help="Close the editor; everything typed is kept"):
        _close()
        st.rerun()  # the whole page: the sidebar's list and the checks before Run follow the edit


@st.dialog("Edit the tool", width="large", on_dismiss=_close)
def _tool_dialog(i: int, save: Callable[[dict[str, Any], str | None], str] | None) -> None:
    """Tool `i` of the sidebar in a dialog: the form across the page's width, its JSON folded under it."""
    scope = keys.sidebar_tool(i)
    located = lambda tool: [  # noqa: E731
        p.model_copy(update={"path": p.path.replace("tools.0", f"tools.{i}", 1)}) for p in sum(_validate([tool]), [])
    ]
    tool = tool_editor(_tools_slot(i), scope=scope, problems=located, address=f"tools.{i}", beside=False)
    with st.container(horizontal=True, vertical_alignment="center"):
        _done_button()
        if save is not None:
            st.button(
                "Update in library" if _stored_rows()[i].library_id else "Save to library",
                key=keys.builder_key(scope, (), "save"),
                on_click=_save_tool,
                args=(i, save),
                help="Keep this tool in your library (the Tools & schemas page)",
                disabled=tool_json(tool) is None,
            )
        if st.button("Remove this tool", key=keys.builder_key(scope, (), "remove"), type="tertiary"):
            _remove_tool(i)
            _close()
            st.rerun()


def _free_name(stem: str, taken: Sequence[str]) -> str:
    if stem not in taken:
        return stem
    n = 2
    while f"{stem}_{n}" in taken:
        n += 1
    return f"{stem}_{n}"


def _remove_tool(i: int) -> None:
    rows = _current_rows()
    if i < len(rows):
        del rows[i]
    _set_rows(rows)


def _tools_json_edited() -> None:
    """Callback of the JSON tab: pasted tools replace the ones that are on; unreadable JSON is kept as typed."""
    text = ss.get(keys.field("tools"), "")
    rows = _current_rows()
    off = [r for r in rows if not r.on]
    if not text.strip():
        parsed: list[Tool] = []
    else:
        try:
            parsed = parse_tools(text)
        except InputError as exc:
            ss[keys.BUILDER_TOOLS_DRAFT] = Draft(
                text=text, problems=_json_problems(exc, "tools"), model=_signature(settings_of(rows))
            )
            return
    ids = {r.tool.name: r.library_id for r in rows if r.on}
    _set_rows([ToolRow(tool=t, library_id=ids.get(t.name)) for t in parsed] + off)
    ss[keys.BUILDER_TOOLS_DRAFT] = None


@dataclass
class BuilderValue:
    """What a builder field gives the sidebar: the value for build_request and the problems that block Run."""

    value: Any
    problems: list[Problem]


def _sync_tools(settings: dict[str, Any]) -> None:
    """(Re)build the sidebar's tools from the settings when they changed elsewhere (Fork, another notebook,
    the Tools page), or on the first run of a session."""
    seen = _signature({k: settings.get(k) for k in ("tools", "tools.rows")})
    if keys.BUILDER_TOOLS in ss and ss.get(keys.BUILDER_TOOLS_SEEN) == seen:
        return
    rows, draft = rows_from_settings(settings)
    _set_rows(rows)
    ss.pop(keys.field("tools"), None)
    ss[keys.BUILDER_TOOLS_DRAFT] = draft
    ss[keys.BUILDER_TOOLS_SEEN] = seen


@functools.lru_cache(maxsize=64)
def _validated(saved: str) -> tuple[list[Problem], list[Problem]]:
    """(the API's rules, the rest) for tools given as `dump`s in JSON: every rerun draws the sidebar, the tools seldom change."""
    tools = [load("tool", d) for d in json.loads(saved)]
    return tool_list_problems(tools), tool_content_problems(tools)


def _validate(tools: Sequence[Tool]) -> tuple[list[Problem], list[Problem]]:
    api, rest = _validated(json.dumps([dump(t) for t in tools], sort_keys=True))
    return list(api), list(rest)


def _tool_problems(rows: Sequence[ToolRow]) -> tuple[list[Problem], dict[int, list[Problem]]]:
    """(problems that block Run beyond the API's rules, which the request itself reports, addressed "tools.<i>"
    by position among the tools that are on; every problem to show per row, addressed "tools.<row>")."""
    on = [i for i, r in enumerate(rows) if r.on]
    api, blocking = _validate([rows[i].tool for i in on])
    shown: dict[int, list[Problem]] = {i: [] for i in range(len(rows))}
    for p in api + blocking:
        parts = p.path.split(".")
        if len(parts) > 1 and parts[1].isdigit():
            row = on[int(parts[1])]
            shown[row].append(p.model_copy(update={"path": ".".join(["tools", str(row), *parts[2:]])}))
    for i, r in enumerate(rows):
        if not r.on:  # not sent, so not blocking; still worth seeing
            shown[i] = [
                p.model_copy(update={"path": p.path.replace("tools.0", f"tools.{i}", 1)}) for p in sum(_validate([r.tool]), [])
            ]
    return blocking, shown


def _where(tools: Sequence[Tool], p: Problem) -> str:
    """A problem's place in words: "get_weather › unit" (the row path after the tool)."""
    parts = p.path.split(".")
    if len(parts) < 2 or not parts[1].isdigit() or int(parts[1]) >= len(tools):
        return ""
    if len(parts) < 4 or parts[2] != "parameters":
        return ""  # a problem of the tool itself (its name): said on its own
    tool = tools[int(parts[1])]
    return " › ".join([tool.name or f"tool {int(parts[1]) + 1}", *([_place(parts[3:-1])] if parts[4:] else [])])


def _place(segments: Sequence[str]) -> str:
    """Row names along a problem's path in words: "stops › items › city"; a row without a name ("#2") is "property 3"."""
    return " › ".join(f"property {int(n[1:]) + 1}" if re.fullmatch(r"#\d+", n) else n for n in segments)


def tools_field(
    settings: dict[str, Any],
    *,
    library_tools: Sequence[Any] = (),
    save: Callable[[dict[str, Any], str | None], str] | None = None,
) -> BuilderValue:
    """The sidebar's Tools: this run's tools (each on or off, edited in place), "Add a tool" from presets,
    the library or empty, and a JSON tab. Keeps the settings up to date (`tools`, `tools.rows`).

    `library_tools` are `library.LibraryItem`s of kind tool. Returns the tools that are on (API shape) or None.
    """
    _sync_tools(settings)
    rows = _current_rows()  # what the widgets hold now, so names and problems are current
    _put_rows(rows)
    _, shown = _tool_problems(rows)
    form_tab, json_tab = st.tabs(["Form", "JSON"])
    with form_tab:
        if not rows:
            st.caption("Functions the model may call. None yet: add one from a preset, your library, or empty.")
        for i, row in enumerate(rows):
            scope = keys.sidebar_tool(i)
            with st.container(key=keys.builder_key(scope, (), "box")):
                head = st.container(horizontal=True, vertical_alignment="center")
                on_key = keys.builder_key(scope, (), "on")
                if on_key not in ss:
                    ss[on_key] = row.on
                head.toggle(plain(row.tool.name) or "(no name yet)", key=on_key, help="On: sent with the next run")
                if shown[i]:
                    n = len(shown[i])
                    head.caption(f":red[{n} problem{'s' * (n != 1)}]")
                head.button(
                    "Edit",
                    key=keys.builder_key(scope, (), "edit"),
                    on_click=_edit,
                    args=("tool", i),
                    type="tertiary",
                    help=f"Open the form of {plain(row.tool.name) or 'this tool'}: its name, description and parameters",
                )
        _add_menu(library_tools)
        if (i := _editing("tool")) is not None and i < len(rows):
            _tool_dialog(i, save)
    rows = _current_rows()
    _put_rows(rows)
    blocking, _ = _tool_problems(rows)
    sent = _enabled_json(rows)
    with json_tab:
        draft = _json_tab(
            keys.field("tools"),
            keys.BUILDER_TOOLS_DRAFT,
            json.dumps(sent, indent=2, ensure_ascii=False) if sent else "",
            _signature(settings_of(rows)),
            on_change=_tools_json_edited,
            label="Tools as JSON",
            help="The tools that are on, as sent. Paste one tool or an array of tools (OpenAI's shape, "
            "a bare function, or {name, description, input_schema}); the form follows.",
        )
    saved = settings_of(rows)
    settings.update(saved)
    ss[keys.BUILDER_TOOLS_SEEN] = _signature({k: settings.get(k) for k in ("tools", "tools.rows")})
    tools = [r.tool for r in rows if r.on]
    problems = [p.model_copy(update={"message": f"{w}: {p.message}" if (w := _where(tools, p)) else p.message}) for p in blocking]
    return BuilderValue(value=sent or None, problems=(draft.problems if draft else []) + problems)


def _json_tab(
    key: str, draft_key: str, text: str, model_sig: str, *, on_change: Callable[[], None], label: str, help: str
) -> Draft | None:
    """The JSON tab's text area: the model's JSON, unless the person's unreadable JSON is waiting to be fixed."""
    draft: Draft | None = ss.get(draft_key)
    if draft is not None and draft.model and draft.model != model_sig:
        draft = ss[draft_key] = None  # edited in the form since: the form wins
    wanted = draft.text if draft is not None else text
    if ss.get(key) != wanted:
        ss[key] = wanted
    st.text_area(
        label,
        key=key,
        height=220,
        on_change=on_change,
        help=help,
        placeholder='[{"type": "function", "function": {"name": …, "parameters": {…}}}]',
    )
    return draft


def _add_menu(library_tools: Sequence[Any]) -> None:
    with st.popover("Add a tool", key=keys.TOOLS_ADD, on_change="rerun"):
        st.button(
            "Empty tool",
            key=keys.TOOLS_NEW,
            on_click=add_tool,
            args=(None,),
            help="Start from a name and no parameters",
        )
        st.caption("Presets")
        for preset in _tool_presets():
            key = keys.TOOLS_EXAMPLE if preset.value == examples.GET_WEATHER else keys.tools_preset(preset.name)
            st.button(preset.name, key=key, help=preset.description or None, on_click=add_tool, args=(preset.value,))
        st.caption("Your library")
        if not library_tools:
            st.caption("Nothing saved yet.")
        for item in library_tools:
            st.button(
                plain(item.name),
                key=keys.tools_from_library(item.id),
                on_click=add_tool,
                args=(item.value, item.id),
                help="A copy of this saved tool, for this notebook",
            )
        st.page_link("views/tools.py", label="Tools & schemas page")


def _tool_presets() -> list[Preset]:
    return [p for p in presets() if p.kind == "tool"]


def in_run(settings: dict[str, Any], item: Any) -> bool:
    """Whether the library `item` (a `library.LibraryItem`) is on for the next run of the notebook these settings are."""
    rows, _ = rows_from_settings(settings)
    return any(r.on and r.library_id == item.id for r in rows)


def use_in_run(settings: dict[str, Any], item: Any, on: bool) -> None:
    """Switch a library tool on (its current version) or off for the next run; the sidebar follows."""
    rows, _ = rows_from_settings(settings)
    mine = [i for i, r in enumerate(rows) if r.library_id == item.id]
    if on:
        tool = _one_tool(parse_tools(item.value))
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
    tool = _one_tool(parse_tools(item.value))
    for i in mine:
        rows[i] = rows[i].model_copy(update={"tool": tool})
    settings.update(settings_of(rows))


def _save_tool(i: int, save: Callable[[dict[str, Any], str | None], str]) -> None:
    """Callback: keep tool i in the library (`save` writes it and returns the item's id)."""
    rows = _current_rows()
    if i >= len(rows) or (value := tool_json(rows[i].tool)) is None:
        return
    rows[i] = rows[i].model_copy(update={"library_id": save(value, rows[i].library_id)})
    _set_rows(rows)


# ------------------------------------------------------------------------------------ the sidebar: response schema


EXAMPLE_SCHEMA = SchemaForm(name="weather_report", strict=True, json_schema=schema_to_form(examples.WEATHER_SCHEMA))


def schema_from_settings(settings: dict[str, Any]) -> tuple[Schema, Draft | None]:
    """The sidebar's response schema from a notebook's settings: the form when kept and in agreement with
    `response_format.schema` (what was sent), else that JSON (older notebooks kept its text)."""
    sent = settings.get("response_format.schema")
    entry = load("schema", settings.get("response_format.rows"))
    if entry is not None and (sent is None or schema_json(entry) == sent):
        return entry, None
    if sent is None or (isinstance(sent, str) and not sent.strip()):
        return EXAMPLE_SCHEMA.model_copy(deep=True), None
    try:
        return parse_response_schema(sent), None
    except InputError as exc:
        text = sent if isinstance(sent, str) else json.dumps(sent, indent=2, ensure_ascii=False)
        return EXAMPLE_SCHEMA.model_copy(deep=True), Draft(text=text, problems=_json_problems(exc, "response_format"), model="")


def _schema_slot() -> Slot:
    return Slot(lambda: load("schema", ss[keys.BUILDER_SCHEMA]), lambda v: ss.__setitem__(keys.BUILDER_SCHEMA, dump(v)))


def load_schema(value: dict[str, Any] | None) -> None:
    """Callback: put a preset, a library schema or an empty one in the sidebar's response schema."""
    entry = SchemaForm(strict=True) if value is None else parse_response_schema(value)
    ss[keys.BUILDER_SCHEMA] = dump(entry)
    ss[keys.BUILDER_SCHEMA_DRAFT] = None
    forget(keys.SIDEBAR_SCHEMA + ".")
    ss[keys.SCHEMA_LOAD] = False
    if value is None:
        _edit("schema")  # an empty schema is filled in its form


def _schema_json_edited() -> None:
    text = ss.get(keys.RESPONSE_SCHEMA, "")
    try:
        entry = parse_response_schema(text)
    except InputError as exc:
        current = _read(_schema_slot(), "schema", keys.SIDEBAR_SCHEMA)
        ss[keys.BUILDER_SCHEMA_DRAFT] = Draft(
            text=text, problems=_json_problems(exc, "response_format"), model=_signature(dump(current))
        )
        return
    ss[keys.BUILDER_SCHEMA] = dump(entry)
    ss[keys.BUILDER_SCHEMA_DRAFT] = None
    forget(keys.SIDEBAR_SCHEMA + ".")


def _sync_schema(settings: dict[str, Any]) -> None:
    seen = _signature({k: settings.get(k) for k in ("response_format.schema", "response_format.rows")})
    if keys.BUILDER_SCHEMA in ss and ss.get(keys.BUILDER_SCHEMA_SEEN) == seen:
        return
    entry, draft = schema_from_settings(settings)
    ss[keys.BUILDER_SCHEMA] = dump(entry)
    ss[keys.BUILDER_SCHEMA_DRAFT] = draft
    ss.pop(keys.RESPONSE_SCHEMA, None)
    forget(keys.SIDEBAR_SCHEMA + ".")
    ss[keys.BUILDER_SCHEMA_SEEN] = seen


@st.dialog("Edit the response schema", width="large", on_dismiss=_close)
def _schema_dialog() -> None:
    """The sidebar's response schema in a dialog: the form across the page's width, its JSON folded under it."""
    schema_editor(_schema_slot(), scope=keys.SIDEBAR_SCHEMA, problems=validate_response_schema, beside=False)
    _done_button()


def _schema_words(entry: Schema) -> str:
    """The schema in a line: “weather_report”: an object with city, temperature, condition."""
    if isinstance(entry, JsonResponseSchema):
        return f"“{entry.name}”: kept as JSON (the form cannot show all of it)."
    names = [r.name or f"field {i + 1} (no name yet)" for i, r in enumerate(entry.json_schema.properties)]
    return f"“{entry.name}”: an object with " + (", ".join(names) if names else "no fields yet") + "."


def schema_field(settings: dict[str, Any], *, library_schemas: Sequence[Any] = ()) -> BuilderValue:
    """The sidebar's response schema (json_schema format): what it holds in a line, its form in a dialog ("Edit
    the schema"), "Start from…" presets, the library or empty, and a JSON tab. Keeps `response_format.schema` / `.rows` in the
    settings. Returns `{"type": "json_schema", "json_schema": {name, schema, strict?}}` (or None while it
    cannot be written) and the problems that block Run."""
    _sync_schema(settings)
    form_tab, json_tab = st.tabs(["Form", "JSON"])
    with form_tab:
        with st.popover("Start from…", key=keys.SCHEMA_LOAD, on_change="rerun"):
            st.button("Empty schema", key=keys.SCHEMA_EMPTY, on_click=load_schema, args=(None,))
            st.caption("Presets")
            for preset in presets():
                if preset.kind == "schema":
                    st.button(
                        preset.name,
                        key=keys.schema_preset(preset.name),
                        help=preset.description or None,
                        on_click=load_schema,
                        args=({"name": preset.name, "schema": preset.value, "strict": True},),
                    )
            st.caption("Your library")
            if not library_schemas:
                st.caption("Nothing saved yet.")
            for item in library_schemas:
                st.button(plain(item.name), key=keys.schema_from_library(item.id), on_click=load_schema, args=(item.value,))
        if _editing("schema") is not None:
            _schema_dialog()
        entry = _read(_schema_slot(), "schema", keys.SIDEBAR_SCHEMA)
        st.caption(safe_markdown(_schema_words(entry)))
        st.button(
            "Edit the schema",
            key=keys.builder_key(keys.SIDEBAR_SCHEMA, (), "edit"),
            on_click=_edit,
            args=("schema",),
            help="Open the form: the answer's fields, their types and allowed values",
        )
    spec = schema_json(entry)
    problems = response_content_problems(entry)  # the request reports the API's rules (response_format_problems)
    with json_tab:
        draft = _json_tab(
            keys.RESPONSE_SCHEMA,
            keys.BUILDER_SCHEMA_DRAFT,
            json.dumps(spec, indent=2, ensure_ascii=False) if spec else "",
            _signature(dump(entry)),
            on_change=_schema_json_edited,
            label="JSON schema",
            help='The schema (or {"name", "schema", "strict"}, or the whole response_format). Paste one here; the form follows.',
        )
    settings["response_format.schema"] = spec
    settings["response_format.rows"] = dump(entry)
    ss[keys.BUILDER_SCHEMA_SEEN] = _signature({k: settings.get(k) for k in ("response_format.schema", "response_format.rows")})
    named = [
        p.model_copy(update={"message": f"{w}: {p.message}"}) if (w := _place(p.path.split(".")[2:-1])) else p for p in problems
    ]
    value = {"type": "json_schema", "json_schema": spec} if spec is not None else None
    return BuilderValue(value=value, problems=(draft.problems if draft else []) + named)


__all__ = [
    "BuilderValue",
    "Draft",
    "Slot",
    "ToolRow",
    "add_tool",
    "enum_to_text",
    "forget",
    "load_schema",
    "rows_from_settings",
    "schema_editor",
    "schema_field",
    "schema_from_settings",
    "schema_json",
    "settings_of",
    "text_to_enum",
    "tool_editor",
    "tool_json",
    "tools_field",
]
