"""Comptabilité de la confidentialité différentielle : ε par le comptable PRV, et ce que ε borne."""
from __future__ import annotations

import math

import numpy as np


def dp_epsilon(noise_multiplier: float, *, rounds: int, sampling_rate: float = 1.0, delta: float = 1e-5,
               group_size: int = 1) -> float:
    """ε d'un mécanisme gaussien appliqué `rounds` fois (DP-FedAvg : un tour = une publication du modèle).

    Calcul par le comptable PRV de Microsoft (`prv-accountant`, Gopi et al., 2021), jamais à la main :
    - `sampling_rate` = 1 : tous les hôpitaux à chaque tour, mécanisme gaussien simple composé `rounds` fois ;
    - `sampling_rate` < 1 : hôpitaux tirés au hasard (Poisson) à chaque tour, ce qui amplifie la confidentialité.
    Le σ du bruit vaut `noise_multiplier` × la sensibilité de la requête (la norme d'écrêtage C).
    `group_size` = g : garantie pour un changement de sensibilité g·C au lieu de C (par exemple g = 2 pour une
    patiente ajoutée ou retirée, dont l'hôpital reste : sa mise à jour écrêtée peut bouger de 2C), soit le
    multiplicateur σ/g (calcul exact pour le mécanisme gaussien, plus fin que la règle générale des groupes).
    Renvoie la **borne haute** du comptable (celle qu'une garantie doit déclarer).
    """
    from prv_accountant import GaussianMechanism, PoissonSubsampledGaussianMechanism, PRVAccountant

    if noise_multiplier <= 0:
        return float("inf")
    multiplier = float(noise_multiplier) / int(group_size)
    if sampling_rate >= 1.0:
        mechanism = GaussianMechanism(noise_multiplier=multiplier)
    else:
        mechanism = PoissonSubsampledGaussianMechanism(noise_multiplier=multiplier,
                                                       sampling_probability=float(sampling_rate))
    accountant = PRVAccountant(prvs=[mechanism], max_self_compositions=[int(rounds)], eps_error=0.01,
                               delta_error=delta / 1000)
    _, _, upper = accountant.compute_epsilon(delta=delta, num_self_compositions=[int(rounds)])
    return float(upper)


def gaussian_mu(noise_multiplier: float, *, rounds: int, group_size: int = 1) -> float:
    """Paramètre μ de la f-DP gaussienne (Dong, Roth et Su, 2022) de `rounds` mécanismes gaussiens sans
    échantillonnage : μ = g·√rounds / σ (g = `group_size`). Plus μ est petit, plus la garantie est forte."""
    if noise_multiplier <= 0:
        return float("inf")
    return float(group_size) * math.sqrt(int(rounds)) / float(noise_multiplier)


def max_attack_auc(noise_multiplier: float, *, rounds: int, group_size: int = 1) -> float:
    """La plus grande AUC qu'**aucune** attaque d'appartenance ne peut dépasser sous μ-GDP : Φ(μ/√2).

    Sous μ-GDP, la courbe ROC de tout test « membre ou non » reste sous TPR = Φ(Φ⁻¹(FPR) + μ), dont l'aire
    vaut Φ(μ/√2). 0,5 = la garantie interdit toute attaque meilleure que le hasard ; près de 1 = elle
    n'interdit presque rien.
    """
    from scipy.stats import norm

    mu = gaussian_mu(noise_multiplier, rounds=rounds, group_size=group_size)
    return 1.0 if not np.isfinite(mu) else float(norm.cdf(mu / math.sqrt(2)))


def max_true_positive_rate(epsilon: float, false_positive_rate: float, delta: float = 1e-5) -> float:
    """La borne (ε, δ) d'un test d'appartenance : TPR ≤ e^ε·FPR + δ (plafonnée à 1)."""
    return float(min(1.0, math.exp(min(epsilon, 700.0)) * false_positive_rate + delta))
