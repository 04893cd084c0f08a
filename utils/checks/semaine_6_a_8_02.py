"""Vérifications des exercices du notebook semaine_6_a_8/02 (défenses)."""
from __future__ import annotations

import numpy as np

from . import Verdict, call_answer, ensure_done, report

COST = "coût en exactitude (vs FedAvg sans attaque)"
SUCCESS = "succès de la porte dérobée"

SECAGG_CHOICES = ("A", "B", "C", "D")
_SECAGG_ANSWER = "B"
_SECAGG_HINTS = {
    "A": "Le serveur ne voit que des vecteurs masqués : il ne peut justement pas juger une mise à jour isolée. "
         "Regardez la norme de l'agrégat avec l'attaquant.",
    "C": "L'agrégat (et le modèle publié) dépend toujours des données : SecAgg+ cache les mises à jour individuelles, "
         "pas ce que la somme révèle. La DP reste nécessaire contre l'inférence d'appartenance.",
    "D": "Le modèle final est le même avec ou sans SecAgg+ (mêmes poids agrégés) : il fuit tout autant.",
}


def check_chosen_defence(chosen_defence, robust_table) -> Verdict:
    """Exercice 1 : la défense au plus faible succès d'attaque parmi celles qui coûtent au plus 0,05 d'exactitude."""
    ensure_done(chosen_defence, "chosen_defence")
    affordable = robust_table[robust_table[COST] <= 0.05]
    expected = affordable[SUCCESS].idxmin() if len(affordable) else None
    known = isinstance(chosen_defence, str) and chosen_defence in robust_table.index
    cheap = known and robust_table.loc[chosen_defence, COST] <= 0.05
    right = known and expected is not None and (
        chosen_defence == expected
        or np.isclose(robust_table.loc[chosen_defence, SUCCESS], affordable[SUCCESS].min()))
    overall_best = robust_table[SUCCESS].idxmin()
    hint = "Filtrez d'abord les lignes dont le coût est ≤ 0,05, puis prenez celle au plus petit succès (`idxmin`)."
    if known and not cheap:
        hint = (f"« {chosen_defence} » coûte {robust_table.loc[chosen_defence, COST]:.3f} d'exactitude : "
                "plus que les 0,05 permis. Filtrez d'abord sur le coût.")
    elif known and chosen_defence == robust_table[COST].idxmin():
        hint = "Vous avez pris la défense la moins chère ; on veut la plus efficace parmi les défenses abordables."
    return report("Exercice 1 — quelle défense retenir ?", [
        (known, "un nom de défense du tableau", f"Choisissez parmi : {', '.join(map(str, robust_table.index))}."),
        (cheap, "une défense qui coûte au plus 0,05 d'exactitude propre", hint),
        (right, "la plus efficace contre la porte dérobée parmi celles-là", hint if known and cheap else
         f"(La plus efficace sans contrainte de coût est « {overall_best} ».)"),
    ])


def check_local_dp_std(local_dp_std) -> Verdict:
    """Exercice 2 : Δ·√(2 ln(1,25/δ))/ε, la formule de LocalDpMod."""
    cases = [(1.0, 1e-5, 0.5), (8.0, 1e-6, 2.0), (0.5, 1e-3, 1.0)]
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
