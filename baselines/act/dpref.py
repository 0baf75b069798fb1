"""D_pref as a run sets it up: the one home for ACT's training D_pref, every preference
trainer's validation D_pref and ``act-bench data build-preferences``.

App. J.2 selects every RL-tuned model (ACT, IRPO, DPO-Dist) by reward margin on "an
action-based preference dataset constructed as described in Section 3.2 using each task's
original validation set". :class:`DprefSettings` names what decides those pairs (the
conditional generation model M and its sampling, the action labels, the control prompt's
shots) and so the cache file they are appended to; :class:`DprefBuilder` loads M, the action
classifier A and the annotator once and builds D_pref (Alg. 1,
:func:`~act_bench_baselines.act.preferences.build_preferences`) for any set of turn states.
A validation D_pref built by one trainer is read back by the next one with the same
settings: it is built once, cached and shared.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from act_bench_baselines.act.control import MAX_SHOTS, control_prompts, control_shots
from act_bench_baselines.act.preferences import (
    GOLD_LABELS,
    PreferenceExample,
    PreferenceStats,
    build_preferences,
)

from act_bench.backends import BackendOptions, SamplingParams
from act_bench.backends.prefix_cache import long_prompt_budget_bytes
from act_bench.cache import CacheSettings
from act_bench.classifiers import load_classifier
from act_bench.classifiers.base import ActionClassifier
from act_bench.data import resolve_data_dir
from act_bench.progress import progress_bar
from act_bench.prompting import ShotSelection
from act_bench.prompting.fitting import fit_shots_to_window
from act_bench.prompting.render import StyledPrompt
from act_bench.task import Task, get_task
from act_bench.types import Action, Message, TurnState
from act_bench.usage import auxiliary_backend


@dataclass(frozen=True, slots=True)
class DprefSettings:
    """Everything Alg. 1 needs to build D_pref, and where its cache lives.

    ``data_dir`` / ``pool_split`` are the training pool M's in-context conversations come
    from (App. F); the cache file is keyed by the settings that change a pair (task, M,
    labels, M's token budget and temperature, the shots, the seed).
    """

    task: str
    generator: str
    action_labels: str = GOLD_LABELS
    action_classifier: str = "heuristic"
    max_new_tokens: int = 64
    temperature: float = 0.0
    shots: int = MAX_SHOTS
    seed: int = 0
    data_dir: str | None = None
    pool_split: str = "train"
    batch_size: int = 8
    prefix_cache: bool = True
    api_base: str | None = None
    max_concurrency: int = 8
    timeout_s: float = 120.0
    cache: bool = True  # M's calls through the response cache (act_bench.cache)
    cache_dir: str | None = None
    preferences_cache: str | None = None  # folder of D_pref caches

    def backend_options(self, *, long_prompts: bool = False) -> BackendOptions:
        """``long_prompts``: M's (the control prompt's in-context conversations), whose local
        prefix store needs room for several thousand tokens' keys and values."""
        return BackendOptions(
            api_base=self.api_base,
            max_concurrency=self.max_concurrency,
            timeout_s=self.timeout_s,
            batch_size=self.batch_size,
            prefix_cache=self.prefix_cache,
            prefix_cache_bytes=long_prompt_budget_bytes() if long_prompts else None,
        )

    def sampling(self) -> SamplingParams:
        return SamplingParams(
            max_new_tokens=self.max_new_tokens, temperature=self.temperature, seed=self.seed
        )

    def cache_path(self, generator_spec: str, shots: ShotSelection) -> Path:
        key = {
            "task": self.task,
            "generator": generator_spec,
            "action_labels": self.action_labels,
            "max_new_tokens": self.max_new_tokens,
            "temperature": self.temperature,
            "shots": [shot.conversation_id for shot in shots.shots],
            "seed": self.seed,
        }
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
        return self._cache_root() / f"{self.task}-{digest}.jsonl"

    def _cache_root(self) -> Path:
        if self.preferences_cache:
            return Path(self.preferences_cache)
        from act_bench.paths import cache_root

        return cache_root() / "preferences"


@dataclass(frozen=True, slots=True)
class DprefResult:
    """One D_pref build: the pairs in turn-state order, how they were built, from where."""

    examples: list[PreferenceExample]
    stats: PreferenceStats
    shots: ShotSelection
    cache: Path

    def to_json(self) -> dict[str, Any]:
        return {**self.stats.to_json(), "cache": str(self.cache), "shots": self.shots.to_json()}


class DprefBuilder:
    """M, A and the annotator of one :class:`DprefSettings`, loaded once (M on first use)."""

    def __init__(
        self,
        settings: DprefSettings,
        task: Task | None = None,
        *,
        classifier: ActionClassifier | None = None,
    ) -> None:
        """``classifier``: A already loaded (ACT's, which Alg. 2 uses too), else loaded from
        ``settings.action_classifier``."""
        self.settings = settings
        self.task = task or get_task(settings.task)
        options = settings.backend_options()
        self.classifier = classifier or load_classifier(
            settings.action_classifier, task=self.task, backend_options=options, seed=settings.seed
        )
        self.annotator = None
        if settings.action_labels.startswith("classifier:"):
            self.annotator = load_classifier(
                settings.action_labels.removeprefix("classifier:"),
                task=self.task,
                backend_options=options,
                seed=settings.seed,
            )
        self.generator = auxiliary_backend(
            settings.generator,
            "generator",
            settings.backend_options(long_prompts=True),
            CacheSettings(enabled=settings.cache, directory=settings.cache_dir),
        )

    def build(
        self,
        turn_states: Sequence[TurnState],
        *,
        name: str = "D_pref",
        output: Path | None = None,
        show_progress: bool = False,
    ) -> DprefResult:
        """D_pref for ``turn_states``; M's shots leave out their conversations. Written to
        ``output``, or to the settings' cache file."""
        settings = self.settings
        shots = control_shots(
            self.task,
            data_dir=resolve_data_dir(settings.data_dir),
            pool_split=settings.pool_split,
            seed=settings.seed,
            exclude={state.conversation_id for state in turn_states},
            shots=settings.shots,
        )
        shots = self._fitted(shots, turn_states)
        cache = output or settings.cache_path(self.generator.spec, shots)
        with progress_bar(name, total=len(turn_states), enabled=show_progress) as advance:
            examples, stats = build_preferences(
                turn_states,
                task=self.task,
                generator=self.generator,
                classifier=self.classifier,
                cache=cache,
                sampling=settings.sampling(),
                annotator=self.annotator,
                action_labels=settings.action_labels,
                batch_size=settings.batch_size,
                seed=settings.seed,
                shots=shots.shots,
                on_batch=advance,
            )
        return DprefResult(examples, stats, shots, cache)

    def _fitted(self, shots: ShotSelection, turn_states: Sequence[TurnState]) -> ShotSelection:
        """The shots with which M's control prompt for every state, under either action,
        and ``max_new_tokens`` fit M's context window (``prompting/fitting.py``)."""
        renderers: dict[int, list[StyledPrompt]] = {}  # by leading shots shown

        def prompt_at(kept: int, index: int) -> list[Message]:
            if kept not in renderers:
                chosen = control_prompts(self.task, chosen=shots.shots[:kept])
                renderers[kept] = list(chosen.values())
            state, action = divmod(index, len(Action))
            return renderers[kept][action](turn_states[state].prompt)

        return fit_shots_to_window(
            shots,
            prompt_at,
            len(turn_states) * len(Action),
            self.generator,
            reply_tokens=self.settings.max_new_tokens,
        )
