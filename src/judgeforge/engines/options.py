"""Engine options from text (``-M key=value``), typed by the engine constructor's signature.

One generic form reaches every engine setting (OpenAI concurrency and prices, vLLM tensor
parallelism, the HF engine's dtype...) without a CLI flag per option; values are checked before
any model loads.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Iterable
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from judgeforge.engines.registry import engine_class
from judgeforge.errors import ConfigError


def parse_key_values(items: Iterable[str], flag: str = "-M") -> dict[str, str]:
    """``["a=1", "b=x"]`` to ``{"a": "1", "b": "x"}``.

    Raises:
        ConfigError: an item has no ``=`` or an empty key.
    """
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"{flag} {item!r}: expected key=value")
        out[key.strip()] = value
    return out


def engine_parameters(engine: str) -> tuple[dict[str, Any], bool]:
    """The typed constructor parameters of an engine, and whether it takes extra ``**kwargs``.

    Args:
        engine: a registered engine name.

    Returns:
        Parameter name to annotation (``Any`` where there is none), and the ``**kwargs`` flag.
    """
    return constructor_parameters(engine_class(engine))


def constructor_parameters(cls: Any) -> tuple[dict[str, Any], bool]:
    """The typed ``__init__`` parameters of ``cls`` (name to annotation), and whether it takes ``**kwargs``."""
    init = cls.__init__
    hints = typing.get_type_hints(init)
    params: dict[str, Any] = {}
    extra = False
    for name, p in inspect.signature(init).parameters.items():
        if name == "self":
            continue
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            extra = True
        elif p.kind is not inspect.Parameter.VAR_POSITIONAL:
            params[name] = hints.get(name, Any)
    return params, extra


def _typed(value: Any, annotation: Any) -> Any:
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    try:
        return adapter.validate_python(value)
    except ValidationError:
        if not isinstance(value, str):
            raise
    # text from the command line: read it as YAML ("[1, 2]", "null", "true") and try again
    return adapter.validate_python(yaml.safe_load(value))


def typed_engine_options(engine: str, options: dict[str, Any], where: str = "-M") -> dict[str, Any]:
    """Check and convert engine options to the types the engine's constructor declares.

    Args:
        engine: a registered engine name (``hf``, ``vllm``, ``openai``, ``mock``, ``ray``).
        options: option name to value; strings (from the command line) are converted.
        where: where the options came from, for error messages.

    Returns:
        The options with typed values.

    Raises:
        ConfigError: an option the engine does not take, or a value of the wrong type.
    """
    params, extra = engine_parameters(engine)
    return typed_options(params, extra, options, f"engine {engine!r}", where)


def typed_options(
    params: dict[str, Any], extra: bool, options: dict[str, Any], what: str, where: str = "-M"
) -> dict[str, Any]:
    """Check and convert options to the annotations in ``params`` (from :func:`constructor_parameters`).

    Args:
        params: option name to annotation.
        extra: unknown options are passed through (read as YAML) instead of refused.
        options: option name to value; strings (from the command line) are converted.
        what: what takes the options (``engine 'hf'``), for error messages.
        where: where the options came from, for error messages.

    Raises:
        ConfigError: an unknown option (without ``extra``), or a value of the wrong type.
    """
    typed: dict[str, Any] = {}
    for key, value in options.items():
        if key not in params:
            if not extra:
                raise ConfigError(f"{where}: {what} has no option {key!r}; it takes {sorted(params)}")
            typed[key] = yaml.safe_load(value) if isinstance(value, str) else value  # passed through to the backend
            continue
        try:
            typed[key] = _typed(value, params[key])
        except (ValidationError, yaml.YAMLError) as e:
            first = e.errors()[0]["msg"] if isinstance(e, ValidationError) else str(e)
            raise ConfigError(f"{where}: {key}={value!r} for {what}: {first}") from None
    return typed
