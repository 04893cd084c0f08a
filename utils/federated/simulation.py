"""Une simulation Flower d'un modèle Keras sur des clients simulés, en un appel.

`run_flower_simulation` vérifie ses entrées, construit le `ClientApp` et le `ServerApp` de Flower
écrits dans `apps.py` (le code à lire), lance `flwr.simulation.run_simulation` et renvoie les métriques
de chaque tour et de chaque client dans un DataFrame, avec les poids finaux du modèle global.
Par défaut, les clients tournent l'un après l'autre dans ce processus (`flower_internals.in_process_backend`) ;
`engine="ray"` garde le moteur Ray de Flower tel quel, pour une machine qui a des cœurs à lui donner. La stratégie est toujours celle de Flower
(`flwr.serverapp.strategy` : FedAvg, FedProx, FedAdam, Krum, FedMedian, FedTrimmedAvg, Bulyan, les
enveloppes de confidentialité différentielle...).
"""
from __future__ import annotations

import contextlib
import time
import uuid
from typing import Callable

import numpy as np

from .clients import ClientLoader, ClientSpec
from .flower_internals import in_process_backend, quiet
from .model_reuse import check_compiled, reuse_model
from .monitor import GLOBAL, FederatedClientError, Monitor, label_client_errors

__all__ = ["GLOBAL", "FederatedClientError", "run_flower_simulation", "build_apps"]
_TIMEOUT_S = 600.0  # délai maximal d'attente des réponses des clients à chaque étape d'un tour


# ============================================================================ API publique
def run_flower_simulation(
    model_fn: Callable,
    client_data,
    strategy=None,
    num_rounds: int = 3,
    local_epochs: int = 1,
    batch_size: int = 32,
    *,
    client_names=None,
    val_data=None,
    initial_weights=None,
    seed: int = 42,
    shuffle: bool = True,
    train_config: dict | None = None,
    client_mods=None,
    engine: str = "local",
    verbose: bool = True,
    local_train: Callable | None = None,
    local_layers=None,
):
    """Simule un apprentissage fédéré avec Flower : un modèle Keras, des clients, une stratégie Flower.

    Paramètres
    ----------
    model_fn : fonction sans argument qui renvoie un modèle Keras **compilé** (optimiseur, perte,
        métriques). Chaque client l'appelle pour construire sa copie du modèle.
    client_data : une liste, un élément par client : `(x, y)`, ou `(x, y, x_val, y_val)`, ou un
        dictionnaire `{"x", "y", "x_val", "y_val"}`. Le client évalue le modèle global sur ses
        données de validation si elles existent, sinon sur ses données d'entraînement.
    strategy : une stratégie de Flower (`flwr.serverapp.strategy.FedAvg(...)`, `FedProx(...)`,
        `FedAdam(...)`, `Krum(...)`...) ou une fonction sans argument qui en fabrique une (conseillé :
        certaines stratégies gardent un état d'une simulation à l'autre). Par défaut : FedAvg avec
        tous les clients à chaque tour.
    num_rounds : nombre de tours fédérés.
    local_epochs, batch_size : entraînement local de chaque client à chaque tour (`model.fit`).
        Ils voyagent dans la configuration envoyée par le serveur (clés `local-epochs`, `batch-size`,
        et `shuffle`).
    client_names : noms des clients (par défaut « client 0 », « client 1 »...).
    val_data : `(x_val, y_val)` facultatif : des données de **validation** que le serveur détient ; il y
        évalue le modèle global avant le premier tour et après chaque tour (évaluation centralisée).
        Jamais le test : les courbes et les choix se font sur la validation, le test est lu une fois, à la fin.
    initial_weights : poids de départ du modèle global (liste de tableaux, comme `get_weights()`) ;
        par défaut, ceux d'un modèle construit par `model_fn` après `keras.utils.set_random_seed(seed)`.
    seed : graine ; avant chaque entraînement local, chaque client fixe la graine
        `seed + 1000 * tour + numéro du client` (même résultat d'une exécution à l'autre).
    shuffle : mélange des exemples à chaque époque locale (`model.fit(shuffle=...)`).
    train_config : valeurs supplémentaires envoyées aux clients avec chaque demande d'entraînement.
    client_mods : « mods » Flower du `ClientApp` (par exemple `fixedclipping_mod` pour la
        confidentialité différentielle côté client).
    engine : qui exécute les clients. `"local"` (par défaut) : l'un après l'autre dans ce processus, avec
        le `ServerApp`, le `ClientApp` et la stratégie de Flower ; rien à démarrer, et un `print()` écrit
        dans `local_train` s'affiche dans le notebook. `"ray"` : le `run_simulation` de Flower tel quel,
        chaque client dans un acteur Ray (Ray démarre et s'arrête à chaque appel : 30 s ou plus sur 2 cœurs ;
        utile sur une machine à beaucoup de cœurs). Les clients qui ne répondent pas en 10 minutes arrêtent
        la simulation avec une erreur qui les nomme.
    verbose : affiche une ligne par tour.
    local_train : l'entraînement local d'un client, `local_train(model, x, y, *, epochs, batch_size,
        config) -> dict` de métriques, appelé dans le `train` du ClientApp une fois les poids globaux
        chargés dans `model` (optimiseur remis à neuf). `config` est le `ConfigRecord` du serveur en
        dictionnaire (`server-round`, `local-epochs`, `batch-size`, `shuffle`, `proximal-mu` avec FedProx,
        et les clés de `train_config`). Par défaut : `apps.fit_locally` (`model.fit`, ou le pas de FedProx
        quand `proximal-mu` > 0). Une fonction définie dans le notebook convient (Ray la transporte).
    local_layers : FedBN, personnalisation. Les couches dont les poids restent au client : une fonction
        `couche -> bool` (par exemple `lambda layer: isinstance(layer, keras.layers.BatchNormalization)`)
        ou un tuple de morceaux de noms de couches. Comme FedBN (Li et al., 2021) : chaque client garde ses
        valeurs pour ces couches (dans `context.state`, d'un tour à l'autre) et ne renvoie que les autres ;
        le serveur n'agrège que celles-ci. Sans normalisation d'hôpital, il n'évalue pas sur `val_data`
        (colonnes `val_*` vides : voir les `eval_*` des clients), et les positions locales des poids finaux
        gardent leurs valeurs initiales (`apps.personal_weights` assemble le modèle d'un hôpital).

    Renvoie
    -------
    (historique, poids_finaux) : `historique` est un DataFrame pandas, une ligne par tour et par
    client, plus une ligne par tour pour le modèle global (`client == "global"`). Colonnes :

    - `round` : numéro du tour (0 = modèle initial, seulement pour l'évaluation centralisée) ;
    - `client`, `client_id` : nom et numéro du client (`"global"` et -1 pour le modèle global) ;
    - `num_examples` : exemples d'entraînement du client (la somme pour le modèle global) ;
    - `train_loss`, `train_accuracy`... : métriques Keras de l'entraînement local (dernière époque) ;
      pour le modèle global, leur moyenne pondérée calculée par la stratégie de Flower ;
    - `eval_loss`, `eval_accuracy`... : le modèle global du tour, évalué par chaque client sur ses
      données de validation (moyenne pondérée par la stratégie pour la ligne `global`) ;
    - `num_eval_examples` : exemples utilisés pour cette évaluation ;
    - `val_loss`, `val_accuracy`... : évaluation centralisée sur `val_data` (ligne `global` seulement).

    `poids_finaux` est la liste des tableaux NumPy du modèle global après le dernier tour
    (à charger avec `model.set_weights(poids_finaux)`).

    Si un client lève une exception, la simulation s'arrête et lève `FederatedClientError` avec le nom du
    client et son message d'erreur (dans ce processus, un client bloqué dans une boucle sans fin ne peut
    pas être interrompu : interrompez le noyau).
    """
    started = time.perf_counter()
    clients = _normalise_clients(client_data)
    names = _client_names(client_names, len(clients))
    num_rounds, local_epochs, batch_size = int(num_rounds), int(local_epochs), int(batch_size)
    if num_rounds < 1 or local_epochs < 1 or batch_size < 1:
        raise ValueError("num_rounds, local_epochs et batch_size doivent être des entiers ≥ 1.")
    strategy = _make_strategy(strategy, len(clients))
    if engine not in ("local", "ray"):
        raise ValueError(f"engine doit valoir \"local\" (clients dans ce processus) ou \"ray\" (moteur Ray de "
                         f"Flower) ; reçu : {engine!r}.")

    server_model, initial = _initial_model(model_fn, initial_weights, seed)
    server_val = _normalise_val(val_data)

    with quiet():
        from flwr.simulation import run_simulation
    if verbose:
        where = "moteur Ray de Flower" if engine == "ray" else "clients exécutés dans ce processus"
        print(f"Simulation Flower : {len(clients)} clients, {num_rounds} tours, stratégie "
              f"{type(strategy).__name__}, {where}.", flush=True)
    spec = ClientSpec(token=uuid.uuid4().hex, model_fn=model_fn, data=clients, seed=int(seed),
                      in_process=engine == "local")
    monitor = Monitor(names, num_rounds, _TIMEOUT_S, verbose, started)
    config = {"local-epochs": local_epochs, "batch-size": batch_size, "shuffle": bool(shuffle), **(train_config or {})}
    client_app, server_app = build_apps(
        spec, strategy, initial, num_rounds=num_rounds, train_config=config,
        evaluate_config={"batch-size": max(batch_size, 256)}, server_model=server_model, val_data=server_val,
        monitor=monitor, local_train=local_train, local_layers=local_layers, client_mods=client_mods)
    backend = in_process_backend() if engine == "local" else contextlib.nullcontext()
    try:
        with quiet(), backend:
            run_simulation(server_app=server_app, client_app=client_app, num_supernodes=len(clients))
    except FederatedClientError as error:
        raise FederatedClientError(str(error), error.client) from None
    except BaseException as error:  # y compris l'interruption du noyau
        monitor.cancel.set()
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise
        raise RuntimeError(f"La simulation Flower a échoué : {type(error).__name__}: {error}") from error
    if monitor.result is None:
        raise RuntimeError("La simulation Flower s'est terminée sans résultat (le serveur n'a pas fini ses tours).")
    history = monitor.dataframe()
    arrays = monitor.result.arrays
    final_weights = arrays.to_numpy_ndarrays() if arrays is not None and len(arrays) else [np.array(w) for w in initial]
    if verbose:
        print(f"Simulation terminée en {time.perf_counter() - started:.1f} s.", flush=True)
    return history, final_weights


def build_apps(spec, strategy, initial_weights, *, num_rounds, train_config, evaluate_config, server_model,
               val_data, monitor, local_train=None, local_layers=None, client_mods=None):
    """Le `ClientApp` et le `ServerApp` que la simulation exécute : ceux de `apps.py`, branchés sur le suivi."""
    with quiet():
        from . import apps

    _check_local_train(local_train)
    client_app = apps.make_client_app(ClientLoader(spec), local_train=local_train or apps.fit_locally,
                                      local_layers=local_layers, mods=[label_client_errors, *(client_mods or [])])
    server_app = apps.make_server_app(
        strategy, initial_weights, num_rounds=num_rounds, train_config=train_config,
        evaluate_config=evaluate_config, evaluate_fn=monitor.evaluate_fn(apps.make_evaluate_fn(server_model, val_data)),
        timeout=monitor.timeout_s, monitor=monitor)
    return client_app, server_app


def _check_local_train(local_train) -> None:
    if local_train is None:
        return
    if not callable(local_train):
        raise TypeError("local_train doit être une fonction local_train(model, x, y, *, epochs, batch_size, config) "
                        f"qui renvoie un dictionnaire de métriques (reçu {type(local_train).__name__}).")


# ============================================================================ entrées
def _normalise_clients(client_data) -> list[dict]:
    if client_data is None or len(client_data) == 0:
        raise ValueError("client_data est vide : donnez une liste de données, une par client, par exemple [(x0, y0), (x1, y1)].")
    clients = []
    for index, item in enumerate(client_data):
        if isinstance(item, dict):
            unknown = set(item) - {"x", "y", "x_val", "y_val"}
            if unknown or not {"x", "y"} <= set(item):
                raise ValueError(f"client {index} : dictionnaire attendu avec les clés x, y (et facultativement "
                                 f"x_val, y_val) ; reçu les clés {sorted(item)}.")
            x, y, x_val, y_val = item["x"], item["y"], item.get("x_val"), item.get("y_val")
        elif isinstance(item, (tuple, list)) and len(item) in (2, 4):
            x, y, x_val, y_val = (*item, None, None) if len(item) == 2 else item
        else:
            raise ValueError(f"client {index} : attendu (x, y), (x, y, x_val, y_val) ou un dictionnaire, "
                             f"reçu {type(item).__name__}.")
        x, y = np.asarray(x), np.asarray(y)
        if len(x) == 0 or len(x) != len(y):
            raise ValueError(f"client {index} : x et y doivent avoir le même nombre d'exemples, non nul "
                             f"(x : {len(x)}, y : {len(y)}).")
        client = {"x": x, "y": y}
        if (x_val is None) != (y_val is None):
            raise ValueError(f"client {index} : donnez x_val et y_val ensemble.")
        if x_val is not None:
            client.update(x_val=np.asarray(x_val), y_val=np.asarray(y_val))
            if len(client["x_val"]) == 0 or len(client["x_val"]) != len(client["y_val"]):
                raise ValueError(f"client {index} : x_val et y_val doivent avoir le même nombre d'exemples, non nul.")
        clients.append(client)
    return clients


def _client_names(client_names, count: int) -> list[str]:
    if client_names is None:
        return [f"client {i}" for i in range(count)]
    names = [str(name) for name in client_names]
    if len(names) != count or len(set(names)) != count or GLOBAL in names:
        raise ValueError(f"client_names : il faut {count} noms distincts (et aucun ne peut s'appeler « {GLOBAL} »).")
    return names


def _normalise_val(val_data):
    if val_data is None:
        return None
    if not isinstance(val_data, (tuple, list)) or len(val_data) != 2:
        raise ValueError("val_data doit être un couple (x_val, y_val).")
    return np.asarray(val_data[0]), np.asarray(val_data[1])


def _make_strategy(strategy, num_clients: int):
    from flwr.serverapp.strategy import FedAvg, Strategy

    if strategy is None:
        strategy = FedAvg(min_train_nodes=num_clients, min_evaluate_nodes=num_clients,
                          min_available_nodes=num_clients)
    elif not isinstance(strategy, Strategy):
        if not callable(strategy):
            raise TypeError(f"strategy doit être une stratégie de Flower ou une fonction qui en renvoie une (reçu {type(strategy).__name__}).")
        with quiet():  # Flower avertit à la construction (par ex. « fraction_evaluate is set to 0.0 ») ; le suivi dit ce qui compte
            strategy = strategy()
        if not isinstance(strategy, Strategy):
            raise TypeError(f"La fonction `strategy` doit renvoyer une stratégie de Flower (flwr.serverapp.strategy), pas {type(strategy).__name__}.")
    # Flower attendrait indéfiniment des clients qui n'existent pas : on le dit tout de suite.
    for candidate in [strategy, *[v for v in vars(strategy).values() if isinstance(v, Strategy)]]:
        needed = {key: getattr(candidate, key) for key in ("min_available_nodes", "min_train_nodes", "min_evaluate_nodes")
                  if isinstance(getattr(candidate, key, None), int)}
        too_many = {key: value for key, value in needed.items() if value > num_clients}
        if too_many:
            settings = ", ".join(f"{key}={value}" for key, value in too_many.items())
            raise ValueError(f"La stratégie {type(candidate).__name__} demande plus de clients qu'il n'y en a "
                             f"({settings} pour {num_clients} clients) : elle attendrait indéfiniment. "
                             f"Passez par exemple min_available_nodes={num_clients}, min_train_nodes={num_clients}, "
                             f"min_evaluate_nodes={num_clients}.")
    return strategy


def _initial_model(model_fn, initial_weights, seed: int):
    import keras

    if not callable(model_fn):
        raise TypeError("model_fn doit être une fonction sans argument qui renvoie un modèle Keras compilé.")
    if initial_weights is None:
        keras.utils.set_random_seed(int(seed))
    model = model_fn()
    check_compiled(model)
    if initial_weights is None:
        initial_weights = model.get_weights()
    initial_weights = [np.asarray(w) for w in initial_weights]
    expected = [tuple(w.shape) for w in model.get_weights()]
    if [tuple(w.shape) for w in initial_weights] != expected:
        raise ValueError(f"initial_weights n'a pas les formes du modèle de model_fn ({expected}).")
    model = reuse_model("server", model)  # déjà tracé si la simulation précédente avait le même modèle
    model.set_weights(initial_weights)
    return model, initial_weights
