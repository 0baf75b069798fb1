"""IRPO's samples: N responses per prompt from the current policy, labelled and cached.

The policy sees each prompt as evaluation shows it in the run's prompting style (``cot`` by
default, §5.1); each output is cut to its final utterance as the episode loop cuts a
response, classified by A and labelled (:mod:`act_bench_baselines.irpo.labelling`). Labelled
samples are appended to a JSONL file chunk by chunk as they are generated, so a resumed run
never samples twice; failed generations are not cached, and the next run retries them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from act_bench_baselines.irpo.labelling import LabeledSample, LabelRule, label_samples

from act_bench.backends import Backend, Generation, SamplingParams
from act_bench.classifiers import ClassificationInput
from act_bench.classifiers.base import ActionClassifier
from act_bench.files import append_jsonl, read_jsonl
from act_bench.generation import ChunkSeeding, generate_in_chunks
from act_bench.prompting import StyledPrompt
from act_bench.task import Task
from act_bench.types import TurnState


@dataclass(frozen=True, slots=True)
class SampleSettings:
    """What the samples of one iteration are drawn and labelled with."""

    samples_per_prompt: int
    sampling: SamplingParams
    chunk_size: int
    cut: Callable[[str], str]  # the protocol's cut of a response (first line under act-paper)
    rule: LabelRule


def sample_and_label(
    policy: Backend,
    turn_states: Sequence[TurnState],
    *,
    task: Task,
    prompt: StyledPrompt,
    classifier: ActionClassifier,
    settings: SampleSettings,
    path: Path,
    description: str,
    show_progress: bool = True,
) -> tuple[dict[str, list[LabeledSample]], int]:
    """N labelled samples per turn state, by turn-state id: read from ``path`` where cached,
    generated (and appended) where not; and how many generations failed."""
    found = [LabeledSample.from_json(r) for r in read_jsonl(path, ("turn_state_id", "index"))]
    done = {(s.turn_state_id, s.index) for s in found}
    todo = [
        (state, k)
        for state in turn_states
        for k in range(settings.samples_per_prompt)
        if (state.id, k) not in done
    ]
    failed = 0

    def on_chunk(start: int, generations: list[Generation]) -> None:
        nonlocal failed
        jobs = todo[start : start + len(generations)]
        failed += sum(1 for g in generations if g.error)
        new = _labelled(jobs, generations, task, prompt, classifier, settings)
        append_jsonl(path, (s.to_json() for s in new))
        found.extend(new)

    if todo:
        generate_in_chunks(
            policy,
            [prompt(state.prompt) for state, _ in todo],
            settings.sampling,
            chunk_size=settings.chunk_size,
            seeding=ChunkSeeding.PER_CHUNK,  # chunks of repeated prompts draw afresh
            on_chunk=on_chunk,
            description=description,
            show_progress=show_progress,
        )
    by_state: dict[str, list[LabeledSample]] = {}
    for labeled in found:
        by_state.setdefault(labeled.turn_state_id, []).append(labeled)
    return by_state, failed


def _labelled(
    jobs: Sequence[tuple[TurnState, int]],
    generations: Sequence[Generation],
    task: Task,
    prompt: StyledPrompt,
    classifier: ActionClassifier,
    settings: SampleSettings,
) -> list[LabeledSample]:
    """The chunk's successful generations, cut to their final utterance, classified and
    labelled."""
    kept = [
        (state, k, generation.text, settings.cut(prompt.final_utterance(generation.text)))
        for (state, k), generation in zip(jobs, generations, strict=True)
        if not generation.error
    ]
    actions = classifier.classify(
        [ClassificationInput(state.prompt, text) for state, _, _, text in kept]
    )
    labels = label_samples(
        task,
        [(state, text, action) for (state, _, _, text), action in zip(kept, actions, strict=True)],
        settings.rule,
    )
    return [
        LabeledSample(state.id, k, text, score, correct, action, raw if raw != text else None)
        for (state, k, raw, text), action, (score, correct) in zip(
            kept, actions, labels, strict=True
        )
    ]
