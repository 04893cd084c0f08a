"""Le `ClientApp` et le `ServerApp` de Flower que le cours exécute : le code à lire.

`run_flower_simulation` (dans `simulation.py`) ne fait que les construire avec les fonctions
ci-dessous, puis les confier au moteur de simulation de Flower. Ce sont les objets et les noms
de la documentation de Flower (API « Message », Flower ≥ 1.21) :

- `Message` : ce que le serveur et un client s'envoient. Son contenu est un `RecordDict`,
  un dictionnaire d'enregistrements :
  - `ArrayRecord` : des tableaux (les poids du modèle) ;
  - `MetricRecord` : des nombres (perte, exactitude, nombre d'exemples) ;
  - `ConfigRecord` : des réglages (tour du serveur, époques locales, μ de FedProx...).
- `ClientApp` : le code d'un hôpital. `@app.train()` reçoit les poids globaux, entraîne sur les
  données locales et renvoie les nouveaux poids ; `@app.evaluate()` évalue le modèle reçu.
- `ServerApp` : le code du serveur. Sa fonction `main` appelle `strategy.start(...)` : la stratégie
  de Flower (FedAvg, FedProx...) fait les tours (envoi, attente des réponses, agrégation).

Ce qui n'est pas ici est de l'intendance : `monitor.py` (progression et erreurs), `clients.py` (le modèle
gardé par chaque client entre deux messages), `flower_internals.py` (les clients exécutés dans ce processus),
`simulation.py` (vérification des entrées).
"""
from __future__ import annotations

from typing import Callable

from .. import runtime as _runtime  # noqa: F401  (à importer avant TensorFlow : le rend silencieux)

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from flwr.app import Array, ArrayRecord, ConfigRecord, Context, Message, MetricRecord, RecordDict  # noqa: E402
from flwr.clientapp import ClientApp  # noqa: E402
from flwr.serverapp import Grid, ServerApp  # noqa: E402


# ============================================================================ entraînement local
def fit_locally(model, x, y, *, epochs: int, batch_size: int, config: dict) -> dict:
    """L'entraînement local d'un client, à chaque tour ; renvoie ses métriques.

    `config` est le `ConfigRecord` envoyé par le serveur (en dictionnaire) : `server-round`,
    `local-epochs`, `batch-size`, `shuffle`, et `proximal-mu` quand la stratégie est FedProx.
    """
    mu = float(config.get("proximal-mu", 0.0))
    shuffle = bool(config.get("shuffle", True))
    if mu > 0:  # FedProx : la perte reçoit un terme qui retient les poids près des poids globaux
        return fit_proximal(model, x, y, epochs=epochs, batch_size=batch_size, mu=mu, shuffle=shuffle)
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, shuffle=shuffle, verbose=0)
    return {name: float(values[-1]) for name, values in history.history.items()}  # dernière époque


@tf.function
def proximal_step(model, x_batch, y_batch, global_weights, mu):
    """Un pas de FedProx (Li et al., 2020) : perte + μ/2 · ‖w − w_global‖², puis un pas de l'optimiseur."""
    with tf.GradientTape() as tape:
        prediction = model(x_batch, training=True)
        loss = model.compute_loss(x=x_batch, y=y_batch, y_pred=prediction, training=True)
        distance = tf.add_n([tf.reduce_sum(tf.square(w - w_global))  # ‖w − w_global‖²
                             for w, w_global in zip(model.trainable_variables, global_weights)])
        total = loss + mu / 2 * distance
    gradients = tape.gradient(total, model.trainable_variables)
    model.optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    return loss


def fit_proximal(model, x, y, *, epochs: int, batch_size: int, mu: float, shuffle: bool = True) -> dict:
    """L'entraînement local de FedProx : des pas `proximal_step` sur des lots, `epochs` fois."""
    global_weights = [tf.constant(w) for w in model.trainable_variables]  # les poids reçus du serveur
    mu = tf.constant(mu, dtype=tf.float32)
    if not model.optimizer.built:  # ses variables naissent ici : `proximal_step`, déjà tracé, ne peut plus en créer
        model.optimizer.build(model.trainable_variables)
    # Ordre des exemples tiré de la graine de NumPy, que le client fixe à chaque tour : même résultat d'une
    # exécution à l'autre (un tirage eager de TensorFlow, lui, poursuivrait sa suite d'un appel à l'autre).
    rng = np.random.default_rng(np.random.randint(2**31 - 1))
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(x)) if shuffle else np.arange(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            losses.append(float(proximal_step(model, tf.convert_to_tensor(x[batch]), tf.convert_to_tensor(y[batch]),
                                              global_weights, mu)))
    metrics = model.evaluate(x, y, batch_size=max(batch_size, 256), verbose=0, return_dict=True)
    batches_per_epoch = -(-len(x) // batch_size)
    metrics["loss"] = np.mean(losses[-batches_per_epoch:])  # perte moyenne de la dernière époque (sans le terme)
    return {name: float(value) for name, value in metrics.items()}


# ============================================================================ couches locales (FedBN)
def local_weight_positions(model, local_layers) -> list[int]:
    """Positions, dans `model.get_weights()`, des poids des couches qui restent au client.

    `local_layers` : une fonction `couche -> bool`, ou un tuple de morceaux de noms de couches
    (par exemple `("batch_normalization",)`). `None` : aucune couche locale (FedAvg ordinaire).
    """
    if local_layers is None:
        return []
    if isinstance(local_layers, str):
        local_layers = (local_layers,)
    if isinstance(local_layers, (tuple, list)):
        names = tuple(local_layers)
        local_layers = lambda layer: any(name in layer.name for name in names)  # noqa: E731
    position = {id(weight): index for index, weight in enumerate(model.weights)}
    chosen = set()
    for layer in _all_layers(model):
        if local_layers(layer):
            chosen.update(position[id(weight)] for weight in layer.weights if id(weight) in position)
    return sorted(chosen)


def _all_layers(model):
    for layer in getattr(model, "layers", []):
        yield layer
        yield from _all_layers(layer)  # les couches d'un sous-modèle


# ============================================================================ le ClientApp
def make_client_app(load_client: Callable, *, local_train: Callable = fit_locally, local_layers=None,
                    mods=()) -> ClientApp:
    """Le `ClientApp` de Flower : le code qui tourne dans chaque hôpital.

    `load_client(partition_id, server_round)` renvoie `(model, data)` : le modèle Keras du client
    (optimiseur remis à neuf) et ses données `{"x", "y"}` (et `"x_val"`, `"y_val"` s'il y en a).
    `local_train` : l'entraînement local (`fit_locally` par défaut). `local_layers` : les couches dont
    les poids restent au client (FedBN), gardés d'un tour à l'autre dans `context.state`.
    """
    app = ClientApp(mods=list(mods))

    @app.train()
    def train(msg: Message, context: Context) -> Message:
        partition_id = int(context.node_config["partition-id"])  # quel hôpital suis-je ?
        config = dict(msg.content["config"])  # réglages du serveur (ConfigRecord)
        model, data = load_client(partition_id, int(config.get("server-round", 0)))
        load_global_weights(model, msg.content["arrays"])  # poids globaux reçus (ArrayRecord)
        keep_local_weights(model, context, local_layers)  # FedBN : les couches locales de CET hôpital

        metrics = local_train(model, data["x"], data["y"], epochs=int(config["local-epochs"]),
                              batch_size=int(config["batch-size"]), config=config)
        save_local_weights(model, context, local_layers)  # FedBN : gardées ici, pour le tour suivant

        metrics = {name: float(value) for name, value in metrics.items()}
        metrics["num-examples"] = len(data["x"])  # FedAvg pondère par ce nombre
        content = RecordDict({"arrays": shared_arrays(model, local_layers),  # FedBN : sans les couches locales
                              "metrics": MetricRecord(metrics),
                              "client": ConfigRecord({"partition-id": partition_id})})  # pour le suivi du cours
        return Message(content=content, reply_to=msg)

    @app.evaluate()
    def evaluate(msg: Message, context: Context) -> Message:
        partition_id = int(context.node_config["partition-id"])
        config = dict(msg.content["config"])
        model, data = load_client(partition_id, int(config.get("server-round", 0)))
        load_global_weights(model, msg.content["arrays"])
        keep_local_weights(model, context, local_layers)  # FedBN : le modèle de CET hôpital

        x, y = (data["x_val"], data["y_val"]) if "x_val" in data else (data["x"], data["y"])
        values = model.evaluate(x, y, batch_size=int(config.get("batch-size", 256)), verbose=0, return_dict=True)
        metrics = {name: float(value) for name, value in values.items()}
        metrics["num-examples"] = len(x)
        content = RecordDict({"metrics": MetricRecord(metrics),
                              "client": ConfigRecord({"partition-id": partition_id})})
        return Message(content=content, reply_to=msg)

    return app


def load_global_weights(model, arrays: ArrayRecord) -> None:
    """Charge dans `model` les poids reçus du serveur.

    Les clés de l'`ArrayRecord` sont les positions des tableaux dans `model.get_weights()` ("0", "1"...).
    Avec FedBN, le serveur n'envoie que les couches partagées (il n'a jamais reçu les autres) : seules ces
    positions sont remplacées, le reste est remis par `keep_local_weights`.
    """
    weights = model.get_weights()
    for key, array in arrays.items():
        weights[int(key)] = array.numpy()
    model.set_weights(weights)


def shared_arrays(model, local_layers) -> ArrayRecord:
    """La réponse d'un client : les poids de `model`, **sauf** ceux des couches locales (FedBN, Li et al. 2021).

    Chaque tableau est rangé sous sa position dans `model.get_weights()` : la stratégie du serveur (FedAvg...)
    moyenne clé par clé, donc seulement ce qu'elle a reçu ; les couches locales ne quittent jamais l'hôpital.
    """
    weights = model.get_weights()
    local = set(local_weight_positions(model, local_layers))
    return ArrayRecord({str(position): Array(np.asarray(value)) for position, value in enumerate(weights)
                        if position not in local})


def keep_local_weights(model, context: Context, local_layers) -> None:
    """FedBN : remet dans `model` les poids locaux du client (gardés dans `context.state`).

    Au premier tour, le client n'a encore rien à lui : il garde les valeurs initiales reçues du serveur.
    """
    positions = local_weight_positions(model, local_layers)
    if not positions:
        return
    if "local-weights" not in context.state:
        if "initial-local-weights" in context.state:  # pas encore entraîné : valeurs initiales
            mine = context.state["initial-local-weights"].to_numpy_ndarrays()
        else:
            weights = model.get_weights()
            context.state["initial-local-weights"] = ArrayRecord([weights[position] for position in positions])
            return
    else:
        mine = context.state["local-weights"].to_numpy_ndarrays()
    weights = model.get_weights()
    for position, value in zip(positions, mine):
        weights[position] = value
    model.set_weights(weights)


def save_local_weights(model, context: Context, local_layers) -> None:
    """FedBN : range dans `context.state` (la mémoire du client) les poids des couches locales, pour le tour suivant."""
    positions = local_weight_positions(model, local_layers)
    if positions:
        weights = model.get_weights()
        context.state["local-weights"] = ArrayRecord([weights[position] for position in positions])


def personal_weights(global_weights, local_weights, positions) -> list:
    """Le modèle FedBN d'un hôpital : les couches partagées du modèle global, ses couches locales à lui.

    `local_weights` : ses poids (la liste complète, ou seulement ceux des `positions` locales, dans l'ordre).
    """
    personal = [np.array(w) for w in global_weights]
    mine = [local_weights[p] for p in positions] if len(local_weights) == len(global_weights) else local_weights
    for position, value in zip(positions, mine):
        personal[position] = np.array(value)
    return personal


def reestimate_batch_norm(model, x, batch_size: int = 64) -> None:
    """Recalcule les statistiques (`moving_mean`, `moving_variance`) de chaque normalisation par lot sur `x`.

    Une passe sur `x` en mode entraînement (`training=True`), **sans** pas de gradient : aucun poids appris
    ne change. Au lot k, l'élan (`momentum`) vaut 1 − 1/k, si bien que la statistique gardée est la moyenne
    exacte de celles des lots (et non une moyenne glissante dominée par les premiers tours).
    """
    import keras

    norms = [layer for layer in _all_layers(model) if isinstance(layer, keras.layers.BatchNormalization)]
    saved = [layer.momentum for layer in norms]
    try:
        for k, start in enumerate(range(0, len(x), batch_size), start=1):
            for layer in norms:
                layer.momentum = 1.0 - 1.0 / k  # k = 1 : la statistique du premier lot remplace l'ancienne
            model(tf.convert_to_tensor(x[start:start + batch_size]), training=True)
    finally:
        for layer, momentum in zip(norms, saved):
            layer.momentum = momentum


# ============================================================================ le ServerApp
def make_evaluate_fn(model, val_data) -> Callable:
    """Évaluation centralisée : le serveur évalue le modèle global sur `val_data` = (x, y), à chaque tour."""

    def evaluate(server_round: int, arrays: ArrayRecord) -> MetricRecord | None:
        if val_data is None:
            return None
        if len(arrays) != len(model.weights):  # FedBN : sans normalisation d'hôpital, pas de modèle à évaluer
            return None
        model.set_weights(arrays.to_numpy_ndarrays())
        values = model.evaluate(val_data[0], val_data[1], verbose=0, return_dict=True)
        return MetricRecord({name: float(value) for name, value in values.items()})

    return evaluate


def make_server_app(strategy, initial_weights, *, num_rounds: int, train_config: dict,
                    evaluate_config: dict | None = None, evaluate_fn: Callable | None = None,
                    timeout: float = 3600, monitor=None) -> ServerApp:
    """Le `ServerApp` de Flower : la stratégie fait `num_rounds` tours à partir de `initial_weights`.

    `monitor` (facultatif) : le suivi du cours, qui observe les messages (progression, erreurs des
    clients) et garde le résultat ; sans lui, c'est exactement le `main` d'un exemple de Flower.
    """
    app = ServerApp()

    @app.main()
    def main(grid: Grid, context: Context) -> None:
        if monitor is not None:
            grid = monitor.watch(grid)
        result = strategy.start(
            grid=grid,
            initial_arrays=ArrayRecord([np.asarray(w) for w in initial_weights]),  # le modèle global de départ
            train_config=ConfigRecord(dict(train_config)),  # envoyé aux clients avec chaque demande d'entraînement
            evaluate_config=ConfigRecord(dict(evaluate_config or {})),
            num_rounds=num_rounds,
            timeout=timeout,
            evaluate_fn=evaluate_fn,  # évaluation centralisée, avant le 1er tour puis après chaque tour
        )
        if result.arrays is not None and 0 < len(result.arrays) < len(initial_weights):
            # FedBN : le serveur n'a que les couches partagées ; les autres positions gardent les valeurs
            # initiales (le serveur n'a jamais reçu celles des hôpitaux), pour que la liste reste complète.
            complete = [np.asarray(w) for w in initial_weights]
            for key, array in result.arrays.items():
                complete[int(key)] = array.numpy()
            result.arrays = ArrayRecord(complete)
        if monitor is not None:
            monitor.result = result  # result.arrays : les poids globaux finaux

    return app
