"""Confidentialité différentielle : le mécanisme de Laplace, écrit à la main pour qu'on le voie.

Une requête f de sensibilité Δ (l'écart maximal de f entre deux tables voisines, pour la relation de voisinage
choisie : ajout ou retrait d'une personne, ou remplacement d'une personne à taille n publique) devient
ε-différentiellement privée si l'on publie f(D) + Laplace(0, b) avec b = Δ / ε. La variance du bruit vaut
2 b² = 2 (Δ/ε)². Plus ε est petit, plus la protection est forte et le bruit grand. Les budgets s'ajoutent :
k publications à ε chacune coûtent k·ε au total (composition séquentielle).

Pour un usage réel, utilisez une bibliothèque maintenue (OpenDP, diffprivlib) : elle calcule la sensibilité,
tient le budget et se protège des attaques sur les nombres à virgule flottante (Mironov 2012).
"""
from __future__ import annotations

import numbers

import numpy as np


def as_generator(rng=None) -> np.random.Generator:
    """Un générateur NumPy : `rng` lui-même, ou créé depuis une graine entière (None : graine aléatoire)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, numbers.Integral):
        return np.random.default_rng(rng)
    raise TypeError("rng doit être un numpy.random.Generator (np.random.default_rng(42)), une graine entière ou None.")


def laplace_scale(sensitivity: float, epsilon: float) -> float:
    """Échelle b = sensibilité / ε du bruit de Laplace."""
    if not np.isfinite(epsilon) or epsilon <= 0:
        raise ValueError(f"epsilon doit être un nombre strictement positif (reçu : {epsilon}).")
    if not np.isfinite(sensitivity) or sensitivity < 0:
        raise ValueError(f"La sensibilité doit être un nombre positif ou nul (reçu : {sensitivity}).")
    return float(sensitivity) / float(epsilon)


def laplace_variance(sensitivity: float, epsilon: float) -> float:
    """Variance théorique du bruit : 2 (sensibilité / ε)²."""
    return 2.0 * laplace_scale(sensitivity, epsilon) ** 2


def membership_auc_bound(epsilon: float) -> float:
    """Plus grande AUC possible d'un test d'appartenance (« cette personne est-elle dans la table ? ») contre un
    mécanisme ε-DP pur : e^ε / (1 + e^ε). Tout test a un taux de vrais positifs ≤ e^ε × son taux de faux positifs
    (et symétriquement) ; la meilleure courbe ROC permise a cette aire. 0,5 = hasard, 1 = aucune protection.
    """
    laplace_scale(1.0, epsilon)  # même contrôle de ε
    return float(1.0 / (1.0 + np.exp(-float(epsilon))))


def laplace_mechanism(value, sensitivity: float, epsilon: float, rng=None):
    """Publie `value` + Laplace(0, sensibilité/ε) ; `value` peut être un nombre ou un tableau (bruit indépendant).

    `rng` : un `numpy.random.Generator` (reproductible), une graine entière, ou None.
    """
    scale = laplace_scale(sensitivity, epsilon)
    generator = as_generator(rng)
    array = np.asarray(value, dtype="float64")
    noisy = array + generator.laplace(0.0, scale, size=array.shape)
    return float(noisy) if noisy.ndim == 0 else noisy
