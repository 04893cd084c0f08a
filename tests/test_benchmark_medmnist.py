"""Banc d'essai PneumoniaMNIST : il tourne de bout en bout sur un petit miroir et écrit les chiffres promis."""
import json

import numpy as np
import pytest

from benchmarks import medmnist as bench
from utils.data.medmnist import read_npz
from utils.data.medmnist_mirror import make_medmnist_mirror

TINY = {"train": 180, "val": 60, "test": 90}
KEYS = ("test_auc", "test_acc", "pooled_auc", "fedavg_auc", "fedprox_auc", "fedbn_auc")


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory):
    return make_medmnist_mirror("pneumoniamnist", root=tmp_path_factory.mktemp("bench"), counts=TINY)


def test_hospitals_are_non_iid_and_cover_the_splits(tiny_file):
    data = read_npz(tiny_file)
    hospitals = bench.make_hospitals(data)
    assert list(hospitals) == ["A", "B", "C"]
    for split, n in TINY.items():
        assert sum(len(h[split][1]) for h in hospitals.values()) == n
    shares = [h["train"][1].mean() for h in hospitals.values()]
    assert max(shares) - min(shares) > 0.1  # déséquilibre des étiquettes (Dirichlet)
    means = [h["test"][0].mean() for h in hospitals.values()]
    assert max(means) - min(means) > 0.03   # décalage d'appareil
    assert all(h["train"][0].shape[1:] == (28, 28, 1) for h in hospitals.values())


def test_benchmark_runs_end_to_end(tiny_file, tmp_path, capsys):
    output = tmp_path / "resultats.json"
    assert bench.main(["--data", str(tiny_file), "--epochs", "1", "--rounds", "1", "--json", str(output)]) == 0
    results = json.loads(output.read_text())
    for key in KEYS:
        assert 0.0 <= results[key] <= 1.0, key
    assert set(results["seconds"]) >= {"reference", "pooled", "fedavg", "fedprox", "fedbn", "total"}
    assert results["best_federated"] in ("fedavg", "fedprox", "fedbn")
    assert np.isclose(results["gap_to_pooled"], results["pooled_auc"] - results[f"{results['best_federated']}_auc"])
    out = capsys.readouterr().out
    assert "MedMNIST v2 ResNet-18" in out and "fedbn" in out


def test_bad_data_is_a_clear_error(tmp_path, capsys):
    assert bench.main(["--data", str(tmp_path / "absent.npz")]) == 2
    assert "introuvable" in capsys.readouterr().err
