"""Une simulation Flower d'un modèle Keras sur des clients simulés, en un appel.

`run_flower_simulation` construit le `ServerApp` et le `ClientApp` de Flower (API « Message »),
lance le moteur de simulation de Flower (Ray) et renvoie les métriques de chaque tour et de
chaque client dans un DataFrame, avec les poids finaux du modèle global. La stratégie est
toujours celle de Flower (`flwr.serverapp.strategy` : FedAvg, FedProx, FedAdam, Krum, FedMedian,
FedTrimmedAvg, Bulyan, les enveloppes de confidentialité différentielle...).
"""
from __future__ import annotations

import re
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd

from . import _engine

GLOBAL = "global"
_STOP_GRACE_S = 10.0  # après l'erreur d'un client, délai laissé aux autres clients pour finir leur calcul
_ERROR_PATTERN = re.compile(r"«client (\d+)»(.*?)«fin»", re.S)


class FederatedClientError(RuntimeError):
    """Un client a échoué (ou n'a pas répondu) pendant une simulation fédérée."""

    def __init__(self, message: str, client: str | None = None):
        super().__init__(message)
        self.client = client


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
    test_data=None,
    initial_weights=None,
    seed: int = 42,
    shuffle: bool = True,
    train_config: dict | None = None,
    client_mods=None,
    num_cpus: int | None = None,
    cpus_per_client: int | None = None,
    timeout_s: float = 600,
    engine: str = "ray",
    verbose: bool = True,
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
        Ils voyagent dans la configuration envoyée par le serveur (clés `local-epochs`, `batch-size`).
    client_names : noms des clients (par défaut « client 0 », « client 1 »...).
    test_data : `(x_test, y_test)` facultatif : le serveur évalue le modèle global dessus avant le
        premier tour et après chaque tour (évaluation centralisée).
    initial_weights : poids de départ du modèle global (liste de tableaux, comme `get_weights()`) ;
        par défaut, ceux d'un modèle construit par `model_fn` après `keras.utils.set_random_seed(seed)`.
    seed : graine ; avant chaque entraînement local, chaque client fixe la graine
        `seed + 1000 * tour + numéro du client` (même résultat d'une exécution à l'autre).
    shuffle : mélange des exemples à chaque époque locale (`model.fit(shuffle=...)`).
    train_config : valeurs supplémentaires envoyées aux clients avec chaque demande d'entraînement.
    client_mods : « mods » Flower du `ClientApp` (par exemple `fixedclipping_mod` pour la
        confidentialité différentielle côté client).
    num_cpus : cœurs donnés à Ray (par défaut : tous ceux de la machine) ; cpus_per_client : cœurs
        par client (par défaut 2, ou tous s'il y en a moins) ; il tourne donc
        `num_cpus // cpus_per_client` clients à la fois, chacun dans son processus.
    timeout_s : délai maximal d'attente des réponses des clients à chaque étape d'un tour ; au-delà,
        la simulation s'arrête avec une erreur qui nomme les clients muets.
    engine : qui exécute les clients. `"ray"` (par défaut) : le moteur de simulation de Flower,
        chaque client dans un processus Ray ; Ray démarre au premier appel (de l'ordre de 10 à 30 s
        sur 2 cœurs) puis reste prêt pour les simulations suivantes du même noyau. `"local"` : les
        clients tournent l'un après l'autre dans ce processus (même ServerApp, même ClientApp,
        même stratégie), sans rien à démarrer. Si Ray ne démarre pas, on passe en `"local"` en le disant.
    verbose : affiche une ligne par tour.

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
    - `test_loss`, `test_accuracy`... : évaluation centralisée sur `test_data` (ligne `global` seulement).

    `poids_finaux` est la liste des tableaux NumPy du modèle global après le dernier tour
    (à charger avec `model.set_weights(poids_finaux)`).

    Si un client lève une exception, la simulation s'arrête (en quelques secondes : les autres clients
    finissent leur calcul en cours, ou sont arrêtés au bout de 10 s) et lève `FederatedClientError` avec
    le nom du client et son message d'erreur. Un client qui ne répond plus arrête la simulation au bout de
    `timeout_s` (avec `engine="local"`, un client bloqué dans une boucle sans fin ne peut pas être interrompu).
    Plusieurs simulations peuvent se suivre dans le même noyau : Ray et ses processus sont gardés de l'une
    à l'autre (`shutdown_simulation_engine` les arrête).
    """
    started = time.perf_counter()
    _engine.wait_for_background_start()  # si `start_simulation_engine` a lancé Ray en arrière-plan
    clients = _normalise_clients(client_data)
    names = _client_names(client_names, len(clients))
    num_rounds, local_epochs, batch_size = int(num_rounds), int(local_epochs), int(batch_size)
    if num_rounds < 1 or local_epochs < 1 or batch_size < 1:
        raise ValueError("num_rounds, local_epochs et batch_size doivent être des entiers ≥ 1.")
    strategy = _make_strategy(strategy, len(clients))
    if engine not in ("ray", "local"):
        raise ValueError(f"engine doit valoir \"ray\" ou \"local\" (reçu : {engine!r}).")
    num_cpus, cpus_per_client = _cpu_budget(num_cpus, cpus_per_client)

    server_model, initial = _initial_model(model_fn, initial_weights, seed)
    test = _normalise_test(test_data)

    with _engine.quiet():
        from flwr.simulation import run_simulation
    if verbose:
        where = (f"moteur Ray sur {num_cpus} cœur(s)" if engine == "ray"
                 else "clients exécutés dans ce processus")
        print(f"Simulation Flower : {len(clients)} clients, {num_rounds} tours, stratégie "
              f"{type(strategy).__name__}, {where}.", flush=True)
        if engine == "ray" and not _engine.ray_is_ready(num_cpus):
            print("  démarrage de Ray (la première fois seulement : de 10 à 30 s sur 2 cœurs)...", flush=True)
    data_ref = clients
    if engine == "ray":
        try:
            _engine.ensure_ray(num_cpus)
            import ray

            data_ref = ray.put(clients)  # une seule copie des données, partagée par les acteurs
        except RuntimeError as error:
            print(f"{error}\nOn continue sans Ray : les clients tourneront dans ce processus (engine=\"local\").")
            engine = "local"
    spec = _ClientSpec(token=uuid.uuid4().hex, model_fn=model_fn, data=data_ref, names=tuple(names),
                       seed=int(seed), shuffle=bool(shuffle), local_epochs=local_epochs,
                       batch_size=batch_size, threads=cpus_per_client, in_process=engine == "local")
    monitor = _Monitor(names, num_rounds, timeout_s, verbose, started)
    config = {"local-epochs": local_epochs, "batch-size": batch_size, **(train_config or {})}
    server_app = _make_server_app(strategy, initial, num_rounds, config, server_model, test, monitor)
    client_app = _make_client_app(spec, client_mods)
    backend_config = {"client_resources": {"num_cpus": cpus_per_client, "num_gpus": 0.0},
                      "init_args": {"num_cpus": num_cpus}}
    try:
        with _engine.quiet(), _engine.simulation_backend(engine):
            run_simulation(server_app=server_app, client_app=client_app, num_supernodes=len(clients),
                           backend_config=backend_config)
    except FederatedClientError as error:
        raise FederatedClientError(str(error), error.client) from None
    except BaseException as error:  # y compris l'interruption du noyau : on n'abandonne aucun acteur
        monitor.cancel.set()
        if engine == "ray":
            _engine.kill_pool()
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise
        raise RuntimeError(f"La simulation Flower a échoué : {type(error).__name__}: {error}") from error
    finally:
        monitor.done.set()
        del data_ref
    if monitor.result is None:
        if engine == "ray":
            _engine.kill_pool()
        raise RuntimeError("La simulation Flower s'est terminée sans résultat (le serveur n'a pas fini ses tours).")
    history = monitor.dataframe()
    arrays = monitor.result.arrays
    final_weights = arrays.to_numpy_ndarrays() if arrays is not None and len(arrays) else [np.array(w) for w in initial]
    if verbose:
        print(f"Simulation terminée en {time.perf_counter() - started:.1f} s.", flush=True)
    return history, final_weights


def start_simulation_engine(num_cpus: int | None = None, cpus_per_client: int | None = None,
                            verbose: bool = True) -> None:
    """Démarre en arrière-plan le moteur de simulation de Flower (Ray) et ses clients, TensorFlow importé.

    Rend la main tout de suite : le notebook continue pendant que Ray démarre (de l'ordre de 10 à 30 s
    sur 2 cœurs), et la première `run_flower_simulation` le trouvera prêt (ou attendra la fin du démarrage).
    Mêmes `num_cpus` et `cpus_per_client` que `run_flower_simulation`.
    """
    num_cpus, cpus_per_client = _cpu_budget(num_cpus, cpus_per_client)
    if _engine.start_in_background(num_cpus, cpus_per_client) and verbose:
        print(f"Moteur de simulation Flower (Ray) : démarrage en arrière-plan sur {num_cpus} cœur(s).", flush=True)


def shutdown_simulation_engine() -> None:
    """Arrête la session Ray gardée entre deux simulations (libère mémoire et processus)."""
    _engine.shutdown()


# ============================================================================ entrées
def _cpu_budget(num_cpus, cpus_per_client) -> tuple[int, int]:
    """Cœurs donnés à Ray (par défaut : tous) et par client (par défaut 2, jamais plus que Ray n'en a)."""
    num_cpus = int(num_cpus or _engine.available_cpus())
    return num_cpus, max(1, min(int(cpus_per_client or 2), num_cpus))


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


def _normalise_test(test_data):
    if test_data is None:
        return None
    if not isinstance(test_data, (tuple, list)) or len(test_data) != 2:
        raise ValueError("test_data doit être un couple (x_test, y_test).")
    return np.asarray(test_data[0]), np.asarray(test_data[1])


def _make_strategy(strategy, num_clients: int):
    from flwr.serverapp.strategy import FedAvg, Strategy

    if strategy is None:
        strategy = FedAvg(min_train_nodes=num_clients, min_evaluate_nodes=num_clients,
                          min_available_nodes=num_clients)
    elif not isinstance(strategy, Strategy):
        if not callable(strategy):
            raise TypeError(f"strategy doit être une stratégie de Flower ou une fonction qui en renvoie une (reçu {type(strategy).__name__}).")
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
    _check_compiled(model)
    if initial_weights is None:
        initial_weights = model.get_weights()
    initial_weights = [np.asarray(w) for w in initial_weights]
    expected = [tuple(w.shape) for w in model.get_weights()]
    if [tuple(w.shape) for w in initial_weights] != expected:
        raise ValueError(f"initial_weights n'a pas les formes du modèle de model_fn ({expected}).")
    model.set_weights(initial_weights)
    return model, initial_weights


def _check_compiled(model) -> None:
    if not hasattr(model, "get_weights") or not hasattr(model, "fit"):
        raise TypeError(f"model_fn doit renvoyer un modèle Keras, pas {type(model).__name__}.")
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", True):
        raise ValueError("model_fn doit renvoyer un modèle **compilé** : appelez model.compile(optimizer=..., "
                         "loss=..., metrics=[...]) avant de le renvoyer.")


# ============================================================================ côté serveur
def _make_server_app(strategy, initial, num_rounds, config, server_model, test, monitor):
    from flwr.app import ArrayRecord, ConfigRecord, MetricRecord
    from flwr.serverapp import ServerApp

    server_app = ServerApp()

    def evaluate_on_server(server_round: int, arrays):
        metrics = None
        if test is not None:
            server_model.set_weights(arrays.to_numpy_ndarrays())
            values = server_model.evaluate(test[0], test[1], verbose=0, return_dict=True)
            metrics = MetricRecord({k: float(v) for k, v in values.items()})
        monitor.end_of_round(server_round, metrics)
        return metrics

    @server_app.main()
    def main(grid, context) -> None:
        observed = _ObservedGrid(grid, monitor)
        monitor.result = strategy.start(
            grid=observed, initial_arrays=ArrayRecord([np.asarray(w) for w in initial]), num_rounds=num_rounds,
            timeout=monitor.timeout_s, train_config=ConfigRecord(dict(config)), evaluate_fn=evaluate_on_server)

    return server_app


class _Monitor:
    """Suit la simulation côté serveur : réponses des clients, ligne de progression, tableau final."""

    def __init__(self, names, num_rounds, timeout_s, verbose, started):
        self.names, self.num_rounds, self.timeout_s = list(names), num_rounds, float(timeout_s)
        self.verbose, self.started = verbose, started
        self.rows: dict[tuple[int, int], dict] = {}
        self.test: dict[int, dict] = {}
        self.result = None
        self.cancel = threading.Event()
        self.done = threading.Event()
        self.round_started = started
        self.node_to_client: dict[int, int] = {}

    def record(self, kind: str, server_round: int, client: int, metrics: dict) -> None:
        row = self.rows.setdefault((server_round, client), {})
        values = {k: float(v) for k, v in metrics.items() if isinstance(v, (int, float, np.floating, np.integer))}
        size = values.pop("num-examples", None)
        if kind == "train":
            row["num_examples"] = size
            row.update({f"train_{k}": v for k, v in values.items()})
        else:
            row["num_eval_examples"] = size
            row.update({f"eval_{k}": v for k, v in values.items()})

    def end_of_round(self, server_round: int, test_metrics) -> None:
        if test_metrics is not None:
            self.test[server_round] = {f"test_{k}": float(v) for k, v in test_metrics.items()}
        if server_round == 0 or not self.verbose:
            self.round_started = time.perf_counter()
            return
        rows = [row for (r, _), row in self.rows.items() if r == server_round]
        parts = []
        for prefix, label in (("eval", "éval. clients"), ("train", "entraînement")):
            if any(f"{prefix}_loss" in row for row in rows):
                size_key = "num_eval_examples" if prefix == "eval" else "num_examples"
                summary = [f"perte {_weighted(rows, f'{prefix}_loss', size_key):.3f}"]
                if any(f"{prefix}_accuracy" in row for row in rows):
                    summary.append(f"exactitude {_weighted(rows, f'{prefix}_accuracy', size_key):.3f}")
                parts.append(f"{label} : " + ", ".join(summary))
                break
        if "test_accuracy" in self.test.get(server_round, {}):
            parts.append(f"test : exactitude {self.test[server_round]['test_accuracy']:.3f}")
        elif "test_loss" in self.test.get(server_round, {}):
            parts.append(f"test : perte {self.test[server_round]['test_loss']:.3f}")
        now = time.perf_counter()
        print(f"  tour {server_round}/{self.num_rounds} · " + " · ".join(parts) + f" · {now - self.round_started:.1f} s",
              flush=True)
        self.round_started = now

    def dataframe(self) -> pd.DataFrame:
        records = []
        for (server_round, client), row in sorted(self.rows.items()):
            records.append({"round": server_round, "client": self.names[client], "client_id": client, **row})
        result = self.result
        rounds = sorted({r for r, _ in self.rows} | set(self.test))
        for server_round in rounds:
            row = {"round": server_round, "client": GLOBAL, "client_id": -1}
            sizes = [r.get("num_examples") for (rr, _), r in self.rows.items() if rr == server_round]
            sizes = [s for s in sizes if s is not None]
            if sizes:
                row["num_examples"] = float(sum(sizes))
            for prefix, source in (("train", result.train_metrics_clientapp), ("eval", result.evaluate_metrics_clientapp)):
                if server_round in source:
                    row.update({f"{prefix}_{k}": float(v) for k, v in source[server_round].items()
                                if k != "num-examples" and isinstance(v, (int, float))})
            eval_sizes = [r.get("num_eval_examples") for (rr, _), r in self.rows.items() if rr == server_round]
            eval_sizes = [s for s in eval_sizes if s is not None]
            if eval_sizes:
                row["num_eval_examples"] = float(sum(eval_sizes))
            row.update(self.test.get(server_round, {}))
            records.append(row)
        frame = pd.DataFrame.from_records(records)
        first = ["round", "client", "client_id", "num_examples"]
        ordered = [c for c in first if c in frame] + sorted(c for c in frame if c.startswith("train_")) \
            + [c for c in ["num_eval_examples"] if c in frame] + sorted(c for c in frame if c.startswith("eval_")) \
            + sorted(c for c in frame if c.startswith("test_"))
        frame = frame[ordered + [c for c in frame if c not in ordered]]
        for column in ("num_examples", "num_eval_examples"):
            if column in frame:
                frame[column] = frame[column].astype("Int64")
        return frame.sort_values(["round", "client_id"], key=lambda s: s.replace(-1, 10**9) if s.name == "client_id" else s,
                                 ignore_index=True)


def _weighted(rows, key, size_key) -> float:
    pairs = [(row[key], row.get(size_key) or 1.0) for row in rows if key in row]
    total = sum(size for _, size in pairs)
    return sum(value * size for value, size in pairs) / total if total else float("nan")


def _make_observed_grid_class():
    from flwr.serverapp import Grid

    class ObservedGrid(Grid):
        """Le `Grid` de Flower, observé : enregistre les réponses et s'arrête net à la première erreur d'un client."""

        def __init__(self, grid, monitor):
            self._grid, self._monitor, self._round = grid, monitor, 0

        # Délégation simple au Grid de Flower.
        def set_run(self, run):
            self._grid.set_run(run)

        @property
        def run(self):
            return self._grid.run

        def create_message(self, *args, **kwargs):
            return self._grid.create_message(*args, **kwargs)

        def get_node_ids(self):
            return self._grid.get_node_ids()

        def push_messages(self, messages):
            return self._grid.push_messages(messages)

        def pull_messages(self, message_ids):
            return self._grid.pull_messages(message_ids)

        def __getattr__(self, name):
            return getattr(self._grid, name)

        def send_and_receive(self, messages, *, timeout=None):
            messages = list(messages)
            if not messages:
                return []
            kind = messages[0].metadata.message_type.split(".")[0]
            server_round = _server_round(messages[0])
            if server_round is None:
                server_round = self._round + (1 if kind == "train" else 0)
            self._round = server_round
            destinations = {}
            for message in messages:
                destinations[message.metadata.dst_node_id] = message
            pending = set(self._grid.push_messages(messages))
            waiting_for = {m.metadata.message_id: m.metadata.dst_node_id for m in messages}
            limit = self._monitor.timeout_s if timeout is None else min(float(timeout), self._monitor.timeout_s)
            deadline = time.monotonic() + limit
            replies = []
            while pending:
                for reply in self._grid.pull_messages(pending):
                    pending.discard(reply.metadata.reply_to_message_id)
                    if reply.has_error():
                        raise self._stop_after_failure(reply, waiting_for)
                    client = _client_index(reply)
                    if client is not None:
                        self._monitor.node_to_client[reply.metadata.src_node_id] = client
                        metrics = next(iter(reply.content.metric_records.values()), {})
                        self._monitor.record(kind, server_round, client, dict(metrics))
                    replies.append(reply)
                if not pending:
                    break
                if self._monitor.cancel.is_set():
                    raise FederatedClientError("Simulation interrompue.")
                if time.monotonic() > deadline:
                    _engine.kill_pool()
                    silent = [self._describe_node(waiting_for.get(mid)) for mid in pending]
                    raise FederatedClientError(
                        f"Délai dépassé ({limit:.0f} s) au tour {server_round} ({'entraînement' if kind == 'train' else 'évaluation'}) : "
                        f"pas de réponse de {', '.join(sorted(silent))}. Un client est bloqué ou trop lent ; "
                        "augmentez `timeout_s` si l'entraînement local est vraiment long.")
                time.sleep(0.02)
            # Ordre fixe (par numéro de client) : l'agrégation donne le même résultat à chaque exécution.
            return sorted(replies, key=lambda r: (_client_index(r) is None, _client_index(r) or 0))

        def _stop_after_failure(self, reply, waiting_for):
            """Erreur d'un client : on arrête le serveur tout de suite ; les autres clients finissent leur
            calcul en cours (les acteurs restent prêts pour la simulation suivante), sauf s'ils traînent
            plus de `_STOP_GRACE_S` secondes : alors on les tue."""
            error = _client_failure(reply, self._monitor, waiting_for)
            if _actor_died(reply.error.reason or ""):
                _engine.kill_pool()
            else:
                monitor = self._monitor
                timer = threading.Timer(_STOP_GRACE_S, lambda: None if monitor.done.is_set() else _engine.kill_pool())
                timer.daemon = True
                timer.start()
            return error

        def _describe_node(self, node_id):
            client = self._monitor.node_to_client.get(node_id)
            return f"« {self._monitor.names[client]} »" if client is not None else f"nœud {node_id}"

    return ObservedGrid


_OBSERVED_GRID = None


def _ObservedGrid(grid, monitor):  # noqa: N802  (fabrique paresseuse : importer Flower seulement à l'usage)
    global _OBSERVED_GRID
    if _OBSERVED_GRID is None:
        _OBSERVED_GRID = _make_observed_grid_class()
    return _OBSERVED_GRID(grid, monitor)


def _server_round(message):
    for record in message.content.config_records.values():
        if "server-round" in record:
            return int(record["server-round"])
    return None


def _client_index(reply):
    record = reply.content.config_records.get("client") if reply.content is not None else None
    if record is None or "partition-id" not in record:
        return None
    return int(record["partition-id"])


def _actor_died(reason: str) -> bool:
    """Vrai si l'erreur vient de la mort du processus Ray du client (et non d'une exception dans son code)."""
    return "RayActorError" in reason or "ActorDiedError" in reason


def _client_failure(reply, monitor, waiting_for) -> FederatedClientError:
    reason = reply.error.reason or ""
    match = _ERROR_PATTERN.search(reason)
    if match:
        client = int(match.group(1))
        name = monitor.names[client]
        detail = match.group(2).strip()
    else:
        client = monitor.node_to_client.get(reply.metadata.src_node_id)
        name = monitor.names[client] if client is not None else f"nœud {reply.metadata.src_node_id}"
        detail = re.sub(r"^.*?Message: ", "", reason.replace("\n", " ")).strip(" '>") or reason
        if _actor_died(reason):
            detail = f"le processus du client s'est arrêté brutalement (mémoire ? plantage ?) [{detail[:300]}]"
    return FederatedClientError(f"Le client « {name} » a échoué ; la simulation est arrêtée.\n"
                                f"Erreur du client : {detail}", client=name)


# ============================================================================ côté client (acteurs Ray)
@dataclass(frozen=True)
class _ClientSpec:
    """Ce que chaque client reçoit avec chaque message : petit (les données restent dans Ray)."""

    token: str
    model_fn: Callable
    data: Any
    names: tuple
    seed: int
    shuffle: bool
    local_epochs: int
    batch_size: int
    threads: int
    in_process: bool = False


_ACTOR: dict = {}


def _make_client_app(spec: _ClientSpec, client_mods):
    from flwr.clientapp import ClientApp

    client_app = ClientApp(mods=list(client_mods or []))

    @client_app.train()
    def train(message, context):
        return _run_client(spec, "train", message, context)

    @client_app.evaluate()
    def evaluate(message, context):
        return _run_client(spec, "evaluate", message, context)

    return client_app


def _run_client(spec: _ClientSpec, kind: str, message, context):
    client = int(context.node_config["partition-id"])
    try:
        state = _client_state(spec)
        data = state["data"][client]
        return (_client_train if kind == "train" else _client_evaluate)(spec, state, data, client, message)
    except Exception as error:
        detail = f"{type(error).__name__}: {error}"
        raise RuntimeError(f"«client {client}»{detail}«fin»") from error


def _client_state(spec: _ClientSpec) -> dict:
    """Le modèle et les données de la simulation en cours, gardés par l'acteur entre deux messages."""
    global _ACTOR
    if _ACTOR.get("token") == spec.token:
        return _ACTOR
    import keras
    import tensorflow as tf

    if spec.in_process:  # dans le noyau : on ne touche ni aux réglages de TensorFlow ni à la session Keras
        model = spec.model_fn()
        _check_compiled(model)
        model.optimizer.build(model.trainable_variables)
        _ACTOR = {"configured": _ACTOR.get("configured", False), "token": spec.token, "data": spec.data,
                  "model": model, "optimizer_start": [np.array(v.numpy()) for v in model.optimizer.variables]}
        return _ACTOR
    if not _ACTOR.get("configured"):
        try:  # un acteur = `threads` cœurs ; à faire avant la première opération TensorFlow
            tf.config.threading.set_intra_op_parallelism_threads(spec.threads)
            tf.config.threading.set_inter_op_parallelism_threads(spec.threads)
        except RuntimeError:
            pass
        try:
            tf.config.experimental.enable_op_determinism()
        except Exception:
            pass
    _ACTOR = {"configured": True}
    keras.backend.clear_session()
    data = spec.data
    if not isinstance(data, list):
        import ray

        data = ray.get(data)
    model = spec.model_fn()
    _check_compiled(model)
    model.optimizer.build(model.trainable_variables)
    _ACTOR.update(token=spec.token, data=data, model=model,
                  optimizer_start=[np.array(v.numpy()) for v in model.optimizer.variables])
    return _ACTOR


def _first(records, what: str):
    for value in records.values():
        return value
    raise ValueError(f"message du serveur sans {what}")


def _client_train(spec, state, data, client, message):
    import keras
    from flwr.app import ArrayRecord, ConfigRecord, Message, MetricRecord, RecordDict

    model = state["model"]
    weights = _first(message.content.array_records, "poids (ArrayRecord)").to_numpy_ndarrays()
    config = dict(next(iter(message.content.config_records.values()), {}))
    epochs = int(config.get("local-epochs", spec.local_epochs))
    batch_size = int(config.get("batch-size", spec.batch_size))
    server_round = int(config.get("server-round", 0))
    mu = float(config.get("proximal-mu", 0.0))

    model.set_weights(weights)
    for variable, start in zip(model.optimizer.variables, state["optimizer_start"]):
        variable.assign(start)  # optimiseur neuf à chaque tour, comme un client qui vient de recevoir le modèle
    keras.utils.set_random_seed(spec.seed + 1000 * server_round + client)
    x, y = data["x"], data["y"]
    if mu > 0:
        metrics = _fit_proximal(state, model, x, y, epochs, batch_size, mu, spec.shuffle)
    else:
        history = model.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=spec.shuffle, verbose=0)
        metrics = {k: float(v[-1]) for k, v in history.history.items()}
    metrics["num-examples"] = int(len(x))
    content = RecordDict({"arrays": ArrayRecord([np.asarray(w) for w in model.get_weights()]),
                          "metrics": MetricRecord(metrics),
                          "client": ConfigRecord({"partition-id": client})})
    return Message(content=content, reply_to=message)


def _client_evaluate(spec, state, data, client, message):
    from flwr.app import ConfigRecord, Message, MetricRecord, RecordDict

    model = state["model"]
    model.set_weights(_first(message.content.array_records, "poids (ArrayRecord)").to_numpy_ndarrays())
    config = dict(next(iter(message.content.config_records.values()), {}))
    x, y = (data["x_val"], data["y_val"]) if "x_val" in data else (data["x"], data["y"])
    values = model.evaluate(x, y, batch_size=int(config.get("batch-size", max(spec.batch_size, 256))),
                            verbose=0, return_dict=True)
    metrics = {k: float(v) for k, v in values.items()}
    metrics["num-examples"] = int(len(x))
    content = RecordDict({"metrics": MetricRecord(metrics), "client": ConfigRecord({"partition-id": client})})
    return Message(content=content, reply_to=message)


def _fit_proximal(state, model, x, y, epochs, batch_size, mu, shuffle) -> dict:
    """Entraînement local de FedProx : la perte reçoit + mu/2 · ||w - w_global||² (Li et al., 2020)."""
    import tensorflow as tf

    variables = model.trainable_variables
    anchors = [tf.constant(v.numpy()) for v in variables]
    step = state.get("proximal_step")
    if step is None:
        @tf.function
        def step(xb, yb, mu_value, anchor_values):
            with tf.GradientTape() as tape:
                prediction = model(xb, training=True)
                loss = model.compute_loss(x=xb, y=yb, y_pred=prediction, training=True)
                proximal = tf.add_n([tf.reduce_sum(tf.square(v - a)) for v, a in zip(variables, anchor_values)])
                total = loss + 0.5 * mu_value * proximal
            gradients = tape.gradient(total, variables)
            model.optimizer.apply_gradients(zip(gradients, variables))
            return loss
        state["proximal_step"] = step
    n = len(x)
    rng = np.random.default_rng(int(tf.random.uniform([], maxval=2**31 - 1, dtype=tf.int64).numpy()))
    losses = []
    for _ in range(epochs):
        order = rng.permutation(n) if shuffle else np.arange(n)
        for start in range(0, n, batch_size):
            batch = order[start:start + batch_size]
            losses.append(float(step(tf.convert_to_tensor(x[batch]), tf.convert_to_tensor(y[batch]),
                                     tf.constant(mu, dtype=tf.float32), anchors)))
    values = model.evaluate(x, y, batch_size=max(batch_size, 256), verbose=0, return_dict=True)
    metrics = {k: float(v) for k, v in values.items()}
    metrics["loss"] = float(np.mean(losses[-max(1, -(-n // batch_size)):]))  # perte moyenne de la dernière époque
    return metrics
