"""Vérifications des exercices du notebook semaine_4/02 (NLP clinique fédéré)."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from . import ExerciseNotDone, call_answer, exercise_check, report

NO_RETURN_HINT = "Votre fonction ne renvoie rien (None) : il manque `return` devant le résultat."


def _call_safely(function, *args, name: str):
    """(réponse, None), ou (None, l'erreur) si la fonction de l'apprenant lève une erreur (pas encore écrite : relancé)."""
    try:
        return call_answer(function, *args, name=name), None
    except ExerciseNotDone:
        raise
    except Exception as error:  # noqa: BLE001 : toute erreur de l'apprenant devient un indice, sans planter
        return None, error


def _raises_hint(error, where: str) -> str:
    return (f"Votre fonction lève `{type(error).__name__}` {where} : essayez-la dans sa cellule et lisez le message "
            "d'erreur.")


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
    toy_raw, toy_error = _call_safely(hospital_specific_words, toy_vocabulary, toy_hospitals,
                                      name="hospital_specific_words")
    answer_raw, real_error = _call_safely(hospital_specific_words, vocabulary, hospital_vocabularies,
                                          name="hospital_specific_words")
    toy, answer = _as_word_set(toy_raw), _as_word_set(answer_raw)
    raised = toy_error is not None or real_error is not None
    returns_nothing = not raised and (toy_raw is None or answer_raw is None)
    is_set = toy is not None and answer is not None
    toy_set = toy if toy is not None else set()
    toy_ok = toy_set == {"stent", "smith", "cast"}
    hints = []
    if {"stent", "smith"} <= toy_set and "cast" not in toy_set:
        hints.append("Il manque « cast », que seul l'hôpital 1 emploie : parcourez TOUS les hôpitaux, pas seulement "
                     "le premier (un mot propre à n'importe quel hôpital compte).")
    shared_kept = [word for word in ("pain", "knee") if word in toy_set]
    if shared_kept:
        hints.append("Vous gardez des mots employés par plusieurs hôpitaux ("
                     + ", ".join(f"« {word} »" for word in shared_kept) + ").")
    if "fracture" in toy_set:
        hints.append("Vous gardez « fracture », qu'aucun hôpital n'emploie : il faut exactement UN hôpital (== 1), pas moins de 2.")
    if "garcia" in toy_set:
        hints.append("Vous gardez « garcia », absent du vocabulaire commun : ne parcourez que les mots de `vocabulary`.")
    real_ok = is_set and answer == _reference_specific_words(vocabulary, hospital_vocabularies)
    toy_hint = ("Comptez, pour chaque mot du vocabulaire, le nombre d'hôpitaux dont l'ensemble de mots le contient ; "
                "gardez ceux qui valent exactement 1." + "".join(" " + hint for hint in hints))
    real_hint = "Même calcul sur `vocabulary` et `hospital_vocabularies` (un ensemble de mots par hôpital)."
    set_hint = "Renvoyez UN `set` de mots (des chaînes), pas un ensemble par hôpital ni des nombres."
    if returns_nothing:
        set_hint = NO_RETURN_HINT
    elif toy_error is not None:
        set_hint = _raises_hint(toy_error, "sur l'exemple (six mots, trois hôpitaux)")
    elif real_error is not None:
        set_hint = _raises_hint(real_error, "sur `vocabulary` et `hospital_vocabularies` du notebook")
    if returns_nothing or raised:  # l'indice du premier point suffit
        toy_hint = real_hint = ""
    return report("Exercice 1 — les mots qui trahissent un hôpital", [
        (is_set, "un seul ensemble de mots", set_hint),
        (toy_ok, "exemple : « stent », « smith » (hôpital 0) et « cast » (hôpital 1) ne sont employés que par un hôpital",
         toy_hint),
        (real_ok, "sur le vocabulaire TF-IDF commun des hôpitaux du notebook", real_hint),
    ])


def _is_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _same(a, b) -> bool:
    """Deux nombres égaux, à l'arrondi des flottants près (une réponse en flottant reste juste)."""
    return bool(np.isclose(a, b, rtol=1e-9, atol=0))


def _reads_global(function, name: str) -> bool:
    """Vrai si le code de la fonction (compréhensions et lambdas comprises) lit la variable globale `name`."""
    def reads(code) -> bool:
        return name in code.co_names or any(reads(const) for const in code.co_consts if hasattr(const, "co_names"))
    code = getattr(function, "__code__", None)
    return code is not None and reads(code)


@exercise_check
def check_bytes_per_round(bytes_per_round) -> bool:
    """Exercice 3 : octets échangés par l'entraînement d'un tour (chaque client reçoit puis renvoie tous les poids).

    L'exemple est un modèle à deux couches (poids et biais de chacune : quatre tableaux), avec 5 clients (pas les
    3 hôpitaux du notebook) ; la fonction est aussi appelée avec 2 clients (un nombre de clients écrit en dur ne
    change pas avec eux), et en float64 (deux fois plus d'octets qu'en float32).
    """
    weights = [np.zeros(shape, dtype=np.float32) for shape in ((100, 8), (8,), (8, 5), (5,))]
    doubles = [w.astype(np.float64) for w in weights]
    total = sum(w.nbytes for w in weights)            # 3 412 octets : ce que pèse une copie du modèle
    first_layer = weights[0].nbytes + weights[1].nbytes
    clients = 5
    expected = total * clients * 2
    calls = {"un modèle à deux couches et 5 clients": (weights, clients), "2 clients": (weights, 2),
             "des poids en float64": (doubles, clients)}
    results = {where: _call_safely(bytes_per_round, *args, name="bytes_per_round") for where, args in calls.items()}
    (answer, _), (with_two, _), (in_doubles, _) = results.values()
    raised = next(((where, error) for where, (_, error) in results.items() if error is not None), None)
    returns_nothing = raised is None and any(value is None for value in (answer, with_two, in_doubles))
    number = all(_is_number(value) for value in (answer, with_two, in_doubles))
    right = number and _same(answer, expected)

    scales = number and _same(answer * 2, with_two * clients)  # proportionnel au nombre de clients
    clients_hint = "Multipliez par le paramètre `num_clients` (chaque client reçoit et renvoie le modèle)."
    if number and _same(answer, with_two):
        clients_hint = ("Votre résultat ne change pas quand `num_clients` passe de 2 à 5 : le nombre de clients est "
                        "écrit en dur, ou oublié. Multipliez par le paramètre `num_clients`.")

    hint = "Somme des `w.nbytes` de toutes les couches, × nombre de clients, × 2 (le modèle descend puis remonte)."
    if number and not right:
        diagnosis = [
            (total * clients, "Chaque client reçoit le modèle global ET renvoie le sien : comptez les deux sens (× 2)."),
            (total * clients * 3, "Vous comptez aussi l'envoi du modèle pour l'évaluation fédérée (× 3) : l'exercice "
                                  "demande l'entraînement seulement (descente et remontée, × 2) ; la section suivante "
                                  "ajoute l'évaluation."),
            (total * 2, "Chaque client reçoit et renvoie son modèle : multipliez aussi par le nombre de clients."),
            (total * 3 * 2, "Vous multipliez par 3, les hôpitaux du notebook : l'exemple a 5 clients. Utilisez le "
                            "paramètre `num_clients`, pas un nombre écrit en dur."),
            (total // 4 * clients * 2, "`w.size` compte des nombres, pas des octets : `w.nbytes` donne les octets "
                                       "(4 par nombre en float32)."),
            (weights[0].nbytes * clients * 2, "Vous ne comptez que le premier tableau : additionnez `w.nbytes` de TOUS "
                                              "les tableaux de la liste (poids et biais de chaque couche)."),
            (first_layer * clients * 2, "Vous ne comptez que la première couche (ses poids et son biais) : la liste "
                                        "contient TOUTES les couches du modèle (ici deux, soit quatre tableaux) ; "
                                        "additionnez `w.nbytes` de chaque tableau, quel qu'en soit le nombre."),
            (expected / 1e6, "Vous renvoyez des mégaoctets : renvoyez des OCTETS (la cellule de l'exercice divise "
                             "elle-même par 1e6 pour afficher des Mo)."),
            (expected / 2**20, "Vous renvoyez des mébioctets (÷ 2**20) : renvoyez des OCTETS, sans conversion."),
            (expected / 1e3, "Vous renvoyez des kilooctets : renvoyez des OCTETS, sans conversion."),
            (expected / 1024, "Vous renvoyez des kibioctets (÷ 1024) : renvoyez des OCTETS, sans conversion."),
        ]
        hint = next((text for value, text in diagnosis if _same(answer, value)), hint)

    dtype_ok = number and _same(in_doubles, 2 * answer)
    dtype_hint = "En float64, chaque nombre prend 8 octets au lieu de 4 : `w.nbytes` en tient compte."
    if number and _same(in_doubles, answer):
        dtype_hint = ("Votre résultat ne change pas en float64 : vous comptez un nombre fixe d'octets par nombre (4 ?). "
                      "`w.nbytes` tient compte du type (4 octets en float32, 8 en float64).")
    if number and not right and _reads_global(bytes_per_round, "initial_weights"):
        hint = ("Votre fonction lit `initial_weights`, les poids du notebook : utilisez `weights`, pas "
                "`initial_weights` (le paramètre qu'elle reçoit ; la vérification lui passe d'autres poids).")
        dtype_hint = "Même cause : calculez sur `weights`, le paramètre (la vérification y passe des poids en float64)."
    if not number:  # l'indice du premier point suffit : les suivants en découlent
        clients_hint = hint = dtype_hint = ""
    return report("Exercice 3 — le coût de communication d'un tour", [
        (number, "un nombre d'octets",
         NO_RETURN_HINT if returns_nothing else _raises_hint(raised[1], f"(appelée avec {raised[0]})") if raised
         else "Renvoyez un nombre (un entier), pour chaque appel."),
        (scales, "proportionnel au nombre de clients (essayé avec 2 puis 5 clients)", clients_hint),
        (right, "poids × clients × 2 sens (entraînement), sur un modèle à deux couches et 5 clients", hint),
        (dtype_ok, "la taille dépend du type des nombres (float64 : deux fois plus d'octets que float32)", dtype_hint),
    ])


# Exemple 1 : sept hôpitaux où chaque façon de se tromper désigne un hôpital différent :
# plus faible score local → A ; plus grand gain → C ; plus grand rapport fédéré / local → B ;
# meilleur score fédéré → D ; plus grand écart « local − fédéré » (le signe inversé) → E ; meilleur score local → F ;
# plus grand gain normalisé (fédéré − local) / (1 − local) → G (0,19 / 0,30 ≈ 0,63, contre 0,35 / 0,60 ≈ 0,58 pour C).
_TOY_SCORES = pd.DataFrame({"local": [0.05, 0.10, 0.40, 0.85, 0.60, 0.92, 0.70],
                            "fédéré": [0.07, 0.40, 0.75, 0.90, 0.45, 0.88, 0.89]},
                           index=["A", "B", "C", "D", "E", "F", "G"])
# Exemple 2 : le fédéré fait moins bien partout (écarts −0,05, −0,30, −0,10). Le plus grand écart est le moins
# négatif (P) ; valeur absolue, carré, « local − fédéré » et `idxmax` sur la colonne de texte (« -0.300 » passe
# devant « -0.050 », caractère par caractère) désignent tous Q.
_ALL_NEGATIVE = pd.DataFrame({"local": [0.50, 0.60, 0.40], "fédéré": [0.45, 0.30, 0.30]}, index=["P", "Q", "R"])
# Exemple 3, pour l'indice seulement : des écarts de signes mêlés (+0,10, −0,40, +0,05). La valeur absolue et le
# carré désignent Y ; la colonne de texte, X, comme la bonne réponse (une chaîne « 0.… » passe devant « -0.… »).
_MIXED_SIGNS = pd.DataFrame({"local": [0.30, 0.70, 0.50], "fédéré": [0.40, 0.30, 0.55]}, index=["X", "Y", "Z"])
_GAP_COLUMN = "écart fédéré − local [IC apparié]"
# Intervalles des tableaux jouets : (écart − borne basse, borne haute − écart), ±0,10 par défaut. Asymétriques, pour
# que la plus grande borne basse (B, R, Z) et la plus grande borne haute (G, Q, Z) ne désignent jamais la bonne
# réponse (C, P, X) : la bonne réponse a un intervalle large du côté lu par l'erreur, un autre hôpital étroit.
_INTERVAL_WIDTHS = {"B": (0.02, 0.10), "C": (0.30, 0.02), "G": (0.10, 0.25),
                    "P": (0.30, 0.02), "Q": (0.10, 0.35), "R": (0.02, 0.08),
                    "X": (0.20, 0.02), "Z": (0.02, 0.20)}


def _with_gap_column(scores: pd.DataFrame) -> pd.DataFrame:
    """Le tableau jouet, avec une colonne de texte au format de celle de `own_scores` : « écart [basse ; haute] »."""
    table = scores.copy()
    texts = []
    for name, gap in (table["fédéré"] - table["local"]).items():
        below, above = _INTERVAL_WIDTHS.get(name, (0.1, 0.1))
        texts.append(f"{gap:.3f} [{gap - below:.3f} ; {gap + above:.3f}]")
    table[_GAP_COLUMN] = texts
    return table


def _largest_bound(table: pd.DataFrame, which: int) -> str:
    """L'hôpital de la plus grande borne basse (which = 0) ou haute (which = 1) de l'intervalle de la colonne de texte."""
    bounds = table[_GAP_COLUMN].map(lambda text: float(text.split("[")[1].rstrip("]").split(";")[which]))
    return bounds.idxmax()


def _call_on_table(function, table):
    """(réponse, None), ou (None, l'erreur) si la fonction lève une erreur sur ce tableau (pas encore écrite : relancé)."""
    return _call_safely(function, table.copy(), name="most_helped_hospital")


def _hospital_name_problem(answer) -> str | None:
    """Un indice si la réponse n'est pas un nom d'hôpital (une chaîne), sinon None."""
    if isinstance(answer, str):
        return None
    if answer is None:
        return NO_RETURN_HINT
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

    Essayée sur deux tableaux jouets, puis sur `own_test_scores` (DataFrame indexé par hôpital, colonnes « local »
    et « fédéré » : macro-F1 sur le test de l'hôpital ; et la colonne de texte de l'écart). Dans le premier, plus
    faible et meilleur score local, plus grand gain, plus grand rapport fédéré / local, gain normalisé, meilleur
    score fédéré et « local − fédéré » désignent des hôpitaux différents ; dans le second, tous les écarts sont
    négatifs, ce qui sépare la bonne réponse de la valeur absolue (ou du carré) de l'écart et de l'`idxmax` de la
    colonne de texte. Les tableaux jouets ont la même colonne de texte que `own_scores` (« écart [basse ; haute] »),
    aux intervalles asymétriques : la plus grande borne basse ou haute y désigne un autre hôpital que l'écart ;
    une fonction qui lève une erreur sur eux (un nom d'hôpital écrit en dur) reçoit un indice au lieu de planter.
    """
    tables = [_with_gap_column(toy) for toy in (_TOY_SCORES, _ALL_NEGATIVE, _MIXED_SIGNS)]
    answer, real_error = _call_on_table(most_helped_hospital, own_test_scores)
    (toy, toy_error), (negative, negative_error), (mixed, mixed_error) = (
        _call_on_table(most_helped_hospital, table) for table in tables)
    error = next(filter(None, (toy_error, negative_error, mixed_error)), None)
    if real_error is not None:
        problem = _raises_hint(real_error, "sur `own_scores`")
    elif error is not None:
        problem = (f"Votre fonction lève `{type(error).__name__}` sur un autre tableau (hôpitaux A à G, puis P à R) : "
                   "n'écrivez aucun nom d'hôpital en dur, calculez sur `scores` reçu.")
    else:
        problem = next(filter(None, map(_hospital_name_problem, (toy, negative, mixed, answer))), None)
    is_name = problem is None
    in_table = is_name and all(value in list(table.index) for value, table in
                               zip((toy, negative, mixed, answer), (*tables, own_test_scores)))
    table_hint = "Renvoyez une étiquette de l'index du tableau reçu en argument (pas un nom écrit en dur)."
    if is_name and not in_table and _reads_global(most_helped_hospital, "own_scores"):
        table_hint = ("Votre fonction lit `own_scores`, le tableau du notebook : utilisez `scores`, pas `own_scores` "
                      "(le paramètre qu'elle reçoit ; la vérification lui passe d'autres tableaux).")

    toy_ok = in_table and toy == "C"
    hint = "Calculez, pour chaque hôpital, « fédéré − local », puis prenez l'hôpital du plus grand écart (`.idxmax()`)."
    bound_answers = [tuple(_largest_bound(table, which) for table in tables) for which in (0, 1)]
    if in_table and not toy_ok and (toy, negative, mixed) in bound_answers:
        hint = ("Vous lisez la colonne de texte, mais vous prenez une borne de l'intervalle, pas l'écart observé : dans "
                "« écart [basse ; haute] », c'est le premier nombre (ou calculez `scores[\"fédéré\"] - "
                "scores[\"local\"]`).")
    elif in_table and not toy_ok:
        hint = {
            "A": ("Vous avez pris le plus faible score local : l'hôpital le plus faible seul n'est pas forcément "
                  "celui qui gagne le plus. Calculez la différence « fédéré − local »."),
            "B": ("Vous avez pris le plus grand RAPPORT fédéré / local : un petit score local gonfle le rapport. "
                  "La question porte sur la DIFFÉRENCE « fédéré − local »."),
            "D": "Vous avez pris le meilleur score fédéré ; la question porte sur le GAIN (fédéré − local).",
            "E": "Vous avez pris « local − fédéré » : le gain à fédérer est « fédéré − local » (le signe inversé).",
            "F": ("Vous avez pris le meilleur score local : la question porte sur le GAIN (fédéré − local), "
                  "pas sur le modèle local le plus fort."),
            "G": ("Vous divisez l'écart par ce qui restait à gagner, (fédéré − local) / (1 − local) : c'est un gain "
                  "normalisé. La question porte sur l'écart lui-même, « fédéré − local », sans division."),
        }.get(toy, hint)

    negative_ok = in_table and negative == "P" and mixed == "X"
    negative_hint = ("Quand le fédéré fait moins bien partout, le plus grand écart « fédéré − local » est le MOINS "
                     "négatif : calculez l'écart en nombres, avec son signe, puis `.idxmax()`.")
    if in_table and toy_ok and not negative_ok:
        if mixed == "X":
            negative_hint = ("Vous prenez `idxmax` sur la colonne de TEXTE de l'écart : des chaînes se comparent "
                             "caractère par caractère (« -0.300 » passe devant « -0.050 »). Calculez l'écart en "
                             "nombres : `scores[\"fédéré\"] - scores[\"local\"]`.")
        elif mixed == "Y":
            negative_hint = ("Vous prenez la valeur absolue (ou le carré) de l'écart : un écart négatif (le fédéré "
                             "fait MOINS bien) n'est pas un gain. Gardez le signe de « fédéré − local ».")
    gains = own_test_scores["fédéré"] - own_test_scores["local"]
    real_ok = in_table and answer == gains.idxmax()
    real_hint = "Même calcul sur `own_scores`."
    if not is_name:  # l'indice du premier point suffit : les suivants en découlent
        table_hint = hint = negative_hint = real_hint = ""
    elif not in_table:
        hint = negative_hint = real_hint = ""
    elif not toy_ok:
        negative_hint = ""
    return report("Exercice 2 — qui gagne le plus à fédérer ?", [
        (is_name, "un nom d'hôpital (une chaîne)", problem or ""),
        (in_table, "un nom d'hôpital du tableau reçu", table_hint),
        (toy_ok, "exemple 1 : sept hôpitaux où plus faible et meilleur score local, plus grand gain, plus grand "
                 "rapport fédéré / local, gain normalisé et meilleur score fédéré désignent des hôpitaux différents",
         hint),
        (negative_ok, "exemple 2 : trois hôpitaux où le fédéré fait moins bien partout (tous les écarts sont "
                      "négatifs)", negative_hint),
        (real_ok, "sur le tableau `own_scores` du notebook : l'hôpital dont l'écart « fédéré − local » sur son "
                  "propre test est le plus grand", real_hint),
    ])
