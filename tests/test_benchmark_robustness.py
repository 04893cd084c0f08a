"""Le banc d'essai attaques × défenses tourne (version minuscule) et écrit les clés promises."""
import json

import pytest

from benchmarks import robustness


def test_tiny_benchmark_writes_cells(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "robustesse.json"
    assert robustness.main(["--tiny", "--engine", "local", "--json", str(out)]) == 0
    results = json.loads(out.read_text(encoding="utf-8"))
    assert set(results["backdoor/fedavg"]) == {"clean_acc", "auc", "attack_success"}
    assert 0.0 <= results["backdoor/fedavg"]["attack_success"] <= 1.0
    assert 0.0 <= results["none/fedavg"]["clean_acc"] <= 1.0
    dp = results["dp/sigma=0.05"]
    assert dp["epsilon"] > 0 and 0.0 <= dp["mia_auc"] <= 1.0
    table = robustness.table(results)
    assert "| backdoor |" in table and "sigma=0.05" in table
