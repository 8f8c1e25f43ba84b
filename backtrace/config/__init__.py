"""Config layer: YAML or JSON text in, a validated, immutable `Spec` out. No arithmetic, no output.

The names below are looked up on first use, so that a command needing only a light module of
this layer (finding a config, listing the examples) does not import numpy and PyYAML.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from backtrace.config.loading import Spec, build_spec, load_config
    from backtrace.config.names import Names
    from backtrace.config.schema import Config

__all__ = ["Config", "Names", "Spec", "build_spec", "load_config"]


def __getattr__(name: str) -> Any:
    if name in ("Spec", "build_spec", "load_config"):
        from backtrace.config import loading

        return getattr(loading, name)
    if name == "Names":
        from backtrace.config.names import Names

        return Names
    if name == "Config":
        from backtrace.config.schema import Config

        return Config
    raise AttributeError(f"module 'backtrace.config' has no attribute {name!r}")
