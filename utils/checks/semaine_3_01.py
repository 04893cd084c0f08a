"""Vérifications des exercices de semaine_3/01_prediction_tabulaire.ipynb."""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import call_answer, ensure_done, exercise_check, report

FEATURES = ("age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalach", "exang", "oldpeak",
            "slope", "ca", "thal")


@exercise_check
def check_missing_rates(missing_rates, data: pd.DataFrame) -> bool:
    """Exercice 1 : part des valeurs manquantes, par hôpital (lignes) et par variable (colonnes)."""
    ensure_done(missing_rates, "missing_rates")
    expected = data[list(FEATURES)].isna().groupby(data["hospital"]).mean()
    results = [(isinstance(missing_rates, pd.DataFrame), "c'est un DataFrame pandas",
                "`groupby(...).mean()` sur un tableau de booléens renvoie un DataFrame.")]
    if not results[0][0]:
        return report("Exercice 1 : valeurs manquantes par hôpital", results)
    answer = missing_rates.copy()
    same_index = sorted(map(str, answer.index)) == sorted(expected.index)
    results.append((same_index, "une ligne par hôpital (cleveland, hungarian, switzerland, va)",
                    "Groupez par la colonne `hospital` : `....groupby(df['hospital'])`."))
    same_columns = set(FEATURES) <= set(map(str, answer.columns))
    results.append((same_columns, "une colonne par variable (age ... thal)",
                    "Gardez les 13 variables, sans `num`, `hospital` ni `target`."))
    values_ok = as_percent = False
    if same_index and same_columns:
        answer = answer.loc[expected.index, list(FEATURES)].astype(float)
        as_percent = np.allclose(answer.to_numpy(), 100 * expected.to_numpy(), atol=0.05)
        values_ok = np.allclose(answer.to_numpy(), expected.to_numpy(), atol=5e-4)
    results.append((values_ok, "les taux sont des parts entre 0 et 1, justes (chol = 0 compté comme manquant)",
                    "Ce sont des pourcentages : l'énoncé demande la part entre 0 et 1 (ne multipliez pas par 100)."
                    if as_percent else
                    "`df[variables].isna()` vaut True là où la valeur manque ; sa moyenne par groupe est le taux."))
    success = report("Exercice 1 : valeurs manquantes par hôpital", results)
    if values_ok:
        worst = expected.mean(axis=1).idxmax()
        print(f"À retenir : l'hôpital le plus lacunaire est {worst} ({100 * expected.loc[worst].mean():.0f} % "
              f"de cases vides) ; ca manque chez {100 * expected.loc['hungarian', 'ca']:.0f} % des patients hongrois.")
    return success


def _pair(answer):
    """(a, b) en flottants si `answer` est une paire de nombres (tuple, liste, tableau NumPy), sinon None."""
    try:
        values = np.asarray(answer, dtype=float).ravel()
    except (TypeError, ValueError):
        return None
    return (float(values[0]), float(values[1])) if values.size == 2 else None


@exercise_check
def check_sensitivity_specificity(sensitivity_specificity) -> bool:
    """Exercice 2 : malade si score >= seuil ; sensibilité = VP / (VP + FN), spécificité = VN / (VN + FP)."""
    y_true = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1]  # 5 malades, 6 sains
    y_score = [0.9, 0.7, 0.2, 0.5, 0.1, 0.6, 0.3, 0.5, 0.2, 0.4, 0.45]
    # au seuil 0,5 (>=) : malades détectés 0,9 0,7 0,5 → 3 sur 5 ; sains reconnus : tous sauf 0,6 et 0,5 → 4 sur 6
    answer = call_answer(sensitivity_specificity, y_true, y_score, 0.5, name="sensitivity_specificity")
    results = []
    shape_ok = _pair(answer) is not None  # tuple, liste ou tableau NumPy de deux nombres
    results.append((shape_ok, "la fonction renvoie deux nombres (sensibilité, spécificité)",
                    "Terminez par `return sensitivity, specificity`."))
    if shape_ok:
        sensitivity, specificity = _pair(answer)
        swapped = np.isclose(sensitivity, 4 / 6) and np.isclose(specificity, 3 / 5)
        strict = np.isclose(sensitivity, 2 / 5) and np.isclose(specificity, 5 / 6)  # `>` au lieu de `>=`
        percent = np.isclose(sensitivity, 60) and np.isclose(specificity, 400 / 6)  # pourcentages
        at_half = bool(np.isclose(sensitivity, 3 / 5) and np.isclose(specificity, 4 / 6))
        results.append((at_half,
                        "au seuil 0,5 : sensibilité 3/5 = 0,60 et spécificité 4/6 = 0,67",
                        "Inversées ? La sensibilité regarde les *malades* (y_true == 1)." if swapped else
                        "Un score égal au seuil compte comme « malade » : utilisez `>=`, pas `>`." if strict else
                        "Ce sont des pourcentages : renvoyez des parts entre 0 et 1 (ne multipliez pas par 100)."
                        if percent else
                        "Prédiction = (score >= seuil) ; sensibilité = vrais positifs / malades, "
                        "spécificité = vrais négatifs / sains."))
        first_fix = "Corrigez d'abord le point « au seuil 0,5 » ci-dessus : ce point en dépend."
        low = call_answer(sensitivity_specificity, y_true, y_score, 0.2, name="sensitivity_specificity")
        results.append((_pair(low) is not None and np.allclose(_pair(low), [1.0, 1 / 6]),
                        "le seuil est bien utilisé (au seuil 0,2 : sensibilité 1,00, spécificité 0,17)",
                        "Comparez les scores au paramètre `threshold`, pas à 0,5 écrit en dur." if at_half
                        else first_fix))
        rng = np.random.default_rng(0)
        truth, score = rng.integers(0, 2, 200), rng.random(200)
        again = call_answer(sensitivity_specificity, truth, score, 0.3, name="sensitivity_specificity")
        expected = (np.mean(score[truth == 1] >= 0.3), np.mean(score[truth == 0] < 0.3))
        results.append((_pair(again) is not None and np.allclose(_pair(again), expected),
                        "juste aussi sur des tableaux NumPy de 200 patients",
                        "Utilisez des comparaisons vectorielles : `np.sum((y_true == 1) & y_pred)`." if at_half
                        else first_fix))
    return report("Exercice 2 : sensibilité et spécificité à un seuil", results)


@exercise_check
def check_fit_on_train_only(fit_on_train_apply) -> bool:
    """Exercice 3 : le prétraitement apprend ses statistiques sur l'entraînement seul, puis les applique aux nouvelles
    données (validation, test, patient en consultation)."""
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(1)
    X_train = rng.normal([50, 130], [10, 20], size=(40, 2))
    X_new = rng.normal([60, 150], [10, 20], size=(10, 2))  # un autre hôpital : populations décalées
    answer = call_answer(fit_on_train_apply, StandardScaler(), X_train, X_new, name="fit_on_train_apply")
    results = []
    shape_ok = isinstance(answer, (tuple, list)) and len(answer) == 2
    results.append((shape_ok, "la fonction renvoie (X_train transformé, X_new transformé)",
                    "Terminez par `return X_train_ready, X_new_ready`."))
    if shape_ok:
        train_ready, new_ready = (np.asarray(a, dtype=float) for a in answer)
        mean, std = X_train.mean(axis=0), X_train.std(axis=0)
        results.append((np.allclose(train_ready, (X_train - mean) / std), "l'entraînement est centré-réduit",
                        "`preprocessor.fit_transform(X_train)` apprend et applique les statistiques d'entraînement."))
        refit = np.allclose(new_ready.mean(axis=0), 0, atol=1e-6)
        results.append((np.allclose(new_ready, (X_new - mean) / std),
                        "les nouvelles données sont transformées avec les statistiques de l'entraînement",
                        "Les nouvelles données ont été ré-ajustées sur elles-mêmes (`fit_transform`) : utilisez "
                        "seulement `preprocessor.transform(X_new)`." if refit else
                        "Appliquez à X_new, avec `transform`, le prétraitement ajusté sur l'entraînement."))
        single = call_answer(fit_on_train_apply, StandardScaler(), X_train, X_new[:1], name="fit_on_train_apply")
        one_patient = np.asarray(single[1], dtype=float)
        results.append((np.allclose(one_patient, (X_new[:1] - mean) / std),
                        "marche pour un seul nouveau patient (le cas de la consultation)",
                        "Un patient seul n'a pas de « statistiques » : tout doit venir de l'entraînement."))
    return report("Exercice 3 : prétraitement ajusté sur l'entraînement seul", results)
