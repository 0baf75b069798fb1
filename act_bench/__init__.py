"""act-bench: evaluate and train LLM agents that decide when to ask a clarifying question."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("act-bench")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"
