"""The engine: numpy arithmetic that yields trace records. It never prints and never exits."""

from backtrace.engine.trainer import train

__all__ = ["train"]
