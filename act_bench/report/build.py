"""Building a report file: one run directory gives a run report, two a comparison."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from act_bench.errors import ConfigError
from act_bench.report.compare import comparison_report
from act_bench.report.page import run_report
from act_bench.report.run import load_run

REPORT_FILE = "report.html"


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """``act-bench report``'s arguments: one or two run directories and where to write.

    ``output`` None: ``RUN_DIR/report.html``, or for two runs
    ``RUN_A/compare-<name of RUN_B>.html``.
    """

    run_dirs: tuple[Path, ...]
    output: Path | None = None

    def target(self) -> Path:
        if self.output is not None:
            return Path(self.output)
        first = Path(self.run_dirs[0])
        if len(self.run_dirs) == 1:
            return first / REPORT_FILE
        return first / f"compare-{Path(self.run_dirs[1]).resolve().name}.html"


def build_report(run_dirs: Sequence[Path]) -> str:
    """The HTML of the report on ``run_dirs`` (one run, or two side by side)."""
    if len(run_dirs) not in (1, 2):
        raise ConfigError(f"report takes one or two run directories, got {len(run_dirs)}")
    runs = [load_run(Path(path)) for path in run_dirs]
    return run_report(runs[0]) if len(runs) == 1 else comparison_report(*runs)


def write_report(request: ReportRequest) -> Path:
    """Write the report to :meth:`ReportRequest.target` and return that path."""
    target = request.target()
    if target.is_dir():
        raise ConfigError(f"--output {target} is a directory; name an .html file")
    text = build_report(request.run_dirs)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot write {target}: {error.strerror}") from None
    return target
