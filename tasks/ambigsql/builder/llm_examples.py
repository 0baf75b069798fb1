"""The LLM generator's in-context examples: five per ambiguity type (App. C.1).

Written for act-bench over the bundled sample's schemas (``sample/spider``); the paper's own
examples "are given in the attached code", which is not public. Each example is a target
SQL query, the clear request that asks for it, the same request made ambiguous in one
respect, and the clarifying question that recovers the clear request, as in Tables A12
(population) and A13 (information).
"""

from __future__ import annotations

from dataclasses import dataclass

from act_bench_tasks.ambigsql.builder.records import AmbiguityType


@dataclass(frozen=True, slots=True)
class GeneratorExample:
    db_id: str
    sql: str
    clear: str
    ambiguous: str
    clarifying_question: str


FERRIES, LIBRARY, ORCHARD = "harbour_ferries", "city_library", "orchard_coop"

INFORMATION = (
    GeneratorExample(
        FERRIES,
        "SELECT Name ,  Capacity FROM ferry WHERE Built_Year  >  2000",
        "What are the names and capacities of the ferries built after 2000?",
        "What about the ferries built after 2000?",
        "Which information about the ferries built after 2000 do you want to know?",
    ),
    GeneratorExample(
        LIBRARY,
        "SELECT Title ,  Author FROM book WHERE Genre  =  'Science'",
        "List the title and author of every science book.",
        "List the science books.",
        "What would you like to see for each science book, for example its title, its "
        "author or its number of pages?",
    ),
    GeneratorExample(
        ORCHARD,
        "SELECT count(*) FROM grower",
        "How many growers are in the co-operative?",
        "Tell me about the growers in the co-operative.",
        "What specifically would you like to know about the growers? For example, how many "
        "there are, or a list of their names?",
    ),
    GeneratorExample(
        FERRIES,
        "SELECT max(Passengers) ,  min(Passengers) FROM crossing",
        "What are the largest and the smallest numbers of passengers on a crossing?",
        "What about the passengers on the crossings?",
        "What would you like to know about the passengers: for example the total, the "
        "average, or the largest and smallest numbers on a crossing?",
    ),
    GeneratorExample(
        LIBRARY,
        "SELECT T2.Name ,  T1.Loan_Date FROM loan AS T1 JOIN branch AS T2 ON T1.Branch_ID  =  "
        "T2.Branch_ID WHERE T1.Member_Name  =  'Ada Brook'",
        "For each loan made by Ada Brook, show the name of the branch and the loan date.",
        "Show me Ada Brook's loans.",
        "Which details of Ada Brook's loans would you like to see?",
    ),
)

POPULATION = (
    GeneratorExample(
        FERRIES,
        "SELECT Name FROM port WHERE Country  =  'Scotland'",
        "What are the names of the ports in Scotland?",
        "What are the names of the ones in Scotland?",
        "Are you asking about the ports or the ferries?",
    ),
    GeneratorExample(
        LIBRARY,
        "SELECT count(*) FROM branch",
        "How many branches does the library have?",
        "How many are there?",
        "Could you please specify which table you are referring to?",
    ),
    GeneratorExample(
        ORCHARD,
        "SELECT Fruit FROM orchard WHERE Planted_Year  <  2000",
        "What fruit is grown in the orchards that were planted before 2000?",
        "What fruit is grown in those planted before 2000?",
        "Do you mean the orchards that were planted before 2000?",
    ),
    GeneratorExample(
        FERRIES,
        "SELECT Name ,  Built_Year FROM ferry WHERE Capacity  >  500",
        "Which ferries can carry more than 500 people? Show their names and the year they "
        "were built.",
        "Which ones can carry more than 500? Show their names and the year they were built.",
        "Which records are you asking about?",
    ),
    GeneratorExample(
        ORCHARD,
        "SELECT Name FROM grower WHERE Joined_Year  >  2000",
        "Give the names of the growers who joined the co-operative after 2000.",
        "Give the names of those who joined after 2000.",
        "Are you asking about the growers of the co-operative?",
    ),
)

PRESENTATION = (
    GeneratorExample(
        FERRIES,
        "SELECT Name FROM ferry ORDER BY Built_Year ASC",
        "List the names of the ferries from the oldest to the newest.",
        "List the names of the ferries.",
        "Should the ferries be listed in a particular order?",
    ),
    GeneratorExample(
        LIBRARY,
        "SELECT Title FROM book ORDER BY Pages DESC",
        "Show the titles of the books in descending order of their number of pages.",
        "Show the titles of the books sorted by their number of pages.",
        "Should the books with the most pages come first or last?",
    ),
    GeneratorExample(
        ORCHARD,
        "SELECT Name ,  Village FROM grower ORDER BY Name",
        "List the names and villages of all growers in alphabetical order of name.",
        "List the names and villages of all growers.",
        "How would you like the growers to be ordered?",
    ),
    GeneratorExample(
        FERRIES,
        "SELECT Departure_Date ,  Passengers FROM crossing ORDER BY Passengers DESC",
        "Show the date and the number of passengers of every crossing, the busiest first.",
        "Show the date and the number of passengers of every crossing, ordered by passengers.",
        "Do you want the crossings with the most passengers first, or the ones with the fewest?",
    ),
    GeneratorExample(
        LIBRARY,
        "SELECT Member_Name ,  Days FROM loan ORDER BY Days ASC",
        "List the member name and the number of days of each loan, from the shortest loan to "
        "the longest.",
        "List the member name and the number of days of each loan.",
        "Would you like the loans sorted, for example by their length?",
    ),
)

EXAMPLES: dict[AmbiguityType, tuple[GeneratorExample, ...]] = {
    AmbiguityType.INFORMATION: INFORMATION,
    AmbiguityType.POPULATION: POPULATION,
    AmbiguityType.PRESENTATION: PRESENTATION,
}
