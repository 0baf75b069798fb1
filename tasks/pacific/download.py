"""Download PACIFIC's official files (Deng et al., 2022) from github.com/dengyang17/PACIFIC.

The files are fetched at a fixed commit and checked against the git blob ids of that
commit, so every user evaluates on the same bytes; each file is written atomically (a
temporary file in the same folder, then a rename), so an interrupted download never
leaves a partial file under the real name.
"""

from __future__ import annotations

from pathlib import Path

from act_bench.downloads import PinnedFile, download_pinned, git_blob_id

__all__ = ["BLOB_IDS", "COMMIT", "FILE_NAMES", "download", "file_url", "git_blob_id"]

REPOSITORY = "dengyang17/PACIFIC"
# The commit the shared development copy comes from (its last, "Create LICENSE").
COMMIT = "66a52ad4fd9eb7ad71e82a5c0bfb1de226366827"
FILE_NAMES = {"train": "train.json", "validation": "validation.json", "test": "test.json"}
# Git blob ids of data/pacific/<file> at COMMIT (``git ls-tree``).
BLOB_IDS = {
    "train.json": "1fd0a1c33b982688564fdcde49f7f3101e74c282",
    "validation.json": "f3431ba51054abcd6919622a549833420ba9a47d",
    "test.json": "ab49cc94f0c5055db952b82f49ff9b6838942d9a",
}


def file_url(split: str) -> str:
    """The raw URL of a split's file at the pinned commit."""
    return (
        f"https://raw.githubusercontent.com/{REPOSITORY}/{COMMIT}/data/pacific/{FILE_NAMES[split]}"
    )


def download(data_dir: Path, splits: tuple[str, ...] = tuple(FILE_NAMES)) -> list[Path]:
    """Write ``data_dir/pacific/<split>.json`` for each split; a file already intact is kept."""
    folder = data_dir / "pacific"
    folder.mkdir(parents=True, exist_ok=True)
    return download_pinned(
        [
            PinnedFile(file_url(split), folder / FILE_NAMES[split], BLOB_IDS[FILE_NAMES[split]])
            for split in splits
        ]
    )
