"""Le banc d'essai attaques × défenses tourne (version minuscule, deux graines) et écrit les clés promises."""
import json

from benchmarks import robustness
from utils.statistics import seed_summary


def test_tiny_benchmark_writes_cells_with_a_spread(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "robustesse.json"
    assert robustness.main(["--tiny", "--json", str(out)]) == 0
    results = json.loads(out.read_text(encoding="utf-8"))
    assert results["settings"]["seeds"] == [0, 1] and results["settings"]["split"] == "val"
    backdoor = results["backdoor/fedavg"]
    assert set(backdoor) == {"clean_acc", "auc", "attack_success"}
    for metric in backdoor.values():
        assert set(metric) == {"mean", "sd", "values"} and len(metric["values"]) == 2 and metric["sd"] >= 0
    assert 0.0 <= backdoor["attack_success"]["mean"] <= 1.0
    assert 0.0 <= results["none/fedavg"]["trigger_rate"]["mean"] <= 1.0
    dp = results["dp/sigma=0.05"]
    assert dp["epsilon"] > 0 and 0.5 <= dp["max_attack_auc"] <= dp["max_attack_auc_patient"] <= 1.0
    assert 0.0 <= dp["mia_auc"]["mean"] <= 1.0
    table = robustness.table(results)
    assert "| backdoor |" in table and "sigma=0.05" in table and " ± " in table


def test_table_labels_the_dp_column_with_its_epsilon():
    cell = {"clean_acc": seed_summary([0.7, 0.8]), "attack_success": seed_summary([0.2, 0.4])}
    results = {"settings": {"seeds": [0, 1], "grid_epsilon": 746.8}, "backdoor/fedavg": cell, "backdoor/dp": cell}
    table = robustness.table(results)
    assert "dp (σ = 0.05, ε ≈ 747)" in table and "0.75 ± 0.07 / 0.30 ± 0.14" in table
