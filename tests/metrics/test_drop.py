"""DROP F1 on cases from the rules of PACIFIC's official evaluator (UniPCQA/tatqa_*.py).

Expected values are computed by hand in each test; the official F1 is rounded to 2
decimals.
"""

from __future__ import annotations

import pytest

from act_bench.metrics.drop import (
    drop_bag_f1,
    drop_f1,
    is_number,
    normalize_answer,
    parse_prediction,
    to_number,
)


class TestNormalization:
    def test_exact_match_scores_one(self) -> None:
        assert drop_f1("fixed-price type", ["fixed-price type"]) == 1.0

    def test_case_articles_and_punctuation_are_ignored(self) -> None:
        assert normalize_answer("The Fixed-Price type.") == "fixedprice type"
        assert drop_f1("The Fixed-Price type.", ["fixed-price type"]) == 1.0

    def test_hyphen_joins_words_so_a_spaced_form_only_partly_matches(self) -> None:
        # {fixed, price, type} vs {fixedprice, type}: P = 1/3, R = 1/2, F1 = 0.4.
        assert drop_f1("fixed price type", ["fixed-price type"]) == 0.4

    def test_partial_overlap(self) -> None:
        # {total, sales, revenue} vs {total, sales}: P = 2/3, R = 1, F1 = 0.8.
        assert drop_f1("total sales revenue", ["total sales"]) == 0.8

    def test_f1_is_rounded_to_two_decimals(self) -> None:
        # {cost, plus} vs {cost, plus, fixed, fee}: P = 1, R = 1/2, F1 = 2/3 -> 0.67.
        assert drop_f1("cost plus", ["cost plus fixed fee"]) == 0.67

    def test_no_overlap_scores_zero(self) -> None:
        assert drop_f1("revenue", ["fixed-price type"]) == 0.0

    def test_numbers_inside_text_are_compared_as_values(self) -> None:
        assert normalize_answer("sales of $1,496.50") == "sales of 1496.5"
        assert drop_f1("sales of $1,496.50", ["sales of 1496.5"]) == 1.0


class TestNumbers:
    def test_commas_and_currency_are_ignored(self) -> None:
        assert to_number("$1,496.5") == 1496.5
        assert drop_f1("$1,496.5", ["1496.5"]) == 1.0
        assert drop_f1("$1,496.6", ["1496.5"]) == 0.0

    def test_negative_numbers(self) -> None:
        assert drop_f1("-12.6", -12.6) == 1.0
        assert drop_f1("12.6", -12.6) == 0.0

    def test_parentheses_mean_negative(self) -> None:
        assert to_number("(134)") == -134
        assert to_number("(39,145)") == -39145
        assert drop_f1("(39,145)", -39145) == 1.0
        assert drop_f1("(39,145)", 39145) == 0.0
        assert drop_f1("-5,062", ["(5,062)"], gold_scale="thousand") == 1.0

    def test_values_are_rounded_to_two_decimals_before_comparison(self) -> None:
        # get_answer_str renders round(value, 2): 1,496.504 and 1,496.5 are equal.
        assert drop_f1("1,496.504", ["1,496.5"]) == 1.0
        assert drop_f1("1,496.51", ["1,496.5"]) == 0.0

    def test_is_number_accepts_a_scale_word_but_no_other_word(self) -> None:
        assert is_number("5.1 million dollars")
        assert not is_number("5 apples")
        assert not is_number("inf")


class TestScales:
    def test_percent_sign_matches_a_percent_scale_gold(self) -> None:
        assert to_number("11.76%") == 0.1176
        assert drop_f1("11.76%", 11.76, gold_scale="percent") == 1.0

    def test_percent_sign_without_a_percent_gold_scale_differs(self) -> None:
        # 0.1176 vs 11.76.
        assert drop_f1("11.76%", 11.76) == 0.0

    def test_bare_number_is_read_in_the_gold_scale(self) -> None:
        assert drop_f1("11.76", 11.76, gold_scale="percent") == 1.0
        assert drop_f1("$1,496.5", ["$1,496.5"], gold_scale="million") == 1.0

    def test_bare_number_is_also_read_as_an_absolute_value(self) -> None:
        # add_percent_pred: 0.2342 is 23.42 percent; 5100000 is 5.1 million.
        assert drop_f1("0.2342", 23.42, gold_scale="percent") == 1.0
        assert drop_f1("5100000", ["$5.1"], gold_scale="million") == 1.0

    def test_scale_words(self) -> None:
        assert to_number("$5.1 million") == 5_100_000
        assert to_number("1.5 thousand") == 1500
        assert to_number("2 billion") == 2_000_000_000
        assert drop_f1("$5.1 million", ["$5.1"], gold_scale="million") == 1.0
        assert drop_f1("$5.1 thousand", ["$5.1"], gold_scale="million") == 0.0
        assert drop_f1("1.5 thousand", 1500) == 1.0

    def test_gold_that_states_its_scale_twice(self) -> None:
        # Data quirk: the span says "million" and so does the scale field.
        assert drop_f1("$3.0 million", ["$3.0 million"], gold_scale="million") == 1.0

    def test_scale_word_after_parenthesized_negative(self) -> None:
        assert to_number("$(9.8) million") == -9_800_000
        assert drop_f1("-9.8 million", ["$(9.8) million"]) == 1.0

    def test_explicit_prediction_scale_follows_the_official_reading(self) -> None:
        # A model that predicts no scale for 5.1 (millions) answers 5.1, not 5,100,000.
        assert drop_f1("5.1", ["$5.1"], gold_scale="million", prediction_scale="") == 0.0
        assert drop_f1("5.1", ["$5.1"], gold_scale="million", prediction_scale="million") == 1.0


class TestMultiSpan:
    GOLD = ["fixed-price type", "cost-plus type", "time-and-material type"]

    def test_order_does_not_matter(self) -> None:
        assert drop_f1(list(reversed(self.GOLD)), self.GOLD) == 1.0
        assert (
            drop_f1("['$0.6 million', '$5.1 million']", ["$5.1", "$0.6"], gold_scale="million")
            == 1.0
        )

    def test_missing_span_scores_the_joined_bags(self) -> None:
        # PACIFIC joins the spans: {fixedprice, costplus, type} vs
        # {fixedprice, costplus, timeandmaterial, type}: P = 1, R = 3/4, F1 = 6/7 -> 0.86.
        assert drop_f1(["fixed-price type", "cost-plus type"], self.GOLD) == 0.86

    def test_bag_alignment_scores_each_span(self) -> None:
        # Aligned bags: 1 + 1 + 0 over 3 gold spans -> 0.67, in either order.
        predicted = ["fixed-price type", "cost-plus type"]
        assert drop_bag_f1(predicted, self.GOLD) == 0.67
        assert drop_bag_f1(list(reversed(predicted)), self.GOLD) == 0.67

    def test_bag_alignment_is_optimal_not_greedy(self) -> None:
        # "cash debt" fits "cash" (2/3) better than "debt equity" (1/2), but giving "cash"
        # to "cash" (1) and "cash debt" to "debt equity" (1/2) sums higher: 1.5 / 2.
        assert drop_bag_f1(["cash debt", "cash"], ["cash", "debt equity"]) == 0.75

    def test_extra_span_is_penalized(self) -> None:
        # One aligned pair scoring 1, divided by 2 predicted spans.
        assert drop_bag_f1(["fixed-price type", "cost-plus type"], ["fixed-price type"]) == 0.5


class TestEmpty:
    @pytest.mark.parametrize("prediction", ["", "   ", "[]", [], None])
    def test_empty_prediction_scores_zero(self, prediction: object) -> None:
        assert drop_f1(prediction, ["fixed-price type"]) == 0.0  # type: ignore[arg-type]

    @pytest.mark.parametrize("gold", ["", [], [""]])
    def test_empty_gold_scores_zero(self, gold: object) -> None:
        assert drop_f1("fixed-price type", gold) == 0.0  # type: ignore[arg-type]

    def test_both_empty_scores_zero(self) -> None:
        assert drop_f1("", "") == 0.0

    def test_bag_f1_of_empty_lists_is_zero(self) -> None:
        assert drop_bag_f1([], ["x"]) == 0.0


class TestParsePrediction:
    def test_list_repr(self) -> None:
        assert parse_prediction("['$5.1 million', '$0.6 million']") == [
            "$5.1 million",
            "$0.6 million",
        ]
        assert parse_prediction("[1.5, 2]") == ["1.5", "2"]

    def test_derivation_gives_the_answer(self) -> None:
        assert parse_prediction("44.1-56.7 = -12.6") == ["-12.6"]
        assert parse_prediction("(73,260-57,768)/57,768 = 26.82") == ["26.82"]

    def test_plain_text_is_one_span(self) -> None:
        assert parse_prediction("Which year are you asking about?") == [
            "Which year are you asking about?"
        ]

    def test_numbers_with_commas_are_not_tuples(self) -> None:
        assert parse_prediction("5,687") == ["5,687"]
        assert parse_prediction("(39,145)") == ["(39,145)"]

    def test_a_multi_line_response_is_scored_whole(self) -> None:
        text = "The revenue streams are:\n1. passenger fares\n2. onboard retail = 2,164"
        assert parse_prediction(text) == [text]
        assert drop_f1(text, ["passenger fares", "onboard retail"]) > 0

    def test_empty_text_gives_no_spans(self) -> None:
        assert parse_prediction("  \n ") == []


class TestActFormatPredictions:
    def test_list_repr_prediction(self) -> None:
        prediction = "['fixed-price type', 'cost-plus type', 'time-and-material type']"
        assert drop_f1(prediction, TestMultiSpan.GOLD) == 1.0

    def test_derivation_prediction(self) -> None:
        assert drop_f1("44.1-56.7 = -12.6", -12.6, gold_scale="million") == 1.0
        assert drop_f1("(44.1-56.7)/56.7 = -22.22", -22.22, gold_scale="percent") == 1.0

    def test_derivation_would_cost_points_if_scored_as_text(self) -> None:
        # Raw text: {441567, -12.6} vs {-12.6}: P = 1/2, R = 1, F1 = 0.67.
        assert drop_bag_f1(["44.1-56.7 = -12.6"], ["-12.6"]) == 0.67

    def test_gold_response_in_act_format_is_parsed_too(self) -> None:
        assert drop_f1("-12.6", "44.1-56.7 = -12.6") == 1.0
        assert drop_f1("['2019']", "['2019']") == 1.0


class TestAnswerType:
    def test_arithmetic_scores_exact_match_only(self) -> None:
        # {about, -12.6} vs {-12.6}: F1 0.67 but no exact match.
        assert drop_f1("about -12.6", -12.6) == 0.67
        assert drop_f1("about -12.6", -12.6, answer_type="arithmetic") == 0.0
        assert drop_f1("-12.60", -12.6, answer_type="arithmetic") == 1.0

    def test_count(self) -> None:
        assert drop_f1("3", "3", answer_type="count") == 1.0
        assert drop_f1("three", "3", answer_type="count") == 0.0

    def test_span_answers_keep_partial_credit(self) -> None:
        assert drop_f1("total sales revenue", ["total sales"], answer_type="span") == 0.8


def test_unsupported_answer_type_raises() -> None:
    with pytest.raises(TypeError):
        drop_f1({"answer": 1}, ["1"])  # type: ignore[arg-type]
