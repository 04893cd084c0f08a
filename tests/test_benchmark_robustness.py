"""Le banc d'essai attaques × défenses tourne (version minuscule, deux graines) et écrit les clés promises."""
import json

from benchmarks import robustness


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


def test_summary_is_mean_and_sample_sd():
    cell = robustness.summary([0.5, 0.7])
    assert cell["mean"] == 0.6 and abs(cell["sd"] - 0.1414) < 1e-4
    assert robustness.summary([0.3])["sd"] == 0.0


def test_table_labels_the_dp_column_with_its_epsilon():
    cell = {"clean_acc": robustness.summary([0.7, 0.8]), "attack_success": robustness.summary([0.2, 0.4])}
    results = {"settings": {"seeds": [0, 1], "grid_epsilon": 746.8}, "backdoor/fedavg": cell, "backdoor/dp": cell}
    table = robustness.table(results)
    assert "dp (σ = 0.05, ε ≈ 747)" in table and "0.75 ± 0.07 / 0.30 ± 0.14" in table
