"""Abg-CoQA as an act-bench task (§4.1.2; App. D): every interpretation, embedding similarity."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from act_bench_tasks.abg_coqa import download as official
from act_bench_tasks.abg_coqa.loader import load_conversations
from act_bench_tasks.abg_coqa.prompt import render_messages

from act_bench.metrics import standard_metrics
from act_bench.metrics.similarity import SentenceEmbedder, get_embedder
from act_bench.splits import check_split, missing_download
from act_bench.task import TaskBase, TaskDefaults
from act_bench.types import (
    Action,
    Conversation,
    EpisodeRecord,
    Goal,
    Message,
    Prompt,
    TurnState,
)

SAMPLE_DIR = Path(__file__).parent / "sample"
EMBEDDING_MODEL_ENV = "ACT_BENCH_EMBEDDING_MODEL"
SPLIT_DESCRIPTIONS = {
    "train": "Abg-CoQA's official training split",
    "validation": "Abg-CoQA's validation split",
    "test": "Abg-CoQA's test split, the paper's evaluation set (Table 2)",
}


class AbgCoqaTask(TaskBase):
    """Clarifying ambiguity in conversational QA over stories (Guo et al., 2021).

    Gold action CLARIFY where the item is ``ambiguous``. Each ambiguous request is evaluated
    once per interpretation (App. D), so guessing one intent cannot score well. Content is
    scored by the cosine similarity of SentenceBERT embeddings (§4.1.2): the turn-level
    score of y against r, the trajectory-level score of the outcome against the goal's
    answer, floored at 0 so that scores lie in [0, 1].

    ``embedding_model`` is any sentence-transformers model name or path; by default
    ``$ACT_BENCH_EMBEDDING_MODEL``, else the bundled all-MiniLM-L6-v2 (the paper's model).
    """

    name = "abg-coqa"
    description = "Abg-CoQA: ambiguous conversational QA over stories, SBERT similarity (§4.1.2)"
    splits = tuple(official.FILE_NAMES)
    headline_metric = "trajectory_similarity"
    metric_names = (
        "action_accuracy",
        "action_macro_f1",
        "turn_similarity",
        "trajectory_similarity",
    )
    # Answers are short spans of the story; ε = 0.5 because a clarifying question scored
    # against an answer already reaches ~0.6 similarity, so a lower ε would reward asking
    # (with act-bench's protocol a trajectory that never answers scores 0 anyway).
    defaults = TaskDefaults(max_new_tokens=64, act_tolerance=0.5)
    metric_modes: tuple[str, ...] = ()

    def __init__(self, embedding_model: str | None = None) -> None:
        self._embedding_model = embedding_model

    @property
    def embedding_model(self) -> str | None:
        """The sentence-transformers model in use; None is the bundled default."""
        return self._embedding_model or os.environ.get(EMBEDDING_MODEL_ENV) or None

    @property
    def embedder(self) -> SentenceEmbedder:
        """The process-wide embedder of :attr:`embedding_model` (loaded on first use)."""
        return get_embedder(self.embedding_model)

    def data_files(self, split: str, data_dir: Path | None) -> Path:
        """The file a split is read from; ``data_dir is None`` means the bundled sample."""
        check_split(self.name, split, self.splits)
        folder = SAMPLE_DIR if data_dir is None else Path(data_dir) / official.DATA_FOLDER
        return folder / official.FILE_NAMES[split]

    def load(self, split: str, data_dir: Path | None) -> list[Conversation]:
        path = self.data_files(split, data_dir)
        if not path.is_file():
            raise missing_download(self.name, path, SPLIT_DESCRIPTIONS[split], data_dir)
        return load_conversations(path)

    def render_messages(self, prompt: Prompt) -> list[Message]:
        return render_messages(prompt)

    def prepare_scoring(self, turn_states: Sequence[TurnState], texts: Iterable[str] = ()) -> None:
        """Embed every gold text of ``turn_states`` and the given responses in batches, so
        that scoring them one by one afterwards only looks embeddings up."""
        self.embedder.warm([*_gold_texts(turn_states), *texts])

    def score_turn(self, response: str, turn_state: TurnState, mode: str | None = None) -> float:
        """Similarity of y to r: the recorded clarifying question, or the answer."""
        self.embedder.warm([response, *_gold_texts([turn_state])])
        return self._score(response, turn_state.gold_response)

    def score_outcome(self, outcome: str, goal: Goal, mode: str | None = None) -> float:
        """H: similarity of the trajectory outcome g' to the goal's answer (App. D)."""
        return self._score(outcome, str(goal.answer))

    def metrics(self, records: Sequence[EpisodeRecord]) -> dict[str, float | None]:
        """Action accuracy and Macro F1, turn similarity per unique prompt, trajectory
        similarity over every (turn state, interpretation) record (App. D)."""
        return standard_metrics(
            records, "similarity", post_clarify=False, turn_per_unique_prompt=True
        )

    def slice_values(self, turn_state: TurnState) -> dict[str, str]:
        """``interpretations``: how many readings an ambiguous request has (its goals), or
        ``clear`` for a request with one recorded answer."""
        if turn_state.gold_action is Action.ANSWER:
            return {"interpretations": "clear"}
        return {"interpretations": str(len(turn_state.goals))}

    def classifier_examples(self) -> Sequence[Any]:
        from act_bench_tasks.abg_coqa.fewshot import classifier_examples

        return classifier_examples()

    def simulator_examples(self) -> Any:
        from act_bench_tasks.abg_coqa.fewshot import simulator_examples

        return simulator_examples()

    def download(self, data_dir: Path) -> list[Path]:
        return official.download(Path(data_dir))

    def _score(self, text: str, reference: str) -> float:
        return max(0.0, self.embedder.similarity(text, reference))


def _gold_texts(turn_states: Iterable[TurnState]) -> list[str]:
    """Every text a turn state's responses are scored against: r and each goal's answer."""
    return [
        text
        for state in turn_states
        for text in (state.gold_response, *(str(goal.answer) for goal in state.goals))
    ]
