"""``act-bench train act --preferences FILE``: D_pref as ``act-bench data build-preferences``
wrote it, instead of building it again.

Alg. 1 is the expensive half of ACT's data (minutes per hundred turn states on a CPU, API
calls with a hosted M). ``data build-preferences`` runs it on its own; this module reads what
it wrote back, strictly: the file is the user's, so nothing in it is repaired or skipped. A
training run takes from it the pair of every turn state it selected (the same ``--task``,
split, ``--conversations`` and ``--seed`` select the same conversations on both commands);
a turn state without a pair, a pair whose turn state differs from the data's, or pairs built
with other action labels are errors that name the file, the record and the field.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from act_bench_baselines.act.dpref import DprefResult
from act_bench_baselines.act.preferences import PreferenceExample, PreferenceStats

from act_bench.errors import DataError
from act_bench.prompting import ShotSelection
from act_bench.types import TurnState

BUILD_HINT = (
    "build it with `act-bench data build-preferences` for the same --task, --split (the "
    "training split), --conversations and --seed"
)


def read_preference_file(path: str | Path) -> dict[str, tuple[int, PreferenceExample]]:
    """Every pair of a build-preferences JSONL file, by turn state id, with its line."""
    file = Path(path)
    if not file.is_file():
        raise DataError("preference file not found", file=str(file), hint=BUILD_HINT)
    pairs: dict[str, tuple[int, PreferenceExample]] = {}
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataError(f"not JSON: {error.msg}", file=str(file), record=number) from None
        if not isinstance(data, dict):
            raise DataError("a record must be a JSON object", file=str(file), record=number)
        try:
            example = PreferenceExample.from_json(data)
        except KeyError as error:
            raise DataError(
                "missing field", file=str(file), record=number, field=str(error.args[0])
            ) from None
        except (TypeError, ValueError, AttributeError) as error:
            raise DataError(f"invalid record: {error}", file=str(file), record=number) from None
        pairs[example.turn_state.id] = (number, example)
    if not pairs:
        raise DataError("the preference file holds no pairs", file=str(file), hint=BUILD_HINT)
    return pairs


def preferences_for(
    path: str | Path, turn_states: Sequence[TurnState], *, action_labels: str
) -> tuple[list[PreferenceExample], PreferenceStats]:
    """The file's pairs for ``turn_states``, in their order (D_pref for a training run), and
    the statistics Alg. 1 would have reported for them (all reused, none generated)."""
    pairs = read_preference_file(path)
    missing = [state.id for state in turn_states if state.id not in pairs]
    if missing:
        raise DataError(
            f"{len(missing)} of the {len(turn_states)} training turn states have no pair, "
            f"e.g. {missing[0]}",
            file=str(path),
            hint=BUILD_HINT,
        )
    examples = []
    stats = PreferenceStats(reused=len(turn_states))
    for state in turn_states:
        number, example = pairs[state.id]
        if example.turn_state != state:
            raise DataError(
                "the pair's turn state is not the data's (built from other data files?)",
                file=str(path),
                record=number,
                field="turn_state",
                hint=BUILD_HINT,
            )
        if example.action_labels != action_labels:
            raise DataError(
                f"built with action labels {example.action_labels!r}, the run asks for "
                f"{action_labels!r}",
                file=str(path),
                record=number,
                field="action_labels",
                hint="pass the --action-labels (or --random-actions) the file was built with",
            )
        examples.append(example)
        stats.examples += 1
        stats.by_action[example.action.value] = stats.by_action.get(example.action.value, 0) + 1
        stats.rejected_has_rejected_action += example.rejected_judged is example.rejected_action
    return examples, stats


def dpref_from_file(
    path: str | Path, turn_states: Sequence[TurnState], *, action_labels: str
) -> DprefResult:
    """:func:`preferences_for` as the result of a D_pref build: Alg. 1 did not run, so no
    control-prompt shots were drawn here (the file's records name their generator)."""
    examples, stats = preferences_for(path, turn_states, action_labels=action_labels)
    shots = ShotSelection(
        shots=(),
        pool=f"--preferences {path}",
        pool_size=0,
        requested=0,
        note=f"D_pref for training read from {path} (act-bench data build-preferences), not built",
    )
    return DprefResult(examples, stats, shots, Path(path))
