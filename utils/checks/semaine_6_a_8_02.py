"""Vérifications des exercices du notebook semaine_6_a_8/02 (défenses)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import Verdict, call_answer, ensure_done, exercise_check, report

COST = "coût en exactitude (vs FedAvg sans attaque)"
SUCCESS = "succès de la porte dérobée"

SECAGG_CHOICES = ("A", "B", "C", "D")
_SECAGG_ANSWER = "B"
_SECAGG_HINTS = {
    "A": "Le vecteur masqué ressemble à du bruit uniforme : sa norme ne dit rien de la mise à jour. Le serveur ne "
         "peut justement pas juger une mise à jour isolée ; regardez la norme de l'agrégat avec l'attaquant.",
    "C": "L'agrégat (et le modèle publié) dépend toujours des données : SecAgg+ cache les mises à jour individuelles, "
         "pas ce que la somme révèle. La DP reste nécessaire contre l'inférence d'appartenance.",
    "D": "Le modèle final est le même avec ou sans SecAgg+ (mêmes poids agrégés) : il fuit tout autant.",
}


def _reference_choice(table, max_cost):
    affordable = table[table[COST] <= max_cost]
    return affordable[SUCCESS].idxmin() if len(affordable) else None


# Tables d'essai : sur chacune, ignorer la limite de coût, prendre la moins chère, écrire 0,05 en dur ou un
# « < » strict donnent une autre réponse que la bonne.
_CASES = [
    (pd.DataFrame({SUCCESS: [0.95, 0.40, 0.12, 0.05], COST: [0.0, -0.01, 0.02, 0.12]},
                  index=["fedavg", "fedmedian", "bulyan", "krum"]), 0.05),
    (pd.DataFrame({SUCCESS: [0.90, 0.20, 0.25, 0.10], COST: [0.0, 0.05, 0.01, 0.07]},
                  index=["fedavg", "fedtrimmedavg", "fedmedian", "krum"]), 0.05),
    (pd.DataFrame({SUCCESS: [0.97, 0.20, 0.35, 0.08], COST: [0.0, 0.09, 0.03, 0.15]},
                  index=["fedavg", "multikrum", "fedmedian", "bulyan"]), 0.10),
    # un coût négatif (plus exact que FedAvg) est toujours abordable : |coût| ≤ max_cost l'écarterait à tort
    (pd.DataFrame({SUCCESS: [0.92, 0.06, 0.30, 0.15], COST: [0.0, -0.08, 0.02, 0.04]},
                  index=["fedavg", "krum", "fedmedian", "fedtrimmedavg"]), 0.05),
]


@exercise_check
def check_choose_defence(choose_defence) -> Verdict:
    """Exercice 1 : `choose_defence(table, max_cost)`, la défense au plus faible succès parmi celles qui coûtent
    au plus `max_cost` d'exactitude, essayée sur des tables où ignorer la limite donne une autre réponse."""
    answers = [call_answer(choose_defence, table.copy(), max_cost, name="choose_defence") for table, max_cost in _CASES]
    expected = [_reference_choice(table, max_cost) for table, max_cost in _CASES]
    known = all(isinstance(a, str) and a in table.index for a, (table, _) in zip(answers, _CASES))
    cheap = known and all(table.loc[a, COST] <= max_cost for a, (table, max_cost) in zip(answers, _CASES))
    right = known and answers == expected
    hint = "Filtrez d'abord les lignes dont le coût est ≤ max_cost, puis prenez celle au plus petit succès (`idxmin`)."
    if known:
        if answers == [table[SUCCESS].idxmin() for table, _ in _CASES]:
            hint = ("Vous avez pris la plus efficace sans regarder son coût : filtrez d'abord les défenses qui coûtent "
                    "au plus `max_cost`.")
        elif answers == [table[COST].idxmin() for table, _ in _CASES]:
            hint = "Vous avez pris la défense la moins chère ; on veut la plus efficace parmi les défenses abordables."
        elif answers == [_reference_choice(table, 0.05) for table, _ in _CASES]:
            hint = "La limite de coût est un paramètre : utilisez `max_cost`, pas 0,05 écrit en dur."
        elif answers == [table[table[COST] < max_cost][SUCCESS].idxmin() for table, max_cost in _CASES]:
            hint = "« Au plus » max_cost : une défense qui coûte exactement `max_cost` est permise (≤, pas <)."
        elif answers == [table[table[COST].abs() <= max_cost][SUCCESS].idxmin() for table, max_cost in _CASES]:
            hint = ("Un coût négatif veut dire une défense plus exacte que FedAvg : elle est abordable. Comparez le "
                    "coût lui-même à `max_cost`, pas sa valeur absolue.")
    return report("Exercice 1 — quelle défense retenir ?", [
        (known, "un nom de défense du tableau (son index)", "Renvoyez l'index d'une ligne de `table`, par exemple \"bulyan\"."),
        (cheap, "une défense qui coûte au plus `max_cost` d'exactitude propre", hint),
        (right, "la plus efficace contre la porte dérobée parmi celles-là", hint),
    ])


@exercise_check
def check_local_dp_std(local_dp_std) -> Verdict:
    """Exercice 2 : Δ·√(2 ln(1,25/δ))/ε, la formule de LocalDpMod."""
    cases = [(0.9, 1e-5, 0.5), (0.5, 1e-6, 2.0), (0.2, 1e-3, 1.0)]  # ε < 1 : le domaine du théorème A.1
    answers = [call_answer(local_dp_std, *case, name="local_dp_std") for case in cases]
    expected = [s * np.sqrt(2 * np.log(1.25 / d)) / e for e, d, s in cases]
    numbers = all(isinstance(a, (int, float, np.floating)) and np.isfinite(float(a)) for a in answers)
    right = numbers and all(np.isclose(float(a), x, rtol=1e-9) for a, x in zip(answers, expected))
    log10 = numbers and all(np.isclose(float(a), s * np.sqrt(2 * np.log10(1.25 / d)) / e)
                            for a, (e, d, s) in zip(answers, cases))
    times_eps = numbers and all(np.isclose(float(a), s * np.sqrt(2 * np.log(1.25 / d)) * e)
                                for a, (e, d, s) in zip(answers, cases))
    hint = "σ = sensibilité × √(2 ln(1,25/δ)) / ε (`np.sqrt`, `np.log`)."
    if log10:
        hint = "C'est le logarithme népérien (`np.log`), pas le logarithme décimal."
    elif times_eps:
        hint = "Plus ε est petit, plus il faut de bruit : divisez par ε au lieu de multiplier."
    smaller_eps_more_noise = numbers and float(answers[2]) > float(answers[0])
    return report("Exercice 2 — le bruit de LocalDpMod", [
        (numbers, "un nombre par appel", "Renvoyez un float."),
        (right, "la formule du mécanisme gaussien (celle de LocalDpMod)", hint),
        (smaller_eps_more_noise, "plus de confidentialité (ε petit) demande plus de bruit", hint),
    ])


@exercise_check
def check_secagg_answer(secagg_answer) -> Verdict:
    """Exercice 3 : ce que SecAgg+ protège, et ce qu'il ne protège pas."""
    ensure_done(secagg_answer, "secagg_answer")
    answer = str(secagg_answer).strip().upper()
    valid = answer in SECAGG_CHOICES
    hint = _SECAGG_HINTS.get(answer, "Répondez par une lettre : \"A\", \"B\", \"C\" ou \"D\".")
    return report("Exercice 3 — ce que l'agrégation sécurisée change", [
        (valid, "une réponse parmi A, B, C, D", "Répondez par une lettre entre guillemets, par exemple \"A\"."),
        (answer == _SECAGG_ANSWER, "ce que SecAgg+ cache, et ce qu'il laisse passer", hint),
    ])
