"""Prompting baselines of §4.3 / App. E: the standard, chain-of-thought and proactive
mixed-initiative styles, with K in-context conversations drawn from a task's training pool."""

from act_bench.prompting.render import StyledPrompt, build_styled_prompt
from act_bench.prompting.shots import Shot, ShotSelection, select_shots
from act_bench.prompting.styles import PROMPT_STYLES, PromptStyle, get_prompt_style

__all__ = [
    "PROMPT_STYLES",
    "PromptStyle",
    "Shot",
    "ShotSelection",
    "StyledPrompt",
    "build_styled_prompt",
    "get_prompt_style",
    "select_shots",
]
