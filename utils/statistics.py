"""Intervalles de confiance par bootstrap : une métrique, et l'écart entre deux modèles sur les mêmes éléments.

Un seul module pour tout le cours. Trois fonctions :

- `bootstrap_interval(y_true, y_score, metric)` : la métrique et son intervalle bootstrap (percentiles) ;
- `paired_difference(y_true, score_a, score_b, metric)` : l'écart `métrique(a) − métrique(b)` et son intervalle
  **apparié** : chaque tirage reprend les mêmes éléments pour les deux modèles. C'est ainsi qu'on compare deux
  modèles évalués sur le même test ; deux intervalles qui se chevauchent ne disent pas que l'écart est nul.
- `seed_summary(values)` : moyenne et écart-type d'une mesure répétée avec plusieurs graines (bancs d'essai) :
  l'autre incertitude, celle de l'entraînement lui-même (partage des données, initialisation, ordre des lots).

Les tirages sont faits d'un coup (une matrice d'indices `n_boot × n`, graine fixée) ; l'AUC, l'exactitude,
la sensibilité, la spécificité et la moyenne sont calculées pour tous les tirages à la fois.
Un tirage qui n'a qu'une seule classe (AUC, sensibilité ou spécificité non définie) est écarté et compté.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np
from scipy.stats import rankdata


class Interval(NamedTuple):
    """Une valeur et son intervalle : se déballe comme un triplet `valeur, basse, haute = ...`."""

    value: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f} ; {self.high:.3f}]"

    def excludes_zero(self) -> bool:
        """Vrai si l'intervalle ne contient pas 0 (pour un écart : le signe est établi au niveau choisi)."""
        return self.low > 0 or self.high < 0


# ---------------------------------------------------------------- métriques calculées pour tous les tirages d'un coup
# Chaque fonction reçoit `y` (tirages × n, entiers 0/1) et `s` (tirages × n) et renvoie une valeur par tirage
# (NaN quand la métrique n'est pas définie sur ce tirage).
def _auc_rows(y, s):
    positives = y.sum(axis=1)
    negatives = y.shape[1] - positives
    ranks = rankdata(s, axis=1)  # rangs moyens en cas d'égalité : l'AUC compte une égalité pour 1/2
    rank_sum = (ranks * y).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def _rate_rows(hits, counted):
    with np.errstate(invalid="ignore", divide="ignore"):
        return hits.sum(axis=1) / counted.sum(axis=1)


_VECTORISED = {
    "auc": _auc_rows,
    "accuracy": lambda y, s: (y == s).mean(axis=1),
    "sensitivity": lambda y, s: _rate_rows((s == 1) & (y == 1), y == 1),
    "specificity": lambda y, s: _rate_rows((s == 0) & (y == 0), y == 0),
    "mean": lambda y, s: s.mean(axis=1),
}
METRICS = tuple(_VECTORISED)
"""Les métriques nommées : « auc » (scores), « accuracy », « sensitivity », « specificity » (prédictions 0/1),
« mean » (moyenne de `y_score`, `y_true` ignoré). Toute autre métrique : passer une fonction `metric(y_true, y_score)`."""


def _prepare(y_true, scores, metric):
    y_true = np.asarray(y_true).ravel()
    scores = [np.asarray(s).ravel() for s in scores]
    if any(len(s) != len(y_true) for s in scores):
        raise ValueError(f"Tailles différentes : {len(y_true)} étiquettes pour {[len(s) for s in scores]} scores.")
    if len(y_true) == 0:
        raise ValueError("Aucun élément à rééchantillonner.")
    if isinstance(metric, str):
        if metric not in _VECTORISED:
            raise ValueError(f"Métrique inconnue « {metric} » : choisissez parmi {', '.join(METRICS)}, "
                             "ou passez une fonction metric(y_true, y_score).")
        if metric != "mean":
            y_true = y_true.astype(int)
        if metric in ("accuracy", "sensitivity", "specificity"):
            scores = [s.astype(int) for s in scores]
    return y_true, scores


def _evaluate(metric, y_true, score, index):
    """La métrique sur chaque ligne d'indices (`index` : tirages × n)."""
    if isinstance(metric, str):
        return _VECTORISED[metric](y_true[index], score[index])
    values = np.empty(len(index))
    for row, sample in enumerate(index):  # métrique quelconque : une évaluation par tirage
        try:
            values[row] = metric(y_true[sample], score[sample])
        except ValueError:  # par exemple roc_auc_score sur un tirage d'une seule classe
            values[row] = np.nan
    return values


def _interval(point: float, replicates: np.ndarray, level: float) -> Interval:
    defined = replicates[~np.isnan(replicates)]
    if len(defined) < 0.5 * len(replicates):
        raise ValueError(f"La métrique n'est définie que sur {len(defined)} tirages sur {len(replicates)} "
                         "(trop peu d'éléments d'une des classes) : l'intervalle n'aurait pas de sens.")
    low, high = np.percentile(defined, [50 * (1 - level), 50 * (1 + level)])
    return Interval(float(point), float(low), float(high))


def _indices(n: int, n_boot: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n, size=(n_boot, n))


def bootstrap_interval(y_true, y_score, metric: str | Callable = "auc", *, n_boot: int = 1000, seed: int = 0,
                       level: float = 0.95) -> Interval:
    """La métrique sur tous les éléments, et son intervalle bootstrap à `level` (percentiles).

    On tire `n_boot` fois, avec remise, autant d'éléments qu'il y en a, et on recalcule la métrique sur chaque
    tirage : l'étendue de ces valeurs montre ce que le hasard de l'échantillon peut faire à la mesure.
    `metric` : un nom de `METRICS` (« auc » par défaut) ou une fonction `metric(y_true, y_score)`.
    Renvoie `Interval(value, low, high)`, qui se déballe en `valeur, basse, haute`.
    """
    y_true, (score,) = _prepare(y_true, [y_score], metric)
    point = _evaluate(metric, y_true, score, np.arange(len(y_true))[None, :])[0]
    return _interval(point, _evaluate(metric, y_true, score, _indices(len(y_true), n_boot, seed)), level)


def paired_difference(y_true, score_a, score_b, metric: str | Callable = "auc", *, n_boot: int = 1000,
                      seed: int = 0, level: float = 0.95) -> Interval:
    """L'écart `métrique(a) − métrique(b)` sur les mêmes éléments, et son intervalle bootstrap apparié.

    Chaque tirage reprend **les mêmes** éléments pour les deux modèles : ce qui est commun aux deux (un test
    facile ou difficile) s'annule dans l'écart. Si l'intervalle exclut 0, le signe de l'écart est établi
    au niveau choisi ; s'il contient 0, les données ne départagent pas les deux modèles.
    """
    y_true, (a, b) = _prepare(y_true, [score_a, score_b], metric)
    everything = np.arange(len(y_true))[None, :]
    point = (_evaluate(metric, y_true, a, everything) - _evaluate(metric, y_true, b, everything))[0]
    index = _indices(len(y_true), n_boot, seed)
    return _interval(point, _evaluate(metric, y_true, a, index) - _evaluate(metric, y_true, b, index), level)


def seed_summary(values) -> dict:
    """Moyenne et écart-type (ddof = 1 ; 0 pour une seule graine) d'une mesure répétée avec plusieurs graines."""
    values = [float(v) for v in values]
    sd = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    return {"mean": round(float(np.mean(values)), 4), "sd": round(sd, 4), "values": [round(v, 4) for v in values]}
