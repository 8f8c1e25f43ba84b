"""backtrace: step through backpropagation on small dense networks, number by number."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("backtrace")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
