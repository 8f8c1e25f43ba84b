"""Config layer: YAML or JSON text in, a validated, immutable `Spec` out. No arithmetic, no output."""

from backtrace.config.loading import Spec, build_spec, load_config
from backtrace.config.names import Names
from backtrace.config.schema import Config

__all__ = ["Config", "Names", "Spec", "build_spec", "load_config"]
