"""Training a tenant's routing model from its own escalations, and asking it for a suggestion.

One model per target (team, type, priority), each fed the title and description plus the other
fields known at intake. Reads are filtered by the tenant first and only: a model of tenant A is
built from A's rows and can only name A's teams. Held-out figures on the card come from the
newest 20 % of the history (trained on the older rows); the stored model is then refitted on all.
"""

from __future__ import annotations

import datetime as dt
import io
import warnings

import joblib

from tierline.escalations.models import Escalation
from tierline.learning import ml
from tierline.learning.models import LearningSettings, RoutingModel
from tierline.learning.tabular import progress
from tierline.tenancy.models import Team

# target -> the fields beside the text it may use (never itself).
TARGETS = {
    "team": ("type", "priority", "channel", "customer_tier"),
    "type": ("priority", "channel", "customer_tier"),
    "priority": ("type", "channel", "customer_tier"),
}
MIN_ROWS = 6
_LOADED: dict[tuple[int, int], dict] = {}


def history(tenant_id: int) -> list[dict]:
    rows = (Escalation.objects.filter(tenant_id=tenant_id)
            .order_by("created_at", "id")
            .values("title", "description", "type", "priority", "channel", "customer__tier", "team_id",
                    "created_at"))
    return [{**r, "customer_tier": r["customer__tier"] or "none", "team": str(r["team_id"])} for r in rows]


def _example(row: dict, target: str) -> ml.Example:
    return ml.Example(f"{row['title']}\n{row.get('description') or ''}",
                      tuple(str(row[f]) for f in TARGETS[target]), str(row.get(target, "")))


def train(tenant, *, now: dt.datetime, show_progress: bool = False) -> RoutingModel:
    rows = history(tenant.pk)
    if len(rows) < MIN_ROWS:
        raise ValueError(f"{tenant.code} has {len(rows)} escalations; at least {MIN_ROWS} are needed to learn from")
    models, figures = {}, {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rare classes per fold on small histories are expected
        for target in progress(list(TARGETS), total=len(TARGETS), desc=f"training {tenant.code}",
                               enabled=show_progress):
            examples = [_example(r, target) for r in rows]
            labels = [e.label for e in examples]
            train_part, test_part = ml.ordered_split(examples, 0.2)
            held = ml.fit(ml.tierline_model(), train_part, [e.label for e in train_part])
            figures[target] = {**ml.score("classify", held, test_part, [e.label for e in test_part], None),
                               "n_train": len(train_part), "n_test": len(test_part),
                               "classes": len(set(labels))}
            models[target] = ml.fit(ml.tierline_model(), examples, labels)
    buffer = io.BytesIO()
    joblib.dump({"models": models, "fields": TARGETS}, buffer, compress=3)
    version = (RoutingModel.objects.filter(tenant=tenant).order_by("-version")
               .values_list("version", flat=True).first() or 0) + 1
    card = {"tenant": tenant.code, "version": version, "trained_at": now.isoformat(), "n_rows": len(rows),
            "period": {"from": rows[0]["created_at"].date().isoformat(), "to": rows[-1]["created_at"].date().isoformat()},
            "held_out": "the newest 20 % of the history, scored by a model trained on the older rows",
            "inputs": {t: ["title", "description", *f] for t, f in TARGETS.items()},
            "targets": figures, "model": "TF-IDF word+char n-grams and one-hot fields, calibrated linear SVM"}
    return RoutingModel.objects.create(tenant=tenant, version=version, trained_at=now, card=card,
                                       artefact=buffer.getvalue())


def latest(tenant_id: int) -> RoutingModel | None:
    return RoutingModel.objects.filter(tenant_id=tenant_id).defer("artefact").order_by("-version").first()


def _load(row: RoutingModel) -> dict:
    key = (row.tenant_id, row.version)
    if key not in _LOADED:
        blob = RoutingModel.objects.filter(pk=row.pk).values_list("artefact", flat=True).get()
        _LOADED[key] = joblib.load(io.BytesIO(bytes(blob)))
    return _LOADED[key]


def threshold(tenant_id: int) -> float:
    found = LearningSettings.objects.filter(tenant_id=tenant_id).values_list("auto_route_threshold", flat=True).first()
    return 1.01 if found is None else found


def suggest(tenant_id: int, *, title: str, description: str = "", type: str, priority: str, channel: str,
            customer_tier: str | None) -> dict | None:
    """{"version", "team": {...}, "type": {...}, "priority": {...}} or None without a model. The
    team entry names a Team of this tenant (or is left out when that team is gone)."""
    row = latest(tenant_id)
    if row is None:
        return None
    bundle = _load(row)
    case = {"title": title, "description": description, "type": type, "priority": priority, "channel": channel,
            "customer_tier": customer_tier or "none"}
    out: dict = {"version": row.version}
    for target, model in bundle["models"].items():
        fields = bundle["fields"][target]
        s = ml.suggest(model, _example(case, target), fields)
        entry = {"label": s.label, "confidence": s.confidence, "reasons": list(s.reasons)}
        if target == "team":
            team = Team.objects.filter(tenant_id=tenant_id, pk=int(s.label)).first() if s.label.isdigit() else None
            if team is None:
                continue
            entry["team"] = team
            entry["label"] = team.name
        out[target] = entry
    return out
