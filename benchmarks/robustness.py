"""Banc d'essai attaques × défenses (semaines 6 à 8) sur la tâche de la semaine 1 à 28 px (BreastMNIST).

Usage (depuis la racine du dépôt) ::

    python -m benchmarks.robustness                       # grille complète, quelques minutes sur 2 cœurs
    python -m benchmarks.robustness --json robustesse.json --rounds 3
    python -m benchmarks.robustness --tiny                # deux cases, pour le test unitaire

Protocole (celui des notebooks `semaine_6_a_8/01_attaques` et `02_defenses`) : 7 hôpitaux (découpage IID
stratifié de BreastMNIST, miroir hors ligne par défaut), un modèle commun déjà entraîné (`pretrained_weights`,
il tient lieu des tours honnêtes déjà faits), puis `--rounds` tours Flower pendant lesquels les hôpitaux 0 et 1
attaquent :

- `label_flip` : leurs étiquettes sont inversées ; `sign_flip` : leur mise à jour est renversée et multipliée par 10
  (`ModelPoisoningMod`, un mod Flower) ; `backdoor` : un damier 4×4 dans le coin fait répondre « malin » (classe 0) ;
- défenses : les stratégies de Flower `FedAvg` (aucune), `FedMedian`, `FedTrimmedAvg`, `Krum`, `Bulyan`
  et `DifferentialPrivacyServerSideFixedClipping` (écrêtage à la norme d'une mise à jour honnête, bruit σ).

Chaque case `"attaque/défense"` donne `clean_acc` (exactitude sur le test propre), `auc`, et `attack_success`
(porte dérobée : part des images bénignes du test, déclencheur posé, classées « malignes » ; attaques non
ciblées : part des images bien classées par la même défense sans attaque que l'attaque fait mal classer).
Les réglages `dp/sigma=...` donnent ε (comptable PRV, δ = 1e-5, tous les hôpitaux à chaque tour), l'AUC
du modèle et l'AUC de l'attaque d'appartenance (membres : l'entraînement des hôpitaux ; non-membres : le test),
pour un modèle entraîné **à partir de zéro** (2 tours × 20 époques locales) avec DP (le modèle pré-entraîné a vu les membres sans DP).
"""
from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

ATTACKS = ("none", "label_flip", "sign_flip", "backdoor")
DEFENCES = ("fedavg", "fedmedian", "fedtrimmedavg", "krum", "bulyan", "dp")
DP_SIGMAS = (0.0, 0.2, 0.5, 1.0)


def run(*, rounds: int = 3, local_epochs: int = 1, attacks=ATTACKS, defences=DEFENCES, sigmas=DP_SIGMAS,
        dp_rounds: int = 2, dp_local_epochs: int = 20, engine: str = "ray", seed: int = 0,
        pretrain_epochs: int = 8, verbose: bool = True) -> dict:
    """Toute la grille ; renvoie le dictionnaire écrit par `--json`."""
    from utils import security

    federation = security.load_breast_federation(7, seed=seed)
    start = time.perf_counter()
    initial = security.pretrained_weights(federation, epochs=pretrain_epochs, seed=seed)
    clipping_norm = security.update_norm(federation, initial, seed=seed)
    dp_clipping = security.update_norm(federation, security_start(federation, seed), epochs=dp_local_epochs, seed=seed)
    results: dict = {"settings": {"hospitals": 7, "attackers": 2, "rounds": rounds, "local_epochs": local_epochs,
                                  "pretrain_epochs": pretrain_epochs, "dp_clipping_norm": round(clipping_norm, 4),
                                  "dp_noise_multiplier_grid": 0.05, "dp_training_clipping_norm": round(dp_clipping, 4), "engine": engine, "source": federation["source"]}}
    reference = {}
    for defence in defences:
        for attack in attacks:
            t0 = time.perf_counter()
            cell = security.run_scenario(federation, attack, defence, initial_weights=initial, num_attackers=2,
                                         rounds=rounds, local_epochs=local_epochs, seed=seed, engine=engine,
                                         noise_multiplier=0.05, clipping_norm=clipping_norm,
                                         reference_predictions=reference.get(defence))
            if attack == "none":
                reference[defence] = cell["predictions"]
            results[f"{attack}/{defence}"] = {key: round(float(cell[key]), 4)
                                              for key in ("clean_acc", "auc", "attack_success", "trigger_rate") if key in cell}
            if verbose:
                print(f"{attack:>10} / {defence:<13} {results[f'{attack}/{defence}']}  ({time.perf_counter() - t0:.0f} s)",
                      flush=True)
    for sigma in sigmas:
        results[f"dp/sigma={sigma:g}"] = dp_setting(federation, sigma, dp_clipping, rounds=dp_rounds,
                                                    local_epochs=dp_local_epochs, seed=seed, engine=engine)
        if verbose:
            print(f"dp sigma={sigma:g} {results[f'dp/sigma={sigma:g}']}", flush=True)
    results["settings"]["seconds"] = round(time.perf_counter() - start, 1)
    return results


def dp_setting(federation: dict, sigma: float, clipping_norm: float, *, rounds: int, local_epochs: int,
               seed: int = 0, engine: str = "ray") -> dict:
    """Un modèle entraîné à partir de zéro, FedAvg (σ = 0) ou DP côté serveur (σ > 0) : ε, AUC, attaque d'appartenance."""
    from utils import security

    cell = security.dp_training(federation, sigma, clipping_norm, rounds=rounds, local_epochs=local_epochs,
                                seed=seed, engine=engine)
    epsilon = cell["epsilon"]
    return {"epsilon": round(epsilon, 2) if np.isfinite(epsilon) else "inf", "auc": round(cell["auc"], 4),
            "clean_acc": round(cell["clean_acc"], 4), "mia_auc": round(cell["mia_auc"], 4),
            "mia_ci": [round(v, 4) for v in cell["mia_ci"]], "loss_gap": round(cell["loss_gap"], 4)}


def security_start(federation: dict, seed: int = 0):
    """Les poids initiaux (aléatoires, graine `seed`) d'un entraînement à partir de zéro."""
    import keras

    from utils import security

    keras.utils.set_random_seed(seed)
    return security.build_breast_cnn(federation["mean"], federation["std"]).get_weights()


def table(results: dict) -> str:
    """Le tableau attaque × défense (exactitude propre / succès de l'attaque), en texte."""
    defences = [d for d in DEFENCES if any(key.endswith("/" + d) for key in results)]
    attacks = [a for a in ATTACKS if any(key.startswith(a + "/") for key in results)]
    lines = ["| attaque \\ défense | " + " | ".join(defences) + " |", "|---" * (len(defences) + 1) + "|"]
    for attack in attacks:
        cells = []
        for defence in defences:
            cell = results.get(f"{attack}/{defence}")
            if cell is None:
                cells.append("—")
            elif "attack_success" in cell:
                cells.append(f"{cell['clean_acc']:.2f} / {cell['attack_success']:.2f}")
            else:
                cells.append(f"{cell['clean_acc']:.2f}")
        lines.append(f"| {attack} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("| DP | ε (δ=1e-5) | AUC | exactitude | AUC de l'attaque d'appartenance |")
    lines.append("|---|---|---|---|---|")
    for key, cell in results.items():
        if key.startswith("dp/sigma="):
            lines.append(f"| {key[3:]} | {cell['epsilon']} | {cell['auc']:.3f} | {cell['clean_acc']:.3f} | "
                         f"{cell['mia_auc']:.3f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="fichier JSON où écrire les résultats")
    parser.add_argument("--rounds", type=int, default=3, help="tours fédérés attaqués (défaut 3)")
    parser.add_argument("--engine", default="ray", choices=("ray", "local"))
    parser.add_argument("--tiny", action="store_true", help="deux cases et un réglage DP, un tour (test unitaire)")
    args = parser.parse_args(argv)
    import utils.runtime  # noqa: F401  (à importer avant TensorFlow : journaux coupés)

    if args.tiny:
        results = run(rounds=1, attacks=("none", "backdoor"), defences=("fedavg",), sigmas=(0.05,), dp_rounds=1,
                      dp_local_epochs=1, pretrain_epochs=1, engine=args.engine)
    else:
        results = run(rounds=args.rounds, engine=args.engine)
    print(table(results))
    print(f"durée totale : {results['settings']['seconds']} s")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(results, handle, indent=2, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
