"""What a model-backed user simulator or action classifier was prompted with, as a hash.

Two runs whose simulator (or classifier) prompt differs are different experiments even
with the same model spec: the simulator is the main source of noise in simulated-user
benchmarks (tau2-bench). :func:`prompt_fingerprint` hashes what shapes such a component's
prompts, its module's prompt templates (the upper-case string constants: system prompts,
instructions, verdict sentences) and its in-context examples, and ``eval`` puts the hashes
into results.json and into the config hash (issue 16), so such runs are never resumed
into one another, compared or ranked as equal. ``gold`` and ``heuristic`` use no prompt
and have no fingerprint.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class PromptedComponent(Protocol):
    """A simulator or classifier that prompts a model with in-context ``examples``."""

    spec: str
    examples: Any


def _templates(module_name: str) -> dict[str, str]:
    """The module's upper-case constants that hold text (strings, or containers of them)."""
    module = sys.modules[module_name]
    return {
        name: repr(value)
        for name, value in sorted(vars(module).items())
        if name.isupper() and _is_text(value)
    }


def _is_text(value: Any) -> bool:
    if isinstance(value, str):
        return True
    if isinstance(value, Mapping):
        return all(_is_text(v) for v in value.values()) and bool(value)
    if isinstance(value, tuple | list):
        return all(_is_text(v) for v in value) and bool(value)
    return False


def prompt_fingerprint(component: object) -> str | None:
    """sha256 over the component's class, prompt templates and examples; None for a
    component that prompts no model."""
    if not isinstance(component, PromptedComponent):
        return None
    kind = type(component)
    material = {
        "component": f"{kind.__module__}.{kind.__qualname__}",
        "templates": _templates(kind.__module__),
        "examples": repr(component.examples),
    }
    canonical = json.dumps(material, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
