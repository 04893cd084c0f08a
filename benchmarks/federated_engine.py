"""Banc d'essai du moteur fédéré : FedAvg écrit à la main contre `run_flower_simulation`.

Usage (depuis la racine du dépôt) ::

    python -m benchmarks.federated_engine                 # 3 clients, 3 tours
    python -m benchmarks.federated_engine --rounds 5 --clients 4 --json mesures.json

Même tâche pour tous (le tableau du cancer du sein de Wisconsin, scikit-learn, hors ligne ; un petit
perceptron Keras ; même découpage, mêmes poids de départ, pas de mélange des exemples) :

1. « à la main » : la boucle de FedAvg du notebook semaine_1/02 (un modèle Keras par client,
   `fit` puis `evaluate` sur chaque client, `fedavg`), dans ce processus ;
2. « Flower, dans ce processus » : `run_flower_simulation` (par défaut : le `ServerApp` et les `ClientApp`
   de Flower exécutés dans ce processus), 1re simulation puis les suivantes (le modèle Keras est repris) ;
3. « Flower + Ray (run_simulation tel quel) » : `run_flower_simulation(engine="ray")`, le moteur Ray de
   Flower sans rien de plus : Ray démarre et s'arrête à chaque appel.

Chaque mesure est répétée `--repeat` fois ; le banc affiche la médiane (et le minimum et le maximum), son
rapport à la boucle écrite à la main, et l'écart maximal entre les poids finaux de Flower et ceux de la
boucle (ils doivent coïncider à 1e-5 près).

`--plain` mesure à la place la référence de départ : un `flwr.simulation.run_simulation` écrit comme
dans les tutoriels de Flower (le `ClientApp` reconstruit le modèle à chaque message, Flower démarre puis
arrête Ray), dans un processus neuf.
Les durées dépendent de la machine et de sa charge : lancez-le plusieurs fois et gardez la médiane.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np


def load_task(num_clients: int, seed: int):
    from sklearn.datasets import load_breast_cancer
    from sklearn.preprocessing import StandardScaler

    from utils.federated import partition_iid

    features, target = load_breast_cancer(return_X_y=True)
    x = StandardScaler().fit_transform(features).astype("float32")
    y = (target == 0).astype("float32")  # 1 = tumeur maligne
    parts = partition_iid(y, num_clients, seed=seed)
    return [(x[p], y[p]) for p in parts]


def build_model():
    import keras

    model = keras.Sequential([keras.Input((30,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="binary_crossentropy",
                  metrics=["accuracy"])
    return model


def fedavg_by_hand(clients, start, rounds: int, local_epochs: int, batch_size: int):
    from utils.federated import fedavg

    models = [build_model() for _ in clients]
    weights = start
    for _ in range(rounds):
        local_weights, sizes = [], []
        for model, (x, y) in zip(models, clients):
            model.set_weights(weights)
            model.fit(x, y, epochs=local_epochs, batch_size=batch_size, shuffle=False, verbose=0)
            local_weights.append(model.get_weights())
            sizes.append(len(x))
        weights = fedavg(local_weights, sizes)
        for model, (x, y) in zip(models, clients):  # comme Flower : chaque client évalue le modèle global
            model.set_weights(weights)
            model.evaluate(x, y, verbose=0)
    return weights


def plain_flower_run(clients, start, rounds: int, local_epochs: int, batch_size: int) -> None:
    """La référence : une simulation Flower « comme dans les tutoriels », sans les outils du cours."""
    from flwr.app import ArrayRecord, Message, MetricRecord, RecordDict
    from flwr.clientapp import ClientApp
    from flwr.serverapp import ServerApp
    from flwr.serverapp.strategy import FedAvg
    from flwr.simulation import run_simulation

    client_app = ClientApp()

    @client_app.train()
    def train(message, context):
        x, y = clients[int(context.node_config["partition-id"])]
        model = build_model()
        model.set_weights(message.content["arrays"].to_numpy_ndarrays())
        model.fit(x, y, epochs=local_epochs, batch_size=batch_size, shuffle=False, verbose=0)
        return Message(RecordDict({"arrays": ArrayRecord(model.get_weights()),
                                   "metrics": MetricRecord({"num-examples": len(x)})}), reply_to=message)

    @client_app.evaluate()
    def evaluate(message, context):
        x, y = clients[int(context.node_config["partition-id"])]
        model = build_model()
        model.set_weights(message.content["arrays"].to_numpy_ndarrays())
        loss, accuracy = model.evaluate(x, y, verbose=0)
        return Message(RecordDict({"metrics": MetricRecord({"loss": loss, "accuracy": accuracy,
                                                            "num-examples": len(x)})}), reply_to=message)

    server_app = ServerApp()

    @server_app.main()
    def main(grid, context):
        n = len(clients)
        FedAvg(min_train_nodes=n, min_evaluate_nodes=n, min_available_nodes=n).start(
            grid=grid, initial_arrays=ArrayRecord(start), num_rounds=rounds)

    run_simulation(server_app=server_app, client_app=client_app, num_supernodes=len(clients))


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.federated_engine", description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--local-epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=3, help="répétitions de chaque mesure (médiane affichée)")
    parser.add_argument("--no-ray", action="store_true", help="ne mesure pas le moteur Ray (long : 30 s ou plus par appel)")
    parser.add_argument("--json", help="écrit aussi les mesures dans ce fichier JSON")
    parser.add_argument("--plain", action="store_true",
                        help="mesure seulement la référence : run_simulation comme dans les tutoriels de Flower")
    args = parser.parse_args(argv)

    import utils.runtime  # noqa: F401  (avant TensorFlow : ses réglages qui font taire TensorFlow, Flower et Ray)

    started = time.perf_counter()
    import keras

    from utils.federated import run_flower_simulation
    from utils.federated.flower_internals import quiet

    import_seconds = time.perf_counter() - started
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    clients = load_task(args.clients, args.seed)
    keras.utils.set_random_seed(args.seed)
    start = build_model().get_weights()
    settings = dict(num_rounds=args.rounds, local_epochs=args.local_epochs, batch_size=args.batch_size,
                    initial_weights=start, shuffle=False, seed=args.seed, verbose=False)

    if args.plain:
        with quiet():
            _, seconds = timed(plain_flower_run, clients, start, args.rounds, args.local_epochs, args.batch_size)
        print(f"Référence, run_simulation « comme dans les tutoriels » : {args.clients} clients × {args.rounds} "
              f"tours, {cpus} cœur(s) : {seconds:.1f} s (imports : {import_seconds:.1f} s)")
        return 0

    samples: dict[str, list[float]] = {}
    gaps: dict[str, float] = {}
    by_hand = None
    for repeat in range(args.repeat):
        by_hand, seconds = timed(fedavg_by_hand, clients, start, args.rounds, args.local_epochs, args.batch_size)
        samples.setdefault("à la main (boucle FedAvg)", []).append(seconds)
        gaps["à la main (boucle FedAvg)"] = 0.0
        engines = [("Flower, dans ce processus" + (", 1re" if repeat == 0 else ", suivante"), "local")]
        if not args.no_ray:
            engines.append(("Flower + Ray (run_simulation tel quel)", "ray"))
        for label, engine in engines:
            (_, weights), seconds = timed(run_flower_simulation, build_model, clients, engine=engine, **settings)
            samples.setdefault(label, []).append(seconds)
            gaps[label] = max(gaps.get(label, 0.0), max(float(np.max(np.abs(a - b))) for a, b in zip(weights, by_hand)))

    reference = float(np.median(samples["à la main (boucle FedAvg)"]))
    print(f"Banc d'essai du moteur fédéré : {args.clients} clients × {args.rounds} tours, "
          f"{args.local_epochs} époque(s) locale(s), {cpus} cœur(s), {args.repeat} répétition(s) ; "
          f"imports : {import_seconds:.1f} s")
    print(f"{'':40} {'médiane (s)':>11} {'min–max (s)':>13} {'rapport':>8} {'écart des poids':>16}")
    for label, values in samples.items():
        median = float(np.median(values))
        print(f"{label:40} {median:11.1f} {min(values):6.1f}–{max(values):<6.1f} {median / reference:7.1f}× "
              f"{gaps[label]:16.1e}")
    agree = all(gap < 1e-5 for gap in gaps.values())
    print("Poids finaux identiques à 1e-5 près : " + ("oui" if agree else "NON"))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"clients": args.clients, "rounds": args.rounds, "local_epochs": args.local_epochs,
                       "cpus": cpus, "import_seconds": import_seconds, "repeat": args.repeat,
                       "measures": {k: {"seconds": v, "median": float(np.median(v)),
                                        "ratio": float(np.median(v)) / reference, "max_weight_gap": gaps[k]}
                                    for k, v in samples.items()}}, handle, ensure_ascii=False, indent=2)
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main())
