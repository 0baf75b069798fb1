"""A task's in-context examples for the LLM action classifier (App. G) and the LLM user
simulator (App. H), kept as data in the task's folder (``fewshot.json``) and read here.

The file is validated when it is read; an invalid one raises a DataError naming the file,
the record (``classifier [3]``, ``simulator.intent [0]``) and the field. Its layout::

    {
      "groundings": {NAME: VALUE, ...},          # VALUE: what the task makes a grounding of
      "summaries": {NAME: "The user wants to know: ...", ...},
      "classifier": [
        {"grounding": NAME, "turns": [TURN, ...], "response": "...", "action": "CLARIFY"}
      ],
      "simulator": {
        "opening": "...",                        # optional (simulators.llm.OPENING)
        "intent": [{"grounding": NAME, "dialogue": [TURN, ...], "summary": NAME}],
        "reply": [{"summary": NAME, "grounding": NAME, "dialogue": [TURN, ...], "reply": "..."}]
      }
    }

``turns`` alternate User and Assistant and end with the User's request; a ``dialogue``
alternates from the User too. A TURN is a string, or an object that the task turns into
one (Abg-CoQA writes a request as its loader renders an interpretation). Each task names
how a grounding VALUE becomes text (a linearized table, a story, a schema), so the
examples look like the task's items.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from act_bench.classifiers.llm import ClassifierExample
from act_bench.dialogue import alternating_dialogue, prompt_from_turns
from act_bench.simulators.llm import OPENING, IntentExample, ReplyExample, SimulatorExamples
from act_bench.types import Action, Message
from act_bench.validation import JsonChecker, read_json_file

FEWSHOT_FILE = "fewshot.json"
FILE_RECORD = "file"

# (checker, value, record) -> text; raise checker.error(...) for a value the task cannot use.
GroundingReader = Callable[[JsonChecker, Any, str], str]
TurnReader = Callable[[JsonChecker, Mapping[str, Any], str], str]


@dataclass(frozen=True, slots=True)
class FewShotFile:
    """A validated ``fewshot.json``: its groundings and summaries resolved to text."""

    checker: JsonChecker
    data: Mapping[str, Any]
    groundings: Mapping[str, str]
    summaries: Mapping[str, str]
    turn_reader: TurnReader | None = None

    def records(self, section: str) -> list[tuple[str, Mapping[str, Any]]]:
        """The objects of a list section, each with its record name; ``section`` may name a
        nested list (``simulator.intent``)."""
        data: Mapping[str, Any] = self.data
        *parents, name = section.split(".")
        for parent in parents:
            data = self.checker.mapping(
                self.checker.field(data, parent, dict, FILE_RECORD), FILE_RECORD, parent
            )
        items = self.checker.field(data, name, list, FILE_RECORD, path=_prefix(parents))
        return [
            (f"{section} [{index}]", self.checker.mapping(item, f"{section} [{index}]"))
            for index, item in enumerate(items)
        ]

    def text(self, item: Mapping[str, Any], name: str, record: str) -> str:
        return self.checker.text(item, name, record)

    def grounding(self, item: Mapping[str, Any], record: str) -> str:
        return self._named(self.groundings, item, "grounding", record)

    def summary(self, item: Mapping[str, Any], record: str) -> str:
        return self._named(self.summaries, item, "summary", record)

    def turns(self, item: Mapping[str, Any], name: str, record: str) -> list[str]:
        """A list of turns: strings, or objects the task's turn reader renders."""
        turns = []
        for index, turn in enumerate(self.checker.field(item, name, list, record)):
            field = f"{name}[{index}]"
            if isinstance(turn, str) and turn.strip():
                turns.append(turn)
            elif isinstance(turn, Mapping) and self.turn_reader is not None:
                turns.append(self.turn_reader(self.checker, turn, f"{record} {field}"))
            else:
                kinds = "a non-empty string" + (" or an object" if self.turn_reader else "")
                raise self.checker.error(f"a turn must be {kinds}", record, field)
        if not turns:
            raise self.checker.error(f"field {name!r} is empty", record, name)
        return turns

    def dialogue(self, item: Mapping[str, Any], name: str, record: str) -> tuple[Message, ...]:
        return alternating_dialogue(self.turns(item, name, record))

    def classifier_examples(self) -> list[ClassifierExample]:
        """The ``classifier`` section (App. G: ten examples)."""
        examples = []
        for record, item in self.records("classifier"):
            turns = self.turns(item, "turns", record)
            if len(turns) % 2 == 0:
                raise self.checker.error(
                    "'turns' must alternate User and Assistant and end with the User's "
                    f"request (an odd number of turns), got {len(turns)}",
                    record,
                    "turns",
                )
            examples.append(
                ClassifierExample(
                    prompt_from_turns(self.grounding(item, record), turns),
                    self.text(item, "response", record),
                    self._action(item, record),
                )
            )
        return examples

    def simulator_examples(self) -> SimulatorExamples:
        """The ``simulator`` section (App. H: three examples per step)."""
        section = self.checker.field(self.data, "simulator", dict, FILE_RECORD)
        intent = tuple(
            IntentExample(
                self.grounding(item, record),
                self.dialogue(item, "dialogue", record),
                self.summary(item, record),
            )
            for record, item in self.records("simulator.intent")
        )
        reply = tuple(
            ReplyExample(
                self.summary(item, record),
                self.grounding(item, record),
                self.dialogue(item, "dialogue", record),
                self.text(item, "reply", record),
            )
            for record, item in self.records("simulator.reply")
        )
        opening = (
            self.checker.text(section, "opening", FILE_RECORD, path="simulator.")
            if "opening" in section
            else OPENING
        )
        return SimulatorExamples(intent=intent, reply=reply, opening=opening)

    def _named(
        self, known: Mapping[str, str], item: Mapping[str, Any], field: str, record: str
    ) -> str:
        name = self.checker.text(item, field, record)
        if name not in known:
            raise self.checker.error(
                f"unknown {field} {name!r}; the file's {field}s: {', '.join(sorted(known))}",
                record,
                field,
            )
        return known[name]

    def _action(self, item: Mapping[str, Any], record: str) -> Action:
        value = self.checker.text(item, "action", record)
        try:
            return Action(value)
        except ValueError:
            known = ", ".join(action.value for action in Action)
            raise self.checker.error(
                f"unknown action {value!r}; known: {known}", record, "action"
            ) from None


def load_fewshot(
    path: Path, *, grounding: GroundingReader, turn: TurnReader | None = None
) -> FewShotFile:
    """Read and validate ``path``; ``grounding`` makes each named grounding's text."""
    checker = JsonChecker(path)
    data = checker.mapping(read_json_file(path), FILE_RECORD)
    groundings = {
        name: grounding(checker, value, f"groundings.{name}")
        for name, value in _section(checker, data, "groundings").items()
    }
    summaries = {
        name: checker.text(summaries_of, name, f"summaries.{name}")
        for summaries_of in (_section(checker, data, "summaries"),)
        for name in summaries_of
    }
    return FewShotFile(checker, data, groundings, summaries, turn)


def _section(checker: JsonChecker, data: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    """An optional object section (absent: empty)."""
    if name not in data:
        return {}
    return checker.field(data, name, dict, FILE_RECORD)


def _prefix(parents: list[str]) -> str:
    return "".join(f"{parent}." for parent in parents)
