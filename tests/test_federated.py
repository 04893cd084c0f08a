"""Tests du cœur fédéré (`utils.federated`) : découpages, FedAvg, simulation Flower."""
import time

import numpy as np
import pytest

from utils.federated import (FederatedClientError, fedavg, label_distribution, partition_by_site,
                             partition_dirichlet, partition_iid, partition_quantity_skew)


def _labels(n=600, seed=0):
    return np.random.default_rng(seed).choice([0, 1, 2], size=n, p=[0.5, 0.3, 0.2])


def _assert_exact_cover(parts, n):
    joined = np.concatenate(parts)
    assert len(joined) == n
    assert np.array_equal(np.sort(joined), np.arange(n))


# --------------------------------------------------------------------------- découpages
@pytest.mark.parametrize("make", [
    lambda y: partition_iid(len(y), 4, seed=1),
    lambda y: partition_iid(y, 4, seed=1),
    lambda y: partition_dirichlet(y, 4, alpha=0.3, seed=1),
    lambda y: partition_dirichlet(y, 4, alpha=0.01, seed=1),
    lambda y: partition_by_site(np.array(["b", "a", "c"])[y]),
    lambda y: partition_quantity_skew(y, 4, alpha=0.5, seed=1),
    lambda y: partition_quantity_skew(len(y), 3, proportions=[0.7, 0.2, 0.1], seed=1),
])
def test_partitions_cover_every_index_once_and_are_reproducible(make):
    y = _labels()
    first, second = make(y), make(y)
    _assert_exact_cover(first, len(y))
    assert all(len(part) > 0 for part in first)
    assert all(np.array_equal(a, b) for a, b in zip(first, second))


def test_seed_changes_the_partition():
    y = _labels()
    a = partition_dirichlet(y, 4, alpha=0.5, seed=1)
    b = partition_dirichlet(y, 4, alpha=0.5, seed=2)
    assert not all(len(x) == len(z) and np.array_equal(x, z) for x, z in zip(a, b))


def test_iid_with_labels_is_stratified_and_balanced():
    y = _labels()
    parts = partition_iid(y, 4, seed=3)
    sizes = [len(p) for p in parts]
    assert max(sizes) - min(sizes) <= 1
    shares = label_distribution(y, parts, normalize=True).to_numpy()
    assert np.abs(shares - np.bincount(y) / len(y)).max() < 0.02


def test_dirichlet_large_alpha_gives_near_equal_label_mixes():
    y = _labels(3000)
    parts = partition_dirichlet(y, 5, alpha=1e4, seed=0)
    shares = label_distribution(y, parts, normalize=True).to_numpy()
    assert np.abs(shares - np.bincount(y) / len(y)).max() < 0.03


def test_dirichlet_small_alpha_is_skewed_and_leaves_no_client_empty():
    y = _labels(300)
    parts = partition_dirichlet(y, 10, alpha=0.05, seed=0, min_size=3)
    assert min(len(p) for p in parts) >= 3
    shares = label_distribution(y, parts, normalize=True).to_numpy()
    assert shares.max(axis=1).mean() > 0.8  # la plupart des clients ne voient presque qu'une classe


def test_site_partition_follows_the_site_column():
    sites = np.array(["Lyon", "Brest", "Lyon", "Nice", "Brest", "Lyon"])
    parts = partition_by_site(sites)
    assert [sorted(p.tolist()) for p in parts] == [[1, 4], [0, 2, 5], [3]]  # ordre trié : Brest, Lyon, Nice
    parts = partition_by_site(sites, order=["Nice", "Lyon", "Brest"])
    assert sorted(parts[0].tolist()) == [3]
    with pytest.raises(ValueError, match="absents"):
        partition_by_site(sites, order=["Lyon", "Brest"])


def test_quantity_skew_respects_proportions_and_minimum():
    parts = partition_quantity_skew(1000, 3, proportions=[0.7, 0.2, 0.1], seed=0, min_size=5)
    assert [len(p) for p in parts] == [700, 200, 100]
    parts = partition_quantity_skew(50, 5, alpha=0.05, seed=0, min_size=4)
    assert min(len(p) for p in parts) >= 4


def test_partition_errors_are_clear():
    with pytest.raises(ValueError, match="au moins un exemple"):
        partition_iid(3, 5)
    with pytest.raises(ValueError, match="alpha"):
        partition_dirichlet([0, 1, 0, 1], 2, alpha=0)


# --------------------------------------------------------------------------- FedAvg
def test_fedavg_is_exactly_the_weighted_mean():
    rng = np.random.default_rng(0)
    clients = [[rng.normal(size=(3, 2)), rng.normal(size=2)] for _ in range(3)]
    sizes = [10, 30, 60]
    result = fedavg(clients, sizes)
    for layer in range(2):
        expected = sum(n / 100 * c[layer] for c, n in zip(clients, sizes))
        np.testing.assert_array_equal(result[layer], expected)
        np.testing.assert_allclose(result[layer], np.average([c[layer] for c in clients], axis=0, weights=sizes),
                                   rtol=1e-12, atol=0)
    # Des valeurs exactement représentables : le résultat est exact.
    exact = fedavg([[np.array([0.0, 8.0])], [np.array([4.0, 0.0])]], [1, 3])
    assert exact[0].tolist() == [3.0, 2.0]


def test_fedavg_keeps_float32_and_checks_its_inputs():
    weights = [[np.ones((2, 2), dtype=np.float32)], [np.zeros((2, 2), dtype=np.float32)]]
    out = fedavg(weights, [1, 1])
    assert out[0].dtype == np.float32 and np.allclose(out[0], 0.5)
    with pytest.raises(ValueError, match="un par client"):
        fedavg(weights, [1])
    with pytest.raises(ValueError, match="forme"):
        fedavg([[np.ones(2)], [np.ones(3)]], [1, 1])


# --------------------------------------------------------------------------- simulation Flower
def _tiny_model():
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def _tiny_clients(count=3, n=40):
    rng = np.random.default_rng(0)
    clients = []
    for _ in range(count):
        x = rng.normal(size=(n, 4)).astype("float32")
        clients.append((x, (x[:, 0] > 0).astype("float32")))
    return clients


class _FailingModel:
    """Construit le petit modèle, mais l'entraînement du client « fragile » lève une erreur."""

    def __call__(self):
        model = _tiny_model()
        original_fit = model.fit

        def fit(x, *args, **kwargs):
            if len(x) == 13:
                raise ValueError("capteur débranché")
            return original_fit(x, *args, **kwargs)

        model.fit = fit
        return model


@pytest.fixture(scope="module")
def flower():
    pytest.importorskip("flwr")


def test_simulation_completes_three_clients_two_rounds_twice_in_one_process(flower):
    from utils.federated import run_flower_simulation

    clients = _tiny_clients()
    test = clients[0]
    runs = [run_flower_simulation(_tiny_model, clients, num_rounds=2, val_data=test, verbose=False)
            for _ in range(2)]
    for history, weights in runs:
        assert sorted(history["round"].unique().tolist()) == [0, 1, 2]
        per_client = history[history["client"] != "global"]
        assert len(per_client) == 3 * 2
        assert per_client["num_examples"].eq(40).all()
        assert {"train_loss", "train_accuracy", "eval_loss", "eval_accuracy"} <= set(history.columns)
        assert history.loc[history["client"] == "global", "val_accuracy"].notna().sum() == 3
        assert [w.shape for w in weights] == [w.shape for w in _tiny_model().get_weights()]
    # Même graine, mêmes données : deux exécutions donnent les mêmes poids.
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_flower_fedavg_matches_a_loop_written_by_hand(flower):
    from utils.federated import run_flower_simulation

    clients = _tiny_clients(3)
    clients[2] = (clients[2][0][:25], clients[2][1][:25])
    model = _tiny_model()
    start = model.get_weights()
    weights = start
    for _ in range(2):
        local, sizes = [], []
        for x, y in clients:
            model.set_weights(weights)
            model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
            local.append(model.get_weights())
            sizes.append(len(x))
        weights = fedavg(local, sizes)
    _, flower_weights = run_flower_simulation(_tiny_model, clients, num_rounds=2, local_epochs=2, batch_size=8,
                                              initial_weights=start, shuffle=False, verbose=False)
    for a, b in zip(weights, flower_weights):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_a_failing_client_stops_the_run_quickly_with_its_message(flower):
    from utils.federated import run_flower_simulation

    clients = _tiny_clients(3)
    clients[1] = (clients[1][0][:13], clients[1][1][:13])
    started = time.perf_counter()
    with pytest.raises(FederatedClientError) as error:
        run_flower_simulation(_FailingModel(), clients, num_rounds=3, verbose=False,
                              client_names=["Lyon", "fragile", "Brest"])
    assert time.perf_counter() - started < 30
    assert "fragile" in str(error.value) and "capteur débranché" in str(error.value)
    assert error.value.client == "fragile"
    # Le moteur local reste utilisable après l'échec (même processus, modèles gardés).
    history, _ = run_flower_simulation(_tiny_model, clients, num_rounds=1, verbose=False)
    assert len(history[history["client"] != "global"]) == 3


def test_local_engine_and_strategy_factory(flower):
    from flwr.serverapp.strategy import FedProx

    from utils.federated import run_flower_simulation

    clients = _tiny_clients(2)
    history, weights = run_flower_simulation(_tiny_model, clients,
                                             strategy=lambda: FedProx(proximal_mu=0.5, min_available_nodes=2),
                                             num_rounds=2, engine="local", verbose=False)
    assert history.loc[history["client"] == "global", "eval_loss"].notna().all()
    assert all(np.isfinite(w).all() for w in weights)


def test_a_learners_print_in_local_train_shows_in_the_notebook(flower, capsys):
    """Les clients tournent dans le processus du notebook : un `print()` de l'apprenant s'affiche sous la cellule."""
    from utils.federated import apps, run_flower_simulation

    def my_train(model, x, y, *, epochs, batch_size, config):
        print(f"entraînement local : {len(x)} exemples, tour {config['server-round']}")
        return apps.fit_locally(model, x, y, epochs=epochs, batch_size=batch_size, config=config)

    run_flower_simulation(_tiny_model, _tiny_clients(2), num_rounds=1, local_train=my_train, verbose=False)
    assert capsys.readouterr().out.count("entraînement local : 40 exemples, tour 1") == 2


def test_no_red_flower_warning_when_the_strategy_skips_federated_evaluation(flower, capsys, caplog):
    from flwr.serverapp.strategy import FedAvg

    from utils.federated import run_flower_simulation

    run_flower_simulation(_tiny_model, _tiny_clients(2), num_rounds=1, verbose=False,
                          strategy=lambda: FedAvg(fraction_evaluate=0.0, min_available_nodes=2))
    captured = capsys.readouterr()
    assert "fraction_evaluate" not in captured.out + captured.err + caplog.text


def test_bad_inputs_get_french_messages(flower):
    from flwr.serverapp.strategy import FedAvg

    from utils.federated import run_flower_simulation

    with pytest.raises(ValueError, match="attendrait"):
        run_flower_simulation(_tiny_model, _tiny_clients(2), strategy=FedAvg(min_available_nodes=5), verbose=False)
    with pytest.raises(ValueError, match="compilé"):
        import keras

        run_flower_simulation(lambda: keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)]),
                              _tiny_clients(2), verbose=False)
    with pytest.raises(ValueError, match="client 1"):
        run_flower_simulation(_tiny_model, [_tiny_clients(1)[0], ("x",)], verbose=False)


# --------------------------------------------------------------------------- crochets local_train et local_layers
def _bn_model():
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.BatchNormalization(momentum=0.5, name="bn"),
                              keras.layers.Dense(6, activation="relu", name="dense_in"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(0.05), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def _shifted_clients():
    """Trois hôpitaux dont les mesures sont décalées (moyennes 0, 3, 6) : leurs statistiques de BatchNorm diffèrent."""
    rng = np.random.default_rng(1)
    clients = []
    for shift in (0.0, 3.0, 6.0):
        x = (rng.normal(size=(48, 4)) + shift).astype("float32")
        clients.append((x, (x[:, 0] > shift).astype("float32")))
    return clients


def _spying_train(model, x, y, *, epochs, batch_size, config):
    """Un entraînement local qui note ce qu'il reçoit (dans ses métriques, seul chemin de retour vers le serveur)."""
    weights = {w.path.split("/")[-2] + "/" + w.path.split("/")[-1]: w.numpy() for w in model.weights}
    seen = {"seen_round": config["server-round"], "seen_epochs": epochs, "seen_batch": batch_size,
            "seen_extra": config["mon-reglage"], "bn_start": float(weights["bn/moving_mean"].sum()),
            "dense_start": float(weights["dense_in/kernel"].sum())}
    model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0)
    seen["bn_end"] = float(model.get_layer("bn").moving_mean.numpy().sum())
    seen["dense_end"] = float(model.get_layer("dense_in").kernel.numpy().sum())
    return seen


def test_local_train_receives_the_server_config_and_its_metrics_come_back(flower):
    from utils.federated import run_flower_simulation

    calls = []

    def my_train(model, x, y, *, epochs, batch_size, config):  # comme une fonction écrite dans un notebook
        calls.append(config)  # visible ici : les clients tournent dans ce processus
        return _spying_train(model, x, y, epochs=epochs, batch_size=batch_size, config=config)

    history, _ = run_flower_simulation(_bn_model, _shifted_clients(), num_rounds=2, local_epochs=2, batch_size=16,
                                       train_config={"mon-reglage": 7}, verbose=False,
                                       local_train=my_train)
    clients = history[history["client"] != "global"]
    assert clients["train_seen_round"].tolist() == [1, 1, 1, 2, 2, 2]
    assert clients["train_seen_epochs"].eq(2).all() and clients["train_seen_batch"].eq(16).all()
    assert clients["train_seen_extra"].eq(7).all()
    assert len(calls) == 6 and calls[0]["local-epochs"] == 2 and calls[0]["shuffle"] is True


def test_the_ray_engine_runs_the_learners_function_with_the_config_and_names_a_failing_client(flower):
    """Le moteur Ray de Flower tel quel (un seul démarrage de Ray, 30 s ou plus : un seul test) : la fonction de
    l'apprenant et la configuration du serveur voyagent jusqu'aux acteurs, le tour 1 se termine, et l'erreur d'un
    client au tour 2 revient avec son nom et son message."""
    from utils.federated import run_flower_simulation

    def my_train(model, x, y, *, epochs, batch_size, config):  # comme une fonction écrite dans un notebook
        if len(x) == 13 and config["server-round"] == 2:
            raise ValueError(f"capteur débranché au tour {config['server-round']} "
                             f"(réglage {config['mon-reglage']}, {epochs} époques, lots de {batch_size})")
        return _spying_train(model, x, y, epochs=epochs, batch_size=batch_size, config=config)

    clients = _shifted_clients()
    clients[1] = (clients[1][0][:13], clients[1][1][:13])
    with pytest.raises(FederatedClientError) as error:
        run_flower_simulation(_bn_model, clients, num_rounds=3, local_epochs=2, batch_size=16, engine="ray",
                              train_config={"mon-reglage": 7}, verbose=False, local_train=my_train,
                              client_names=["Lyon", "fragile", "Brest"])
    assert error.value.client == "fragile"
    assert "capteur débranché au tour 2 (réglage 7, 2 époques, lots de 16)" in str(error.value)



@pytest.mark.parametrize("engine", ["local"])
def test_local_layers_keep_each_clients_batchnorm_while_the_rest_is_aggregated(flower, engine):
    import keras

    from utils.federated import run_flower_simulation

    def is_batch_norm(layer):
        return isinstance(layer, keras.layers.BatchNormalization)

    clients = _shifted_clients()
    runs = {}
    for name, local_layers in (("fedavg", None), ("fedbn", is_batch_norm), ("fedbn-noms", ("bn",))):
        history, _ = run_flower_simulation(_bn_model, clients, num_rounds=2, batch_size=16, engine=engine,
                                           train_config={"mon-reglage": 0}, verbose=False,
                                           local_train=_spying_train, local_layers=local_layers)
        runs[name] = history[history["client"] != "global"].set_index(["round", "client_id"])
    for name in ("fedbn", "fedbn-noms"):
        fedbn = runs[name]
        for client in range(3):  # au tour 2, chaque client repart de SES statistiques du tour 1
            assert fedbn.loc[(2, client), "train_bn_start"] == pytest.approx(fedbn.loc[(1, client), "train_bn_end"],
                                                                             rel=1e-5)
        starts = fedbn.loc[2, "train_bn_start"].to_numpy()
        assert np.ptp(starts) > 1.0  # décalages 0, 3, 6 : des moyennes bien différentes
        dense = fedbn.loc[2, "train_dense_start"].to_numpy()  # les autres poids : ceux agrégés par FedAvg
        assert np.ptp(dense) < 1e-5
        assert dense[0] == pytest.approx(fedbn.loc[1, "train_dense_end"].mean(), rel=1e-4, abs=1e-5)
    fedavg_starts = runs["fedavg"].loc[2, "train_bn_start"].to_numpy()  # témoin : sans couches locales, tous pareils
    assert np.ptp(fedavg_starts) < 1e-5
    assert fedavg_starts[0] == pytest.approx(runs["fedavg"].loc[1, "train_bn_end"].mean(), rel=1e-4, abs=1e-5)


def test_local_weight_positions_follow_model_weights():
    import keras

    from utils.federated.apps import local_weight_positions

    model = _bn_model()
    paths = [w.path for w in model.weights]
    positions = local_weight_positions(model, lambda layer: isinstance(layer, keras.layers.BatchNormalization))
    assert [paths[i].split("/")[-1] for i in positions] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert local_weight_positions(model, ("bn",)) == positions == local_weight_positions(model, "bn")
    assert local_weight_positions(model, None) == []


def test_the_simulation_runs_the_apps_of_the_apps_module(flower, monkeypatch):
    """Ce que semaine_1/02 montre (le source de `apps.py`) est bien le code exécuté par `run_flower_simulation`."""
    from utils.federated import apps, run_flower_simulation

    built = {}
    original_client, original_server = apps.make_client_app, apps.make_server_app

    def client_spy(*args, **kwargs):
        built["client"] = original_client(*args, **kwargs)
        return built["client"]

    def server_spy(*args, **kwargs):
        built["server"] = original_server(*args, **kwargs)
        return built["server"]

    monkeypatch.setattr(apps, "make_client_app", client_spy)
    monkeypatch.setattr(apps, "make_server_app", server_spy)
    calls, original_fit = [], apps.fit_locally

    def counting_fit(model, x, y, **kwargs):
        calls.append(len(x))
        return original_fit(model, x, y, **kwargs)

    monkeypatch.setattr(apps, "fit_locally", counting_fit)
    run_flower_simulation(_tiny_model, _tiny_clients(2), num_rounds=1, engine="local", verbose=False)
    assert type(built["client"]).__name__ == "ClientApp" and type(built["server"]).__name__ == "ServerApp"
    assert calls == [40, 40]  # l'entraînement local par défaut est `apps.fit_locally`


# --------------------------------------------------------------------------- modèle gardé d'une simulation à l'autre
def _dropout_model():
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dropout(0.3), keras.layers.BatchNormalization(),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def test_a_model_kept_from_the_previous_simulation_gives_exactly_the_same_results(flower, monkeypatch):
    """Dans ce processus, on garde le modèle (déjà tracé) d'une simulation à l'autre : mêmes chiffres qu'un modèle neuf."""
    import keras
    from flwr.serverapp.strategy import FedProx

    from utils.federated import clients as client_state
    from utils.federated import model_reuse, run_flower_simulation, simulation

    clients = _shifted_clients()

    def run(strategy):
        keras.utils.set_random_seed(5)  # même état des générateurs avant chaque simulation comparée
        history, weights = run_flower_simulation(_dropout_model, clients, strategy=strategy, num_rounds=1,
                                                 batch_size=16, val_data=clients[0], seed=3, engine="local",
                                                 verbose=False)
        return history, weights, client_state.current_client_model()  # le modèle des clients (même processus)

    used = model_reuse.reuse_model("client", _dropout_model())  # le modèle gardé d'une simulation précédente...
    used.fit(*clients[1], epochs=2, batch_size=8, verbose=0)  # ... qui a déjà servi : poids, Adam, graines, BN changés
    kept = run(lambda: FedProx(proximal_mu=0.5, min_available_nodes=3))
    assert kept[2] is used
    for module in (client_state, simulation):  # témoin : des modèles neufs, chez les clients et au serveur
        monkeypatch.setattr(module, "reuse_model", lambda role, fresh: fresh)
    fresh = run(lambda: FedProx(proximal_mu=0.5, min_available_nodes=3))
    assert fresh[2] is not used
    for a, b in zip(kept[1], fresh[1]):
        np.testing.assert_array_equal(a, b)
    columns = [c for c in kept[0].columns if c.startswith(("train_", "eval_", "val_"))]
    np.testing.assert_array_equal(kept[0][columns].to_numpy(), fresh[0][columns].to_numpy())


def test_a_model_is_kept_only_when_it_is_the_same_model():
    import keras

    from utils.federated.model_reuse import _model_signature

    assert _model_signature(_tiny_model()) == _model_signature(_tiny_model())  # noms de couches différents
    assert _model_signature(_tiny_model()) != _model_signature(_bn_model())
    other_rate = _tiny_model()
    other_rate.compile(optimizer=keras.optimizers.SGD(0.2), loss="binary_crossentropy", metrics=["accuracy"])
    assert _model_signature(other_rate) != _model_signature(_tiny_model())
    assert _model_signature(_FailingModel()()) is None  # `fit` remplacé sur l'objet : jamais réutilisé
    vectorizer = keras.layers.TextVectorization(max_tokens=20, output_sequence_length=4)
    vectorizer.adapt(["douleur thoracique", "toux fébrile"])  # vocabulaire : une table, pas une variable
    text_model = keras.Sequential([keras.Input((1,), dtype="string"), vectorizer,
                                   keras.layers.Embedding(20, 2), keras.layers.GlobalAveragePooling1D()])
    text_model.compile(optimizer="sgd", loss="mse")
    assert _model_signature(text_model) is None
