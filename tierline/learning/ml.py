"""The maths of learned routing and breach prediction. No Django: examples in, numbers out.

An example is free text (title and description, or a complaint narrative) plus a few categorical
fields (type, priority, channel, customer tier...). Features are TF-IDF word 1-2-grams, TF-IDF
character 2-5-grams within words (robust to typos and inflections) and one-hot fields; the model
is a logistic regression, whose probabilities are calibrated well enough to be shown as a
confidence and whose coefficients say which words and fields drove a suggestion.

Evaluation keeps the file's order: the last `test_fraction` of the usable rows is the test set,
exactly as `train_test_split(shuffle=False)` cuts it, so a model is always judged on cases that
came after the ones it learned from. The regularisation strength is chosen on a validation
slice carved from the end of the training part; the test set is looked at once, at the end.
The baseline in the same run is the plain recipe: default TF-IDF + linear SVM (logistic
regression for breach, which needs probabilities for the Brier score).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, brier_score_loss, f1_score, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.svm import LinearSVC

TASKS = ("classify", "breach")
C_GRID = (0.1, 0.3, 1.0)
CV_FOLDS = 3
# Below this many training rows a validation slice is too small to choose anything.
MIN_TUNE = 40


@dataclass(frozen=True)
class Example:
    text: str
    fields: tuple[str, ...] = ()
    label: str = ""


def examples_from_rows(rows: Sequence[Sequence[str]], *, text: Sequence[int], label: int,
                       features: Sequence[int] = ()) -> list[Example]:
    """Rows to examples, in order; a row whose text (all text columns together) or label is empty
    is dropped."""
    out = []
    for row in rows:
        body = "\n".join(row[i].strip() for i in text if row[i].strip())
        target = row[label].strip()
        if body and target:
            out.append(Example(body, tuple(row[i].strip() for i in features), target))
    return out


def split_sizes(n: int, test_fraction: float) -> tuple[int, int]:
    """(n_train, n_test): the test set is ceil(n * fraction) rows, as scikit-learn rounds it."""
    if not 0 < test_fraction < 1:
        raise ValueError("test fraction must be between 0 and 1 (exclusive)")
    n_test = math.ceil(n * test_fraction)
    n_train = n - n_test
    if n_train < 1 or n_test < 1:
        raise ValueError(f"{n} usable rows cannot be split into a training and a test set")
    return n_train, n_test


def ordered_split(items: Sequence, test_fraction: float) -> tuple[list, list]:
    n_train, _ = split_sizes(len(items), test_fraction)
    return list(items[:n_train]), list(items[n_train:])


class Featuriser(BaseEstimator, TransformerMixin):
    """(text, fields) pairs to one sparse matrix: word TF-IDF | char TF-IDF | one-hot fields."""

    def __init__(self, char: bool = True, word_ngrams: tuple[int, int] = (1, 2), plain: bool = False):
        self.char = char
        self.word_ngrams = word_ngrams
        self.plain = plain

    def _blocks(self):
        return [b for b in (self.word_, self.char_) if b is not None]

    def fit(self, X, y=None):
        texts = [x.text for x in X]
        if self.plain:
            self.word_ = TfidfVectorizer().fit(texts)
            self.char_ = None
        else:
            self.word_ = _fit_or_none(TfidfVectorizer(ngram_range=self.word_ngrams, sublinear_tf=True,
                                                      min_df=1, max_features=200_000), texts)
            self.char_ = (_fit_or_none(TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True,
                                                       min_df=2 if len(texts) > 50 else 1,
                                                       max_features=200_000), texts)
                          if self.char else None)
        self.n_fields_ = len(X[0].fields) if len(X) else 0
        self.onehot_ = (OneHotEncoder(handle_unknown="ignore").fit([list(x.fields) for x in X])
                        if self.n_fields_ else None)
        return self

    def transform(self, X):
        texts = [x.text for x in X]
        parts = [block.transform(texts) for block in self._blocks()]
        if self.onehot_ is not None:
            parts.append(self.onehot_.transform([list(x.fields) for x in X]))
        if not parts:
            return sp.csr_matrix((len(X), 0))
        return sp.hstack(parts, format="csr")

    def names(self, field_names: Sequence[str] = ()) -> list[tuple[str, str]]:
        """(kind, readable name) per column: ("word", "refund"), ("char", "efun"), ("field", "channel=phone")."""
        out = []
        if self.word_ is not None:
            out += [("word", w) for w in self.word_.get_feature_names_out()]
        if self.char_ is not None:
            out += [("char", c) for c in self.char_.get_feature_names_out()]
        if self.onehot_ is not None:
            for i, cats in enumerate(self.onehot_.categories_):
                label = field_names[i] if i < len(field_names) else f"field{i}"
                out += [("field", f"{label}={c}") for c in cats]
        return out


def _fit_or_none(vectorizer: TfidfVectorizer, texts: list[str]):
    try:
        return vectorizer.fit(texts)
    except ValueError:  # empty vocabulary: every text is stop words or punctuation
        return None


class Constant(BaseEstimator):
    """A training set with one class: predict it, with certainty."""

    def fit(self, X, y):
        self.classes_ = np.array(sorted(set(y)))
        return self

    def predict(self, X):
        return np.array([self.classes_[0]] * len(X))

    def predict_proba(self, X):
        return np.ones((len(X), 1))


def tierline_model(C: float = 0.3, class_weight: str | None = None) -> Pipeline:
    """Linear SVM on word + char + field features, Platt-calibrated on 3 folds; ensemble=False keeps
    one SVM (fitted on all rows) whose coefficients explain a suggestion."""
    svm = LinearSVC(C=C, class_weight=class_weight)
    return Pipeline([("features", Featuriser()),
                     ("model", CalibratedClassifierCV(svm, method="sigmoid", cv=CV_FOLDS, ensemble=False))])


def baseline_model(task: str) -> Pipeline:
    model = LinearSVC() if task == "classify" else LogisticRegression(max_iter=3000)
    return Pipeline([("features", Featuriser(plain=True)), ("model", model)])


def learnable(X: Sequence[Example], y: Sequence[str], min_count: int = CV_FOLDS) -> tuple[list, list]:
    """Rows whose label occurs at least `min_count` times: rarer labels cannot be learned (nor
    calibrated on 3 folds); such a test row simply counts as an error."""
    counts = Counter(y)
    keep = [i for i, label in enumerate(y) if counts[label] >= min_count]
    return [X[i] for i in keep], [y[i] for i in keep]


def fit(pipeline: Pipeline, X: Sequence[Example], y: Sequence[str], *, calibrated: bool = True) -> Pipeline:
    if calibrated:
        X, y = learnable(X, y)
    if len(set(y)) < 2:
        return Pipeline([("model", Constant())]).fit(list(X) or [Example("")], list(y) or [""])
    return pipeline.fit(list(X), list(y))


def positive_proba(model: Pipeline, X, positive: str) -> np.ndarray:
    classes = list(model.classes_)
    if positive not in classes:
        return np.zeros(len(X))
    return model.predict_proba(list(X))[:, classes.index(positive)]


def classify_metrics(y_true: Sequence[str], y_pred: Sequence[str]) -> dict:
    return {"accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
            "macro_f1": round(float(f1_score(y_true, y_pred, average="macro", zero_division=0)), 4)}


def breach_metrics(y_true: Sequence[int], proba: Sequence[float]) -> dict:
    """AUC is undefined (None) when the test set holds one class only."""
    auc = roc_auc_score(y_true, proba) if len(set(y_true)) == 2 else None
    return {"auc": None if auc is None else round(float(auc), 4),
            "brier": round(float(brier_score_loss(y_true, proba, pos_label=1)), 4)}


def score(task: str, model, X, y, positive: str | None) -> dict:
    if task == "classify":
        return classify_metrics(y, model.predict(list(X)))
    return breach_metrics([int(v == positive) for v in y], positive_proba(model, X, positive))


def _rank(task: str, metrics: dict) -> float:
    if task == "classify":
        return metrics["accuracy"] + metrics["macro_f1"]
    return (metrics["auc"] or 0.5) - metrics["brier"]


@dataclass
class Tuning:
    C: float
    class_weight: str | None
    tried: list[dict] = field(default_factory=list)


def tune(task: str, X: Sequence[Example], y: Sequence[str], positive: str | None = None,
         grid: Sequence[float] = C_GRID) -> Tuning:
    """Choose C (and class weighting for classification) on the last 20 % of the training rows.
    Candidates are plain SVMs on features built once: calibration barely moves their ranking and
    would triple the cost."""
    if len(X) < MIN_TUNE:
        return Tuning(C=0.3, class_weight=None)
    fit_X, val_X = ordered_split(X, 0.2)
    fit_y, val_y = ordered_split(y, 0.2)
    if len(set(fit_y)) < 2:
        return Tuning(C=0.3, class_weight=None)
    features = Featuriser().fit(fit_X)
    A, B = features.transform(fit_X), features.transform(val_X)
    weights = (None, "balanced") if task == "classify" else (None,)
    tried = []
    for weight in weights:
        for C in grid:
            svm = LinearSVC(C=C, class_weight=weight).fit(A, fit_y)
            if task == "classify":
                metrics = classify_metrics(val_y, svm.predict(B))
            else:
                margin = svm.decision_function(B)
                if svm.classes_[1] != positive:
                    margin = -margin
                truth = [int(v == positive) for v in val_y]
                metrics = {"auc": (round(float(roc_auc_score(truth, margin)), 4)
                                   if len(set(truth)) == 2 else None), "brier": 0.0}
            tried.append({"C": C, "class_weight": weight, **metrics})
    best = max(tried, key=lambda t: _rank(task, t))
    return Tuning(C=best["C"], class_weight=best["class_weight"], tried=tried)


def evaluate(examples: Sequence[Example], *, task: str = "classify", positive: str | None = None,
             test_fraction: float = 0.2) -> tuple[dict, Tuning]:
    """The Tierline model and the baseline, trained on the same first rows, scored on the same last rows."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)}")
    if task == "breach" and positive is None:
        raise ValueError("breach needs the label value that means a breach (--positive)")
    train, test = ordered_split(examples, test_fraction)
    X_train, y_train = train, [e.label for e in train]
    X_test, y_test = test, [e.label for e in test]
    sizes = {"n_train": len(train), "n_test": len(test)}
    tuning = tune(task, X_train, y_train, positive)
    ours = fit(tierline_model(tuning.C, tuning.class_weight), X_train, y_train)
    base = fit(baseline_model(task), X_train, y_train, calibrated=False)
    result = {**score(task, ours, X_test, y_test, positive), **sizes,
              "baseline": {**score(task, base, X_test, y_test, positive), **sizes}}
    return result, tuning


@dataclass(frozen=True)
class Suggestion:
    label: str
    confidence: float  # the calibrated probability of `label`, in [0, 1]
    reasons: tuple[str, ...]  # the words and fields that pushed most towards `label`


def suggest(model: Pipeline, example: Example, field_names: Sequence[str] = (), top: int = 4) -> Suggestion:
    """The most probable label, its probability, and the features with the largest contribution
    (value x the SVM's coefficient). Character n-grams are left out of the reasons: a person
    reads "refund" and "channel=email", not "efun"."""
    proba = model.predict_proba([example])[0]
    best = int(np.argmax(proba))
    label = str(model.classes_[best])
    if "features" not in model.named_steps:
        return Suggestion(label, float(proba[best]), ())
    features: Featuriser = model.named_steps["features"]
    calibrated = model.named_steps["model"]
    svm = calibrated.calibrated_classifiers_[0].estimator
    row = features.transform([example]).tocsr()
    coef = svm.coef_
    if coef.shape[0] == 1:  # binary: one weight vector, for classes_[1]
        weights = coef[0] if best == 1 else -coef[0]
    else:
        weights = coef[best]
    names = features.names(field_names)
    contributions = [(row.data[k] * weights[j], j) for k, j in enumerate(row.indices)]
    reasons = [names[j][1] if names[j][0] == "field" else f'"{names[j][1]}"'
               for value, j in sorted(contributions, reverse=True) if value > 0 and names[j][0] != "char"]
    return Suggestion(label, round(float(proba[best]), 4), tuple(reasons[:top]))
