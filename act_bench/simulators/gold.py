"""The ``gold`` user simulator: deterministic replay of what the data records.

Replies, for each request:

* round 0, and the goal has a recorded ``clarification`` (the user's reply to the data's
  own clarifying question, e.g. PACIFIC's "2019"): that recorded reply;
* otherwise, the goal's fully specified ``request`` (PACIFIC's ``original_question``).
  This covers a policy that clarifies where the data did not (there is no recorded reply
  to give) and one that asks again after the recorded reply was given: a user who holds
  the goal restates the whole request, which answers any clarifying question about it.

It needs no model and is reproducible, so it is the default for evaluation; it ignores the
wording of the policy's question, which an LLM simulator (App. H) takes into account.
"""

from __future__ import annotations

from collections.abc import Sequence

from act_bench.simulators.base import SimulationRequest


class GoldSimulator:
    """Replay the recorded clarification once, then the fully specified request.

    ``replayed`` and ``restated`` count the replies of each kind over this simulator's life.
    """

    spec = "gold"

    def __init__(self) -> None:
        self.replayed = 0
        self.restated = 0

    def reply(self, requests: Sequence[SimulationRequest]) -> list[str]:
        return [self._reply_one(request) for request in requests]

    def _reply_one(self, request: SimulationRequest) -> str:
        recorded = request.goal.clarification
        if request.round == 0 and recorded is not None and recorded.strip():
            self.replayed += 1
            return recorded
        self.restated += 1
        return request.goal.request
