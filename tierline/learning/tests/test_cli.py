"""`tierline model evaluate` on a CSV the test writes: exact JSON keys and split sizes."""

import csv
import gzip
import io
import json

import pytest
from django.core.management import CommandError, call_command

TEXTS = {"billing": ["invoice charged twice", "refund for double charge", "wrong invoice amount", "card charged"],
         "network": ["no signal at home", "internet down outage", "router offline", "mobile signal lost"]}


def _write(path, rows, gz=False, encoding="utf-8"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["Summary", "Notes", "Channel", "Queue", "Met SLA"])
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    path.write_bytes(gzip.compress(data) if gz else data)
    return str(path)


def _rows():
    rows = []
    for i in range(10):
        for queue, texts in TEXTS.items():
            rows.append([texts[i % 4], f"café note {i}", "email" if queue == "billing" else "phone", queue,
                         "yes" if (i + len(queue)) % 3 else "no"])
    rows += [["", "", "phone", "network", "yes"], ["orphan text", "", "phone", "", "no"]]  # dropped
    return rows


def _run(*args):
    out = io.StringIO()
    call_command("model", "evaluate", *args, "--json", stdout=out, stderr=io.StringIO())
    return json.loads(out.getvalue())


@pytest.mark.parametrize("gz, encoding", [(False, "utf-8"), (True, "cp1252")])
def test_classify_json(tmp_path, gz, encoding):
    path = _write(tmp_path / "desk.csv", _rows(), gz=gz, encoding=encoding)
    got = _run("--csv", path, "--text", "Summary,Notes", "--label", "Queue", "--features", "Channel",
               "--test-fraction", "0.2")
    assert set(got) == {"accuracy", "macro_f1", "n_train", "n_test", "baseline"}
    assert set(got["baseline"]) == {"accuracy", "macro_f1", "n_train", "n_test"}
    # 22 rows; the one without text and the one without a queue are dropped: 20, the last 4 are the test.
    assert (got["n_train"], got["n_test"]) == (16, 4)
    assert 0 <= got["accuracy"] <= 1 and 0 <= got["macro_f1"] <= 1


def test_breach_json(tmp_path):
    path = _write(tmp_path / "desk.csv.gz", _rows(), gz=True)
    got = _run("--csv", path, "--text", "Summary", "--label", "Met SLA", "--task", "breach", "--positive", "no",
               "--test-fraction", "0.25")
    assert set(got) == {"auc", "brier", "n_train", "n_test", "baseline"}
    assert set(got["baseline"]) == {"auc", "brier", "n_train", "n_test"}
    # The row with text but no queue has a "Met SLA": 21 usable, ceil(21 * 0.25) = 6 for the test.
    assert (got["n_train"], got["n_test"]) == (15, 6)
    assert 0 <= got["brier"] <= 1


def test_unknown_column_is_a_clear_error(tmp_path):
    path = _write(tmp_path / "desk.csv", _rows())
    with pytest.raises(CommandError, match="no column 'Team'"):
        _run("--csv", path, "--text", "Summary", "--label", "Team")


def test_breach_without_positive_is_refused(tmp_path):
    path = _write(tmp_path / "desk.csv", _rows())
    with pytest.raises(CommandError, match="--positive"):
        _run("--csv", path, "--text", "Summary", "--label", "Met SLA", "--task", "breach")
