"""Le projet final : l'application Flower (`semaine_6_a_8/projet_final`) — disposition, stratégies, données,
agrégation sécurisée. Les runs passent par le moteur de simulation de Flower dans ce processus."""
import sys
import tomllib

import numpy as np
import pytest

from utils.federated.flower_app import app_run_config, find_app, run_app_in_process, toml_overrides

APP = find_app()
sys.path.insert(0, str(APP))

from consortium import server_app, task  # noqa: E402


def test_the_app_has_flower_layout_and_every_consortium_choice_is_run_config():
    project = tomllib.loads((APP / "pyproject.toml").read_text(encoding="utf-8"))
    components = project["tool"]["flwr"]["app"]["components"]
    assert components == {"serverapp": "consortium.server_app:app", "clientapp": "consortium.client_app:app"}
    for module in ("client_app", "server_app", "task"):
        assert (APP / "consortium" / f"{module}.py").exists()
    config = project["tool"]["flwr"]["app"]["config"]
    for key in ("strategy", "num-server-rounds", "local-epochs", "differential-privacy", "secure-aggregation",
                "num-hospitals", "malicious-hospital", "results-dir"):
        assert key in config, key
    assert config["num-hospitals"] == 3
    assert (APP / "README.md").exists() and (APP / "docker" / "compose.yml").exists()


def test_every_strategy_name_builds_flower_s_own_strategy():
    from flwr.serverapp import strategy as flower

    base = app_run_config(APP)
    expected = {"fedavg": flower.FedAvg, "fedprox": flower.FedProx, "fedmedian": flower.FedMedian,
                "fedtrimmedavg": flower.FedTrimmedAvg, "krum": flower.Krum}
    assert set(expected) == set(server_app.STRATEGIES)
    for name, cls in expected.items():
        assert type(server_app.make_strategy({**base, "strategy": name})) is cls
    private = server_app.make_strategy({**base, "strategy": "fedprox", "differential-privacy": True})
    assert isinstance(private, flower.DifferentialPrivacyServerSideFixedClipping)
    assert private.noise_multiplier == base["dp-noise-multiplier"] and private.clipping_norm == base["dp-clipping-norm"]
    with pytest.raises(ValueError, match="robuste"):
        server_app.make_strategy({**base, "strategy": "krum", "differential-privacy": True})
    with pytest.raises(ValueError, match="stratégie inconnue"):
        server_app.make_strategy({**base, "strategy": "fedsgd"})


def test_run_config_overrides_are_checked_and_written_as_toml():
    with pytest.raises(KeyError, match="clés inconnues"):
        app_run_config(APP, {"num-rounds": 3})
    assert toml_overrides({"strategy": "fedprox", "secure-aggregation": True, "proximal-mu": 0.1,
                           "num-server-rounds": 2}) == \
        'strategy="fedprox" secure-aggregation=true proximal-mu=0.1 num-server-rounds=2'


def test_hospitals_split_train_and_validation_without_overlap_and_never_see_the_test():
    data = task.load_breastmnist("offline")
    proportions = task.hospital_proportions(3, alpha=1.0, seed=42)
    np.testing.assert_allclose(proportions.sum(axis=1), 1.0)
    for split, seed in (("train", 42), ("val", 43)):
        y = data[split][1]
        parts = [task.hospital_indices(y, proportions, h, seed) for h in range(3)]
        assert sum(len(p) for p in parts) == len(y)  # chaque exemple va à un hôpital...
        assert len(np.unique(np.concatenate(parts))) == len(y)  # ... et à un seul
    hospital = task.load_hospital_data(0, 3, source="offline")
    assert set(hospital) == {"x", "y", "x_val", "y_val"}  # le test commun n'est donné à personne
    assert set(np.unique(hospital["y"])) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="partition-id"):
        task.load_hospital_data(3, 3, source="offline")


def test_a_fresh_process_model_forgets_the_previous_hospital_s_optimizer_state():
    data = task.load_hospital_data(1, 3, source="offline")
    weights = task.build_model().get_weights()
    first = task.fresh_model(weights, seed=7)
    task.train(first, data["x"], data["y"], epochs=1, batch_size=32)
    after_first = [w.copy() for w in first.get_weights()]
    second = task.fresh_model(weights, seed=7)  # même modèle du processus, remis à neuf
    assert second is first and int(second.optimizer.iterations.numpy()) == 0
    task.train(second, data["x"], data["y"], epochs=1, batch_size=32)
    for a, b in zip(after_first, second.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)  # même départ, même graine : même résultat


def test_flip_update_pushes_the_average_away_from_learning():
    global_weights = [np.zeros(3)]
    local = [np.array([1.0, -2.0, 0.5])]
    np.testing.assert_allclose(task.flip_update(global_weights, local, factor=5.0)[0], [-5.0, 10.0, -2.5])


def test_secure_aggregation_gives_the_fedavg_model_and_refuses_robust_strategies(tmp_path):
    common = {"num-server-rounds": 1, "local-epochs": 1, "data-source": "offline", "results-dir": str(tmp_path)}
    plain = run_app_in_process(APP, {**common, "run-name": "fedavg"})
    secure = run_app_in_process(APP, {**common, "run-name": "secagg", "secure-aggregation": True})
    assert [row["round"] for row in secure["rounds"]] == [1]
    assert abs(secure["rounds"][0]["evaluate_auc"] - plain["rounds"][0]["evaluate_auc"]) < 0.02
    import keras

    for a, b in zip(keras.models.load_model(plain["model_path"]).get_weights(),
                    keras.models.load_model(secure["model_path"]).get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-3)  # SecAgg+ : la même moyenne, à la quantification près
    assert secure["config"]["secure-aggregation"] is True
    with pytest.raises(ValueError, match="secure-aggregation"):
        run_app_in_process(APP, {**common, "run-name": "refus", "secure-aggregation": True, "strategy": "fedmedian"})
