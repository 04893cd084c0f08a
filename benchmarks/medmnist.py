"""Banc d'essai PneumoniaMNIST : le modèle de référence du cours, centralisé puis fédéré entre trois hôpitaux non IID.

Usage (depuis la racine du dépôt) ::

    python -m benchmarks.medmnist                                # miroir hors ligne (taille réelle)
    python -m benchmarks.medmnist --data pneumoniamnist.npz      # le fichier officiel de MedMNIST (ou son dossier)
    python -m benchmarks.medmnist --json resultats.json

Protocole :

1. **Référence centralisée** (séparations officielles de MedMNIST, 28 × 28) : le CNN du cours (trois blocs
   convolution → normalisation par lot → ReLU, 16/32/64 filtres, moyenne globale, dropout), Adam 1e-3, lots de
   64, au plus `EPOCHS` époques avec arrêt précoce sur l'AUC de **validation** (meilleurs poids gardés). Mesures
   sur le test officiel : `test_auc` et `test_acc` (seuil 0,5, comme MedMNIST). Objectif sur le vrai fichier :
   AUC ≥ 0,95, au-dessus du ResNet-18 de MedMNIST v2 (AUC 0,944, ACC 0,854).
2. **Trois hôpitaux non IID**, construits comme dans `semaine_5/02` : les images d'entraînement réparties par une
   loi de Dirichlet (alpha = `ALPHA`) sur les étiquettes, validation et test officiels coupés en trois au hasard, et
   chaque hôpital vu par son appareil (`SCANNERS` : contraste, gamma, résolution, bruit ; `simulate_scanner`).
3. **Recettes**, toutes évaluées sur le **test commun** (les trois tests, chacun passé par l'appareil de son
   hôpital) par l'AUC : `pooled_auc` (les trois hôpitaux réunis, `ROUNDS × LOCAL_EPOCHS` époques),
   `fedavg_auc`, `fedprox_auc` (μ = `PROXIMAL_MU`) et `fedbn_auc` (normalisation par lot gardée à l'hôpital ;
   chaque hôpital prédit son test avec son propre modèle). Flower (`run_flower_simulation`, stratégies de
   `flwr.serverapp.strategy`), `ROUNDS` tours d'une époque locale, moteur « local » (les clients l'un après l'autre,
   même ServerApp et ClientApp que sous Ray) pour tenir en quelques minutes sur deux cœurs.
   Objectif sur le vrai fichier : la meilleure recette fédérée à moins de 0,02 d'AUC du centralisé.

Chaque recette est chronométrée (`seconds`). Les chiffres obtenus sur le miroir sont dans `MIRROR_FIGURES`.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from utils.runtime import set_seed  # avant TensorFlow : journaux réglés

ALPHA = 0.8
SCANNERS = {"A": dict(contrast=1.0, gamma=1.0, resolution=1.0, noise_std=0.0),
            "B": dict(contrast=0.6, gamma=1.6, resolution=1.0, noise_std=0.02),
            "C": dict(contrast=1.4, gamma=0.7, resolution=0.5, noise_std=0.06)}
EPOCHS = 15
PATIENCE = 4
ROUNDS = 8
LOCAL_EPOCHS = 1
BATCH_SIZE = 64
PROXIMAL_MU = 0.01
SEED = 42
# Sur le miroir (MIRROR_VERSION 1, taille réelle 4708/524/624), `python -m benchmarks.medmnist`, mesuré sur la machine
# de CI partagée à 2 cœurs (150 s au total) : la référence retrouve l'allure du vrai fichier (AUC ≈ 0,95, ACC ≈ 0,85) ;
# sur les hôpitaux non IID (appareils dégradés), FedBN dépasse le centralisé, FedAvg et FedProx restent derrière.
MIRROR_FIGURES = {"test_auc": 0.953, "test_acc": 0.845, "pooled_auc": 0.829, "fedavg_auc": 0.783,
                  "fedprox_auc": 0.732, "fedbn_auc": 0.873}


def build_model(learning_rate: float = 1e-3):
    """Le CNN de référence (28×28×1 → probabilité de la classe 1), compilé."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=(28, 28, 1), name="image")
    x = inputs
    for index, filters in enumerate((16, 32, 64), start=1):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv_{index}")(x)
        x = layers.BatchNormalization(momentum=0.9, name=f"bn_{index}")(x)
        x = layers.ReLU(name=f"relu_{index}")(x)
        if index < 3:
            x = layers.MaxPooling2D(2, name=f"pool_{index}")(x)
    x = layers.GlobalAveragePooling2D(name="moyenne_globale")(x)
    x = layers.Dropout(0.3, name="dropout")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="probabilite")(x)
    model = keras.Model(inputs, outputs, name="cnn_reference")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy",
                  metrics=[keras.metrics.AUC(name="auc"), "accuracy"])
    return model


def _auc(y, p) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p))


def train_reference(data: dict, epochs: int = EPOCHS, seed: int = SEED) -> dict:
    """Étape 1 : le modèle centralisé sur les séparations officielles ; arrêt précoce sur l'AUC de validation."""
    import keras

    x = {s: data[f"{s}_images"][..., None].astype("float32") / 255.0 for s in ("train", "val", "test")}
    y = {s: data[f"{s}_labels"].ravel().astype("float32") for s in ("train", "val", "test")}
    set_seed(seed)
    model = build_model()
    stop = keras.callbacks.EarlyStopping(monitor="val_auc", mode="max", patience=PATIENCE, restore_best_weights=True)
    history = model.fit(x["train"], y["train"], validation_data=(x["val"], y["val"]), epochs=epochs,
                        batch_size=BATCH_SIZE, callbacks=[stop], verbose=0)
    p = model.predict(x["test"], verbose=0, batch_size=512).ravel()
    return {"test_auc": _auc(y["test"], p), "test_acc": float(np.mean((p >= 0.5) == y["test"])),
            "epochs_run": len(history.history["loss"])}


def make_hospitals(data: dict, seed: int = SEED) -> dict:
    """Étape 2 : {hôpital: {"train"|"val"|"test": (images float (N, 28, 28, 1), étiquettes)}}."""
    from utils.data.medmnist import simulate_scanner
    from utils.federated import partition_dirichlet, partition_iid

    labels = {s: data[f"{s}_labels"].ravel().astype(int) for s in ("train", "val", "test")}
    parts = {"train": partition_dirichlet(labels["train"], len(SCANNERS), alpha=ALPHA, seed=seed),
             "val": partition_iid(len(labels["val"]), len(SCANNERS), seed=seed),
             "test": partition_iid(len(labels["test"]), len(SCANNERS), seed=seed)}
    hospitals = {}
    for k, (name, scanner) in enumerate(SCANNERS.items()):
        hospitals[name] = {}
        for s in ("train", "val", "test"):
            index = np.sort(parts[s][k])
            seen = simulate_scanner(data[f"{s}_images"][index], seed=seed + 10 * k + len(s), **scanner)
            hospitals[name][s] = (seen[..., None], labels[s][index].astype("float32"))
    return hospitals


def _fit_alone(x, y, initial_weights, epochs: int, seed: int):
    set_seed(seed)
    model = build_model()
    model.set_weights(initial_weights)
    model.fit(x, y, epochs=epochs, batch_size=BATCH_SIZE, verbose=0)
    return model


def _predict(weights, x) -> np.ndarray:
    from utils.federated._engine import reuse_model

    model = reuse_model("prediction", build_model())  # le modèle de l'appel précédent : prédiction déjà tracée
    model.set_weights(weights)
    return model.predict(x, verbose=0, batch_size=512).ravel()


def run_federated(hospitals: dict, rounds: int = ROUNDS, seed: int = SEED, verbose: bool = False) -> tuple[dict, dict]:
    """Étape 3 : centralisé, FedAvg, FedProx et FedBN sur les trois hôpitaux ; (AUC, secondes) par recette."""
    import keras
    from flwr.serverapp.strategy import FedAvg, FedProx

    from utils.federated import run_flower_simulation
    from utils.federated.apps import fit_locally

    names = list(hospitals)
    y_test = np.concatenate([hospitals[h]["test"][1] for h in names])
    x_test = np.concatenate([hospitals[h]["test"][0] for h in names])
    set_seed(seed)
    initial = build_model().get_weights()
    aucs, seconds = {}, {}

    start = time.perf_counter()
    pooled = _fit_alone(np.concatenate([hospitals[h]["train"][0] for h in names]),
                        np.concatenate([hospitals[h]["train"][1] for h in names]), initial, rounds * LOCAL_EPOCHS, seed)
    aucs["pooled_auc"] = _auc(y_test, pooled.predict(x_test, verbose=0, batch_size=512).ravel())
    seconds["pooled"] = time.perf_counter() - start

    clients = [(*hospitals[h]["train"], *hospitals[h]["val"]) for h in names]
    every = dict(min_available_nodes=len(names), min_train_nodes=len(names), fraction_evaluate=0.0)
    common = dict(num_rounds=rounds, local_epochs=LOCAL_EPOCHS, batch_size=BATCH_SIZE, client_names=names,
                  initial_weights=initial, seed=seed, engine="local", verbose=verbose)
    for name, strategy in (("fedavg", lambda: FedAvg(**every)),
                           ("fedprox", lambda: FedProx(proximal_mu=PROXIMAL_MU, **every))):
        start = time.perf_counter()
        _, weights = run_flower_simulation(build_model, clients, strategy=strategy, **common)
        aucs[f"{name}_auc"] = _auc(y_test, _predict(weights, x_test))
        seconds[name] = time.perf_counter() - start

    # FedBN : au dernier tour, chaque hôpital garde son modèle personnel (rangé sous sa taille d'entraînement).
    start = time.perf_counter()
    personal_dir = Path(tempfile.mkdtemp(prefix="fedbn_bench_"))

    def train_and_keep(model, x, y, *, epochs, batch_size, config):
        metrics = fit_locally(model, x, y, epochs=epochs, batch_size=batch_size, config=config)
        if int(config["server-round"]) == rounds:
            np.savez(personal_dir / f"{len(x)}.npz", *model.get_weights())
        return metrics

    sizes = [len(hospitals[h]["train"][1]) for h in names]
    if len(set(sizes)) != len(sizes):
        raise RuntimeError(f"Deux hôpitaux ont la même taille d'entraînement ({sizes}) : changez la graine.")
    run_flower_simulation(build_model, clients, strategy=lambda: FedAvg(**every), **common,
                          local_layers=lambda layer: isinstance(layer, keras.layers.BatchNormalization),
                          local_train=train_and_keep)
    predictions = []
    for h, size in zip(names, sizes):
        with np.load(personal_dir / f"{size}.npz") as saved:
            weights = [saved[f"arr_{i}"] for i in range(len(saved.files))]
        predictions.append(_predict(weights, hospitals[h]["test"][0]))
    aucs["fedbn_auc"] = _auc(y_test, np.concatenate(predictions))
    seconds["fedbn"] = time.perf_counter() - start
    return aucs, seconds


def run_benchmark(data: dict, epochs: int = EPOCHS, rounds: int = ROUNDS, seed: int = SEED,
                  verbose: bool = False) -> dict:
    """Le banc complet : un dictionnaire de chiffres (AUC, exactitude, secondes par recette)."""
    start = time.perf_counter()
    reference = train_reference(data, epochs=epochs, seed=seed)
    seconds = {"reference": time.perf_counter() - start}
    hospitals = make_hospitals(data, seed=seed)
    aucs, federated_seconds = run_federated(hospitals, rounds=rounds, seed=seed, verbose=verbose)
    seconds.update(federated_seconds)
    best = max(("fedavg", "fedprox", "fedbn"), key=lambda name: aucs[f"{name}_auc"])
    return {"test_auc": reference["test_auc"], "test_acc": reference["test_acc"], **aucs,
            "best_federated": best, "gap_to_pooled": aucs["pooled_auc"] - aucs[f"{best}_auc"],
            "reference_epochs": reference["epochs_run"], "rounds": rounds,
            "hospital_sizes": {h: len(v["train"][1]) for h, v in hospitals.items()},
            "seconds": {name: round(value, 1) for name, value in seconds.items()}}


def print_table(results: dict, source: str) -> None:
    print(f"PneumoniaMNIST — {source}")
    print(f"  référence centralisée (test officiel) : AUC {results['test_auc']:.3f}, exactitude {results['test_acc']:.3f} "
          f"({results['reference_epochs']} époques, {results['seconds']['reference']:.0f} s) ; "
          "MedMNIST v2 ResNet-18 (28) : AUC 0,944, ACC 0,854")
    print(f"  trois hôpitaux non IID {results['hospital_sizes']}, {results['rounds']} tours, test commun :")
    for name in ("pooled", "fedavg", "fedprox", "fedbn"):
        print(f"    {name:8s} AUC {results[f'{name}_auc']:.3f}   ({results['seconds'][name]:.0f} s)")
    print(f"  meilleure recette fédérée : {results['best_federated']}, à {results['gap_to_pooled']:+.3f} "
          "d'AUC du centralisé (objectif sur le vrai fichier : ≤ 0,02)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.medmnist", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="pneumoniamnist.npz officiel, ou son dossier (par défaut : le miroir)")
    parser.add_argument("--json", type=Path, help="fichier où écrire les résultats (JSON)")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help=f"époques maximales de la référence ({EPOCHS})")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"tours fédérés ({ROUNDS})")
    parser.add_argument("--verbose", action="store_true", help="une ligne par tour fédéré")
    args = parser.parse_args(argv)

    from utils.data import DataSourceError, load_medmnist
    from utils.data.medmnist import read_npz
    from utils.data.medmnist_mirror import FULL_COUNTS, make_medmnist_mirror
    from utils.runtime import data_dir

    try:
        if args.data is not None:
            data = load_medmnist("pneumoniamnist", root=args.data)
        else:
            mirror = make_medmnist_mirror("pneumoniamnist", root=data_dir() / "medmnist_mirror_full",
                                          counts=FULL_COUNTS["pneumoniamnist"])
            data = read_npz(mirror, "pneumoniamnist")  # le miroir n'a pas la somme MD5 officielle : pas d'avertissement
            print(f"Source des données : miroir hors ligne ({mirror})")
    except DataSourceError as error:
        print(f"Erreur de données : {error}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    results = run_benchmark(data, epochs=args.epochs, rounds=args.rounds, verbose=args.verbose)
    results["source"] = data["source"] if args.data is not None else "miroir hors ligne (taille réelle)"
    results["seconds"]["total"] = round(time.perf_counter() - started, 1)
    print_table(results, results["source"])
    print(f"  durée totale : {results['seconds']['total']:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))
        print(f"Résultats écrits dans {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
