"""Banc d'essai PneumoniaMNIST : le CNN de la semaine 5, centralisé puis fédéré entre trois hôpitaux non IID.

Usage (depuis la racine du dépôt) ::

    python -m benchmarks.medmnist                                # miroir hors ligne (taille réelle)
    python -m benchmarks.medmnist --data pneumoniamnist.npz      # le fichier officiel de MedMNIST (ou son dossier)
    python -m benchmarks.medmnist --train-subset 3882 --positive-share 0.9   # entraînement coupé comme dans l'issue 18
    python -m benchmarks.medmnist --diagnose --json resultats.json
    python -m benchmarks.medmnist --train-subset 3882 --seeds 42 7 123   # plusieurs graines : moyenne ± écart-type

Protocole :

1. **Référence centralisée** (séparations officielles de MedMNIST, 28 × 28, sans appareil simulé) : le CNN de
   `semaine_5/02` (`utils.models.build_radiograph_cnn` : trois blocs convolution → normalisation par lot → ReLU,
   moyenne globale, Adam 2e-3), lots de 64, au plus `EPOCHS` époques avec arrêt précoce sur l'AUC de
   **validation** (meilleurs poids gardés). Mesures sur le test officiel : `test_auc`, `test_acc` (seuil 0,5).
2. **Trois hôpitaux non IID**, construits comme dans `semaine_5/02` : les images d'entraînement réparties par une
   loi de Dirichlet (alpha = `ALPHA`) sur les étiquettes, validation et test officiels coupés en trois au hasard, et
   chaque hôpital vu par son appareil (`SCANNERS`, `simulate_scanner`).
3. **Recettes** : `pooled` (les trois hôpitaux réunis, `ROUNDS × LOCAL_EPOCHS` époques, sans arrêt précoce),
   `fedavg`, `fedprox` (μ = `PROXIMAL_MU`) et `fedbn` (FedBN comme publié : les clients ne renvoient que les couches
   partagées ; le modèle de chaque hôpital = couches partagées finales + **sa** normalisation), et `fedbn_reestimated`
   (le même, statistiques de normalisation recalculées par chaque hôpital sur ses images d'entraînement, sans pas de
   gradient). Chaque recette est notée par **une** AUC sur les scores des trois hôpitaux réunis (chaque image passée
   par l'appareil de son hôpital, et, pour FedBN, notée par le modèle de son hôpital).
4. **Choix sur la validation, test lu une fois** : la meilleure recette fédérée (`best_federated`) est choisie sur
   l'AUC de **validation** ; le test n'est lu qu'à la fin, pour toutes les recettes ; l'écart au centralisé est
   donné avec son intervalle bootstrap **apparié** (`utils.statistics.paired_difference`, mêmes images de test).
5. `--diagnose` : pourquoi le centralisé sur trois appareils est-il sous la référence ? Trois mesures sur le même
   test : AUC moyenne des trois hôpitaux (au lieu d'une AUC sur leurs scores réunis), le même centralisé entraîné
   et testé **sans** appareils simulés, et le centralisé avec arrêt précoce sur la validation (jusqu'à `EPOCHS`).

6. `--seeds` : le banc entier pour chaque graine (partage de Dirichlet, bruit des appareils, initialisation, ordre des
   lots), puis la moyenne et l'écart-type de chaque AUC (`utils.statistics.seed_summary`). Une AUC calculée sur les
   scores de trois hôpitaux réunis varie beaucoup d'une graine à l'autre : un seul chiffre ne suffit pas pour
   comparer le miroir au vrai fichier.

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
NO_SCANNER = dict(contrast=1.0, gamma=1.0, resolution=1.0, noise_std=0.0)
EPOCHS = 15
PATIENCE = 4
ROUNDS = 8
LOCAL_EPOCHS = 1
BATCH_SIZE = 64
PROXIMAL_MU = 0.01
SEED = 42
RECIPES = ("pooled", "fedavg", "fedprox", "fedbn", "fedbn_reestimated")
FEDERATED = ("fedavg", "fedprox", "fedbn", "fedbn_reestimated")
# Sur le vrai fichier (issue 18 : validation et test officiels, entraînement coupé à 3 882 images dont 90 % de
# pneumonies ; ancien banc : CNN avec dropout, Adam 1e-3, FedBN évalué sur les poids d'avant l'agrégation).
REAL_FIGURES_ISSUE_18 = {"test_auc": 0.963, "pooled_auc": 0.788, "fedavg_auc": 0.744, "fedprox_auc": 0.758,
                         "fedbn_auc_old_evaluation": 0.780}
# Sur le miroir (MIRROR_VERSION 1) coupé de la même façon, trois graines (machine de 2 cœurs partagée ; `run_benchmark`
# sur les données de `python -m benchmarks.medmnist --train-subset 3882 --positive-share 0.9 --seeds 42 7 123`, la
# graine 42 avec `--diagnose`). Moyenne, écart-type (ddof = 1) et valeurs par graine (42, 7, 123). D'une graine à
# l'autre, ces AUC bougent jusqu'à 0,14 (centralisé : 0,682 à 0,821) ; le vrai fichier n'a été mesuré qu'avec une graine.
# Écarts des moyennes au vrai fichier : référence −0,02, centralisé −0,03, FedAvg −0,03, FedProx −0,09 (−0,06 avant que
# l'ordre des exemples de FedProx soit tiré de NumPy : remesuré le 7 décembre 2026, FedAvg inchangé à 0,001 près ; le
# chiffre vrai de FedProx vient de l'ancien banc et d'une seule graine : à remesurer, issue 18).
MIRROR_FIGURES = {
    "test_auc": {"mean": 0.942, "sd": 0.005, "values": [0.942, 0.937, 0.947]},
    "pooled_auc": {"mean": 0.757, "sd": 0.070, "values": [0.682, 0.821, 0.768]},
    "fedavg_auc": {"mean": 0.712, "sd": 0.034, "values": [0.721, 0.674, 0.741]},
    "fedprox_auc": {"mean": 0.670, "sd": 0.013, "values": [0.680, 0.674, 0.655]},
    "fedbn_auc": {"mean": 0.689, "sd": 0.060, "values": [0.624, 0.741, 0.702]},
    "fedbn_reestimated_auc": {"mean": 0.806, "sd": 0.062, "values": [0.734, 0.849, 0.834]},
    "gap_to_pooled": {"mean": -0.044, "sd": 0.020, "values": [-0.038, -0.028, -0.066]},
    "pooled_mean_hospital_auc": {"mean": 0.850, "sd": 0.051, "values": [0.792, 0.868, 0.890]},
    "best_federated": {42: "fedavg", 7: "fedbn_reestimated", 123: "fedbn_reestimated"},
}
# Graine 42, `--diagnose` : sans appareils simulés, le centralisé atteint 0,930 (0,682 avec) ; avec arrêt précoce sur
# la validation (≤ 15 époques), 0,704 ; sans appareils et avec arrêt précoce, 0,933.
MIRROR_DIAGNOSIS_SEED_42 = {"pooled_auc": 0.682, "pooled_no_scanner_auc": 0.930, "pooled_early_stopping_auc": 0.704,
                            "pooled_no_scanner_early_stopping_auc": 0.933}
# Deux autres réglages du dessin (`PNEUMONIA_STYLE`) essayés, mêmes trois graines, moyennes : moins de surimpressions
# et des pneumonies plus marquées (part 0,2, intensité 0,05–0,15, gravité médiane 0,22) : référence 0,975, centralisé
# 0,891, FedAvg 0,819, FedProx 0,816 (trop haut) ; à mi-chemin (0,27 ; 0,065–0,175 ; 0,19) : 0,978, 0,777, 0,694,
# 0,727, mais un écart-type d'une graine à l'autre de 0,11 à 0,13. Le réglage du miroir est resté celui-ci.


def build_model():
    """Le CNN de `semaine_5/02` (défini une fois, dans `utils.models`)."""
    from utils.models import build_radiograph_cnn

    return build_radiograph_cnn()


def _auc(y, p) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, p))


def cut_training(data: dict, size: int, positive_share: float, seed: int = SEED) -> dict:
    """L'entraînement réduit à `size` images dont `positive_share` de pneumonies (validation et test inchangés).

    Comme le fichier réel de l'issue 18 : toutes les pneumonies gardées si elles suffisent, des normales tirées au
    hasard pour compléter.
    """
    labels = data["train_labels"].ravel()
    rng = np.random.default_rng(seed)
    positives, negatives = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    n_pos = min(len(positives), int(round(size * positive_share)))
    n_neg = min(len(negatives), size - n_pos)
    keep = np.sort(np.concatenate([rng.choice(positives, n_pos, replace=False),
                                   rng.choice(negatives, n_neg, replace=False)]))
    return {**data, "train_images": data["train_images"][keep], "train_labels": data["train_labels"][keep]}


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
    p = model.predict(x["test"], verbose=0, batch_size=512).ravel()  # le test, lu une fois
    return {"test_auc": _auc(y["test"], p), "test_acc": float(np.mean((p >= 0.5) == y["test"])),
            "epochs_run": len(history.history["loss"])}


def make_hospitals(data: dict, seed: int = SEED, scanners: dict | None = None) -> dict:
    """Étape 2 : {hôpital: {"train"|"val"|"test": (images float (N, 28, 28, 1), étiquettes)}}."""
    from utils.data.medmnist import simulate_scanner
    from utils.federated import partition_dirichlet, partition_iid

    scanners = scanners or SCANNERS
    labels = {s: data[f"{s}_labels"].ravel().astype(int) for s in ("train", "val", "test")}
    parts = {"train": partition_dirichlet(labels["train"], len(scanners), alpha=ALPHA, seed=seed),
             "val": partition_iid(len(labels["val"]), len(scanners), seed=seed),
             "test": partition_iid(len(labels["test"]), len(scanners), seed=seed)}
    hospitals = {}
    for k, (name, scanner) in enumerate(scanners.items()):
        hospitals[name] = {}
        for s in ("train", "val", "test"):
            index = np.sort(parts[s][k])
            seen = simulate_scanner(data[f"{s}_images"][index], seed=seed + 10 * k + len(s), **scanner)
            hospitals[name][s] = (seen[..., None], labels[s][index].astype("float32"))
    return hospitals


def _fit_alone(x, y, initial_weights, epochs: int, seed: int, validation=None):
    import keras

    set_seed(seed)
    model = build_model()
    model.set_weights(initial_weights)
    callbacks = [] if validation is None else [keras.callbacks.EarlyStopping(
        monitor="val_auc", mode="max", patience=PATIENCE, restore_best_weights=True)]
    model.fit(x, y, epochs=epochs, batch_size=BATCH_SIZE, verbose=0, validation_data=validation, callbacks=callbacks)
    return model.get_weights()


_PREDICTOR = {}


def _predict(weights, x) -> np.ndarray:
    if "model" not in _PREDICTOR:
        _PREDICTOR["model"] = build_model()  # un seul modèle pour toutes les prédictions : seuls ses poids changent
    model = _PREDICTOR["model"]
    model.set_weights(weights)
    return model.predict(x, verbose=0, batch_size=512).ravel()


def _scores(model_weights, hospitals: dict, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Étiquettes et scores des trois hôpitaux réunis ; `model_weights` : des poids, ou {hôpital: poids}."""
    ys, ps = [], []
    for h, parts in hospitals.items():
        x, y = parts[split]
        ps.append(_predict(model_weights[h] if isinstance(model_weights, dict) else model_weights, x))
        ys.append(y)
    return np.concatenate(ys), np.concatenate(ps)


def run_federated(hospitals: dict, rounds: int = ROUNDS, seed: int = SEED, verbose: bool = False) -> tuple[dict, dict]:
    """Étape 3 : les poids de chaque recette ({recette: poids ou {hôpital: poids}}) et ses secondes."""
    import keras
    from flwr.serverapp.strategy import FedAvg, FedProx

    from utils.federated import run_flower_simulation
    from utils.federated.apps import fit_locally, local_weight_positions, personal_weights, reestimate_batch_norm

    names = list(hospitals)
    set_seed(seed)
    initial = build_model().get_weights()
    recipes, seconds = {}, {}

    start = time.perf_counter()
    recipes["pooled"] = _fit_alone(np.concatenate([hospitals[h]["train"][0] for h in names]),
                                   np.concatenate([hospitals[h]["train"][1] for h in names]), initial,
                                   rounds * LOCAL_EPOCHS, seed)
    seconds["pooled"] = time.perf_counter() - start

    clients = [(*hospitals[h]["train"], *hospitals[h]["val"]) for h in names]
    every = dict(min_available_nodes=len(names), min_train_nodes=len(names), fraction_evaluate=0.0)
    common = dict(num_rounds=rounds, local_epochs=LOCAL_EPOCHS, batch_size=BATCH_SIZE, client_names=names,
                  initial_weights=initial, seed=seed, verbose=verbose)
    for name, strategy in (("fedavg", lambda: FedAvg(**every)),
                           ("fedprox", lambda: FedProx(proximal_mu=PROXIMAL_MU, **every))):
        start = time.perf_counter()
        _, recipes[name] = run_flower_simulation(build_model, clients, strategy=strategy, **common)
        seconds[name] = time.perf_counter() - start

    # FedBN : au dernier tour, chaque hôpital garde sa normalisation (rangée sous sa taille d'entraînement) ;
    # son modèle = couches partagées finales du serveur + sa normalisation.
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
    is_bn = lambda layer: isinstance(layer, keras.layers.BatchNormalization)  # noqa: E731
    _, shared = run_flower_simulation(build_model, clients, strategy=lambda: FedAvg(**every), **common,
                                      local_layers=is_bn, local_train=train_and_keep)
    positions = local_weight_positions(build_model(), is_bn)
    recipes["fedbn"], recipes["fedbn_reestimated"] = {}, {}
    for h, size in zip(names, sizes):
        with np.load(personal_dir / f"{size}.npz") as saved:
            mine = [saved[f"arr_{i}"] for i in range(len(saved.files))]
        recipes["fedbn"][h] = personal_weights(shared, mine, positions)
        model = build_model()
        model.set_weights(recipes["fedbn"][h])
        reestimate_batch_norm(model, hospitals[h]["train"][0], batch_size=BATCH_SIZE)  # sans pas de gradient
        recipes["fedbn_reestimated"][h] = model.get_weights()
    seconds["fedbn"] = time.perf_counter() - start
    return recipes, seconds


def diagnose_pooled(data: dict, hospitals: dict, epochs: int = EPOCHS, rounds: int = ROUNDS, seed: int = SEED) -> dict:
    """Pourquoi le centralisé sur trois appareils est sous la référence : trois mesures sur le même test."""
    from sklearn.metrics import roc_auc_score

    names = list(hospitals)
    set_seed(seed)
    initial = build_model().get_weights()
    pooled = lambda hs: (np.concatenate([hs[h]["train"][0] for h in names]),  # noqa: E731
                         np.concatenate([hs[h]["train"][1] for h in names]))
    result = {}
    clean = make_hospitals(data, seed=seed, scanners={h: NO_SCANNER for h in names})
    weights = _fit_alone(*pooled(clean), initial, rounds * LOCAL_EPOCHS, seed)
    result["pooled_no_scanner_auc"] = _auc(*_scores(weights, clean, "test"))
    val = (np.concatenate([hospitals[h]["val"][0] for h in names]), np.concatenate([hospitals[h]["val"][1] for h in names]))
    weights = _fit_alone(*pooled(hospitals), initial, epochs, seed, validation=val)
    result["pooled_early_stopping_auc"] = _auc(*_scores(weights, hospitals, "test"))
    weights = _fit_alone(*pooled(clean), initial, epochs, seed,
                         validation=(np.concatenate([clean[h]["val"][0] for h in names]), val[1]))
    result["pooled_no_scanner_early_stopping_auc"] = _auc(*_scores(weights, clean, "test"))
    return result


def run_benchmark(data: dict, epochs: int = EPOCHS, rounds: int = ROUNDS, seed: int = SEED,
                  verbose: bool = False, diagnose: bool = False) -> dict:
    """Le banc complet : un dictionnaire de chiffres (AUC, exactitude, secondes par recette)."""
    from utils.statistics import paired_difference

    start = time.perf_counter()
    reference = train_reference(data, epochs=epochs, seed=seed)
    seconds = {"reference": time.perf_counter() - start}
    hospitals = make_hospitals(data, seed=seed)
    recipes, federated_seconds = run_federated(hospitals, rounds=rounds, seed=seed, verbose=verbose)
    seconds.update(federated_seconds)
    # Choix sur la validation : la meilleure recette fédérée.
    val_aucs = {name: _auc(*_scores(recipes[name], hospitals, "val")) for name in RECIPES}
    best = max(FEDERATED, key=lambda name: val_aucs[name])
    # Le test, lu une fois, pour toutes les recettes.
    test_scores = {name: _scores(recipes[name], hospitals, "test") for name in RECIPES}
    y_test = test_scores["pooled"][0]
    aucs = {f"{name}_auc": _auc(y_test, test_scores[name][1]) for name in RECIPES}
    per_hospital = {}
    start_h = 0
    for h in hospitals:
        n = len(hospitals[h]["test"][1])
        per_hospital[h] = {name: _auc(y_test[start_h:start_h + n], test_scores[name][1][start_h:start_h + n])
                           for name in RECIPES}
        start_h += n
    gap = paired_difference(y_test, test_scores["pooled"][1], test_scores[best][1], metric="auc", seed=seed)
    results = {"test_auc": reference["test_auc"], "test_acc": reference["test_acc"], **aucs,
               "val_aucs": val_aucs, "best_federated": best, "gap_to_pooled": gap.value,
               "gap_to_pooled_interval": [gap.low, gap.high], "per_hospital_test_auc": per_hospital,
               "pooled_mean_hospital_auc": float(np.mean([per_hospital[h]["pooled"] for h in hospitals])),
               "reference_epochs": reference["epochs_run"], "rounds": rounds,
               "train_size": int(len(data["train_labels"])),
               "train_positive_share": round(float(np.mean(data["train_labels"])), 3),
               "hospital_sizes": {h: len(v["train"][1]) for h, v in hospitals.items()}}
    if diagnose:
        start = time.perf_counter()
        results["diagnosis"] = diagnose_pooled(data, hospitals, epochs=epochs, rounds=rounds, seed=seed)
        seconds["diagnosis"] = time.perf_counter() - start
    results["seconds"] = {name: round(value, 1) for name, value in seconds.items()}
    return results


SEED_SUMMARY_KEYS = ("test_auc", *(f"{name}_auc" for name in RECIPES), "gap_to_pooled", "pooled_mean_hospital_auc")


def summarize_seeds(runs: dict) -> dict:
    """{clé: moyenne, écart-type et valeurs sur les graines} pour chaque chiffre de `SEED_SUMMARY_KEYS`."""
    from utils.statistics import seed_summary

    summary = {key: seed_summary([run[key] for run in runs.values()]) for key in SEED_SUMMARY_KEYS}
    summary["best_federated"] = {seed: run["best_federated"] for seed, run in runs.items()}
    return summary


def print_seed_summary(summary: dict, seeds) -> None:
    print(f"Sur {len(seeds)} graines ({', '.join(map(str, seeds))}) : moyenne ± écart-type (valeurs)")
    for key in SEED_SUMMARY_KEYS:
        cell = summary[key]
        values = ", ".join(f"{v:.3f}" for v in cell["values"])
        print(f"  {key:28s} {cell['mean']:.3f} ± {cell['sd']:.3f}   ({values})")
    print(f"  meilleure recette fédérée (validation) : {summary['best_federated']}")


def print_table(results: dict, source: str) -> None:
    print(f"PneumoniaMNIST — {source}")
    print(f"  entraînement : {results['train_size']} images, {results['train_positive_share']:.0%} de pneumonies")
    print(f"  référence centralisée (test officiel, sans appareil simulé) : AUC {results['test_auc']:.3f}, "
          f"exactitude {results['test_acc']:.3f} ({results['reference_epochs']} époques, "
          f"{results['seconds']['reference']:.0f} s) ; MedMNIST v2 ResNet-18 (28) : AUC 0,944, ACC 0,854")
    print(f"  trois hôpitaux non IID {results['hospital_sizes']}, {results['rounds']} tours ; une AUC sur les scores "
          "des trois hôpitaux réunis (validation pour choisir, test lu une fois) :")
    for name in RECIPES:
        hospitals = ", ".join(f"{h} {v[name]:.3f}" for h, v in results["per_hospital_test_auc"].items())
        print(f"    {name:18s} validation {results['val_aucs'][name]:.3f}   test {results[f'{name}_auc']:.3f}"
              f"   (par hôpital : {hospitals})")
    low, high = results["gap_to_pooled_interval"]
    print(f"  meilleure recette fédérée (choisie sur la validation) : {results['best_federated']} ; "
          f"centralisé − elle sur le test : {results['gap_to_pooled']:+.3f} [IC 95 % apparié {low:+.3f} ; {high:+.3f}]")
    print(f"  centralisé : AUC moyenne des trois hôpitaux {results['pooled_mean_hospital_auc']:.3f} "
          f"(contre {results['pooled_auc']:.3f} sur leurs scores réunis)")
    if "diagnosis" in results:
        d = results["diagnosis"]
        print(f"  diagnostic : centralisé sans appareils simulés {d['pooled_no_scanner_auc']:.3f} ; avec arrêt précoce "
              f"(≤ {EPOCHS} époques) {d['pooled_early_stopping_auc']:.3f} ; sans appareils et avec arrêt précoce "
              f"{d['pooled_no_scanner_early_stopping_auc']:.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.medmnist", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="pneumoniamnist.npz officiel, ou son dossier (par défaut : le miroir)")
    parser.add_argument("--json", type=Path, help="fichier où écrire les résultats (JSON)")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help=f"époques maximales de la référence ({EPOCHS})")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"tours fédérés ({ROUNDS})")
    parser.add_argument("--train-subset", type=int, help="garder ce nombre d'images d'entraînement (ex. 3882)")
    parser.add_argument("--positive-share", type=float, default=0.9, help="part de pneumonies du sous-ensemble (0,9)")
    parser.add_argument("--diagnose", action="store_true", help="mesurer pourquoi le centralisé est sous la référence")
    parser.add_argument("--seeds", type=int, nargs="+", default=[SEED],
                        help=f"graines (par défaut {SEED}) ; plusieurs : moyenne et écart-type de chaque AUC")
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
    source = data["source"] if args.data is not None else "miroir hors ligne (taille réelle)"
    if args.train_subset:
        data = cut_training(data, args.train_subset, args.positive_share)
        source += f", entraînement coupé à {args.train_subset} images"
    runs = {}
    for seed in args.seeds:
        started = time.perf_counter()
        results = run_benchmark(data, epochs=args.epochs, rounds=args.rounds, seed=seed, verbose=args.verbose,
                                diagnose=args.diagnose)
        results["source"], results["seed"] = source, seed
        results["seconds"]["total"] = round(time.perf_counter() - started, 1)
        print_table(results, f"{source}, graine {seed}")
        print(f"  durée totale : {results['seconds']['total']:.0f} s")
        runs[seed] = results
    if len(runs) > 1:
        results = {"source": source, "seeds": args.seeds, "summary": summarize_seeds(runs), "runs": runs}
        print_seed_summary(results["summary"], args.seeds)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))
        print(f"Résultats écrits dans {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
