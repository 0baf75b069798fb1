"""Evaluation protocols: the rules by which a trajectory is generated and scored.

act-bench prints its numbers beside the paper's, so it must be able to compute them the
way the paper did. A protocol is named on every command that simulates or scores
(``--protocol``), recorded at the top of ``results.json`` and in the config hash, and the
leaderboard never ranks runs of two protocols together.

- ``act-paper``: the ACT authors' released evaluation (google-research,
  ``learning_to_clarify/act/src/act/``): responses cut at their first line and generated
  with 128 new tokens (``simulation/simulator.py``, ``generate_response``); exactly one
  clarification round, after which the next response is the final answer whatever its
  action (``generate_trajectory``); PACIFIC's DROP F1 as their ``get_metrics`` on raw
  texts against their gold strings (``metrics/pacific_metrics.py``,
  ``metrics/base_metrics.py``, ``scripts/convert_pacific.py``, ``data/base_dataset.py``).
- ``act-bench`` (default): the multi-round loop up to ``--max-turns``, PACIFIC's own DROP
  F1 (``TaTQAEmAndF1``), and a trajectory that never answered has outcome *no answer*:
  its trajectory score is 0 and it is counted (``counts.n_no_answer``).
"""

from __future__ import annotations

from dataclasses import dataclass

from act_bench.episode import TurnRules
from act_bench.errors import ConfigError
from act_bench.metrics.drop import DropMode
from act_bench.registry import Registry
from act_bench.task import Task, TaskDefaults
from act_bench.types import Goal, Trajectory

DEFAULT_PROTOCOL = "act-bench"


@dataclass(frozen=True, slots=True)
class EvaluationProtocol:
    """One named set of generation and scoring rules (module docstring).

    - ``drop_f1_mode``: the DROP F1 variant reported under the headline metric names;
      the other is reported beside it with its mode as a suffix.
    - ``first_line_only``: keep each response's first line (never for a task whose
      answers span lines, such as SQL).
    - ``max_new_tokens``: the protocol's generation budget (None: the task's default);
      a task whose default is larger keeps its own, so SQL is not cut.
    - ``max_turns``: the protocol's cap on policy turns (None: ``--max-turns``).
    - ``last_turn_is_final``: the response at the cap is the answer whatever its action.
    - ``credits_unanswered``: whether a trajectory that never answered is scored on its
      last utterance (the authors' code has no such trajectory: it always takes the last
      response as the answer) or gets 0.
    - ``tolerance_inclusive``: whether a score equal to ε clears it: Alg. 2 line 13 reads
      H > ε; the authors' code counts H >= ε as good (``F1 < 0.9`` is their bad case).
    """

    name: str
    description: str
    drop_f1_mode: DropMode
    first_line_only: bool
    max_new_tokens: int | None
    max_turns: int | None
    last_turn_is_final: bool
    credits_unanswered: bool
    tolerance_inclusive: bool = False

    def clears_tolerance(self, score: float, tolerance: float) -> bool:
        """Whether H clears ε under this protocol (the trainers' correct / winning check)."""
        return score >= tolerance if self.tolerance_inclusive else score > tolerance

    def new_tokens(self, requested: int | None, defaults: TaskDefaults) -> int:
        """Tokens per policy turn: the flag if given, else the protocol's budget or the
        task's default, whichever is larger. A protocol with a budget of its own refuses
        any other number (so resolving a resolved config changes nothing)."""
        budget = max(self.max_new_tokens or 0, defaults.max_new_tokens)
        if requested is None:
            return budget
        if self.max_new_tokens is not None and requested != budget:
            raise ConfigError(
                f"--max-new-tokens {requested} contradicts protocol {self.name}, "
                f"which generates {budget}",
                hint="drop --max-new-tokens, or pass --protocol act-bench",
            )
        return requested

    def turn_cap(self, requested: int | None) -> int:
        """Policy turns per trajectory: the protocol's, else the flag, else 3."""
        if self.max_turns is not None:
            if requested is not None and requested != self.max_turns:
                raise ConfigError(
                    f"--max-turns {requested} contradicts protocol {self.name}, "
                    f"which allows {self.max_turns} policy turns (one clarification round)",
                    hint="drop --max-turns, or pass --protocol act-bench",
                )
            return self.max_turns
        return 3 if requested is None else requested

    def turn_rules(self, requested_turns: int | None, defaults: TaskDefaults) -> TurnRules:
        """The episode loop's rules for a task under this protocol."""
        return TurnRules(
            max_turns=self.turn_cap(requested_turns),
            first_line_only=self.first_line_only and not defaults.multiline_responses,
            last_turn_is_final=self.last_turn_is_final,
        )

    def metric_mode(self, task: Task) -> str | None:
        """The variant of the task's content metric this protocol reports as headline."""
        return self.drop_f1_mode if self.drop_f1_mode in task.metric_modes else None

    def outcome_score(
        self, task: Task, trajectory: Trajectory, goal: Goal, mode: str | None
    ) -> float:
        """H(g', g), or 0 for a trajectory without an answer when the protocol credits none."""
        if not trajectory.answered and not self.credits_unanswered:
            return 0.0
        return task.score_outcome(trajectory.outcome, goal, mode)


PROTOCOLS: Registry[EvaluationProtocol] = Registry("evaluation protocol")

ACT_PAPER = EvaluationProtocol(
    name="act-paper",
    description="the ACT authors' released evaluation: first line, 128 tokens, one "
    "clarification round, get_metrics DROP F1 on their gold strings",
    drop_f1_mode="act",
    first_line_only=True,
    max_new_tokens=128,
    max_turns=2,
    last_turn_is_final=True,
    credits_unanswered=True,
    tolerance_inclusive=True,
)
ACT_BENCH = EvaluationProtocol(
    name="act-bench",
    description="multi-round loop up to --max-turns, PACIFIC's DROP F1, no credit for "
    "trajectories that never answer",
    drop_f1_mode="pacific",
    first_line_only=False,
    max_new_tokens=None,
    max_turns=None,
    last_turn_is_final=False,
    credits_unanswered=False,
)
PROTOCOLS.add(ACT_PAPER.name, ACT_PAPER)
PROTOCOLS.add(ACT_BENCH.name, ACT_BENCH)


def get_protocol(name: str) -> EvaluationProtocol:
    return PROTOCOLS.get(name)
