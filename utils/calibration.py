"""Calibration d'un classifieur binaire : diagramme de fiabilité, ECE, mise à l'échelle de température.

Une probabilité est **calibrée** si, parmi les cas où le modèle dit « 80 % », environ 80 % sont positifs.
C'est ce qui permet à un clinicien de lire le score comme un risque.

- `reliability_table` : les données du diagramme de fiabilité (probabilité moyenne prédite contre
  fréquence observée, par tranche de probabilité) ;
- `expected_calibration_error` (ECE, Naeini et al. 2015 ; Guo et al. 2017) : l'écart moyen entre les deux,
  pondéré par le nombre de cas de chaque tranche ;
- `fit_temperature` / `apply_temperature` (Guo et al. 2017) : on divise le logit par une température T
  choisie sur la **validation** (T > 1 adoucit un modèle trop sûr de lui) ; le classement des patients, donc
  l'AUC, ne change pas.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

_EPS = 1e-7


def _as_arrays(y_true, y_prob):
    y_true = np.asarray(y_true, dtype=float).ravel()
    y_prob = np.clip(np.asarray(y_prob, dtype=float).ravel(), 0.0, 1.0)
    if y_true.shape != y_prob.shape:
        raise ValueError(f"y_true ({y_true.shape}) et y_prob ({y_prob.shape}) n'ont pas la même taille.")
    return y_true, y_prob


def reliability_table(y_true, y_prob, n_bins: int = 10) -> pd.DataFrame:
    """Une ligne par tranche de probabilité [k/n_bins, (k+1)/n_bins) non vide : effectif, probabilité
    moyenne prédite (`confidence`), fréquence observée des positifs (`observed`) et leur écart."""
    y_true, y_prob = _as_arrays(y_true, y_prob)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    # La formule de l'exercice : 0,3 va dans [0,3 ; 0,4) même si la borne flottante vaut 0,30000000000000004.
    bins = np.minimum((y_prob * n_bins).astype(int), n_bins - 1)
    rows = []
    for k in range(n_bins):
        inside = bins == k
        if inside.any():
            rows.append({"bin_low": edges[k], "bin_high": edges[k + 1], "count": int(inside.sum()),
                         "confidence": float(y_prob[inside].mean()), "observed": float(y_true[inside].mean())})
    table = pd.DataFrame(rows, columns=["bin_low", "bin_high", "count", "confidence", "observed"])
    table["gap"] = (table["observed"] - table["confidence"]).abs()
    return table


def expected_calibration_error(y_true, y_prob, n_bins: int = 10) -> float:
    """ECE = Σ_tranches (n_tranche / n) · |fréquence observée − probabilité moyenne| (tranches de même largeur)."""
    table = reliability_table(y_true, y_prob, n_bins)
    return float((table["count"] * table["gap"]).sum() / table["count"].sum())


def logit(probabilities) -> np.ndarray:
    """log(p / (1 − p)), avec p écarté de 0 et 1 pour rester fini."""
    p = np.clip(np.asarray(probabilities, dtype=float), _EPS, 1 - _EPS)
    return np.log(p) - np.log1p(-p)


def apply_temperature(probabilities, temperature: float) -> np.ndarray:
    """sigmoïde(logit(p) / T) : les probabilités après mise à l'échelle de température."""
    return 1.0 / (1.0 + np.exp(-logit(probabilities) / float(temperature)))


def fit_temperature(y_true, y_prob, bounds=(0.05, 20.0)) -> float:
    """La température T qui minimise l'entropie croisée binaire (*log-loss*, NLL) de sigmoïde(logit(p) / T).

    À appeler sur la **validation**, jamais sur le test. Recherche sur log T (scipy, méthode bornée).
    """
    from scipy.optimize import minimize_scalar

    y_true, y_prob = _as_arrays(y_true, y_prob)
    z = logit(y_prob)

    def log_loss(log_t):
        p = np.clip(1.0 / (1.0 + np.exp(-z / np.exp(log_t))), _EPS, 1 - _EPS)
        return -np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p))

    result = minimize_scalar(log_loss, bounds=np.log(bounds), method="bounded", options={"xatol": 1e-6})
    return float(np.exp(result.x))


def plot_reliability(curves: dict, n_bins: int = 10, title: str = "Diagramme de fiabilité"):
    """Trace un diagramme de fiabilité : `curves` = {nom: (y_true, y_prob)}, avec l'ECE dans la légende."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.8, 4.3))
    ax.plot([0, 1], [0, 1], ":", color="gray", label="calibration parfaite")
    for name, (y_true, y_prob) in curves.items():
        table = reliability_table(y_true, y_prob, n_bins)
        ece = expected_calibration_error(y_true, y_prob, n_bins)
        ax.plot(table["confidence"], table["observed"], "o-", label=f"{name} (ECE {ece:.3f})")
    ax.set_xlabel("probabilité prédite (moyenne de la tranche)")
    ax.set_ylabel("fréquence observée des positifs")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    plt.show()


__all__ = ["apply_temperature", "expected_calibration_error", "fit_temperature", "logit", "plot_reliability",
           "reliability_table"]
