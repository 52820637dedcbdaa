"""`tierline model evaluate` (a CSV export, no database) and `tierline model train --tenant CODE`."""

from __future__ import annotations

import json
import warnings

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tierline.learning import ml, routing_models, tabular
from tierline.tenancy.models import Tenant


def _columns(value: str) -> list[str]:
    return [c.strip() for c in value.split(",") if c.strip()]


class Command(BaseCommand):
    help = "Learned routing: evaluate on a CSV export, or train a tenant's routing model."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        ev = sub.add_parser("evaluate", help="train on the first rows of a CSV, score on the last, beside a baseline")
        ev.add_argument("--csv", required=True, help="CSV file, optionally gzipped")
        ev.add_argument("--text", required=True, help="text column(s), comma-separated")
        ev.add_argument("--label", required=True, help="the column to predict")
        ev.add_argument("--features", default="", help="categorical columns, comma-separated")
        ev.add_argument("--task", choices=ml.TASKS, default="classify")
        ev.add_argument("--positive", help="breach: the label value that is the positive class")
        ev.add_argument("--test-fraction", type=float, default=0.2)
        ev.add_argument("--json", action="store_true", help="print the figures as JSON")
        tr = sub.add_parser("train", help="train the routing model of one tenant from its own escalations")
        tr.add_argument("--tenant", required=True, help="tenant code")
        tr.add_argument("--json", action="store_true")

    def handle(self, *args, verb, **opts):
        with warnings.catch_warnings():
            # Rare classes in a fold and non-converged SVMs on tiny sets are expected, not news.
            warnings.simplefilter("ignore")
            if verb == "evaluate":
                return self.evaluate(**opts)
            return self.train(**opts)

    def evaluate(self, *, csv, text, label, features, task, positive, test_fraction, json: bool, **_):
        if task == "breach" and positive is None:
            raise CommandError("--task breach needs --positive VALUE (the label value that means a breach)")
        try:
            header, rows, encoding = tabular.read_csv(csv)
            text_idx = tabular.column_index(header, _columns(text), "--text")
            label_idx = tabular.column_index(header, [label], "--label")[0]
            feature_names = _columns(features)
            feature_idx = tabular.column_index(header, feature_names, "--features")
            examples = ml.examples_from_rows(rows, text=text_idx, label=label_idx, features=feature_idx)
            result, tuning = ml.evaluate(examples, task=task, positive=positive, test_fraction=test_fraction)
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc))
        self.stderr.write(f"{len(rows)} rows ({encoding}), {len(examples)} usable; chose C={tuning.C} "
                          f"class_weight={tuning.class_weight} on a validation slice of the training rows")
        if json:
            self.stdout.write(_dumps(result))
            return
        keys = ("accuracy", "macro_f1") if task == "classify" else ("auc", "brier")
        self.stdout.write(f"{'':10} " + " ".join(f"{k:>9}" for k in keys))
        for name, figures in (("tierline", result), ("baseline", result["baseline"])):
            self.stdout.write(f"{name:10} " + " ".join(f"{str(figures[k]):>9}" for k in keys))
        self.stdout.write(f"train {result['n_train']} rows, test {result['n_test']} rows (the last ones)")

    def train(self, *, tenant, json: bool, **_):
        found = Tenant.objects.filter(code__iexact=tenant).first()
        if found is None:
            raise CommandError(f"no tenant {tenant!r}")
        try:
            artefact = routing_models.train(found, now=timezone.now(), show_progress=True)
        except ValueError as exc:
            raise CommandError(str(exc))
        if json:
            self.stdout.write(_dumps({"version": artefact.version, "card": artefact.card}))
        else:
            card = artefact.card
            self.stdout.write(f"{found.code} routing model v{artefact.version}: {card['n_rows']} escalations "
                              f"{card['period']['from']} .. {card['period']['to']}")
            for target, figures in card["targets"].items():
                self.stdout.write(f"  {target:9} {figures}")


def _dumps(value) -> str:
    return json.dumps(value, indent=2, sort_keys=False)
