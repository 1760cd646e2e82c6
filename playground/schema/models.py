"""The form's data: one schema as a person edits it, tools and response schemas, and what checks report.

Why: the form, the checks and the examples share these models. `FieldForm` is one schema the form can
show: a single type (optionally nullable), title, description, allowed values (`enum`), a default, the
usual constraints of its type, the item schema of an array and the property rows of an object.
`PropertyRow` is a FieldForm with a name and a required flag; `ObjectForm` is the top-level object (tool
parameters, a response schema). `ToolForm` is a function tool, `SchemaForm` a json_schema response
format; `JsonTool` / `JsonResponseSchema` keep as JSON what the form cannot show. `Problem` (a reason not
to send, on its row), `Violation`, `CallCheck` and `AnswerCheck` are what the checks return.

Messages quote names as Markdown code spans (`code`, safe for any name); still render them as text, never HTML.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final, Literal, TypeAlias

from pydantic import AllowInfNan, BaseModel, ConfigDict, Field, Strict, StrictBool, StrictInt, StrictStr

from playground.errors import PlaygroundError

__all__ = [
    "ENUM_TYPES",
    "PARAM_TYPES",
    "SCALAR_TYPES",
    "AnswerCheck",
    "CallCheck",
    "Construct",
    "EnumValue",
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
    "code",
]

PropType: TypeAlias = Literal["string", "number", "integer", "boolean", "array", "object"]
PARAM_TYPES: Final[tuple[str, ...]] = ("string", "number", "integer", "boolean", "array", "object")
SCALAR_TYPES: Final[tuple[str, ...]] = ("string", "number", "integer", "boolean")
# Types whose values can be listed in `enum` or given as `default` by the form (arrays and objects cannot).
ENUM_TYPES: Final[tuple[str, ...]] = SCALAR_TYPES

# JSON has no NaN or Infinity, so the form cannot hold them either.
FiniteFloat: TypeAlias = Annotated[float, Strict(), AllowInfNan(False)]
EnumValue: TypeAlias = StrictBool | StrictInt | FiniteFloat | StrictStr | None
Number: TypeAlias = StrictInt | FiniteFloat


# ---------------------------------------------------------------------------------------------- models


class FieldForm(BaseModel):
    """One schema as the form shows it. Settings for other types than `type` are kept but not emitted,
    so switching a row's type back and forth loses nothing the person typed."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    type: PropType = "string"
    nullable: bool = False  # `"type": [type, "null"]`
    title: str = ""
    description: str = ""
    enum: list[EnumValue] | None = None  # None: any value; []: an (invalid) empty list of allowed values
    default: EnumValue = None  # None: no default
    format: str | None = None
    pattern: str | None = None
    min_length: StrictInt | None = None
    max_length: StrictInt | None = None
    minimum: Number | None = None
    maximum: Number | None = None
    exclusive_minimum: Number | None = None
    exclusive_maximum: Number | None = None
    multiple_of: Number | None = None
    items: FieldForm | None = None  # arrays: the item schema; None = items of any kind
    min_items: StrictInt | None = None
    max_items: StrictInt | None = None
    unique_items: bool | None = None
    properties: list[PropertyRow] = Field(default_factory=list)  # objects: one row per property, in order
    additional_properties: bool | None = None  # None: not said (other properties allowed)


class PropertyRow(FieldForm):
    """One property of an object: a FieldForm with its name and whether the object requires it."""

    name: str = ""
    required: bool = False


class ObjectForm(FieldForm):
    """The top-level object schema of a tool's parameters or of a response format."""

    type: Literal["object"] = "object"
    dialect: str | None = None  # `$schema`


class ToolForm(BaseModel):
    """A function tool as the form shows it; `tool_to_json` gives the API's shape."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    name: str = ""
    description: str = ""
    parameters: ObjectForm = Field(default_factory=ObjectForm)
    strict: bool | None = None


class Construct(BaseModel):
    """Something in a schema the form cannot show; the JSON stays the source for it."""

    path: str  # JSONPath into the schema (or the tool), e.g. "$.properties.unit.oneOf"
    keyword: str  # the construct, e.g. "oneOf"
    message: str


class JsonTool(BaseModel):
    """A tool kept as JSON, in the API's shape, because the form cannot show all of it (`reasons`)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    tool: dict[str, Any]
    reasons: list[Construct]


class SchemaForm(BaseModel):
    """A json_schema response format as the form shows it; `response_format_json` gives the API's shape."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    name: str = "response"
    description: str = ""
    strict: bool | None = None
    json_schema: ObjectForm = Field(default_factory=ObjectForm)


class JsonResponseSchema(BaseModel):
    """A response schema kept as JSON because the form cannot show all of it (`reasons`)."""

    model_config = ConfigDict(extra="forbid")

    name: str = "response"
    description: str = ""
    strict: bool | None = None
    json_schema: dict[str, Any]
    reasons: list[Construct]


class Problem(BaseModel):
    """A reason not to send: `path` addresses the row, e.g. "tools.1.parameters.unit.enum".

    Path segments are tool indexes, property names (nested objects add theirs, array items add "items"),
    then the setting; a row without a usable name is addressed by its position, "#2".
    """

    path: str
    message: str
    code: str


class Violation(BaseModel):
    """Where an answer breaks its schema: `path` is the JSONPath in the answer ("$.stops[0].city"),
    `rule` the JSON Schema keyword broken ("enum", "required", …) or not_json / unknown_tool / …"""

    path: str
    message: str
    rule: str


class CallCheck(BaseModel):
    """One tool call checked against its tool. `arguments` is None when they were not a JSON object;
    then `raw_arguments` holds the model's text, intact."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: dict[str, Any] | None = None
    raw_arguments: str | None = None
    violations: list[Violation] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


class AnswerCheck(BaseModel):
    """An answer under a json_schema response format, checked. `value` is the parsed JSON when `parsed`."""

    text: str
    parsed: bool
    value: Any = None
    violations: list[Violation] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.parsed and not self.violations


class NotRepresentable(PlaygroundError):
    """The schema uses constructs the form cannot show; keep the JSON as the source."""

    def __init__(self, constructs: list[Construct]) -> None:
        self.constructs = constructs
        super().__init__("; ".join(f"{c.path}: {c.message}" for c in constructs))


class FormError(PlaygroundError):
    """The form cannot be written as JSON (two properties of one object share a name)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(" ".join(p.message for p in problems))


class InputError(PlaygroundError):
    """Pasted text or a value is not JSON, or not a tool / response schema in any accepted shape."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__(" ".join(p.message for p in problems))


# ---------------------------------------------------------------------------------------------- small helpers


def code(name: Any) -> str:
    """`name` as a Markdown code span that no backtick inside it can break out of ("" shows as `""`)."""
    text = re.sub(r"\r\n?|\n", " ", str(name)) or '""'
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text[0] == "`" or text[-1] == "`" or (text[0] == text[-1] == " " and text.strip()) else ""
    return f"{fence}{pad}{text}{pad}{fence}"
