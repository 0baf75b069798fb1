"""Run reports: ``act-bench report RUN_DIR`` (one run) and ``RUN_A RUN_B`` (two, side by side)."""

from act_bench.report.build import ReportRequest, build_report, write_report

__all__ = ["ReportRequest", "build_report", "write_report"]
