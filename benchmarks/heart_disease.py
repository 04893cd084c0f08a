"""Banc d'essai Fed-Heart-Disease : le protocole de FLamby (Ogier du Terrail et al., NeurIPS 2022) sur nos données.

Usage (depuis la racine du dépôt) ::

    python -m benchmarks.heart_disease --seeds 5                 # miroir hors ligne
    python -m benchmarks.heart_disease --data DOSSIER --seeds 5  # vrais fichiers UCI processed.*.data
    python -m benchmarks.heart_disease --json resultats.json

Protocole : celui du code de FLamby (dépôt owkin/FLamby), relu fichier par fichier :
`flamby/datasets/fed_heart_disease/{dataset.py, common.py, model.py, metric.py}`,
`flamby/benchmarks/{fed_benchmark.py, benchmark_utils.py}`, `flamby/strategies/{fed_avg.py, fed_opt.py, utils.py}`
et la configuration `flamby/config_heart_disease.json` des résultats publiés
(`flamby/results/results_benchmark_fed_heart_disease/heart_seed42.csv` … `heart_seed46.csv`).

1. Colonnes slope, ca et thal retirées (ca et thal manquent dans la plupart des hôpitaux, slope dans deux), puis toute ligne
   incomplète retirée : il reste 740 patients (303/261/46/130).
2. cp et restecg en indicatrices, la première modalité retirée (`pd.get_dummies(..., drop_first=True)`) :
   13 variables ; cible num > 0.
3. Dans chaque hôpital, séparation 66 % / 34 % (`train_test_split`, graine 43), stratifiée sauf si une classe
   a 2 patients ou moins (la Suisse n'a qu'un patient sain) : 486 patients d'entraînement, 254 de test.
4. Centrage-réduction (écart-type à ddof = 1, comme `torch.std`, plus 1e-9 au dénominateur) :
   - chaque hôpital, entraînement et test, avec les statistiques de *sa* partie d'entraînement ;
   - le jeu « pooled » (entraînement et test commun) avec celles de toute la partie d'entraînement.
   chol = 0 (non mesuré) est gardé tel quel ; en Suisse l'écart-type est nul et la colonne devient 0.
5. Modèle : régression logistique (`Baseline` = une couche linéaire + sigmoïde), perte BCE moyenne,
   poids initiaux uniformes dans ±1/√13 (initialisation d'une couche linéaire PyTorch), les mêmes pour
   toutes les recettes d'une graine.
6. Centralisé (« pooled ») et local (un hôpital seul) : Adam, lr = 0,001, mini-lots de 4 mélangés à chaque
   époque (dernier lot incomplet gardé), `NUM_EPOCHS_POOLED` = 50 époques *sur ses propres données*
   (un modèle local suisse fait donc 8 × 50 = 400 pas, le modèle centralisé 122 × 50 = 6 100).
7. Stratégies fédérées : 4 clients, 100 mises à jour locales (mini-lots de 4) par tour, le flux de mini-lots de
   chaque client continuant d'un tour à l'autre (`DataLoaderWithMemory`) ; nombre de tours
   `get_nb_max_rounds(100)` = (486 // 4 // 4) × 50 // 100 = 15 ; SGD côté client ; moyenne des mises à jour
   pondérée par le nombre de patients d'entraînement. Hyper-paramètres de `config_heart_disease.json` :
   FedAvg lr client 0,001 ; FedProx lr 0,001, μ = 0,01 ; FedAdam lr client 0,01, lr serveur 0,01,
   τ = 1e-8, β1 = 0,9, β2 = 0,999, *sans* correction de biais (`flamby/strategies/fed_opt.py`).
8. Mesure lue : l'exactitude, seuil `> 0,5`, sur le **test commun** (« Pooled Test » dans les CSV de FLamby :
   les 254 patients de test, centrés-réduits avec les statistiques du jeu pooled, pour *tous* les modèles,
   y compris les modèles fédérés entraînés sur des données réduites localement). Le graphique de FLamby
   montre, lui, la moyenne des exactitudes des quatre tests locaux (chacun réduit avec ses statistiques) :
   nous la donnons aussi (`*_per_centre`), avec l'AUC ROC sur le test commun (`*_auc`).

Notre recette en plus (pas dans FLamby) : `fedavg_federated_stats`, le même FedAvg, mais chaque hôpital réduit
ses données avec des statistiques *fédérées* (chaque hôpital n'envoie que effectif, somme et somme des carrés
par variable) : les mêmes que celles du jeu pooled, donc entraînement et test commun réduits de la même façon.

Écarts qui restent avec FLamby (à connaître avant de comparer) :
- les entraînements sont écrits en NumPy (float64) et non en PyTorch (float32), pour que le banc tourne en
  quelques secondes en CI ; les formules (BCE, Adam de PyTorch, SGD, FedAvg, FedProx, FedAdam de FLamby)
  sont les mêmes, mais les tirages aléatoires (poids initiaux, ordre des mini-lots) ne sont pas ceux de
  `torch.manual_seed` : nos graines 42 à 46 reproduisent la *loi* des résultats de FLamby, pas ses tirages ;
- FLamby lit les fichiers par `glob("*.data")` ; nous les lisons dans l'ordre fixe des hôpitaux (la séparation
  est faite hôpital par hôpital, l'ordre ne change rien aux jeux obtenus) ;
- la sortie vaut exactement 0,5 avec une probabilité nulle : `> 0,5` (FLamby) et `>= 0,5` ne diffèrent pas ici.

Chiffres de FLamby (exactitude sur le test commun, moyenne ± écart-type (ddof = 1) sur ses graines 42 à 46) :
`FLAMBY_REFERENCE`, lus dans les lignes « Pooled Test » de ses fichiers
`flamby/results/results_benchmark_fed_heart_disease/heart_seed42.csv` … `heart_seed46.csv` au commit `edacf54`
du dépôt owkin/FLamby ; `flamby_reference_from_files(dossier)` refait ce calcul sur une copie de ces fichiers.
Attention : le graphique publié par FLamby (`flamby/results/plot_results.py`) écarte ces lignes et montre la moyenne
des exactitudes des quatre tests locaux ; le cours lit le test commun (la moyenne des tests locaux est dans
`*_per_centre`).

Sur le miroir (MIRROR_VERSION 4), `python -m benchmarks.heart_disease --seeds 5` donne `MIRROR_FIGURES` : chaque
recette à 0,02 près de FLamby (le miroir a été réglé pour cela : `utils/data/heart_disease_mirror.py`).
Sur les vrais fichiers UCI (copie publique, mesure du 06/12, 5 graines ; à refaire avec `--data`), le banc a donné FedAvg
0,737 ± 0,022, FedAdam 0,779 ± 0,013, pooled 0,794, local suisse 0,529, local Long Beach 0,585 : proche de FLamby.
Les notebooks, eux, passent par Flower (`utils.federated.run_flower_simulation`).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from utils.data.heart_disease import federated_mean_std, load_heart_disease, local_sums
from utils.data.sources import DataSourceError

HOSPITALS = ("cleveland", "hungarian", "switzerland", "va")
FLAMBY_COLUMNS = ("age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalach", "exang", "oldpeak")
# FLamby (dépôt owkin/FLamby, commit edacf54), fichiers
# flamby/results/results_benchmark_fed_heart_disease/heart_seed42.csv … heart_seed46.csv, lignes « Pooled Test » :
# (moyenne, écart-type à ddof = 1) de l'exactitude sur ses 5 graines. FedProx : μ = 0,01. « cyclic » (Cyclic100)
# n'est pas refait par ce banc ; il est donné pour mémoire.
FLAMBY_COMMIT = "edacf54"
FLAMBY_REFERENCE = {
    "pooled": (0.795, 0.003), "local_cleveland": (0.784, 0.007), "local_hungarian": (0.727, 0.013),
    "local_switzerland": (0.483, 0.045), "local_va": (0.611, 0.039), "fedavg": (0.748, 0.027),
    "fedprox": (0.748, 0.027), "fedadam": (0.779, 0.015), "cyclic": (0.785, 0.012),
}
FLAMBY_METHODS = {"Pooled Training": "pooled", "Local 0": "local_cleveland", "Local 1": "local_hungarian",
                  "Local 2": "local_switzerland", "Local 3": "local_va", "FedAvg100": "fedavg",
                  "FedProx100": "fedprox", "FedAdam100": "fedadam", "Cyclic100": "cyclic"}
# Le même banc sur le miroir (MIRROR_VERSION 4), 5 graines : (moyenne, écart-type) ; mesuré, pas estimé.
MIRROR_FIGURES = {
    "pooled": (0.789, 0.002), "local_cleveland": (0.774, 0.015), "local_hungarian": (0.713, 0.015),
    "local_switzerland": (0.502, 0.054), "local_va": (0.594, 0.039), "fedavg": (0.748, 0.019),
    "fedprox": (0.748, 0.019), "fedadam": (0.778, 0.009), "fedavg_federated_stats": (0.774, 0.010),
}
TRAIN_FRACTION, SPLIT_SEED = 0.66, 43
BATCH_SIZE = 4
NUM_EPOCHS_POOLED, POOLED_LR = 50, 1e-3       # common.py : Adam, LR = 0.001, NUM_EPOCHS_POOLED = 50
NUM_UPDATES = 100                             # fed_benchmark.py : run_num_updates = [100]
ROUNDS = (486 // 4 // BATCH_SIZE) * NUM_EPOCHS_POOLED // NUM_UPDATES  # common.py get_nb_max_rounds : 15
STRATEGIES = {                                # config_heart_disease.json des résultats publiés
    "fedavg": {"client_lr": 1e-3},
    "fedprox": {"client_lr": 1e-3, "mu": 0.01},
    "fedadam": {"client_lr": 1e-2, "server_lr": 1e-2, "tau": 1e-8, "beta1": 0.9, "beta2": 0.999},
}
SEEDS = (42, 43, 44, 45, 46)                  # les graines des résultats publiés


def flamby_reference_from_files(folder: Path | str) -> dict:
    """`FLAMBY_REFERENCE` recalculé depuis les fichiers heart_seed42.csv … heart_seed46.csv de FLamby (dossier
    `flamby/results/results_benchmark_fed_heart_disease`) : lignes « Pooled Test », moyenne et écart-type (ddof = 1)."""
    files = sorted(Path(folder).glob("heart_seed4[2-6].csv"))
    if len(files) != 5:
        raise FileNotFoundError(f"{folder} : il faut les 5 fichiers heart_seed42.csv … heart_seed46.csv de FLamby.")
    rows = pd.concat([pd.read_csv(file) for file in files])
    rows = rows[(rows["Test"] == "Pooled Test") & rows["Method"].isin(list(FLAMBY_METHODS))]
    summary = rows.groupby("Method")["Metric"].agg(["mean", "std"])  # std de pandas : ddof = 1
    return {FLAMBY_METHODS[method]: (round(float(row["mean"]), 3), round(float(row["std"]), 3))
            for method, row in summary.iterrows()}


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
    """Gradient de la perte BCE moyenne sur le mini-lot."""
    error = predict_proba(weights, X) - y
    return np.append(X.T @ error, error.sum()) / len(y)


def accuracy(weights: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    return float(((predict_proba(weights, X) > 0.5) == y).mean())  # metric.py : y_pred > 0.5


class BatchStream:
    """Mini-lots de 4 tirés sans fin, mélangés à chaque époque, dernier lot incomplet gardé.

    C'est le `DataLoader(shuffle=True)` enveloppé dans `DataLoaderWithMemory` de FLamby : un client reprend,
    au tour suivant, là où il s'était arrêté.
    """

    def __init__(self, n: int, rng: np.random.Generator):
        self.n, self.rng, self.queue = n, rng, []

    def next(self) -> np.ndarray:
        if not self.queue:
            order = self.rng.permutation(self.n)
            self.queue = [order[i:i + BATCH_SIZE] for i in range(0, self.n, BATCH_SIZE)]
        return self.queue.pop(0)


def train_adam(X, y, weights, epochs: int, lr: float, seed: int) -> np.ndarray:
    """Centralisé ou local : Adam (formules de torch.optim.Adam) sur `epochs` passages en mini-lots de 4."""
    stream, weights = BatchStream(len(y), np.random.default_rng(seed)), weights.copy()
    m, v = np.zeros_like(weights), np.zeros_like(weights)
    for step in range(1, epochs * int(np.ceil(len(y) / BATCH_SIZE)) + 1):
        batch = stream.next()
        g = gradient(weights, X[batch], y[batch])
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        weights -= lr * (m / (1 - 0.9 ** step)) / (np.sqrt(v / (1 - 0.999 ** step)) + 1e-8)
    return weights


def local_sgd(X, y, weights, stream: BatchStream, steps: int, lr: float, mu: float = 0.0) -> np.ndarray:
    """Travail d'un client pendant un tour : `steps` pas de SGD ; avec μ > 0, terme proximal de FedProx.

    La perte du client devient BCE + μ/2 ‖w − w_global‖² : son gradient ajoute μ (w − w_global).
    """
    start, weights = weights, weights.copy()
    for _ in range(steps):
        batch = stream.next()
        weights -= lr * (gradient(weights, X[batch], y[batch]) + mu * (weights - start))
    return weights


def federated(clients_train: list, weights, seed: int, strategy: str = "fedavg",
              rounds: int = ROUNDS, num_updates: int = NUM_UPDATES) -> np.ndarray:
    """FedAvg, FedProx ou FedAdam (formules de FLamby) sur les clients [(X, y), ...] ; renvoie les poids finaux."""
    settings = STRATEGIES[strategy]
    streams = [BatchStream(len(y), np.random.default_rng([seed, i])) for i, (_, y) in enumerate(clients_train)]
    sizes = np.array([len(y) for _, y in clients_train], dtype=float)
    m, v, weights = np.zeros_like(weights), np.zeros_like(weights), weights.copy()
    for _ in range(rounds):
        updates = [local_sgd(X, y, weights, stream, num_updates, settings["client_lr"], settings.get("mu", 0.0))
                   for (X, y), stream in zip(clients_train, streams)]
        delta = np.average(updates, axis=0, weights=sizes) - weights  # moyenne pondérée des mises à jour
        if strategy != "fedadam":
            weights = weights + delta
        else:  # Adam côté serveur sur la mise à jour moyenne, sans correction de biais (fed_opt.py)
            m = settings["beta1"] * m + (1 - settings["beta1"]) * delta
            v = settings["beta2"] * v + (1 - settings["beta2"]) * delta * delta
            weights = weights + settings["server_lr"] * m / (np.sqrt(v) + settings["tau"])
    return weights


# --------------------------------------------------------------------------- banc d'essai
def prepare(data: pd.DataFrame) -> dict:
    """Étapes 1 à 4 : les jeux réduits de chaque recette."""
    frame = flamby_features(data)
    clients = split_hospitals(frame)
    local = {h: local_stats(Xtr) for h, (Xtr, _, _, _) in clients.items()}
    pooled_stats = local_stats(np.vstack([Xtr for (Xtr, _, _, _) in clients.values()]))
    global_stats = federated_stats([Xtr for (Xtr, _, _, _) in clients.values()])
    return {
        "frame": frame, "clients": clients,
        # chaque hôpital réduit avec ses statistiques
        "train_local": [(standardize(Xtr, *local[h]), ytr) for h, (Xtr, ytr, _, _) in clients.items()],
        "tests_local": [(standardize(Xte, *local[h]), yte) for h, (_, _, Xte, yte) in clients.items()],
        # jeu pooled et test commun : statistiques de toute la partie d'entraînement
        "train_pooled": (standardize(np.vstack([c[0] for c in clients.values()]), *pooled_stats),
                         np.concatenate([c[1] for c in clients.values()])),
        "test_common": (standardize(np.vstack([c[2] for c in clients.values()]), *pooled_stats),
                        np.concatenate([c[3] for c in clients.values()])),
        # notre recette : statistiques fédérées (les mêmes que celles du jeu pooled)
        "train_global": [(standardize(Xtr, *global_stats), ytr) for (Xtr, ytr, _, _) in clients.values()],
        "tests_global": [(standardize(Xte, *global_stats), yte) for (_, _, Xte, yte) in clients.values()],
    }


def evaluate(weights: np.ndarray, test_common: tuple, tests_per_centre: list) -> dict:
    """Exactitude et AUC sur le test commun ; moyenne des exactitudes des quatre tests locaux."""
    X, y = test_common
    return {"accuracy": accuracy(weights, X, y), "auc": float(roc_auc_score(y, predict_proba(weights, X))),
            "per_centre": float(np.mean([accuracy(weights, Xc, yc) for Xc, yc in tests_per_centre]))}


def run_benchmark(data: pd.DataFrame, seeds=SEEDS) -> dict:
    """Exactitude sur le test commun de chaque recette (moyenne sur les graines ; écart-type en `_std`),
    AUC sur le test commun (`_auc`) et moyenne des exactitudes des quatre tests locaux (`_per_centre`)."""
    sets = prepare(data)
    n_features = len(feature_names(sets["frame"]))
    scores: dict[str, list[dict]] = {}
    for seed in seeds:
        start = init_weights(n_features, seed)
        models = {"pooled": train_adam(*sets["train_pooled"], start, NUM_EPOCHS_POOLED, POOLED_LR, seed)}
        for hospital, (X, y) in zip(HOSPITALS, sets["train_local"]):
            models[f"local_{hospital}"] = train_adam(X, y, start, NUM_EPOCHS_POOLED, POOLED_LR, seed)
        for strategy in STRATEGIES:
            models[strategy] = federated(sets["train_local"], start, seed, strategy)
        models["fedavg_federated_stats"] = federated(sets["train_global"], start, seed, "fedavg")
        for name, weights in models.items():
            # notre recette réduit aussi ses tests locaux avec les statistiques fédérées
            per_centre = sets["tests_global"] if name == "fedavg_federated_stats" else sets["tests_local"]
            scores.setdefault(name, []).append(evaluate(weights, sets["test_common"], per_centre))
    results: dict = {}
    for name, runs in scores.items():
        values = np.array([run["accuracy"] for run in runs])
        results[name] = round(float(values.mean()), 4)
        results[f"{name}_std"] = round(float(values.std()), 4)
        results[f"{name}_auc"] = round(float(np.mean([run["auc"] for run in runs])), 4)
        results[f"{name}_per_centre"] = round(float(np.mean([run["per_centre"] for run in runs])), 4)
    results["n_seeds"] = len(seeds)
    results["n_patients"] = int(len(sets["frame"]))
    results["n_features"] = n_features
    results["n_test"] = int(len(sets["test_common"][1]))
    return results


RECIPES = ("pooled", "local_cleveland", "local_hungarian", "local_switzerland", "local_va",
           "fedavg", "fedprox", "fedadam", "fedavg_federated_stats")


def print_table(results: dict, source: str) -> None:
    print(f"Fed-Heart-Disease, protocole FLamby — données : {source}")
    print(f"{results['n_patients']} patients, {results['n_features']} variables, {results['n_test']} patients "
          f"au test commun ; moyenne ± écart-type sur {results['n_seeds']} graine(s).")
    print(f"{'recette':<24} {'exactitude':>15} {'écart/pooled':>13} {'AUC':>6} {'par centre':>11}"
          f"   {'FLamby, ' + FLAMBY_COMMIT + ' (vrais fichiers)':>30} {'écart/pooled':>13}")
    reference_pooled = FLAMBY_REFERENCE["pooled"][0]
    for name in RECIPES:
        value = results[name]
        reference = FLAMBY_REFERENCE.get(name)
        flamby = "" if reference is None else f"{reference[0]:.3f} ± {reference[1]:.3f}"
        flamby_gap = "" if reference is None else f"{reference[0] - reference_pooled:+.3f}"
        print(f"{name:<24} {value:.3f} ± {results[name + '_std']:.3f} {value - results['pooled']:>+13.3f} "
              f"{results[name + '_auc']:>6.3f} {results[name + '_per_centre']:>11.3f}   {flamby:>30} {flamby_gap:>13}")
    print("FLamby : lignes « Pooled Test » (test commun) de ses fichiers heart_seed42…46.csv ; son graphique publié "
          "montre la moyenne des quatre tests locaux (notre colonne « par centre »).")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.heart_disease", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="dossier des fichiers UCI processed.*.data (par défaut : le miroir)")
    parser.add_argument("--json", type=Path, help="fichier où écrire les résultats (JSON)")
    parser.add_argument("--seeds", type=int, default=len(SEEDS),
                        help=f"nombre de graines d'initialisation, à partir de 42 (défaut : {len(SEEDS)} ; "
                             "la séparation reste celle de FLamby)")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds doit valoir au moins 1")
    try:
        data = load_heart_disease(root=args.data) if args.data else load_heart_disease(source="offline")
    except DataSourceError as error:
        print(f"Données illisibles : {error}", file=sys.stderr)
        return 2
    source = f"fichiers du dossier {args.data}" if args.data else "miroir hors ligne (patients synthétiques)"
    start = time.perf_counter()
    results = run_benchmark(data, seeds=tuple(range(SEEDS[0], SEEDS[0] + args.seeds)))
    print_table(results, source)
    print(f"Durée : {time.perf_counter() - start:.1f} s")
    if args.json:
        args.json.write_text(json.dumps({**results, "data": source}, indent=2, ensure_ascii=False) + "\n",
                             encoding="utf-8")
        print(f"Résultats écrits dans {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
