"""PACIFIC as an act-bench task (§4.1.1; App. D): loading, the prompt, DROP F1 scoring."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from act_bench_tasks.pacific import download as official
from act_bench_tasks.pacific.loader import load_conversations
from act_bench_tasks.pacific.prompt import render_messages

from act_bench.errors import ConfigError
from act_bench.metrics import drop_f1, standard_metrics
from act_bench.metrics.drop import DROP_MODES
from act_bench.splits import check_split, missing_download
from act_bench.task import TaskBase, TaskDefaults
from act_bench.types import Conversation, EpisodeRecord, Goal, Message, Prompt, TurnState

SAMPLE_DIR = Path(__file__).parent / "sample"
LAST_TURN_BUCKET = 6  # turn positions from here on share one slice value ("6+")
SPLIT_DESCRIPTIONS = {
    "train": "PACIFIC's official training split",
    "validation": "PACIFIC's validation split, the paper's public evaluation set",
    "test": "PACIFIC's official test split, unlabeled",
}


def _gold_answer(answer: Any) -> Any:
    """A gold answer as the scorer takes it: a count's text is one span, not a response to parse."""
    return [answer] if isinstance(answer, str) else answer


def _mode(mode: str | None) -> str:
    if mode is not None and mode not in DROP_MODES:
        raise ConfigError(f"unknown DROP F1 mode {mode!r}; known: {', '.join(DROP_MODES)}")
    return mode or "pacific"


def _as_transcript(text: str) -> str:
    """A policy turn as the ACT authors' policy writes it: their models continue a
    transcript whose turns read ``Assistant: ...`` (``data/base_dataset.py``), so their
    scored responses carry the role word that their gold texts carry too."""
    return f"Assistant: {text}"


class PacificTask(TaskBase):
    """Proactive conversational QA over financial tables and text (Deng et al., 2022).

    Gold action CLARIFY where the data marks ``req_clari``; content is scored with
    PACIFIC's DROP F1, the turn-level score against r and the trajectory-level score
    against the goal g (App. D).
    """

    name = "pacific"
    description = "PACIFIC: conversational QA over financial tables and text, DROP F1 (§4.1.1)"
    splits = tuple(official.FILE_NAMES)
    headline_metric = "trajectory_drop_f1"
    metric_names = (
        "action_accuracy",
        "action_macro_f1",
        "turn_drop_f1",
        "trajectory_drop_f1",
        "post_clarify_drop_f1",
    )
    # ε = 0.9: the ACT authors' PACIFIC condition checker marks a trajectory bad below it
    # (google-research learning_to_clarify/act/src/act/metrics/pacific_metrics.py).
    defaults = TaskDefaults(max_new_tokens=64, act_tolerance=0.9)
    metric_modes = DROP_MODES

    def data_files(self, split: str, data_dir: Path | None) -> Path:
        """The file a split is read from; ``data_dir is None`` means the bundled sample."""
        check_split(self.name, split, self.splits)
        folder = SAMPLE_DIR if data_dir is None else Path(data_dir) / self.name
        return folder / official.FILE_NAMES[split]

    def load(self, split: str, data_dir: Path | None) -> list[Conversation]:
        path = self.data_files(split, data_dir)
        if not path.is_file():
            raise missing_download(self.name, path, SPLIT_DESCRIPTIONS[split], data_dir)
        return load_conversations(path)

    def render_messages(self, prompt: Prompt) -> list[Message]:
        return render_messages(prompt)

    def score_turn(self, response: str, turn_state: TurnState, mode: str | None = None) -> float:
        """DROP F1 of y against r.

        ``mode="pacific"`` (default): against the gold answer with its scale, or the
        clarifying question; the answer itself rather than r's text, so an arithmetic
        answer is compared as a number and not through its derivation. ``mode="act"``:
        the ACT authors' ``get_metrics`` of y, written as their transcript writes a turn,
        against their turn gold (:func:`act_bench_tasks.pacific.loader.act_gold_texts`).
        """
        metadata = turn_state.metadata
        if _mode(mode) == "act":
            return drop_f1(_as_transcript(response), metadata["act_gold_response"], mode="act")
        return drop_f1(
            response,
            _gold_answer(metadata["answer"]),
            gold_scale=metadata.get("scale", ""),
            answer_type=metadata.get("answer_type"),
        )

    def score_outcome(self, outcome: str, goal: Goal, mode: str | None = None) -> float:
        """H: DROP F1 of the trajectory outcome g' against the goal (App. D), in ``mode``
        as :meth:`score_turn` (``act``: against the authors' trajectory target)."""
        if _mode(mode) == "act":
            return drop_f1(_as_transcript(outcome), goal.metadata["act_gold_target"], mode="act")
        return drop_f1(
            outcome,
            _gold_answer(goal.answer),
            gold_scale=goal.metadata.get("scale", ""),
            answer_type=goal.metadata.get("answer_type"),
        )

    def metrics(self, records: Sequence[EpisodeRecord]) -> dict[str, float | None]:
        return standard_metrics(records, "drop_f1")

    def slice_values(self, turn_state: TurnState) -> dict[str, str]:
        """``turn_position``: the question's place in its conversation (1, 2, ..., then
        ``6+``); ``answer_type``: span, multi-span, arithmetic, count, or
        question (the clarifying turns)."""
        position = len(turn_state.prompt.history) // 2 + 1
        bucket = str(position) if position < LAST_TURN_BUCKET else f"{LAST_TURN_BUCKET}+"
        return {
            "turn_position": bucket,
            "answer_type": str(turn_state.metadata.get("answer_type") or "unknown"),
        }

    def classifier_examples(self) -> Sequence[Any]:
        from act_bench_tasks.pacific.fewshot import classifier_examples

        return classifier_examples()

    def simulator_examples(self) -> Any:
        from act_bench_tasks.pacific.fewshot import simulator_examples

        return simulator_examples()

    def download(self, data_dir: Path) -> list[Path]:
        return official.download(Path(data_dir))
