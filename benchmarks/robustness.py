"""Banc d'essai attaques × défenses (semaines 6 à 8) sur la tâche de la semaine 1 à 28 px (BreastMNIST).

Usage (depuis la racine du dépôt) ::

    python -m benchmarks.robustness                       # grille complète, 3 graines (long sur 2 cœurs)
    python -m benchmarks.robustness --json robustesse.json --rounds 2 --seeds 0 1 2
    python -m benchmarks.robustness --tiny                # deux cases, deux graines, pour le test unitaire

Protocole (celui des notebooks `semaine_6_a_8/01_attaques` et `02_defenses` ; le nombre de tours est `--rounds`) : 7 hôpitaux de 78 images (découpage
IID stratifié de BreastMNIST, miroir hors ligne par défaut), un modèle commun déjà entraîné (`pretrained_weights`,
il tient lieu des tours honnêtes déjà faits), puis `--rounds` tours Flower pendant lesquels les hôpitaux 0 et 1
attaquent :

- `label_flip` : leurs étiquettes sont inversées ; `sign_flip` : leur mise à jour est renversée et multipliée par 10
  (`ModelPoisoningMod`, un mod Flower) ; `backdoor` : un damier 4×4 dans le coin fait répondre « malin » (classe 0)
  sur la moitié de leurs images, **sans en ajouter** (même `num-examples`, donc même poids dans FedAvg) ;
- défenses : les stratégies de Flower `FedAvg` (aucune), `FedMedian`, `FedTrimmedAvg` (β = 0,3 : 2 valeurs retirées
  de chaque côté sur 7), `Krum`, `Bulyan` (f = 1 : contre 2 attaquants, hors de sa garantie) et
  `DifferentialPrivacyServerSideFixedClipping` (écrêtage à la norme d'une mise à jour honnête, σ = 0,05 : ε ≈ 520 sur
  2 tours, ≈ 750 sur 3, ≈ 1 190 sur 5 ; un écrêtage avec un bruit faible, pas une garantie de confidentialité).

Tout est mesuré sur la **validation** (78 images), là où le notebook compare et choisit ; le test n'est pas lu ici.
Chaque graine change le découpage, le modèle de départ et l'entraînement ; chaque case `"attaque/défense"` donne
la moyenne et l'écart-type sur les graines de `clean_acc` (exactitude propre), `auc`, et `attack_success` (porte
dérobée : part des images de vraie classe ≠ « malin », déclencheur posé, classées « malignes » ; attaques non
ciblées : part des images bien classées par la même défense sans attaque que l'attaque fait mal classer ; sans
attaque, `trigger_rate` : le plancher du déclencheur sur un modèle honnête). Les réglages `dp/sigma=...` donnent ε
(borne haute du comptable PRV, δ = 1e-5, contribution d'un hôpital remplacée par zéro ; hôpital ajouté ou
retiré : colonne à sensibilité 2C), la plus grande AUC qu'une attaque
d'appartenance puisse atteindre sous cette garantie (hôpital, et patiente : sensibilité 2C), l'AUC du modèle et
l'AUC mesurée de l'attaque d'appartenance (membres : l'entraînement des hôpitaux ; non-membres : la validation),
pour un modèle entraîné **à partir de zéro** (2 tours × 20 époques locales).
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from utils.statistics import seed_summary

ATTACKS = ("none", "label_flip", "sign_flip", "backdoor")
DEFENCES = ("fedavg", "fedmedian", "fedtrimmedavg", "krum", "bulyan", "dp")
DP_SIGMAS = (0.0, 0.2, 0.5, 1.0)
GRID_NOISE = 0.05  # σ de la colonne `dp` de la grille
METRICS = ("clean_acc", "auc", "attack_success", "trigger_rate")


def run(*, rounds: int = 2, local_epochs: int = 1, attacks=ATTACKS, defences=DEFENCES, sigmas=DP_SIGMAS,
        dp_rounds: int = 2, dp_local_epochs: int = 20, seeds=(0, 1, 2), pretrain_epochs: int = 8,
        verbose: bool = True) -> dict:
    """Toute la grille, pour chaque graine ; renvoie le dictionnaire écrit par `--json`."""
    from utils import security

    start = time.perf_counter()
    per_seed: dict = {}
    for seed in seeds:
        federation = security.load_breast_federation(7, seed=seed)
        initial = security.pretrained_weights(federation, epochs=pretrain_epochs, seed=seed)
        clipping_norm = security.update_norm(federation, initial, seed=seed)
        dp_clipping = security.update_norm(federation, security_start(federation, seed), epochs=dp_local_epochs,
                                           seed=seed)
        cells, reference = {}, {}
        for defence in defences:
            for attack in attacks:
                t0 = time.perf_counter()
                cell = security.run_scenario(federation, attack, defence, initial_weights=initial, num_attackers=2,
                                             rounds=rounds, local_epochs=local_epochs, seed=seed,
                                             noise_multiplier=GRID_NOISE, clipping_norm=clipping_norm,
                                             reference_predictions=reference.get(defence))
                if attack == "none":
                    reference[defence] = cell["predictions"]
                cells[f"{attack}/{defence}"] = {key: float(cell[key]) for key in METRICS if key in cell}
                if verbose:
                    print(f"graine {seed} {attack:>10} / {defence:<13} {cells[f'{attack}/{defence}']}  "
                          f"({time.perf_counter() - t0:.0f} s)", flush=True)
        for sigma in sigmas:
            cells[f"dp/sigma={sigma:g}"] = dp_setting(federation, sigma, dp_clipping, rounds=dp_rounds,
                                                      local_epochs=dp_local_epochs, seed=seed)
            if verbose:
                print(f"graine {seed} dp sigma={sigma:g} {cells[f'dp/sigma={sigma:g}']}", flush=True)
        per_seed[seed] = {"cells": cells, "grid_clipping_norm": round(clipping_norm, 4),
                          "dp_training_clipping_norm": round(dp_clipping, 4), "source": federation["source"]}
    results: dict = {"settings": {
        "hospitals": 7, "attackers": 2, "rounds": rounds, "local_epochs": local_epochs, "seeds": list(seeds),
        "pretrain_epochs": pretrain_epochs, "split": "val", "grid_noise_multiplier": GRID_NOISE,
        "grid_epsilon": round(security.dp_epsilon(GRID_NOISE, rounds=rounds), 1), "dp_rounds": dp_rounds,
        "dp_local_epochs": dp_local_epochs,
        "grid_clipping_norms": [per_seed[s]["grid_clipping_norm"] for s in seeds],
        "dp_training_clipping_norms": [per_seed[s]["dp_training_clipping_norm"] for s in seeds],
        "source": per_seed[seeds[0]]["source"]}}
    for key in per_seed[seeds[0]]["cells"]:
        first = per_seed[seeds[0]]["cells"][key]
        results[key] = {metric: seed_summary([per_seed[s]["cells"][key][metric] for s in seeds])
                        for metric in first if isinstance(first[metric], (int, float)) and metric != "epsilon"}
        for metric in ("epsilon", "max_attack_auc", "max_attack_auc_patient"):
            if metric in first:
                results[key][metric] = first[metric]  # ne dépendent que de σ et des tours
    results["settings"]["seconds"] = round(time.perf_counter() - start, 1)
    return results


def dp_setting(federation: dict, sigma: float, clipping_norm: float, *, rounds: int, local_epochs: int,
               seed: int = 0) -> dict:
    """Un modèle entraîné à partir de zéro, FedAvg (σ = 0) ou DP côté serveur (σ > 0) : ε, ce qu'il borne, AUC,
    attaque d'appartenance mesurée."""
    from utils import security

    cell = security.dp_training(federation, sigma, clipping_norm, rounds=rounds, local_epochs=local_epochs, seed=seed)
    epsilon = cell["epsilon"]
    return {"epsilon": round(epsilon, 2) if np.isfinite(epsilon) else "inf",
            "max_attack_auc": round(security.max_attack_auc(sigma, rounds=rounds), 3),
            "max_attack_auc_patient": round(security.max_attack_auc(sigma, rounds=rounds, group_size=2), 3),
            "auc": float(cell["auc"]), "clean_acc": float(cell["clean_acc"]), "mia_auc": float(cell["mia_auc"]),
            "mia_low": float(cell["mia_ci"].low), "mia_high": float(cell["mia_ci"].high),
            "loss_gap": float(cell["loss_gap"])}


def security_start(federation: dict, seed: int = 0):
    """Les poids initiaux (aléatoires, graine `seed`) d'un entraînement à partir de zéro."""
    import keras

    from utils.models import build_breast_cnn

    keras.utils.set_random_seed(seed)
    return build_breast_cnn(federation["mean"], federation["std"]).get_weights()


def _pm(cell: dict, metric: str) -> str:
    return f"{cell[metric]['mean']:.2f} ± {cell[metric]['sd']:.2f}"


def table(results: dict) -> str:
    """Le tableau attaque × défense (exactitude propre / succès de l'attaque, moyenne ± écart-type), en texte."""
    defences = [d for d in DEFENCES if any(key.endswith("/" + d) for key in results)]
    attacks = [a for a in ATTACKS if any(key.startswith(a + "/") for key in results)]
    epsilon = results["settings"].get("grid_epsilon")
    names = [f"dp (σ = {GRID_NOISE:g}, ε ≈ {epsilon:.0f})" if d == "dp" else d for d in defences]
    n_seeds = len(results["settings"].get("seeds", [0]))
    lines = [f"Validation, moyenne ± écart-type sur {n_seeds} graine(s) ; exactitude propre / succès de l'attaque.",
             "", "| attaque \\ défense | " + " | ".join(names) + " |", "|---" * (len(defences) + 1) + "|"]
    for attack in attacks:
        cells = []
        for defence in defences:
            cell = results.get(f"{attack}/{defence}")
            if cell is None:
                cells.append("—")
            elif "attack_success" in cell:
                cells.append(f"{_pm(cell, 'clean_acc')} / {_pm(cell, 'attack_success')}")
            else:
                cells.append(_pm(cell, "clean_acc"))
        lines.append(f"| {attack} | " + " | ".join(cells) + " |")
    floors = [_pm(results[f"none/{d}"], "trigger_rate") if "trigger_rate" in results.get(f"none/{d}", {}) else "—"
              for d in defences]
    lines.append("| plancher : déclencheur sur le modèle sans attaque | " + " | ".join(floors) + " |")
    lines.append("")
    lines.append("| DP | ε (δ=1e-5, hôpital) | AUC d'attaque permise (hôpital / patiente) | AUC | exactitude | "
                 "AUC mesurée de l'attaque d'appartenance |")
    lines.append("|---|---|---|---|---|---|")
    for key, cell in results.items():
        if key.startswith("dp/sigma="):
            lines.append(f"| {key[3:]} | {cell['epsilon']} | {cell['max_attack_auc']:.2f} / "
                         f"{cell['max_attack_auc_patient']:.2f} | {_pm(cell, 'auc')} | {_pm(cell, 'clean_acc')} | "
                         f"{_pm(cell, 'mia_auc')} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="fichier JSON où écrire les résultats")
    parser.add_argument("--rounds", type=int, default=2, help="tours fédérés attaqués (défaut 2, comme les notebooks)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="graines (défaut 0 1 2)")
    parser.add_argument("--tiny", action="store_true", help="deux cases et un réglage DP, un tour, deux graines")
    args = parser.parse_args(argv)
    import utils.runtime  # noqa: F401  (à importer avant TensorFlow : journaux coupés)

    if args.tiny:
        results = run(rounds=1, attacks=("none", "backdoor"), defences=("fedavg",), sigmas=(0.05,), dp_rounds=1,
                      dp_local_epochs=1, pretrain_epochs=1, seeds=(0, 1))
    else:
        results = run(rounds=args.rounds, seeds=tuple(args.seeds))
    print(table(results))
    print(f"durée totale : {results['settings']['seconds']} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=2, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
