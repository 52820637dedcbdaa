"""Recurring issues: escalations grouped by root cause, type and similar wording. No Django.

Within each (root cause, type) partition, titles and descriptions become TF-IDF vectors and are
clustered by cosine distance: average-linkage agglomerative clustering cut at `threshold` for
up to EXACT_LIMIT items (exact, deterministic), DBSCAN with the same radius beyond that (no
n x n matrix). A group is "recurring" when it holds at least `min_size` escalations. Each group
carries its counts per week or month, so the report shows whether it is growing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.cluster import DBSCAN, AgglomerativeClustering
from sklearn.feature_extraction.text import TfidfVectorizer

EXACT_LIMIT = 3000
PERIODS = ("week", "month")


@dataclass(frozen=True)
class Item:
    id: int
    created_at: dt.datetime
    title: str
    description: str = ""
    type: str = ""
    root_cause: str = ""  # the taxonomy path, or "" when none is assigned


@dataclass(frozen=True)
class Group:
    root_cause: str
    type: str
    label: str  # the words that most set this group apart
    ids: tuple[int, ...]
    first_seen: dt.datetime
    last_seen: dt.datetime
    counts: dict[dt.date, int] = field(default_factory=dict)  # period start -> escalations

    @property
    def size(self) -> int:
        return len(self.ids)


def period_start(when: dt.datetime | dt.date, period: str) -> dt.date:
    day = when.date() if isinstance(when, dt.datetime) else when
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    raise ValueError(f"period must be one of {PERIODS}")


def period_range(first: dt.date, last: dt.date, period: str) -> list[dt.date]:
    out, cur = [], period_start(first, period)
    while cur <= last:
        out.append(cur)
        cur = cur + dt.timedelta(days=7) if period == "week" else (cur.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return out


def _text(item: Item) -> str:
    # The title says what it is about; it counts twice against a long description.
    return f"{item.title}. {item.title}. {item.description}"


def _clusters(matrix, threshold: float, min_size: int) -> list[list[int]]:
    n = matrix.shape[0]
    if n == 1:
        return [[0]]
    if n <= EXACT_LIMIT:
        similarity = (matrix @ matrix.T).toarray()
        distance = np.clip(1.0 - similarity, 0.0, 2.0)
        np.fill_diagonal(distance, 0.0)
        labels = AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average",
                                         distance_threshold=threshold).fit_predict(distance)
    else:
        labels = DBSCAN(eps=threshold, min_samples=max(2, min_size), metric="cosine").fit_predict(matrix)
        # DBSCAN's noise (-1) are singletons, not one group.
        next_label = labels.max() + 1
        for i in np.flatnonzero(labels == -1):
            labels[i] = next_label
            next_label += 1
    members: dict[int, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        members[int(label)].append(index)
    return list(members.values())


def group(items: Iterable[Item], *, threshold: float = 0.7, min_size: int = 2, period: str = "week",
          by_root_cause: bool = True, by_type: bool = True) -> list[Group]:
    """Recurring groups, largest first (ties: most recent first, then lowest id)."""
    if not 0.0 < threshold < 1.0:
        raise ValueError("threshold is a cosine distance between 0 and 1")
    if min_size < 1:
        raise ValueError("min_size is at least 1")
    period_start(dt.date(2000, 1, 1), period)  # validates
    items = sorted(items, key=lambda i: i.id)
    if not items:
        return []
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, ngram_range=(1, 1), min_df=1,
                                 token_pattern=r"(?u)\b[^\W\d_][\w'-]+\b")
    try:
        matrix = vectorizer.fit_transform([_text(i) for i in items]).tocsr()
        vocabulary = vectorizer.get_feature_names_out()
    except ValueError:  # nothing but stop words and numbers
        matrix, vocabulary = None, []
    texts = [_text(i).casefold() for i in items]
    partitions: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        partitions[(item.root_cause if by_root_cause else "", item.type if by_type else "")].append(index)
    groups = []
    for (cause, kind), indexes in partitions.items():
        if matrix is None:  # no words at all: nothing to be similar by
            clusters = [[n] for n in range(len(indexes))]
        else:
            # Identical texts (a desk's stock titles) are clustered once: fewer rows for the
            # n x n distances, and no chaining through piles of duplicates.
            same: dict[str, list[int]] = defaultdict(list)
            for n, index in enumerate(indexes):
                same[texts[index]].append(n)
            reps = list(same.values())
            rep_clusters = _clusters(matrix[[indexes[r[0]] for r in reps]], threshold, min_size)
            clusters = [sorted(n for r in cluster for n in reps[r]) for cluster in rep_clusters]
        for cluster in clusters:
            if len(cluster) < min_size:
                continue
            chosen = [indexes[c] for c in cluster]
            members = [items[c] for c in chosen]
            groups.append(Group(
                root_cause=cause, type=kind, label=_label(matrix, vocabulary, chosen), ids=tuple(m.id for m in members),
                first_seen=min(m.created_at for m in members), last_seen=max(m.created_at for m in members),
                counts=dict(sorted(Counter(period_start(m.created_at, period) for m in members).items())),
            ))
    groups.sort(key=lambda g: (-g.size, -g.last_seen.timestamp(), g.ids[0]))
    return groups


def _label(matrix, vocabulary: Sequence[str], rows: list[int], words: int = 3) -> str:
    if matrix is None or not len(vocabulary):
        return ""
    weights = np.asarray(matrix[rows].mean(axis=0)).ravel()
    top = [int(i) for i in np.argsort(-weights, kind="stable")[: words * 3] if weights[i] > 0]
    chosen: list[str] = []
    for i in top:
        term = vocabulary[i]
        # Skip a word already inside a chosen phrase (and a phrase made of chosen words).
        if any(term in c or c in term for c in chosen):
            continue
        chosen.append(term)
        if len(chosen) == words:
            break
    return ", ".join(chosen)


def timeline(groups: Sequence[Group], period: str) -> tuple[list[dt.date], list[list[int]]]:
    """Every period from the first group's first escalation to the last one's, with each group's counts."""
    if not groups:
        return [], []
    first = min(g.first_seen for g in groups).date()
    last = max(g.last_seen for g in groups).date()
    axis = period_range(first, last, period)
    return axis, [[g.counts.get(p, 0) for p in axis] for g in groups]
