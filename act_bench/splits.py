"""A task's splits at the edge: an unknown split name and a missing split file, each answered
the same way by every task (the known names and the closest one; the command that gets the
file)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path

from act_bench.errors import ConfigError, DataError


def check_split(task: str, split: str, splits: Sequence[str]) -> None:
    """Refuse a split ``task`` does not have, naming those it has and the closest one."""
    if split not in splits:
        close = difflib.get_close_matches(split, splits, n=1)
        raise ConfigError(
            f"unknown split {split!r} for task {task}; known: {', '.join(splits)}",
            hint=f"did you mean {close[0]!r}?" if close else None,
        )


def missing_download(task: str, path: Path, description: str, data_dir: Path | None) -> DataError:
    """The error for a split file a download provides (``act-bench data download TASK``).

    Without a data root the file was looked for in the bundled sample, which holds only the
    validation split; with one, the hint downloads into that root.
    """
    what = f"{path.name} ({description})"
    if data_dir is None:
        return DataError(
            f"the bundled sample has only the validation split, not {what}",
            file=str(path),
            hint=f"download the official files and pass --data-dir DIR: "
            f"act-bench data download {task} --data-dir DIR",
        )
    return DataError(
        f"{what} not found; download it first",
        file=str(path),
        hint=f"act-bench data download {task} --data-dir {data_dir}",
    )
