"""Scénarios attaque × défense dans Flower : stratégies robustes et DP de Flower, attaques du cours."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ..models import build_breast_cnn
from .accounting import dp_epsilon
from .membership import membership_inference
from .model_poisoning import ModelPoisoningMod
from .poisoning import attack_success_rate, flip_labels, poison_backdoor, predict_labels
from .task import auc_score, model_factory


ATTACKS = ("none", "label_flip", "sign_flip", "backdoor")
DEFENCES = ("fedavg", "fedmedian", "fedtrimmedavg", "krum", "multikrum", "bulyan", "dp")


def make_strategy(defence: str, num_hospitals: int, num_attackers: int = 0, *, noise_multiplier: float = 0.1,
                  clipping_norm: float = 1.0, trim_beta: float = 0.3):
    """Une stratégie de Flower (`flwr.serverapp.strategy`), tous les hôpitaux à chaque tour, sans évaluation fédérée.

    - `fedavg` : FedAvg ; `fedmedian` : médiane coordonnée par coordonnée (Yin et al., 2018) ;
    - `fedtrimmedavg` : moyenne tronquée (Yin et al., 2018) : Flower retire la **fraction** `trim_beta` des valeurs
      de chaque côté, soit int(β·n) valeurs (2 sur 7 pour β = 0,3) ; hypothèse : f ≤ ⌊β·n⌋ attaquants ;
    - `krum` / `multikrum` : Krum (Blanchard et al., 2017), en supposant `num_attackers` malveillants ;
    - `bulyan` : Bulyan (El Mhamdi et al., 2018), qui exige n ≥ 4f + 3 : f = min(num_attackers, (n − 3) // 4).
      Avec 7 hôpitaux, f = 1 : contre 2 attaquants, Bulyan tourne hors de sa garantie (résultat empirique) ;
    - `dp` : `DifferentialPrivacyServerSideFixedClipping` autour de FedAvg (McMahan et al., 2018) :
      chaque mise à jour est écrêtée à `clipping_norm`, puis un bruit gaussien d'écart-type
      `noise_multiplier × clipping_norm / n` est ajouté à la moyenne. Ce bruit n'est calibré que si FedAvg pondère
      les hôpitaux à égalité (même `num-examples`, comme dans les scénarios du cours : 78 images chacun) et si
      les n hôpitaux répondent à chaque tour (`min_train_nodes` = n).
    """
    from flwr.serverapp import strategy as flower

    common = dict(fraction_evaluate=0.0, min_available_nodes=num_hospitals, min_train_nodes=num_hospitals,
                  min_evaluate_nodes=0)
    if defence == "fedavg":
        return flower.FedAvg(**common)
    if defence == "fedmedian":
        return flower.FedMedian(**common)
    if defence == "fedtrimmedavg":
        return flower.FedTrimmedAvg(beta=trim_beta, **common)
    if defence == "krum":
        return flower.Krum(num_malicious_nodes=num_attackers, **common)
    if defence == "multikrum":
        return flower.MultiKrum(num_malicious_nodes=num_attackers, num_nodes_to_select=num_hospitals - num_attackers,
                                **common)
    if defence == "bulyan":
        return flower.Bulyan(num_malicious_nodes=min(num_attackers, (num_hospitals - 3) // 4), **common)
    if defence == "dp":
        return flower.DifferentialPrivacyServerSideFixedClipping(
            flower.FedAvg(**common), noise_multiplier=noise_multiplier, clipping_norm=clipping_norm,
            num_sampled_clients=num_hospitals)
    raise ValueError(f"défense inconnue : {defence!r} (choix : {', '.join(DEFENCES)})")


def pretrained_weights(federation: dict, *, epochs: int = 8, seed: int = 0) -> list[np.ndarray]:
    """Le modèle commun au moment de l'attaque : entraîné `epochs` époques sur l'entraînement réuni.

    Il tient lieu des tours fédérés honnêtes déjà faits par le consortium (l'attaque de Bagdasaryan et al.
    vise un modèle déjà convergé) et évite de les simuler un à un.
    """
    import keras

    keras.utils.set_random_seed(seed)
    model = build_breast_cnn(federation["mean"], federation["std"])
    model.fit(federation["x_train"], federation["y_train"], epochs=epochs, batch_size=32, verbose=0)
    return model.get_weights()


def attacked_clients(federation: dict, attack: str, attackers: Sequence[int], *, target: int = 0,
                     backdoor_fraction: float = 0.5, sign_flip_factor: float = 10.0):
    """Les données des hôpitaux et les mods Flower d'une attaque : `(client_data, client_mods)`.

    Porte dérobée : chaque attaquant pose le déclencheur (étiquette `target`) sur une part `backdoor_fraction` de
    ses images, **sans en ajouter** (`poison_backdoor`) : il garde la taille de son jeu, donc son `num-examples`,
    son poids dans FedAvg (1/7) et son nombre de pas locaux. (`num-examples` est déclaré par le client lui-même :
    un attaquant qui le gonfle gagne du poids dans FedAvg, une autre surface d'attaque.)
    """
    clients = list(federation["clients"])
    mods = None
    if attack == "label_flip":
        for a in attackers:
            clients[a] = (clients[a][0], flip_labels(clients[a][1]))
    elif attack == "backdoor":
        for a in attackers:
            clients[a] = poison_backdoor(*clients[a], target=target, fraction=backdoor_fraction, seed=a)
    elif attack == "sign_flip":
        mods = [ModelPoisoningMod(attackers, mode="sign-flip", factor=sign_flip_factor)]
    elif attack != "none":
        raise ValueError(f"attaque inconnue : {attack!r} (choix : {', '.join(ATTACKS)})")
    return clients, mods


def run_scenario(federation: dict, attack: str, defence: str, *, initial_weights, num_attackers: int = 2,
                 rounds: int = 2, local_epochs: int = 1, batch_size: int = 16, target: int = 0, seed: int = 0,
                 noise_multiplier: float = 0.1, clipping_norm: float = 1.0, backdoor_fraction: float = 0.5,
                 reference_predictions=None, split: str = "val") -> dict:
    """Une simulation Flower : `attack` (voir `ATTACKS`) par les hôpitaux 0..num_attackers−1, contre `defence`.

    Le modèle final est mesuré sur la partie `split` de `federation` (par défaut la **validation** : c'est là qu'on
    compare et qu'on choisit ; le test se lit une fois, à la fin, sur le modèle retenu). Renvoie `clean_acc` et `auc`
    (images propres), `trigger_rate` (sans attaque : la part des images de vraie classe ≠ `target` que le
    déclencheur suffit à faire classer `target`), `attack_success` (porte dérobée : le taux de succès sur les images
    de vraie classe ≠ `target` avec déclencheur ; attaques non ciblées : la part des images bien classées par
    `reference_predictions` — le même modèle sans attaque — et mal classées ici), `predictions` et `weights`.
    """
    from ..federated import run_flower_simulation

    attackers = list(range(num_attackers)) if attack != "none" else []
    clients, mods = attacked_clients(federation, attack, attackers, target=target, backdoor_fraction=backdoor_fraction)
    n = len(clients)
    _, weights = run_flower_simulation(
        model_factory(federation["mean"], federation["std"]), clients,
        strategy=lambda: make_strategy(defence, n, len(attackers), noise_multiplier=noise_multiplier,
                                       clipping_norm=clipping_norm),
        num_rounds=rounds, local_epochs=local_epochs, batch_size=batch_size, initial_weights=initial_weights,
        seed=seed, client_mods=mods, verbose=False)
    result = evaluate_weights(federation, weights, split=split, target=target)
    result["weights"] = weights
    if attack == "backdoor":
        result["attack_success"] = result.pop("trigger_rate")
    elif attack == "none":
        pass  # trigger_rate : le même déclencheur sur un modèle sans porte dérobée, le niveau de base
    else:
        result.pop("trigger_rate")
        if reference_predictions is not None:
            labels = federation[f"y_{split}"]
            was_right = np.asarray(reference_predictions) == labels
            result["attack_success"] = float(np.mean(was_right & (result["predictions"] != labels))
                                             / max(np.mean(was_right), 1e-12))
    return result


def evaluate_weights(federation: dict, weights, *, split: str = "val", target: int = 0) -> dict:
    """Exactitude, AUC (classe « malin ») et taux du déclencheur du modèle `weights` sur la partie `split`."""
    model = _evaluation_model(federation)
    model.set_weights(weights)
    x, y = federation[f"x_{split}"], federation[f"y_{split}"]
    predictions = predict_labels(model, x)
    return {"clean_acc": float(np.mean(predictions == y)), "auc": auc_score(model, x, y),
            "trigger_rate": attack_success_rate(model, x, y, target=target), "predictions": predictions}


def _evaluation_model(federation: dict):
    """Le modèle qui évalue une simulation : celui de l'appel précédent quand il est identique (sa fonction de
    prédiction est déjà tracée par TensorFlow), dans l'état exact d'un modèle neuf (`federated.model_reuse`)."""
    from ..federated.model_reuse import reuse_model

    return reuse_model("security-evaluation", build_breast_cnn(federation["mean"], federation["std"]))


def dp_training(federation: dict, noise_multiplier: float, clipping_norm: float, *, rounds: int = 3,
                local_epochs: int = 5, seed: int = 0) -> dict:
    """Un modèle entraîné **à partir de zéro** par FedAvg, avec (σ > 0) ou sans (σ = 0) DP côté serveur.

    `DifferentialPrivacyServerSideFixedClipping` de Flower écrête chaque mise à jour à `clipping_norm` et ajoute
    à la moyenne un bruit gaussien d'écart-type σ·C/n (les 7 hôpitaux ont le même nombre d'images : FedAvg les
    pondère à égalité, ce que ce calibrage suppose). ε (δ = 1e-5) est la borne haute du comptable (`dp_epsilon`) pour
    le voisinage « la contribution d'un hôpital remplacée par zéro » (sensibilité C) ; pour un hôpital vraiment
    ajouté ou retiré, la moyenne peut bouger de 2C/n : c'est le ε de `dp_epsilon(..., group_size=2)`. L'attaque d'appartenance vise l'entraînement réuni (membres) contre la
    validation (non-membres, jamais vus par le modèle) ; tout est mesuré sur la validation.
    Renvoie `epsilon`, `auc`, `clean_acc`, `mia_auc`, `mia_ci` (`Interval` bootstrap à 95 %), `loss_gap`, `weights`.
    """
    import keras

    from ..statistics import bootstrap_interval

    keras.utils.set_random_seed(seed)
    start = build_breast_cnn(federation["mean"], federation["std"]).get_weights()
    cell = run_scenario(federation, "none", "dp" if noise_multiplier > 0 else "fedavg", initial_weights=start,
                        rounds=rounds, local_epochs=local_epochs, seed=seed,
                        noise_multiplier=max(noise_multiplier, 1e-9), clipping_norm=clipping_norm)
    model = _evaluation_model(federation)
    model.set_weights(cell["weights"])
    attack = membership_inference(model, (federation["x_train"], federation["y_train"]),
                                  (federation["x_val"], federation["y_val"]), seed=seed)
    epsilon = dp_epsilon(noise_multiplier, rounds=rounds) if noise_multiplier > 0 else float("inf")
    return {"epsilon": epsilon, "auc": cell["auc"], "clean_acc": cell["clean_acc"], "mia_auc": attack["auc"],
            "mia_ci": bootstrap_interval(attack["is_member"], attack["scores"], "auc", n_boot=500, seed=seed),
            "loss_gap": attack["gap"], "weights": cell["weights"]}


def update_norm(federation: dict, initial_weights, *, hospital: int = -1, epochs: int = 1, seed: int = 0) -> float:
    """Norme L2 de la mise à jour d'un hôpital honnête (`epochs` époques à partir de `initial_weights`) :
    l'ordre de grandeur d'où choisir la norme d'écrêtage de la DP. Attention : un C tiré des données d'un hôpital
    est un choix fait sur des données privées, hors de la garantie ; on le fixe en pratique sur des données
    publiques ou sur une tâche voisine, avant l'apprentissage."""
    import keras

    keras.utils.set_random_seed(seed)
    model = build_breast_cnn(federation["mean"], federation["std"])
    model.set_weights(initial_weights)
    model.fit(*federation["clients"][hospital], epochs=epochs, batch_size=16, verbose=0)
    return float(np.sqrt(sum(np.sum((a - b) ** 2) for a, b in zip(model.get_weights(), initial_weights))))
