"""The form editor of one tool or response schema: name, description and a table of rows (name, type,
description, required, allowed values, an array's item type, rows of their own for nested objects), with the
JSON it makes and an example beside it or folded under it. What the form cannot show stays JSON and says which
construct; each validation problem is shown on the row that caused it.

State. Every editor edits a model its caller holds (a `Slot`): widgets are seeded from the model when they
have no state, and read back into it on every run, so a widget Streamlit dropped (a page switch) loses
nothing. A setting nobody touched keeps its exact value (a pasted `"uniqueItems": false` stays false). Adding
or deleting a row happens in a callback: it reads the widgets into the model first (`read`), changes the
model, then forgets the editor's widgets so they re-seed. Widget keys are `state.builder_key(scope, path,
setting)`. Nothing here does I/O: callers read and write the library.

The Tools & schemas page draws `tool_editor` / `schema_editor` in the page itself; the sidebar's fields
(components/tools_field.py, components/schema_field.py) open them in a dialog (`open_editor`, `done_button`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from components import state as keys
from components.errors import problem_slot, slot
from components.text import inline_code, plain, safe_inline, safe_markdown
from playground import builder
from playground.builder import Path, Schema, Tool
from playground.schema import (
    ENUM_TYPES,
    PARAM_TYPES,
    FieldForm,
    InputError,
    JsonResponseSchema,
    JsonTool,
    ObjectForm,
    Problem,
    PropertyRow,
    enum_text,
    example_for,
    parse_enum_text,
    parse_response_schema,
    parse_tools,
    response_format_json,
)

ss = st.session_state
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


def _show(ui: _Ui, where: Any, problems: Sequence[Problem]) -> None:
    """The problems in a slot that is there on every run, so the widgets after it keep their place."""
    if ui.draw:
        problem_slot(where, [safe_markdown(p.message) for p in problems], icon=":material/error:")


@dataclass
class _Ctx:
    ui: _Ui
    scope: str
    problems: builder.ProblemsByAddress
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
        seed = builder.number_text(original)
        text = ui.widget(pop, "text_input", k(attr), seed, label)
        value, error = (original, None) if text == seed else builder.parse_number(text, integer)
        if ui.draw:
            problem_slot(pop, [plain(error)] if error else [], icon=":material/error:")
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
        seed = builder.enum_to_text(f.enum, f.type)
        enum = ui.kept(
            enum_at if enum_at is not None else where,
            "text_input",
            k("enum"),
            f.enum,
            seed,
            "Allowed item values" if item_of else "Allowed values",
            lambda t: builder.text_to_enum(t, f.type),
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
    if ui.draw and path:  # always there, so the first field added moves nothing below
        hint = slot(where)
        if obj.properties:
            hint.caption("Its fields:")
    seen: set[str] = set()
    rows: list[PropertyRow] = []
    for i, row in enumerate(obj.properties):
        label = builder.row_label(i, row, seen)
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


def _op(slot: Slot, kind: str, scope: str, op: str, path: Path) -> None:
    """Add a row to the object at `path`, or delete the row at `path`; then the widgets re-seed."""
    model = read(slot, kind, scope)
    changed = builder.change_rows(model, op, path)
    if changed is model:  # kept as JSON: no rows to change
        return
    slot.set(changed)
    forget(scope + ".p.")  # the rows re-seed; the name, description and an open editor stay as they are


def read(slot: Slot, kind: str, scope: str) -> Any:
    """The model with what the widgets hold now (no drawing)."""
    ctx = _Ctx(_Ui(False), scope, builder.ProblemsByAddress([]), slot=slot, kind=kind, row_word="")
    model = slot.get()
    if kind == "tool":
        return _tool_body(ctx, None, model, "tools.0")
    return _schema_body(ctx, None, model, "response_format")


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
    problems: Sequence[Problem] = ()
    parsed = original
    if text != seed:
        try:
            parsed = parse(text)
        except InputError as exc:
            problems = exc.problems
    _show(ctx.ui, where, problems)
    return parsed


def _tool_body(ctx: _Ctx, where: Any, tool: Tool, address: str) -> Tool:
    ui = ctx.ui
    k = lambda s: keys.builder_key(ctx.scope, (), s)  # noqa: E731
    if isinstance(tool, JsonTool):
        _show(ui, where, ctx.problems.at(address))
        _constructs(ui, where, tool.reasons)
        return _json_source(ctx, where, tool.tool, lambda t: builder.one_tool(parse_tools(t)), tool)
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
    tool = read(slot, "tool", scope)
    found = problems(tool) if callable(problems) else problems
    ctx = _Ctx(_Ui(True), scope, builder.ProblemsByAddress(found), slot, "tool", "parameter")
    left, right = _beside(beside, "The tool as JSON, and an example call")
    edited = _tool_body(ctx, left, tool, address)
    value = builder.tool_json(edited)
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
    entry = read(slot, "schema", scope)
    found = problems(entry) if callable(problems) else problems
    ctx = _Ctx(_Ui(True), scope, builder.ProblemsByAddress(found), slot, "schema", "field")
    left, right = _beside(beside, "The schema as JSON, and an example answer")
    edited = _schema_body(ctx, left, entry, address)
    spec = builder.response_schema_json(edited)
    _json_view(right, spec, "The schema as JSON (sent as response_format.json_schema)")
    _example(right, spec)
    _show(ctx.ui, st, ctx.problems.left)
    slot.set(edited)
    return edited


def open_editor(kind: str, i: int = 0) -> None:
    """Callback: open the editor of tool `i` ("tool") or of the response schema ("schema") in its dialog."""
    ss[keys.BUILDER_EDITING] = (kind, i)


def close_editor() -> None:
    """Callback (the dialog dismissed): nothing is lost, every edit is already in the model."""
    ss.pop(keys.BUILDER_EDITING, None)


def open_editor_of(kind: str) -> int | None:
    """Which editor of `kind` is open: a dialog closes on a full rerun unless it is opened again."""
    open_ = ss.get(keys.BUILDER_EDITING)
    return open_[1] if open_ is not None and open_[0] == kind else None


def done_button() -> None:
    if st.button("Done", key=keys.BUILDER_DONE, type="primary", help="Close the editor; everything typed is kept"):
        close_editor()
        st.rerun()  # the whole page: the sidebar's list and the checks before Run follow the edit


def json_tab(
    key: str, draft_key: str, text: str, model_sig: str, *, on_change: Callable[[], None], label: str, help: str
) -> builder.Draft | None:
    """The JSON tab's text area: the model's JSON, unless the person's unreadable JSON is waiting to be fixed."""
    draft: builder.Draft | None = ss.get(draft_key)
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
