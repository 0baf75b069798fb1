"""``act-bench train irpo``'s config: TRL's ``DPOConfig`` plus IRPO's sampling, labelling
and pairing (§4.3; Pang et al., 2024), with App. J.2's defaults on the shared base."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from act_bench_baselines.common.config import (
    BackendArguments,
    PreferenceArguments,
    TaskTrainingArguments,
)
from act_bench_baselines.irpo.labelling import LABEL_TARGETS, LabelRule
from trl import DPOConfig

from act_bench.errors import ConfigError
from act_bench.options import option
from act_bench.prompting import get_prompt_style
from act_bench.protocols import get_protocol


@dataclass
class IRPOConfig(PreferenceArguments, BackendArguments, TaskTrainingArguments, DPOConfig):
    """``act-bench train irpo``: TRL's ``DPOConfig`` plus sampling, labeling and pairing."""

    method_name = "irpo"

    iterations: int = field(default=3, metadata={"help": "IRPO iterations (sample, pair, train)."})
    samples_per_prompt: int = field(
        default=4, metadata={"help": "N: responses sampled per prompt from the current policy."}
    )
    prompt_style: str = option(
        "prompt_style",
        "cot",
        note="Here: the style the N samples are drawn in and the pairs written in, default "
        "cot: §5.1 credits IRPO with test-time computation. Samples are labelled on their "
        "final utterance; training_config.json records the style and `act-bench eval` of "
        "the checkpoint uses it unless --prompt-style says otherwise.",
    )
    temperature: float = option("temperature", 0.8, note="Here: of the N samples per prompt.")
    top_p: float = option("top_p")
    max_new_tokens: int = option("max_new_tokens", 64, note="Here: per sample.")
    batch_size: int = option(
        "batch_size", note="Here: prompts sampled and cached together; was --generation-batch-size."
    )
    max_pairs_per_prompt: int = field(
        default=4, metadata={"help": "K: at most this many (winner, loser) pairs per prompt."}
    )
    correct_threshold: float = field(
        default=0.5,
        metadata={
            "help": "ε: an answer is correct iff it takes the gold action and its heuristic "
            "score clears ε (act-bench: H > ε as Alg. 2; act-paper: H >= ε as the authors' code)."
        },
    )
    label_against: str = field(
        default="goal",
        metadata={
            "help": "What H scores an answer against at an ANSWER turn: goal (score_outcome vs "
            "the goal g) or response (score_turn vs the gold response r).",
            "choices": list(LABEL_TARGETS),
        },
    )
    clarify_similarity_floor: float | None = field(
        default=None,
        metadata={
            "help": "At a CLARIFY turn a sample that asks is correct (the paper's IRPO rewards "
            "asking: 91-97 %% action accuracy on AmbigSQL, Tables 3, A9); with a floor in "
            "[0, 1] its question must also be at least this similar to the gold one (cosine "
            "of all-MiniLM-L6-v2 embeddings). Default: no floor."
        },
    )
    protocol: str = option(
        "protocol",
        note="Here: of the labels (the response cut, the DROP F1 mode, how ε is compared, "
        "whether an unanswered sample scores 0 against the goal).",
    )
    action_classifier: str = option(
        "action_classifier",
        note="Here: which samples take the gold action (a sample is correct only if it does), "
        "and which y_l of the selection D_pref take the rejected one.",
    )
    gold_winner_fallback: bool = field(
        default=False,
        metadata={"help": "When no sample of a prompt is correct, pair the gold response r."},
    )
    nll_weight: float = field(
        default=1.0, metadata={"help": "α: weight of the NLL term on winners (Pang et al.: 1)."}
    )
    num_train_epochs: float = field(default=4, metadata={"help": "Epochs per iteration."})
    loss_type: list[str] = field(
        default_factory=lambda: ["sigmoid", "sft"],
        metadata={"help": "DPO (sigmoid) plus NLL on the winners (sft)."},
    )

    def __post_init__(self) -> None:
        if self.iterations < 1 or self.samples_per_prompt < 1 or self.max_pairs_per_prompt < 1:
            raise ConfigError(
                "--iterations, --samples-per-prompt and --max-pairs-per-prompt must be positive"
            )
        if self.label_against not in LABEL_TARGETS:
            raise ConfigError(f"--label-against must be one of {', '.join(LABEL_TARGETS)}")
        floor = self.clarify_similarity_floor
        if floor is not None and not 0.0 <= floor <= 1.0:
            raise ConfigError(f"--clarify-similarity-floor must be in [0, 1], got {floor}")
        get_prompt_style(self.prompt_style)
        if self.loss_weights is None and list(self.loss_type) == ["sigmoid", "sft"]:
            self.loss_weights = [1.0, self.nll_weight]
        super().__post_init__()

    def label_rule(self) -> LabelRule:
        return LabelRule(
            against=self.label_against,
            threshold=self.correct_threshold,
            protocol=get_protocol(self.protocol),
            clarify_similarity_floor=self.clarify_similarity_floor,
        )

    def data_identity(self) -> dict[str, Any]:
        """Sampling and labeling decide the pairs, so a resumed run must keep them too."""
        return {
            **super().data_identity(),
            "samples_per_prompt": self.samples_per_prompt,
            "prompt_style": self.prompt_style,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "max_new_tokens": self.max_new_tokens,
            "label_against": self.label_against,
            "correct_threshold": self.correct_threshold,
            "clarify_similarity_floor": self.clarify_similarity_floor,
            "protocol": self.protocol,
            "action_classifier": self.action_classifier,
            "gold_winner_fallback": self.gold_winner_fallback,
            "max_pairs_per_prompt": self.max_pairs_per_prompt,
        }
