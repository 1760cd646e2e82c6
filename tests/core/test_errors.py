"""One error hierarchy: every error the playground raises on purpose derives from `PlaygroundError` alone, and
`playground/errors.py` draws each of them."""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil

import playground
from playground import errors
from playground.errors import PlaygroundError, RateLimitError, RequestTimeout, ServerError, UpstreamError
from playground.notebook import CellError

PUBLIC = {
    "PlaygroundError",
    "FieldError",
    "RequestError",
    "TransportError",
    "RequestTimeout",
    "NetworkError",
    "UpstreamError",
    "AuthError",
    "RateLimitError",
    "BadRequestError",
    "ServerError",
    "StreamDecodeError",
    "StreamCutError",
    "StoreError",
}


@functools.cache
def _raised_errors() -> list[type[BaseException]]:
    """Every public exception class defined in the playground package (private parse helpers aside, and what a
    package's private module, such as schema/_shared.py, keeps to that package)."""
    found = []
    for info in pkgutil.walk_packages(playground.__path__, "playground."):
        if info.name.endswith("__main__") or info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            defined_here = getattr(obj, "__module__", None) == info.name
            if inspect.isclass(obj) and issubclass(obj, BaseException) and defined_here and not name.startswith("_"):
                found.append(obj)
    return found


def test_the_errors_module_names_its_public_errors() -> None:
    assert set(errors.__all__) == PUBLIC
    assert not hasattr(errors, "TimeoutError_")
    assert issubclass(errors.RequestTimeout, errors.TransportError)


def test_every_error_derives_from_playground_error_alone() -> None:
    found = _raised_errors()
    names = {cls.__name__ for cls in found}
    assert {"ToolError", "ApiError", "FormError", "InputError", "NotRepresentable", "CompareSetupError", "ConflictError"} <= names
    for cls in found:
        assert issubclass(cls, PlaygroundError), cls
        outside = [base for base in cls.__mro__ if base not in (Exception, BaseException, object)]
        assert all(issubclass(base, PlaygroundError) for base in outside), (cls, outside)  # no second root (ValueError…)


def test_the_docstring_draws_every_error() -> None:
    drawn = errors.__doc__ or ""
    for cls in _raised_errors():
        assert f" {cls.__name__} " in drawn or f" {cls.__name__}\n" in drawn, cls


def test_retry_after_is_an_attribute_of_every_upstream_error() -> None:
    assert ServerError("x", status=503, retry_after=2.0).retry_after == 2.0
    assert ServerError("x", status=500).retry_after is None
    assert RateLimitError("x").status == 429 and RateLimitError("x", retry_after=1.5).retry_after == 1.5
    assert UpstreamError("x", status=418).retry_after is None


def test_a_timeout_saved_under_its_earlier_name_reopens_as_a_timeout() -> None:
    assert isinstance(CellError(kind="TimeoutError_", message="late").error(), RequestTimeout)
    again = CellError.of(RequestTimeout("late"))
    assert again.kind == "RequestTimeout" and isinstance(again.error(), RequestTimeout)
