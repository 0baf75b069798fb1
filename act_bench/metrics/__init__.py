"""Metrics of App. D: pure functions over answers, actions and episode records."""

from act_bench.metrics.actions import action_accuracy, action_macro_f1
from act_bench.metrics.aggregate import metric_counts, other_mode_metrics, standard_metrics
from act_bench.metrics.drop import drop_bag_f1, drop_f1, parse_prediction
from act_bench.metrics.execution import execution_match, execution_match_result
from act_bench.metrics.similarity import embedding_similarity

__all__ = [
    "action_accuracy",
    "action_macro_f1",
    "drop_bag_f1",
    "drop_f1",
    "embedding_similarity",
    "execution_match",
    "execution_match_result",
    "metric_counts",
    "other_mode_metrics",
    "parse_prediction",
    "standard_metrics",
]
