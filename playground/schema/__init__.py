"""Tools and answer shapes as forms, both ways with JSON Schema; validation; checking the model's answers.

Why: people demoing tool calling define a tool (or the JSON shape of an answer) in a form, developers paste
JSON and keep editing in the form, and every answer is checked against what was asked for. No Streamlit here.

The form
    `FieldForm` is one schema the form can show: a single type (optionally nullable), title, description,
    allowed values (`enum`), a default, the usual constraints of its type, the item schema of an array and
    the property rows of an object. `PropertyRow` is a FieldForm with a name and a required flag;
    `ObjectForm` is the top-level object (tool parameters, a response schema). `ToolForm` is a function tool,
    `SchemaForm` a json_schema response format. Keywords the form covers: `type` (one of the six, or
    [type, "null"]), `title`, `description`, `enum` and `default` (scalars), `format`, `pattern`, `minLength`,
    `maxLength`, `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `multipleOf`, `items`,
    `minItems`, `maxItems`, `uniqueItems`, `properties`, `required`, `additionalProperties` (true/false), and
    `$schema` at the top.

Both ways
    `form_to_schema(form)` and `schema_to_form(schema)` are inverses: form → JSON → form gives the same form,
    and JSON → form → JSON the same schema up to meaning-free spelling (an empty description or title, an
    empty `required` list, the order of `required`, `properties: {}` on an object). Anything the form cannot
    show (`oneOf`, `anyOf`, `allOf`, `$ref`, `$defs`, `const`, `patternProperties`, a schema under
    `additionalProperties`, `examples`, a keyword on a type it does not apply to, …) is never dropped:
    `schema_to_form` raises `NotRepresentable` listing each construct with its JSON path, and the caller keeps
    the JSON as the source (`parse_tools` returns a `JsonTool` for such a tool). A constraint set in the form
    for another type (a pattern left on a row switched to integer) is kept in the form but not emitted.

Validation
    One check per rule. `tool_list_problems` / `response_format_problems` hold what the API requires (tool
    names, unique names, at most 128 tools, parameters a valid JSON Schema of type object; the response
    format's name and schema): `request.ChatRequest` reports them for every body, the builder shows them on
    the rows. `tool_content_problems` / `response_content_problems` hold the rest, which the builder alone
    reports: empty and repeated property names, empty enums, enum values and defaults of the wrong type,
    repeated enum values, `required` naming a property that does not exist, patterns that do not compile.
    `validate_tools` / `validate_response_schema` / `validate_schema` give both, located on their rows.

Answers
    `check_tool_calls` validates each tool call's arguments against its tool, `check_answer` an answer given
    under a json_schema response format; violations carry the instance's JSON path and the rule in words.
    `example_for` makes a valid example of any schema.

Messages quote names as Markdown code spans (safe for any name); still render them as text, never as HTML.

Where it lives
    This package, split by what each module holds: `models` (the pydantic models, `code`), `form`
    (form ↔ JSON, values and JSON text typed in, pasted tools and response schemas), `validate` (schemas,
    tools and response formats validated on their rows), `answers` (tool calls and answers checked) and
    `example` (`example_for`). `_shared` holds what those modules share and nothing
    else uses (JSON paths, type words, strict JSON reading, the form's JSON writer); only modules of this
    package import it. This module re-exports every public name: import from `playground.schema`.
"""

from __future__ import annotations

from playground.schema.answers import check_answer, check_tool_calls
from playground.schema.example import example_for
from playground.schema.form import (
    enum_text,
    form_to_schema,
    parse_enum_text,
    parse_json_text,
    parse_response_schema,
    parse_tools,
    response_format_json,
    schema_json,
    schema_to_form,
    tool_to_json,
    tools_to_json,
)
from playground.schema.models import (
    ENUM_TYPES,
    PARAM_TYPES,
    SCALAR_TYPES,
    AnswerCheck,
    CallCheck,
    Construct,
    FieldForm,
    FormError,
    InputError,
    JsonResponseSchema,
    JsonTool,
    NotRepresentable,
    ObjectForm,
    Problem,
    PropertyRow,
    SchemaForm,
    ToolForm,
    Violation,
    code,
)
from playground.schema.validate import (
    check_schema,
    response_content_problems,
    response_format_problems,
    tool_content_problems,
    tool_list_problems,
    validate_instance,
    validate_response_schema,
    validate_schema,
    validate_tools,
)

__all__ = [
    "ENUM_TYPES",
    "PARAM_TYPES",
    "SCALAR_TYPES",
    "AnswerCheck",
    "CallCheck",
    "Construct",
    "FieldForm",
    "FormError",
    "InputError",
    "JsonResponseSchema",
    "JsonTool",
    "NotRepresentable",
    "ObjectForm",
    "Problem",
    "PropertyRow",
    "SchemaForm",
    "ToolForm",
    "Violation",
    "check_answer",
    "check_schema",
    "check_tool_calls",
    "code",
    "enum_text",
    "example_for",
    "form_to_schema",
    "parse_enum_text",
    "parse_json_text",
    "parse_response_schema",
    "parse_tools",
    "response_content_problems",
    "response_format_json",
    "response_format_problems",
    "schema_json",
    "schema_to_form",
    "tool_content_problems",
    "tool_list_problems",
    "tool_to_json",
    "tools_to_json",
    "validate_instance",
    "validate_response_schema",
    "validate_schema",
    "validate_tools",
]
