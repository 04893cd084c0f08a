"""Vérifications des exercices du notebook semaine_4/02 (NLP clinique fédéré)."""
from __future__ import annotations

from collections import Counter

import numpy as np

from . import call_answer, ensure_done, exercise_check, report


def _reference_specific_words(vocabulary, hospital_vocabularies) -> set:
    counts = Counter(word for words in hospital_vocabularies for word in set(words))
    return {word for word in vocabulary if counts[word] == 1}


def _as_word_set(answer):
    """L'ensemble de mots renvoyé, ou None si ce n'est pas une collection de chaînes (un ensemble par hôpital...)."""
    if not isinstance(answer, (set, frozenset, list, tuple)):
        return None
    if not all(isinstance(word, str) for word in answer):
        return None
    return set(answer)


@exercise_check
def check_hospital_specific_words(hospital_specific_words, vocabulary, hospital_vocabularies) -> bool:
    """Exercice 1 : les mots du vocabulaire commun employés par un seul hôpital."""
    # « fracture » est dans le vocabulaire mais chez aucun hôpital ; « garcia » est chez un hôpital, hors du vocabulaire.
    toy_vocabulary = ["pain", "stent", "knee", "smith", "cast", "fracture"]
    toy_hospitals = [{"pain", "stent", "smith"}, {"pain", "knee", "cast"}, {"pain", "knee", "garcia"}]
    toy = _as_word_set(call_answer(hospital_specific_words, toy_vocabulary, toy_hospitals, name="hospital_specific_words"))
    answer = _as_word_set(call_answer(hospital_specific_words, vocabulary, hospital_vocabularies,
                                      name="hospital_specific_words"))
    is_set = toy is not None and answer is not None
    toy_set = toy if toy is not None else set()
    toy_ok = toy_set == {"stent", "smith", "cast"}
    hints = []
    if "pain" in toy_set or "knee" in toy_set:
        hints.append("Vous gardez des mots employés par plusieurs hôpitaux (« pain », « knee »).")
    if "fracture" in toy_set:
        hints.append("Vous gardez « fracture », qu'aucun hôpital n'emploie : il faut exactement UN hôpital (== 1), pas moins de 2.")
    if "garcia" in toy_set:
        hints.append("Vous gardez « garcia », absent du vocabulaire commun : ne parcourez que les mots de `vocabulary`.")
    real_ok = is_set and answer == _reference_specific_words(vocabulary, hospital_vocabularies)
    return report("Exercice 1 — les mots qui trahissent un hôpital", [
        (is_set, "un seul ensemble de mots",
         "Renvoyez UN `set` de mots (des chaînes), pas un ensemble par hôpital ni des nombres."),
        (toy_ok, "exemple : « stent », « smith » (hôpital 0) et « cast » (hôpital 1) ne sont employés que par un hôpital",
         "Comptez, pour chaque mot du vocabulaire, le nombre d'hôpitaux dont l'ensemble de mots le contient ; "
         "gardez ceux qui valent exactement 1." + "".join(" " + hint for hint in hints)),
        (real_ok, "sur le vocabulaire TF-IDF commun des hôpitaux du notebook",
         "Même calcul sur `vocabulary` et `hospital_vocabularies` (un ensemble de mots par hôpital)."),
    ])


@exercise_check
def check_bytes_per_round(bytes_per_round) -> bool:
    """Exercice 3 : octets échangés par l'entraînement d'un tour (chaque client reçoit puis renvoie tous les poids)."""
    weights = [np.zeros((100, 8), dtype=np.float32), np.zeros(8, dtype=np.float32)]
    expected = (100 * 8 + 8) * 4 * 3 * 2
    answer = call_answer(bytes_per_round, weights, 3, name="bytes_per_round")
    number = isinstance(answer, (int, np.integer, float, np.floating))
    right = number and int(answer) == expected
    one_way = number and int(answer) == expected // 2
    no_clients = number and int(answer) == expected // 3
    with_evaluation = number and int(answer) == expected // 2 * 3
    doubles = [np.zeros((10, 2), dtype=np.float64)]
    dtype_ok = number and int(call_answer(bytes_per_round, doubles, 1, name="bytes_per_round")) == 10 * 2 * 8 * 2
    hint = "Somme des `w.nbytes` de toutes les couches, × nombre de clients, × 2 (le modèle descend puis remonte)."
    if one_way:
        hint = "Chaque client reçoit le modèle global ET renvoie le sien : comptez les deux sens (× 2)."
    elif with_evaluation:
        hint = ("Vous comptez aussi l'envoi du modèle pour l'évaluation fédérée (× 3) : l'exercice demande l'entraînement "
                "seulement (descente et remontée, × 2) ; la section suivante ajoute l'évaluation.")
    elif no_clients:
        hint = "Chaque client reçoit et renvoie son modèle : multipliez aussi par le nombre de clients."
    return report("Exercice 3 — le coût de communication d'un tour", [
        (number, "un nombre d'octets", "Renvoyez un entier."),
        (right, "poids × clients × 2 sens (entraînement)", hint),
        (dtype_ok, "la taille dépend du type des nombres (float64 : 8 octets)", "Utilisez `w.nbytes`, qui tient compte du type."),
    ])


@exercise_check
def check_most_helped_hospital(most_helped_hospital, own_test_scores) -> bool:
    """Exercice 2 : l'hôpital dont l'écart « fédéré − local » sur son propre test est le plus grand.

    `own_test_scores` : DataFrame indexé par hôpital, colonnes « local » et « fédéré » (macro-F1 sur le test de l'hôpital).
    """
    ensure_done(most_helped_hospital, "most_helped_hospital")
    gains = own_test_scores["fédéré"] - own_test_scores["local"]
    expected = gains.idxmax()
    valid = most_helped_hospital in list(own_test_scores.index)
    right = most_helped_hospital == expected
    best_federated = valid and most_helped_hospital == own_test_scores["fédéré"].idxmax() and not right
    worst_local = valid and most_helped_hospital == own_test_scores["local"].idxmin() and not right
    hint = "Calculez, pour chaque hôpital, « fédéré − local », puis prenez le plus grand gain."
    if best_federated:
        hint = "Vous avez pris le meilleur score fédéré ; la question porte sur le GAIN (fédéré − local)."
    elif worst_local:
        hint = "Le plus faible score local n'est pas forcément le plus grand gain : calculez la différence."
    return report("Exercice 2 — qui gagne le plus à fédérer ?", [
        (valid, "un nom d'hôpital du tableau", f"Choisissez parmi : {', '.join(map(str, own_test_scores.index))}."),
        (right, "l'hôpital dont l'écart « fédéré − local » sur son propre test est le plus grand", hint),
    ])
