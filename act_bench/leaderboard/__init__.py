"""The local leaderboard: validated submissions in SQLite, the paper's rows beside ours."""

from act_bench.leaderboard.render import export, group_rows, print_groups
from act_bench.leaderboard.store import DuplicateSubmission, Leaderboard, Row, paper_tables
from act_bench.leaderboard.submission import Submission, read_submission

__all__ = [
    "DuplicateSubmission",
    "Leaderboard",
    "Row",
    "Submission",
    "export",
    "group_rows",
    "paper_tables",
    "print_groups",
    "read_submission",
]
