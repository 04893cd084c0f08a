"""Métriques qui comptent en clinique, calculées avec scikit-learn.

Sensibilité (rappel des malades), spécificité (rappel des sains), AUC, et le choix du seuil :
en dépistage, on préfère rater peu de cancers quitte à rappeler plus de patientes.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, confusion_matrix, roc_auc_score


def clinical_metrics(y_true, y_score, threshold: float = 0.5) -> dict:
    """AUC, exactitude, sensibilité, spécificité et valeurs prédictives au seuil donné."""
    y_true = np.asarray(y_true).astype(int).ravel()
    y_score = np.asarray(y_score, dtype=float).ravel()
    y_pred = (y_score >= threshold).astype(int)
    tn, fp, fn, tp = confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel()
    ratio = lambda a, b: float(a / b) if b else float("nan")  # noqa: E731 (division sans avertissement)
    return {
        "auc": float(roc_auc_score(y_true, y_score)) if len(set(y_true)) == 2 else float("nan"),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "sensitivity": ratio(tp, tp + fn),
        "specificity": ratio(tn, tn + fp),
        "ppv": ratio(tp, tp + fp),
        "npv": ratio(tn, tn + fn),
        "threshold": float(threshold),
    }


def threshold_for_sensitivity(y_true, y_score, target: float = 0.95) -> float:
    """Le plus grand seuil qui atteint au moins la sensibilité `target` (choix d'un seuil de dépistage).

    Chaque score observé est un seuil possible ; au seuil t, on dit « malin » si score ≥ t. En partant du plus
    grand, la sensibilité ne fait que monter : on garde le premier score où elle atteint la cible.
    """
    y_true = np.asarray(y_true).astype(int).ravel()
    y_score = np.asarray(y_score, dtype=float).ravel()
    if not y_true.any():
        raise ValueError("Aucun cas positif : la sensibilité n'est pas définie.")
    candidates = np.unique(y_score)[::-1]                                   # seuils possibles, du plus grand au plus petit
    sensitivity = np.array([(y_score[y_true == 1] >= t).mean() for t in candidates])
    return float(candidates[np.flatnonzero(sensitivity >= target)[0]])


def metrics_by_threshold(y_true, y_score, thresholds=(0.3, 0.5, 0.7)) -> pd.DataFrame:
    """Un tableau : une ligne par seuil, avec sensibilité, spécificité et exactitude."""
    rows = [clinical_metrics(y_true, y_score, t) for t in thresholds]
    return pd.DataFrame(rows)[["threshold", "sensitivity", "specificity", "accuracy", "ppv", "npv"]]
