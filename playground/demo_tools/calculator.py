"""The calculator: an arithmetic expression evaluated by walking Python's `ast` over a whitelist, never run.

Every intermediate value is a finite real number and integers stay under MAX_INT_BITS, so 9**9**9 is refused
before it is computed.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from datetime import datetime
from typing import Any

from playground.demo_tools.base import DemoTool, ToolError, quote

# The calculator's bounds: expression length, and the size of any integer it builds (≈1,000 decimal digits).
MAX_EXPRESSION_CHARS = 500
MAX_INT_BITS = 3_400
MAX_ROUND_DIGITS = 100

_Number = int | float


def _check_size(value: Any) -> _Number:
    """Every intermediate value: a real number, finite, and an integer of bounded size."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ToolError("The result is not a real number (for example a negative number to a fractional power).")
    if isinstance(value, float) and not math.isfinite(value):
        raise ToolError("The result is too large to compute.")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise ToolError("The result is too large (more than about 1,000 digits).")
    return value


def _power(base: _Number, exponent: _Number) -> _Number:
    """`**` with the size checked before computing, so 9**9**9 or 10**100000 are refused at once."""
    if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
        if exponent > MAX_INT_BITS or (abs(base).bit_length() - 1) * exponent > MAX_INT_BITS:
            raise ToolError("The result is too large (more than about 1,000 digits).")
    return base**exponent


def _multiply(a: _Number, b: _Number) -> _Number:
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > MAX_INT_BITS + 1:
        raise ToolError("The result is too large (more than about 1,000 digits).")
    return a * b


_BINARY: dict[type[ast.operator], tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", _multiply),
    ast.Div: ("/", operator.truediv),
    ast.FloorDiv: ("//", operator.floordiv),
    ast.Mod: ("%", operator.mod),
    ast.Pow: ("**", _power),
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}
_CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "tau": math.tau}


def _round(x: _Number, ndigits: _Number | None = None) -> _Number:
    if ndigits is None:
        return round(x)
    if not isinstance(ndigits, int) or abs(ndigits) > MAX_ROUND_DIGITS:
        raise ToolError(f"round's second argument must be a whole number between -{MAX_ROUND_DIGITS} and {MAX_ROUND_DIGITS}.")
    return round(x, ndigits)


def _log(x: _Number, base: _Number | None = None) -> float:
    return math.log(x) if base is None else math.log(x, base)


# name → (function, fewest arguments, most arguments; None = any number)
_FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int | None]] = {
    "sqrt": (math.sqrt, 1, 1),
    "abs": (abs, 1, 1),
    "round": (_round, 1, 2),
    "min": (min, 2, None),
    "max": (max, 2, None),
    "log": (_log, 1, 2),
    "log10": (math.log10, 1, 1),
    "exp": (math.exp, 1, 1),
    "sin": (math.sin, 1, 1),
    "cos": (math.cos, 1, 1),
    "tan": (math.tan, 1, 1),
    "floor": (math.floor, 1, 1),
    "ceil": (math.ceil, 1, 1),
}
ALLOWED_TEXT = (
    "numbers, + - * / // % **, parentheses, the functions "
    + ", ".join(_FUNCTIONS)
    + " and the constants "
    + ", ".join(_CONSTANTS)
)


# Plain names for the syntax people (and models) most often try; anything else is named by its ast class.
_REFUSED_NODES: dict[type[ast.AST], str] = {
    ast.Attribute: "Attribute access (a.b)",
    ast.Subscript: "Indexing (a[b])",
    ast.Lambda: "lambda",
    ast.Compare: "Comparison (<, ==, …)",
    ast.BoolOp: "and/or",
    ast.IfExp: "if/else",
    ast.Tuple: "A tuple (a, b)",
    ast.List: "A list [a, b]",
    ast.Dict: "A dict {a: b}",
    ast.Set: "A set {a, b}",
    ast.ListComp: "A comprehension",
    ast.SetComp: "A comprehension",
    ast.DictComp: "A comprehension",
    ast.GeneratorExp: "A generator",
    ast.JoinedStr: "Text (an f-string)",
    ast.NamedExpr: "Assignment (:=)",
    ast.BinOp: "This operator (only + - * / // % ** are allowed)",
    ast.UnaryOp: "This operator (only unary + and - are allowed)",
}


def _evaluate(node: ast.AST) -> _Number:
    """Walk the parsed expression over the whitelist; anything else is refused by name, never run."""
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            kind = "text" if isinstance(node.value, str | bytes) else type(node.value).__name__
            raise ToolError(f"Only real numbers are allowed, not {kind} ({ALLOWED_TEXT}).")
        return _check_size(node.value)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        symbol, fn = _BINARY[type(node.op)]
        left, right = _evaluate(node.left), _evaluate(node.right)
        try:
            return _check_size(fn(left, right))
        except ZeroDivisionError:
            raise ToolError(f"Division by zero (in {symbol}).") from None
        except OverflowError:
            raise ToolError("The result is too large to compute.") from None
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _check_size(_UNARY[type(node.op)](_evaluate(node.operand)))
    if isinstance(node, ast.Name):
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        if node.id in _FUNCTIONS:
            raise ToolError(f"{node.id} is a function: call it with parentheses, like {node.id}(2).")
        raise ToolError(f"Unknown name {quote(node.id)}. Allowed: {ALLOWED_TEXT}.")
    if isinstance(node, ast.Call):
        return _call(node)
    what = _REFUSED_NODES.get(type(node), type(node).__name__)
    raise ToolError(f"{what} is not allowed in an expression. Allowed: {ALLOWED_TEXT}.")


def _call(node: ast.Call) -> _Number:
    if not isinstance(node.func, ast.Name) or node.func.id not in _FUNCTIONS:
        what = quote(ast.unparse(node.func))
        raise ToolError(f"Calling {what} is not allowed. Allowed functions: {', '.join(_FUNCTIONS)}.")
    name = node.func.id
    if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
        raise ToolError(f"{name}() takes plain arguments only, no keywords or *.")
    fn, fewest, most = _FUNCTIONS[name]
    if len(node.args) < fewest or (most is not None and len(node.args) > most):
        count = str(fewest) if fewest == most else f"{fewest} or more" if most is None else f"{fewest} to {most}"
        raise ToolError(f"{name}() takes {count} argument{'s' if count != '1' else ''}, not {len(node.args)}.")
    args = [_evaluate(a) for a in node.args]
    try:
        return _check_size(fn(*args))
    except ZeroDivisionError:
        raise ToolError(f"Division by zero in {name}().") from None
    except OverflowError:
        raise ToolError(f"The result of {name}() is too large to compute.") from None
    except ValueError:
        raise ToolError(f"{name}() is undefined for {', '.join(_format(a) for a in args)}.") from None


def _format(value: _Number) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def calculate(expression: str) -> _Number:
    """The value of an arithmetic expression; raises ToolError (with a plain message) for anything else."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise ToolError(f"The expression is longer than {MAX_EXPRESSION_CHARS} characters.")
    if not expression.strip():
        raise ToolError("The expression is empty.")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise ToolError(f"Not a valid expression ({exc.msg}). Allowed: {ALLOWED_TEXT}.") from None
    except UnicodeError:  # before ValueError, its base: Python source cannot hold half a character
        raise ToolError("The expression has text that is not valid Unicode (an unpaired surrogate such as \\ud800).") from None
    except (ValueError, RecursionError, MemoryError):
        raise ToolError("Not a valid expression (too deeply nested or malformed).") from None
    try:
        return _evaluate(tree)
    except RecursionError:
        raise ToolError("The expression is too deeply nested.") from None


def _calculator(args: dict[str, Any], _now: datetime) -> dict[str, Any]:
    result = calculate(args["expression"])
    if isinstance(result, float):
        result = float(f"{result:.15g}")  # 0.1 + 0.2 → 0.3, as a calculator shows it
    return {"expression": args["expression"], "result": result}


CALCULATOR = DemoTool(
    name="calculator",
    description=(
        "Evaluates an arithmetic expression and returns the number (whole numbers exactly). Supports "
        + ALLOWED_TEXT
        + ". Angles are in radians."
    ),
    parameters={
        "type": "object",
        "properties": {
            "expression": {
                "type": "string",
                "description": "The arithmetic expression, for example (12 + 30) * 2 or sqrt(2).",
            }
        },
        "required": ["expression"],
        "additionalProperties": False,
    },
    handler=_calculator,
)
