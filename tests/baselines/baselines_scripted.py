"""Scripted generator backends for the DPO-Dist tests: two kinds that differ from ``scripted``."""

from __future__ import annotations

from helpers import ScriptedBackend

from act_bench.backends import BACKENDS


def load_unsure(argument, options) -> ScriptedBackend:
    return ScriptedBackend(script=lambda messages: "I am not sure.", spec="scripted-unsure")


def load_flaky(argument, options) -> ScriptedBackend:
    return ScriptedBackend(
        script=lambda messages: "No idea.", spec="scripted-flaky", fail_on="2022"
    )


def register_generators() -> None:
    """``scripted-unsure`` always hedges; ``scripted-flaky`` fails on requests naming 2022."""
    for name in ("scripted-unsure", "scripted-flaky"):
        if name not in BACKENDS:
            BACKENDS.add(name, f"baselines_scripted:load_{name.split('-')[1]}")
