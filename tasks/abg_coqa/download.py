"""Download Abg-CoQA's official files (Guo et al., 2021) from
github.com/MeiqiGuo/AKBC2021-Abg-CoQA.

As for PACIFIC: the files are fetched at a fixed commit and checked against the git blob
ids of that commit, so every user evaluates on the same bytes, and each file is written
atomically (a temporary file in the same folder, then a rename), so an interrupted
download never leaves a partial file under the real name.
"""

from __future__ import annotations

from pathlib import Path

from act_bench.downloads import PinnedFile, download_pinned, git_blob_id

__all__ = ["BLOB_IDS", "COMMIT", "FILE_NAMES", "download", "file_url", "git_blob_id"]

REPOSITORY = "MeiqiGuo/AKBC2021-Abg-CoQA"
# The repository's last commit ("Update README.md"), the one the shared development copy
# comes from.
COMMIT = "3fce317899212847c22e8a6d74dcb0f1b3cb4b56"
REPOSITORY_FOLDER = "abg-coqa"
# Where the files go under a data root; the task's name has a hyphen, the folder does not.
DATA_FOLDER = "abg_coqa"
FILE_NAMES = {
    "train": "coqa_abg_train.json",
    "validation": "coqa_abg_val.json",
    "test": "coqa_abg_test.json",
}
# Git blob ids of abg-coqa/<file> at COMMIT (``git ls-tree``).
BLOB_IDS = {
    "coqa_abg_train.json": "abcfad2a91bdecb4efc97d471cc62bea3496f777",
    "coqa_abg_val.json": "0d69ebae94e027793161317336982fb671ddb615",
    "coqa_abg_test.json": "83fbb9da39414478b6fae43b2674f5b3e5a9d8f2",
}


def file_url(split: str) -> str:
    """The raw URL of a split's file at the pinned commit."""
    return (
        f"https://raw.githubusercontent.com/{REPOSITORY}/{COMMIT}/"
        f"{REPOSITORY_FOLDER}/{FILE_NAMES[split]}"
    )


def download(data_dir: Path, splits: tuple[str, ...] = tuple(FILE_NAMES)) -> list[Path]:
    """Write ``data_dir/abg_coqa/<file>`` for each split; a file already intact is kept."""
    folder = data_dir / DATA_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return download_pinned(
        [
            PinnedFile(file_url(split), folder / FILE_NAMES[split], BLOB_IDS[FILE_NAMES[split]])
            for split in splits
        ]
    )
