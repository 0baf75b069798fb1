"""Abg-CoQA-style in-context examples for the LLM action classifier and user simulator.

Written for act-bench: the stories and dialogues are made up (none is taken from CoQA or
Abg-CoQA) but follow their shape: a short story, one or two earlier question-answer turns
with short span answers ("no", "the bakery"), and a request that can be read in more than
one way, resolved by a clarifying question such as "Do you mean before lunch?" (App. G
uses 10 classifier examples, Table A21; App. H three examples per simulator step, Tables
A25 and A26).

The intent examples end with a request in the form the loader gives each interpretation
(:func:`act_bench_tasks.abg_coqa.loader.interpretation_request`): the question as asked plus the
user's answer to the recorded clarifying question, so the summarizer sees the items'
shape. The reply examples answer clarifying questions the data never asked, in the user's
words and true to the summarized intent.
"""

from __future__ import annotations

from act_bench_tasks.abg_coqa.loader import interpretation_request
from act_bench_tasks.abg_coqa.prompt import story_grounding

from act_bench.classifiers.llm import ClassifierExample
from act_bench.simulators.llm import IntentExample, ReplyExample, SimulatorExamples
from act_bench.types import Action, Message, Prompt, Role

# Table A26's opening: the conversation is about the story that follows.
OPENING = (
    "The following is a snippet from a conversation between an Assistant and a User who "
    "is asking some questions about the Story below."
)

FISHING = story_grounding(
    "Nora and her grandfather went fishing at Willow Lake on Saturday morning. They rowed "
    "a small green boat out to the middle of the lake. Before lunch Nora caught two perch, "
    "and her grandfather caught nothing at all. After lunch her grandfather caught a large "
    "trout, and Nora lost her hook on a log.\n\nOn the way home they stopped at the bakery "
    "and bought a cherry pie. Nora's mother was so surprised by the trout that she cooked "
    "it for dinner."
)
BRIDGE = story_grounding(
    "PORT ALDEN -- The city council voted on Tuesday to build a new bridge over the Rell "
    "River. The old bridge, which opened in 1958, will close to trucks next spring and to "
    "cars a year later.\n\nMayor Ines Okafor said the new bridge would cost 42 million "
    "dollars and take three years to build. The council was also due to vote on a bicycle "
    "lane along the harbour, but that vote was postponed until June because two members "
    "were absent."
)
STORM = story_grounding(
    "When the storm had passed, Captain Harrow ordered the crew to mend the torn mainsail. "
    "Young Tom was sent up the mast to free the tangled ropes, while the cook counted what "
    "was left of the biscuits. There were enough for nine days. By evening the ship was "
    "moving again, and Harrow wrote in his log that the storm had cost them two days and "
    "one of the boats."
)
OBSERVATORY = story_grounding(
    "The Kessel Observatory stands on a hill north of the town of Brindmoor. It was founded "
    "in 1891 by the astronomer Clara Kessel, who paid for its first telescope with money "
    "from her family's flour mill. A larger telescope was added in 1937, and a planetarium "
    "in 1972. Today the observatory is run by the regional university and opens to "
    "visitors on Friday nights."
)


def _dialogue(*turns: str) -> tuple[Message, ...]:
    """Alternating User / Assistant messages, starting with the User."""
    roles = (Role.USER, Role.ASSISTANT)
    return tuple(Message(roles[i % 2], text) for i, text in enumerate(turns))


def _prompt(grounding: str, *turns: str) -> Prompt:
    """A prompt from alternating turns; the last one is the User's current request."""
    return Prompt(grounding=grounding, history=_dialogue(*turns[:-1]), request=turns[-1])


def classifier_examples() -> list[ClassifierExample]:
    """Ten examples for the few-shot action classifier (App. G), four clarifying, six answering."""
    return [
        ClassifierExample(
            _prompt(FISHING, "Where did Nora go on Saturday?", "fishing", "What did they catch?"),
            "Do you mean before lunch or after lunch?",
            Action.CLARIFY,
        ),
        ClassifierExample(
            _prompt(
                FISHING,
                "What did they catch?",
                "Do you mean before lunch or after lunch?",
                "After lunch.",
            ),
            "a large trout",
            Action.ANSWER,
        ),
        ClassifierExample(
            _prompt(
                FISHING,
                "Where did they stop on the way home?",
                "the bakery",
                "Did Nora catch the trout?",
            ),
            "no",
            Action.ANSWER,
        ),
        ClassifierExample(
            _prompt(BRIDGE, "What did the council vote on?", "a new bridge", "When will it close?"),
            "Are you asking when the old bridge closes to trucks, or to cars?",
            Action.CLARIFY,
        ),
        ClassifierExample(
            _prompt(BRIDGE, "Who is the mayor?", "Ines Okafor", "How much will the bridge cost?"),
            "42 million dollars",
            Action.ANSWER,
        ),
        ClassifierExample(
            _prompt(
                BRIDGE,
                "Was there another vote?",
                "yes",
                "Why was it postponed?",
            ),
            "Because two members were absent.",
            Action.ANSWER,
        ),
        ClassifierExample(
            _prompt(
                STORM,
                "What did the captain order?",
                "to mend the torn mainsail",
                "What did they lose?",
            ),
            "Do you mean time, or something from the ship?",
            Action.CLARIFY,
        ),
        ClassifierExample(
            _prompt(STORM, "What did the cook count?", "the biscuits", "How long would they last?"),
            "nine days",
            Action.ANSWER,
        ),
        ClassifierExample(
            _prompt(OBSERVATORY, "Who founded it?", "Clara Kessel", "What was added?"),
            "Which year are you asking about?",
            Action.CLARIFY,
        ),
        ClassifierExample(
            _prompt(
                OBSERVATORY,
                "Who runs it today?",
                "the regional university",
                "When can people visit?",
            ),
            "On Friday nights.",
            Action.ANSWER,
        ),
    ]


_FISHING_SUMMARY = (
    "The user wants to know: 1. Where Nora went on Saturday. 2. Who went with her. "
    "3. What they caught after lunch."
)
_BRIDGE_SUMMARY = (
    "The user wants to know: 1. What the council voted on. 2. When the old bridge will "
    "close to cars."
)
_OBSERVATORY_SUMMARY = (
    "The user wants to know: 1. Who founded the observatory. 2. How she paid for its first "
    "telescope. 3. What was added to the observatory in 1937."
)


def simulator_examples() -> SimulatorExamples:
    """Three examples per step of the LLM user simulator (App. H, Tables A25-A26)."""
    intent = (
        IntentExample(
            FISHING,
            _dialogue(
                "Where did Nora go on Saturday?",
                "fishing at Willow Lake",
                "Who went with her?",
                "her grandfather",
                interpretation_request(
                    "What did they catch?", "Do you mean before lunch?", "No, after lunch."
                ),
            ),
            _FISHING_SUMMARY,
        ),
        IntentExample(
            BRIDGE,
            _dialogue(
                "What did the council vote on?",
                "a new bridge",
                interpretation_request(
                    "When will it close?", "Do you mean to trucks?", "No, I mean to cars."
                ),
            ),
            _BRIDGE_SUMMARY,
        ),
        IntentExample(
            OBSERVATORY,
            _dialogue(
                "Who founded the observatory?",
                "Clara Kessel",
                "How did she pay for the telescope?",
                "with money from her family's flour mill",
                interpretation_request("What was added?", "Do you mean in 1937?", "Yes."),
            ),
            _OBSERVATORY_SUMMARY,
        ),
    )
    reply = (
        ReplyExample(
            _FISHING_SUMMARY,
            FISHING,
            _dialogue(
                "Where did Nora go on Saturday?",
                "fishing at Willow Lake",
                "Who went with her?",
                "her grandfather",
                "What did they catch?",
                "Do you mean what Nora caught?",
            ),
            "No, I mean what they caught after lunch.",
        ),
        ReplyExample(
            _BRIDGE_SUMMARY,
            BRIDGE,
            _dialogue(
                "What did the council vote on?",
                "a new bridge",
                "When will it close?",
                "Are you asking about the new bridge or the old one?",
            ),
            "The old one. When does it close to cars?",
        ),
        ReplyExample(
            _OBSERVATORY_SUMMARY,
            OBSERVATORY,
            _dialogue(
                "Who founded the observatory?",
                "Clara Kessel",
                "How did she pay for the telescope?",
                "with money from her family's flour mill",
                "What was added?",
                "Do you mean the planetarium?",
            ),
            "No, I mean what was added in 1937.",
        ),
    )
    return SimulatorExamples(intent=intent, reply=reply, opening=OPENING)
