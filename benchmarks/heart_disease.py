"""Banc d'essai Fed-Heart-Disease : le protocole de FLamby (Ogier du Terrail et al., NeurIPS 2022) sur nos données.

Usage (depuis la racine du dépôt) ::

    python -m benchmarks.heart_disease                      # miroir hors ligne
    python -m benchmarks.heart_disease --data DOSSIER       # vrais fichiers UCI processed.*.data
    python -m benchmarks.heart_disease --json resultats.json

Protocole (celui de `flamby.datasets.fed_heart_disease`) :

1. colonnes slope, ca et thal retirées (presque toujours manquantes hors Cleveland), puis toute ligne
   incomplète retirée : il reste 740 patients (303/261/46/130) ;
2. cp et restecg en indicatrices (la première modalité retirée) : 13 variables ; cible num > 0 ;
3. dans chaque hôpital, séparation 66 % / 34 % stratifiée, graine 43 ;
4. centrage-réduction de chaque hôpital avec les statistiques de *sa* partie d'entraînement
   (l'entraînement centralisé « pooled » utilise celles de toute la partie d'entraînement) ; chol = 0 est
   gardé tel quel, comme dans FLamby (en Suisse l'écart-type est nul : la colonne devient 0) ;
5. régression logistique ; on rapporte l'exactitude sur le test *poolé* (les quatre parties de test).

Les entraînements sont écrits en NumPy, pour que le banc tourne en quelques secondes en CI. Ils suivent
exactement les algorithmes de Flower : FedAvg (McMahan et al. 2017) fait la moyenne des poids des clients
pondérée par leur nombre d'exemples ; FedAdam (Reddi et al. 2021, `flwr` FedAdam) applique Adam, côté
serveur, au pseudo-gradient (moyenne pondérée des poids clients moins les poids globaux). Les clients
font des pas de SGD sur des mini-lots de 4, comme dans FLamby. Les notebooks, eux, passent par Flower
(`utils.federated.run_flower_simulation`).

Chiffres publiés par FLamby sur les vrais fichiers (exactitude, test poolé) : pooled 0,795 ;
FedAvg 0,753 ± 0,031 ; FedAdam 0,787 ; local Cleveland 0,787 ; local Suisse 0,572.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from utils.data.heart_disease import federated_mean_std, load_heart_disease, local_sums
from utils.data.sources import DataSourceError

HOSPITALS = ("cleveland", "hungarian", "switzerland", "va")
FLAMBY_COLUMNS = ("age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalach", "exang", "oldpeak")
FLAMBY_REFERENCE = {"pooled": 0.795, "fedavg": 0.753, "fedadam": 0.787,
                    "local_cleveland": 0.787, "local_switzerland": 0.572}
TRAIN_FRACTION, SPLIT_SEED = 0.66, 43
BATCH_SIZE = 4
# Réglages (choisis une fois pour toutes, identiques pour le miroir et les vraies données).
POOLED_EPOCHS, POOLED_LR = 50, 1e-3        # Adam, comme FLamby (NUM_EPOCHS_POOLED = 50, LR = 0.001)
ROUNDS, LOCAL_STEPS, CLIENT_LR = 30, 25, 0.05
FEDADAM_SERVER_LR, FEDADAM_TAU = 0.05, 1e-3  # tau : valeur par défaut de flwr FedAdam
SEEDS = (0, 1, 2, 3, 4)


# --------------------------------------------------------------------------- données
def flamby_features(data: pd.DataFrame) -> pd.DataFrame:
    """Étapes 1 et 2 : 10 colonnes, lignes complètes, cp et restecg en indicatrices → 13 variables."""
    frame = data[list(FLAMBY_COLUMNS) + ["hospital", "target"]].dropna().reset_index(drop=True)
    for column, codes in (("cp", (2, 3, 4)), ("restecg", (1, 2))):  # modalités fixées par le dictionnaire UCI
        for code in codes:
            frame[f"{column}_{code}"] = (frame[column] == code).astype(float)
    return frame.drop(columns=["cp", "restecg"])


def feature_names(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in ("hospital", "target")]


def split_hospitals(frame: pd.DataFrame) -> dict:
    """Étape 3 : {hôpital: (X_train, y_train, X_test, y_test)} en données brutes (non réduites)."""
    columns, clients = feature_names(frame), {}
    for hospital in HOSPITALS:
        part = frame[frame["hospital"] == hospital]
        X, y = part[columns].to_numpy(float), part["target"].to_numpy(int)
        counts = np.bincount(y, minlength=2)
        stratify = y if counts.min() > 2 else None  # la règle de FLamby
        train_index, test_index = train_test_split(np.arange(len(y)), train_size=TRAIN_FRACTION,
                                                   test_size=1 - TRAIN_FRACTION, random_state=SPLIT_SEED,
                                                   shuffle=True, stratify=stratify)
        clients[hospital] = (X[train_index], y[train_index], X[test_index], y[test_index])
    return clients


def standardize(X: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    return (X - mean) / (std + 1e-9)


def local_stats(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return X.mean(axis=0), X.std(axis=0, ddof=1)  # ddof=1 : comme torch.std dans FLamby


def federated_stats(client_arrays: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Moyenne et écart-type globaux à partir des seules sommes envoyées par chaque client."""
    mean, std = federated_mean_std([local_sums(X) for X in client_arrays])
    return mean.to_numpy(), std.to_numpy()


# --------------------------------------------------------------------------- régression logistique (NumPy)
def init_weights(n_features: int, seed: int) -> np.ndarray:
    """Poids initiaux (dernier terme : biais), tirés comme ceux d'une couche linéaire PyTorch."""
    bound = 1 / np.sqrt(n_features)
    return np.random.default_rng(seed).uniform(-bound, bound, n_features + 1)


def predict_proba(weights: np.ndarray, X: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(X @ weights[:-1] + weights[-1], -30, 30)))


def gradient(weights: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    error = predict_proba(weights, X) - y
    return np.append(X.T @ error, error.sum()) / len(y)


def accuracy(weights: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    return float(((predict_proba(weights, X) >= 0.5) == y).mean())


def train_adam(X, y, weights, epochs: int, lr: float, seed: int) -> np.ndarray:
    """Entraînement centralisé (pooled, local) : Adam sur des mini-lots de 4, `epochs` passages."""
    rng, weights = np.random.default_rng(seed), weights.copy()
    m, v, step = np.zeros_like(weights), np.zeros_like(weights), 0
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), BATCH_SIZE):
            batch = order[start:start + BATCH_SIZE]
            g, step = gradient(weights, X[batch], y[batch]), step + 1
            m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
            weights -= lr * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
    return weights


def local_sgd(X, y, weights, steps: int, lr: float, rng) -> np.ndarray:
    """Travail d'un client pendant un tour : `steps` pas de SGD sur des mini-lots de 4 tirés dans ses données."""
    weights = weights.copy()
    order = np.concatenate([rng.permutation(len(y)) for _ in range(steps * BATCH_SIZE // len(y) + 1)])
    for step in range(steps):
        batch = order[step * BATCH_SIZE:(step + 1) * BATCH_SIZE]
        weights -= lr * gradient(weights, X[batch], y[batch])
    return weights


def federated(clients_train: list, weights, rounds: int, seed: int, server: str = "fedavg") -> np.ndarray:
    """FedAvg ou FedAdam sur les clients [(X, y), ...] ; renvoie les poids globaux finaux."""
    rng = np.random.default_rng(seed)
    sizes = np.array([len(y) for _, y in clients_train], dtype=float)
    m, v = np.zeros_like(weights), np.zeros_like(weights)
    for server_round in range(1, rounds + 1):
        updates = [local_sgd(X, y, weights, LOCAL_STEPS, CLIENT_LR, rng) for X, y in clients_train]
        average = np.average(updates, axis=0, weights=sizes)  # la moyenne pondérée de FedAvg
        if server == "fedavg":
            weights = average
        else:  # FedAdam : Adam côté serveur sur le pseudo-gradient (les formules de flwr FedAdam)
            delta = average - weights
            m = 0.9 * m + 0.1 * delta
            v = 0.99 * v + 0.01 * delta * delta
            eta = FEDADAM_SERVER_LR * np.sqrt(1 - 0.99 ** (server_round + 1)) / (1 - 0.9 ** (server_round + 1))
            weights = weights + eta * m / (np.sqrt(v) + FEDADAM_TAU)
    return weights


# --------------------------------------------------------------------------- banc d'essai
def run_benchmark(data: pd.DataFrame, seeds=SEEDS) -> dict:
    """Exactitude sur le test poolé de chaque recette (moyenne sur les graines ; écart-type en `_std`)."""
    frame = flamby_features(data)
    clients = split_hospitals(frame)
    n_features = len(feature_names(frame))
    # Chaque hôpital réduit ses données (entraînement et test) avec les statistiques de son entraînement.
    local = {h: local_stats(Xtr) for h, (Xtr, _, _, _) in clients.items()}
    train = [(standardize(Xtr, *local[h]), ytr) for h, (Xtr, ytr, _, _) in clients.items()]
    X_test = np.vstack([standardize(Xte, *local[h]) for h, (_, _, Xte, _) in clients.items()])
    y_test = np.concatenate([yte for (_, _, _, yte) in clients.values()])
    # Pooled : une seule réduction, avec les statistiques de toute la partie d'entraînement.
    X_pool_raw = np.vstack([Xtr for (Xtr, _, _, _) in clients.values()])
    pooled_stats = local_stats(X_pool_raw)
    X_pool = standardize(X_pool_raw, *pooled_stats)
    y_pool = np.concatenate([ytr for (_, ytr, _, _) in clients.values()])
    X_test_pooled = standardize(np.vstack([Xte for (_, _, Xte, _) in clients.values()]), *pooled_stats)

    # Statistiques fédérées : chaque hôpital n'envoie que (effectif, somme, somme des carrés) par variable.
    global_stats = federated_stats([Xtr for (Xtr, _, _, _) in clients.values()])
    train_global = [(standardize(Xtr, *global_stats), ytr) for (Xtr, ytr, _, _) in clients.values()]
    X_test_global = standardize(np.vstack([Xte for (_, _, Xte, _) in clients.values()]), *global_stats)

    scores: dict[str, list[float]] = {}
    for seed in seeds:
        start = init_weights(n_features, seed)
        pooled_steps = POOLED_EPOCHS * int(np.ceil(len(y_pool) / BATCH_SIZE))
        runs = {"pooled": accuracy(train_adam(X_pool, y_pool, start, POOLED_EPOCHS, POOLED_LR, seed),
                                   X_test_pooled, y_test)}
        for hospital, (X, y) in zip(clients, train):
            # Même nombre de pas d'optimisation que le modèle poolé (règle de FLamby pour les modèles locaux).
            epochs = int(np.ceil(pooled_steps / np.ceil(len(y) / BATCH_SIZE)))
            runs[f"local_{hospital}"] = accuracy(train_adam(X, y, start, epochs, POOLED_LR, seed), X_test, y_test)
        runs["fedavg"] = accuracy(federated(train, start, ROUNDS, seed, "fedavg"), X_test, y_test)
        runs["fedadam"] = accuracy(federated(train, start, ROUNDS, seed, "fedadam"), X_test, y_test)
        # Notre recette : mêmes FedAvg, mais réduction avec des statistiques *fédérées* (sommes par client).
        runs["fedavg_federated_stats"] = accuracy(federated(train_global, start, ROUNDS, seed, "fedavg"),
                                                  X_test_global, y_test)
        for name, value in runs.items():
            scores.setdefault(name, []).append(value)
    results = {name: round(float(np.mean(values)), 4) for name, values in scores.items()}
    results.update({f"{name}_std": round(float(np.std(values)), 4) for name, values in scores.items()})
    results["n_seeds"] = len(seeds)
    results["n_patients"] = int(len(frame))
    results["n_features"] = n_features
    results["n_test"] = int(len(y_test))
    return results


def print_table(results: dict, source: str) -> None:
    print(f"Fed-Heart-Disease, protocole FLamby — données : {source}")
    print(f"{results['n_patients']} patients, {results['n_features']} variables, {results['n_test']} patients de test "
          f"(poolés) ; moyenne ± écart-type sur {results['n_seeds']} graine(s).")
    print(f"{'recette':<24} {'exactitude':>18}   {'FLamby (vrais fichiers)'}")
    for name, value in results.items():
        if name.endswith("_std") or name.startswith("n_"):
            continue
        spread = f"{value:.3f} ± {results[name + '_std']:.3f}"
        reference = FLAMBY_REFERENCE.get(name)
        print(f"{name:<24} {spread:>18}   {'' if reference is None else f'{reference:.3f}'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.heart_disease", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="dossier des fichiers UCI processed.*.data (par défaut : le miroir)")
    parser.add_argument("--json", type=Path, help="fichier où écrire les résultats (JSON)")
    parser.add_argument("--seeds", type=int, default=len(SEEDS),
                        help=f"nombre de graines d'initialisation (défaut : {len(SEEDS)} ; la séparation reste celle de FLamby)")
    args = parser.parse_args(argv)
    try:
        data = load_heart_disease(root=args.data) if args.data else load_heart_disease(source="offline")
    except DataSourceError as error:
        print(f"Données illisibles : {error}", file=sys.stderr)
        return 2
    source = f"fichiers du dossier {args.data}" if args.data else "miroir hors ligne (patients synthétiques)"
    start = time.perf_counter()
    if args.seeds < 1:
        parser.error("--seeds doit valoir au moins 1")
    results = run_benchmark(data, seeds=tuple(range(args.seeds)))
    print_table(results, source)
    print(f"Durée : {time.perf_counter() - start:.1f} s")
    if args.json:
        args.json.write_text(json.dumps({**results, "data": source}, indent=2, ensure_ascii=False) + "\n",
                             encoding="utf-8")
        print(f"Résultats écrits dans {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
