"""The validated chat-completions request, and the one place where validation errors become plain-words
`FieldError`s.

Two ways in:
- `build_request(settings, messages)` (build.py) takes raw UI values (strings from text boxes, the seed
  document's shortened forms) and converts them, recording each conversion as a plain-words note;
- `validate_body(body)` (models.py) takes a strict API body (the gateway's input) and converts nothing but
  what the API itself allows (a plain string for `stop`, the legacy `max_tokens`).
Both return a `ChatRequest` whose `to_body()` is the exact JSON sent, or raise `errors.RequestError`.

Where it lives: `models` (the pydantic models of the body and the rules between fields), `build` (UI values →
request: conversions, notes, defaults left out in one place), and `_shared` (rule issues and the mapping of
pydantic's errors to FieldErrors; only this package's modules import it). Import from `playground.request`.
"""

from __future__ import annotations

from playground.request.build import Built, build_request, check_fields, convert_seed_messages, logit_bias_from_rows, parse_stop
from playground.request.models import (
    MAX_SCHEMA_NESTING,
    ChatRequest,
    ContentPart,
    FunctionDef,
    ImagePart,
    ImageUrl,
    JsonSchemaSpec,
    Message,
    NamedFunction,
    NamedToolChoice,
    ResponseFormat,
    TextPart,
    Tool,
    ToolCall,
    ToolCallFunction,
    validate_body,
)

__all__ = [
    "MAX_SCHEMA_NESTING",
    "Built",
    "ChatRequest",
    "ContentPart",
    "FunctionDef",
    "ImagePart",
    "ImageUrl",
    "JsonSchemaSpec",
    "Message",
    "NamedFunction",
    "NamedToolChoice",
    "ResponseFormat",
    "TextPart",
    "Tool",
    "ToolCall",
    "ToolCallFunction",
    "build_request",
    "check_fields",
    "convert_seed_messages",
    "logit_bias_from_rows",
    "parse_stop",
    "validate_body",
]
