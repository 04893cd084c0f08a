"""Vérifications des exercices du notebook semaine_4/02 (NLP clinique fédéré)."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from . import call_answer, exercise_check, report


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
    if {"stent", "smith"} <= toy_set and "cast" not in toy_set:
        hints.append("Il manque « cast », que seul l'hôpital 1 emploie : parcourez TOUS les hôpitaux, pas seulement "
                     "le premier (un mot propre à n'importe quel hôpital compte).")
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


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


@exercise_check
def check_bytes_per_round(bytes_per_round) -> bool:
    """Exercice 3 : octets échangés par l'entraînement d'un tour (chaque client reçoit puis renvoie tous les poids).

    L'exemple a 5 clients (pas les 3 hôpitaux du notebook), la fonction est aussi appelée avec 2 clients (un nombre
    de clients écrit en dur ne change pas avec eux), et en float64 (deux fois plus d'octets qu'en float32).
    """
    weights = [np.zeros((100, 8), dtype=np.float32), np.zeros(8, dtype=np.float32)]
    doubles = [w.astype(np.float64) for w in weights]
    total = sum(w.nbytes for w in weights)            # 3 232 octets : ce que pèse une copie du modèle
    clients = 5
    answer = call_answer(bytes_per_round, weights, clients, name="bytes_per_round")
    with_two = call_answer(bytes_per_round, weights, 2, name="bytes_per_round")
    in_doubles = call_answer(bytes_per_round, doubles, clients, name="bytes_per_round")
    number = all(_is_number(value) for value in (answer, with_two, in_doubles))
    right = number and answer == total * clients * 2

    scales = number and answer * 2 == with_two * clients  # proportionnel au nombre de clients
    clients_hint = "Multipliez par le paramètre `num_clients` (chaque client reçoit et renvoie le modèle)."
    if number and answer == with_two:
        clients_hint = ("Votre résultat ne change pas quand `num_clients` passe de 2 à 5 : le nombre de clients est "
                        "écrit en dur, ou oublié. Multipliez par le paramètre `num_clients`.")

    hint = "Somme des `w.nbytes` de toutes les couches, × nombre de clients, × 2 (le modèle descend puis remonte)."
    if number and not right:
        diagnosis = {
            total * clients: "Chaque client reçoit le modèle global ET renvoie le sien : comptez les deux sens (× 2).",
            total * clients * 3: ("Vous comptez aussi l'envoi du modèle pour l'évaluation fédérée (× 3) : l'exercice "
                                  "demande l'entraînement seulement (descente et remontée, × 2) ; la section suivante "
                                  "ajoute l'évaluation."),
            total * 2: "Chaque client reçoit et renvoie son modèle : multipliez aussi par le nombre de clients.",
            total * 3 * 2: ("Vous multipliez par 3, les hôpitaux du notebook : l'exemple a 5 clients. Utilisez le "
                            "paramètre `num_clients`, pas un nombre écrit en dur."),
            total // 4 * clients * 2: ("`w.size` compte des nombres, pas des octets : `w.nbytes` donne les octets "
                                       "(4 par nombre en float32)."),
            weights[0].nbytes * clients * 2: ("Vous ne comptez que le premier tableau : additionnez `w.nbytes` de TOUS "
                                              "les tableaux de la liste (poids et biais de chaque couche)."),
        }
        hint = diagnosis.get(answer, hint)

    dtype_ok = number and in_doubles == 2 * answer
    dtype_hint = "En float64, chaque nombre prend 8 octets au lieu de 4 : `w.nbytes` en tient compte."
    if number and in_doubles == answer:
        dtype_hint = ("Votre résultat ne change pas en float64 : vous comptez un nombre fixe d'octets par nombre (4 ?). "
                      "`w.nbytes` tient compte du type (4 octets en float32, 8 en float64).")
    return report("Exercice 3 — le coût de communication d'un tour", [
        (number, "un nombre d'octets", "Renvoyez un nombre (un entier), pour chaque appel."),
        (scales, "proportionnel au nombre de clients (essayé avec 2 puis 5 clients)", clients_hint),
        (right, "poids × clients × 2 sens (entraînement), sur un exemple à 5 clients", hint),
        (dtype_ok, "la taille dépend du type des nombres (float64 : deux fois plus d'octets que float32)", dtype_hint),
    ])


# Cinq hôpitaux où chaque façon de se tromper désigne un hôpital différent :
# plus faible score local → A ; plus grand gain → C ; plus grand rapport fédéré / local → B ;
# meilleur score fédéré → D ; plus grand écart « local − fédéré » (le signe inversé) → E.
_TOY_SCORES = pd.DataFrame({"local": [0.05, 0.10, 0.40, 0.85, 0.60], "fédéré": [0.07, 0.40, 0.75, 0.90, 0.45]},
                           index=["A", "B", "C", "D", "E"])


def _with_gap_column(scores: pd.DataFrame) -> pd.DataFrame:
    """Le tableau jouet, avec la même colonne de texte que `own_scores` (l'écart sans son intervalle)."""
    table = scores.copy()
    table["écart fédéré − local [IC apparié]"] = [f"{gap:.3f}" for gap in table["fédéré"] - table["local"]]
    return table


def _hospital_name_problem(answer) -> str | None:
    """Un indice si la réponse n'est pas un nom d'hôpital (une chaîne), sinon None."""
    if isinstance(answer, str):
        return None
    if isinstance(answer, pd.Series):
        return ("Vous renvoyez une Series (par exemple `gains.nlargest(1)`) : renvoyez seulement le NOM de l'hôpital, "
                "une chaîne, par exemple avec `.idxmax()`.")
    if isinstance(answer, pd.DataFrame):
        return "Vous renvoyez un tableau : renvoyez seulement le NOM de l'hôpital (une chaîne), par exemple avec `.idxmax()`."
    if isinstance(answer, (list, tuple, set, np.ndarray, pd.Index)):
        return "Vous renvoyez une collection : renvoyez un seul NOM d'hôpital (une chaîne), pas une liste."
    if isinstance(answer, (int, np.integer)) and not isinstance(answer, bool):
        return ("Vous renvoyez un entier, sans doute une position (`argmax`) : renvoyez le NOM de l'hôpital, "
                "l'étiquette de la ligne (`.idxmax()`).")
    if isinstance(answer, (float, np.floating)):
        return "Vous renvoyez un nombre (le gain ?) : renvoyez le NOM de l'hôpital qui l'obtient (`.idxmax()`)."
    return f"Renvoyez le nom de l'hôpital, une chaîne (`str`), pas un objet de type {type(answer).__name__}."


@exercise_check
def check_most_helped_hospital(most_helped_hospital, own_test_scores) -> bool:
    """Exercice 2 : la fonction qui renvoie l'hôpital dont l'écart « fédéré − local » est le plus grand.

    Essayée sur un tableau jouet où le plus faible score local, le plus grand gain, le plus grand rapport
    fédéré / local et le meilleur score fédéré désignent des hôpitaux différents, puis sur `own_test_scores`
    (DataFrame indexé par hôpital, colonnes « local » et « fédéré » : macro-F1 sur le test de l'hôpital).
    """
    toy_table = _with_gap_column(_TOY_SCORES)
    toy = call_answer(most_helped_hospital, toy_table.copy(), name="most_helped_hospital")
    answer = call_answer(most_helped_hospital, own_test_scores.copy(), name="most_helped_hospital")
    problem = _hospital_name_problem(toy) or _hospital_name_problem(answer)
    is_name = problem is None
    in_table = is_name and toy in list(toy_table.index) and answer in list(own_test_scores.index)

    toy_ok = in_table and toy == "C"
    hint = "Calculez, pour chaque hôpital, « fédéré − local », puis prenez l'hôpital du plus grand écart (`.idxmax()`)."
    if in_table and not toy_ok:
        hint = {
            "A": ("Vous avez pris le plus faible score local : l'hôpital le plus faible seul n'est pas forcément "
                  "celui qui gagne le plus. Calculez la différence « fédéré − local »."),
            "B": ("Vous avez pris le plus grand RAPPORT fédéré / local : un petit score local gonfle le rapport. "
                  "La question porte sur la DIFFÉRENCE « fédéré − local »."),
            "D": "Vous avez pris le meilleur score fédéré ; la question porte sur le GAIN (fédéré − local).",
            "E": "Vous avez pris « local − fédéré » : le gain à fédérer est « fédéré − local » (le signe inversé).",
        }.get(toy, hint)
    gains = own_test_scores["fédéré"] - own_test_scores["local"]
    real_ok = in_table and answer == gains.idxmax()
    if not is_name:  # l'indice du premier point suffit : les suivants en découlent
        table_hint = hint = real_hint = ""
    else:
        table_hint = "Renvoyez une étiquette de l'index du tableau reçu en argument (pas un nom écrit en dur)."
        real_hint = "Même calcul sur `own_scores`."
    return report("Exercice 2 — qui gagne le plus à fédérer ?", [
        (is_name, "un nom d'hôpital (une chaîne)", problem or ""),
        (in_table, "un nom d'hôpital du tableau reçu", table_hint),
        (toy_ok, "exemple : cinq hôpitaux où plus faible score local, plus grand gain et plus grand rapport "
                 "fédéré / local désignent trois hôpitaux différents", hint),
        (real_ok, "sur le tableau `own_scores` du notebook : l'hôpital dont l'écart « fédéré − local » sur son "
                  "propre test est le plus grand", real_hint),
    ])
