"""The pure maths: the ordered split, metrics, and a suggestion's shape."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import train_test_split

from tierline.learning import ml


@pytest.mark.parametrize("n, fraction, expected", [
    (10, 0.2, (8, 2)), (11, 0.2, (8, 3)), (5, 0.5, (2, 3)), (2, 0.2, (1, 1)), (1532, 0.2, (1225, 307)),
])
def test_split_sizes(n, fraction, expected):
    assert ml.split_sizes(n, fraction) == expected


@pytest.mark.parametrize("n, fraction", [(1, 0.2), (0, 0.5), (10, 0.0), (10, 1.0)])
def test_split_refuses_what_cannot_be_split(n, fraction):
    with pytest.raises(ValueError):
        ml.split_sizes(n, fraction)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(2, 500), fraction=st.floats(0.01, 0.99))
def test_split_keeps_order_and_matches_scikit_learn(n, fraction):
    items = list(range(n))
    if math.ceil(n * fraction) >= n:
        return  # nothing left to train on: refused, covered above
    train, test = ml.ordered_split(items, fraction)
    assert train + test == items
    assert len(test) == math.ceil(n * fraction)
    ref_train, ref_test = train_test_split(items, test_size=fraction, shuffle=False)
    assert (train, test) == (ref_train, ref_test)


def test_rows_with_empty_text_or_label_are_dropped_in_order():
    rows = [["a b", "x", "f1"], ["", "y", "f2"], ["c", "", "f3"], ["  ", "z", "f4"], ["d", "w", "f5"]]
    got = ml.examples_from_rows(rows, text=[0], label=1, features=[2])
    assert [(e.text, e.label, e.fields) for e in got] == [("a b", "x", ("f1",)), ("d", "w", ("f5",))]


@pytest.mark.parametrize("truth, pred, accuracy, macro_f1", [
    (["a", "a", "b", "b"], ["a", "a", "b", "b"], 1.0, 1.0),
    (["a", "a", "b", "b"], ["a", "a", "a", "a"], 0.5, 0.3333),
    (["a", "b"], ["b", "a"], 0.0, 0.0),
])
def test_classify_metrics(truth, pred, accuracy, macro_f1):
    assert ml.classify_metrics(truth, pred) == {"accuracy": accuracy, "macro_f1": macro_f1}


@pytest.mark.parametrize("truth, proba, auc, brier", [
    ([0, 1], [0.0, 1.0], 1.0, 0.0), ([0, 1], [1.0, 0.0], 0.0, 1.0), ([1, 1], [0.5, 0.5], None, 0.25),
])
def test_breach_metrics(truth, proba, auc, brier):
    assert ml.breach_metrics(truth, proba) == {"auc": auc, "brier": brier}


WORDS = {"billing": ["invoice charged twice", "refund for double charge", "wrong invoice amount",
                     "card charged refund", "billing error invoice"],
         "network": ["no signal at home", "internet down outage", "router offline no internet",
                     "mobile signal lost", "outage in the area"]}


def test_a_suggestion_has_a_calibrated_confidence_and_readable_reasons():
    examples = [ml.Example(text, ("email" if label == "billing" else "phone",), label)
                for _ in range(3) for label, texts in WORDS.items() for text in texts]
    model = ml.fit(ml.tierline_model(), examples, [e.label for e in examples])
    s = ml.suggest(model, ml.Example("charged twice, I want a refund", ("email",)), ["channel"])
    assert s.label == "billing"
    assert 0.5 < s.confidence <= 1
    assert s.reasons and any("refund" in r or "charged" in r for r in s.reasons)
    assert all(not r.startswith("char") for r in s.reasons)


def test_evaluate_reports_both_models_on_the_same_split():
    examples = [ml.Example(text, (), label) for _ in range(6) for label, texts in WORDS.items() for text in texts]
    result, _ = ml.evaluate(examples, task="classify", test_fraction=0.25)
    assert (result["n_train"], result["n_test"]) == (45, 15)
    assert result["baseline"]["n_test"] == 15
    assert result["accuracy"] >= result["baseline"]["accuracy"] - 1e-9
