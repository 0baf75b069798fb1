"""What a training run says on the console: the data it selected, examples left out, D_pref
builds, notes, and the model it exported. Printed by the main process only, and only when
progress is shown (``--quiet`` silences all but the dropped-examples note)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from act_bench_baselines.common.data import DataSelection, LengthFilter
from rich.console import Console

console = Console(stderr=True)


class RunConsole:
    """The console of one run; ``main`` is whether this process is the main one."""

    def __init__(self, *, main: bool, show_progress: bool) -> None:
        self.main = main
        self.enabled = main and show_progress

    def print(self, text: str) -> None:
        if self.enabled:
            console.print(text, highlight=False)

    def note(self, text: str | None) -> None:
        """A yellow note."""
        if text:
            self.print(f"[yellow]note:[/] {text}")

    def selection(self, selection: DataSelection, task: str) -> None:
        train, validation = selection.train, selection.validation
        self.print(
            f"training data: {len(train.turn_states)} turn states from "
            f"{len(train.conversation_ids)} conversations of {task}/{train.split} "
            f"({selection.data_source}, seed {selection.seed})"
        )
        if train.split != "train":
            self.note(
                f"training on the {train.split} split, not train; training_config.json records it"
            )
        if validation is not None:
            disjoint = selection.validation_disjoint_from_train
            held_out = " (held out from training)" if disjoint else ""
            self.print(
                f"validation: {len(validation.turn_states)} turn states from "
                f"{len(validation.conversation_ids)} conversations of {validation.split}{held_out}"
            )

    def dropped(self, lengths: LengthFilter) -> None:
        dropped = {name: len(ids) for name, ids in lengths.dropped.items() if ids}
        if dropped and self.main:
            console.print(
                f"[yellow]note:[/] left out examples longer than --max-length "
                f"{lengths.max_length}: {dropped} (listed in training_config.json)",
                highlight=False,
            )

    def dpref(self, name: str, built: Any, classifier: str) -> None:
        """How a D_pref build went (an :class:`~act_bench_baselines.act.dpref.DprefResult`)."""
        stats = built.stats
        rate = "n/a" if stats.control_rate is None else f"{stats.control_rate:.0%}"
        self.print(
            f"D_pref {name}: {stats.examples} pairs ({stats.reused} from cache, "
            f"{stats.generated} generated); y_l takes the rejected action in {rate} of them "
            f"(classifier {classifier})"
        )
        if stats.generation_errors:
            self.note(f"{stats.generation_errors} {name} generations failed; rerun to retry them")

    def finished(self, record: dict[str, Any], output_dir: Path) -> None:
        selection = record.get("training", {}).get("selection", {})
        if selection.get("best_checkpoint"):
            self.print(
                f"selected {Path(selection['best_checkpoint']).name} "
                f"({selection['metric']} {selection['best_metric']:.4g}, best of "
                f"{len(selection['evaluations'])} validations)"
            )
        self.print(f"model: {output_dir} (score it with --model hf:{output_dir})")
