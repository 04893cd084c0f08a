"""Banc d'essai Fed-Heart-Disease (protocole FLamby) sur le miroir : il tourne, et ses chiffres ont du sens."""
import json

import numpy as np
import pytest

from benchmarks import heart_disease as bench
from utils.data import load_heart_disease
from utils.data.heart_disease_mirror import make_heart_disease_mirror

ACCURACY_KEYS = ("pooled", "local_cleveland", "local_hungarian", "local_switzerland", "local_va",
                 "fedavg", "fedadam", "fedavg_federated_stats")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return load_heart_disease(root=make_heart_disease_mirror(tmp_path_factory.mktemp("heart") / "uci"))


def test_flamby_protocol_sizes(data):
    frame = bench.flamby_features(data)
    assert len(frame) == 740 and len(bench.feature_names(frame)) == 13
    clients = bench.split_hospitals(frame)
    assert {h: (len(c[1]), len(c[3])) for h, c in clients.items()} == {
        "cleveland": (199, 104), "hungarian": (172, 89), "switzerland": (30, 16), "va": (85, 45)}  # tailles FLamby
    for hospital in ("cleveland", "hungarian", "va"):  # séparation stratifiée : des sains et des malades au test
        assert set(clients[hospital][3]) == {0, 1}
    swiss = np.concatenate([clients["switzerland"][1], clients["switzerland"][3]])
    assert (swiss == 0).sum() == 1  # comme le vrai fichier : un seul Suisse sain complet, donc pas de stratification


def test_federated_stats_equal_pooled_stats(data):
    clients = bench.split_hospitals(bench.flamby_features(data))
    arrays = [c[0] for c in clients.values()]
    mean, std = bench.federated_stats(arrays)
    pooled = np.vstack(arrays)
    np.testing.assert_allclose(mean, pooled.mean(axis=0), atol=1e-9)
    np.testing.assert_allclose(std, pooled.std(axis=0, ddof=1), atol=1e-6)


def test_fedavg_is_the_weighted_mean_for_one_round():
    rng = np.random.default_rng(0)
    clients = [(rng.normal(size=(n, 3)), rng.integers(0, 2, n)) for n in (8, 20)]
    start = np.zeros(4)
    result = bench.federated(clients, start, rounds=1, seed=5)
    replay = np.random.default_rng(5)
    updates = [bench.local_sgd(X, y, start, bench.LOCAL_STEPS, bench.CLIENT_LR, replay) for X, y in clients]
    np.testing.assert_allclose(result, (8 * updates[0] + 20 * updates[1]) / 28)


def test_command_line_on_the_mirror_writes_json(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    output = tmp_path / "resultats.json"
    assert bench.main(["--json", str(output), "--seeds", "1"]) == 0
    printed = capsys.readouterr().out
    assert "protocole FLamby" in printed and "miroir" in printed and "0.795" in printed
    results = json.loads(output.read_text(encoding="utf-8"))
    for key in ACCURACY_KEYS:
        assert 0.0 <= results[key] <= 1.0, key
        assert results[f"{key}_std"] == 0.0  # une seule graine
    assert (results["n_patients"], results["n_features"], results["n_test"], results["n_seeds"]) == (740, 13, 254, 1)
    assert "miroir" in results["data"]
    # Sur le miroir : un modèle apprend, et la fédération fait mieux que le pire hôpital seul.
    assert results["pooled"] > 0.75
    assert results["fedavg"] > min(results[k] for k in ACCURACY_KEYS if k.startswith("local_")) + 0.1
    assert results["fedavg_federated_stats"] >= results["fedavg"] - 0.02


def test_command_line_explains_a_bad_folder(tmp_path, capsys):
    assert bench.main(["--data", str(tmp_path / "nulle_part")]) == 2
    assert "Dossier introuvable" in capsys.readouterr().err
