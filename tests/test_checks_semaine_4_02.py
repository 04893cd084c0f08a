"""Tests des vérifications d'exercices de semaine_4/02 : bonnes réponses acceptées, mauvaises signalées avec un indice,
exercice pas encore fait signalé sans lever d'erreur."""
from collections import Counter

import numpy as np
import pandas as pd

from utils.checks import semaine_4_02 as checks
from check_helpers import failed_with, not_written as _not_written

VOCABULARY = ["fever", "stent", "knee", "1234567", "pain"]
HOSPITALS = [{"fever", "stent", "pain"}, {"knee", "pain"}, {"fever", "1234567", "pain"}]


def _specific(vocabulary, hospital_vocabularies):
    counts = Counter(word for words in hospital_vocabularies for word in set(words))
    return {word for word in vocabulary if counts[word] == 1}


def _not_done(capsys, verdict):
    assert not verdict and verdict.not_done
    assert "pas encore" in capsys.readouterr().out


def test_hospital_specific_words_check(capsys):
    assert checks.check_hospital_specific_words(_specific, VOCABULARY, HOSPITALS)
    assert checks.check_hospital_specific_words(lambda v, h: sorted(_specific(v, h)), VOCABULARY, HOSPITALS)  # liste triée
    capsys.readouterr()
    union = lambda vocabulary, hospitals: set(vocabulary)  # noqa: E731
    failed_with(capsys, checks.check_hospital_specific_words(union, VOCABULARY, HOSPITALS), "plusieurs hôpitaux")
    first_only = lambda vocabulary, hospitals: set(hospitals[0]) - set().union(*hospitals[1:])  # noqa: E731
    failed_with(capsys, checks.check_hospital_specific_words(first_only, VOCABULARY, HOSPITALS),
                "Il manque « cast »", "TOUS les hôpitaux")
    _not_done(capsys, checks.check_hospital_specific_words(_not_written, VOCABULARY, HOSPITALS))


def test_hospital_specific_words_check_wrong_answers_from_review(capsys):
    # « moins de deux hôpitaux » garde aussi les mots qu'aucun hôpital n'emploie
    fewer_than_two = lambda vocabulary, hospitals: {w for w in vocabulary if sum(w in h for h in hospitals) < 2}  # noqa: E731
    failed_with(capsys, checks.check_hospital_specific_words(fewer_than_two, VOCABULARY, HOSPITALS), "fracture")
    # une version qui ignore `vocabulary` : garde des mots hors du vocabulaire commun
    def ignores_vocabulary(vocabulary, hospitals):
        counts = Counter(word for words in hospitals for word in set(words))
        return {word for word, n in counts.items() if n == 1}
    failed_with(capsys, checks.check_hospital_specific_words(ignores_vocabulary, VOCABULARY, HOSPITALS), "garcia")
    # une liste d'ensembles (un par hôpital) : refusée avec un indice, sans planter
    per_hospital = lambda vocabulary, hospitals: [set(h) for h in hospitals]  # noqa: E731
    failed_with(capsys, checks.check_hospital_specific_words(per_hospital, VOCABULARY, HOSPITALS), "un ensemble par hôpital")


def test_hospital_specific_words_check_without_return(capsys):
    def forgets_return(vocabulary, hospitals):
        counts = Counter(word for words in hospitals for word in set(words))
        {word for word in vocabulary if counts[word] == 1}  # calculé, jamais renvoyé
    failed_with(capsys, checks.check_hospital_specific_words(forgets_return, VOCABULARY, HOSPITALS), "il manque `return`")


def _right_bytes(weights, num_clients):
    return sum(w.nbytes for w in weights) * num_clients * 2


def test_bytes_per_round_check(capsys):
    assert checks.check_bytes_per_round(_right_bytes)
    assert checks.check_bytes_per_round(lambda weights, n: float(_right_bytes(weights, n)))  # un flottant juste
    capsys.readouterr()
    failed_with(capsys, checks.check_bytes_per_round(lambda weights, n: sum(w.nbytes for w in weights) * n), "deux sens")
    failed_with(capsys, checks.check_bytes_per_round(lambda weights, n: sum(w.nbytes for w in weights) * 2),
                "nombre de clients", "ne change pas quand `num_clients`")
    failed_with(capsys, checks.check_bytes_per_round(lambda weights, n: sum(w.nbytes for w in weights) * n * 3),
                "évaluation")
    _not_done(capsys, checks.check_bytes_per_round(_not_written))


def test_bytes_per_round_check_wrong_answers_from_review(capsys):
    # 3 clients écrits en dur (les hôpitaux du notebook) : l'exemple a 5 clients, et 2 puis 5 donnent le même résultat
    hard_coded = lambda weights, n: sum(w.nbytes for w in weights) * 3 * 2  # noqa: E731
    failed_with(capsys, checks.check_bytes_per_round(hard_coded), "écrit en dur", "Vous multipliez par 3")
    # 4 octets par nombre, en dur : juste en float32, faux en float64
    four_bytes = lambda weights, n: sum(w.size for w in weights) * 4 * n * 2  # noqa: E731
    failed_with(capsys, checks.check_bytes_per_round(four_bytes), "ne change pas en float64")
    # w.size : des nombres, pas des octets
    sizes = lambda weights, n: sum(w.size for w in weights) * n * 2  # noqa: E731
    failed_with(capsys, checks.check_bytes_per_round(sizes), "`w.size` compte des nombres")
    # le premier tableau seulement (les poids de la base, sans le biais)
    first_only = lambda weights, n: weights[0].nbytes * n * 2  # noqa: E731
    failed_with(capsys, checks.check_bytes_per_round(first_only), "premier tableau")
    # la première couche seulement (poids et biais) : juste sur un modèle d'une couche, faux sur l'exemple à deux
    first_layer = lambda weights, n: (weights[0].nbytes + weights[1].nbytes) * n * 2  # noqa: E731
    failed_with(capsys, checks.check_bytes_per_round(first_layer), "la première couche", "TOUTES les couches")
    # une réponse qui n'est pas un nombre
    failed_with(capsys, checks.check_bytes_per_round(lambda weights, n: str(_right_bytes(weights, n))),
                "Renvoyez un nombre")


def test_bytes_per_round_check_units_and_missing_return(capsys):
    # en mégaoctets (la cellule de l'exercice affiche des Mo) : refusé, avec l'indice des unités
    failed_with(capsys, checks.check_bytes_per_round(lambda weights, n: _right_bytes(weights, n) / 1e6),
                "mégaoctets", "OCTETS")
    failed_with(capsys, checks.check_bytes_per_round(lambda weights, n: _right_bytes(weights, n) / 2**20), "mébioctets")
    failed_with(capsys, checks.check_bytes_per_round(lambda weights, n: _right_bytes(weights, n) / 1e3), "kilooctets")
    # une fonction qui calcule sans renvoyer
    def forgets_return(weights, num_clients):
        sum(w.nbytes for w in weights) * num_clients * 2
    failed_with(capsys, checks.check_bytes_per_round(forgets_return), "il manque `return`")


def _gain(scores):
    return (scores["fédéré"] - scores["local"]).idxmax()


OWN = pd.DataFrame({"local": [0.42, 0.19, 0.29], "fédéré": [0.55, 0.52, 0.61],
                    "écart fédéré − local [IC apparié]": ["0.133 [0.001 ; 0.227]", "0.327 [0.147 ; 0.464]",
                                                         "0.323 [0.051 ; 0.534]"]},
                   index=["centre cœur et digestif", "clinique ortho-neuro", "hôpital général"])


def test_most_helped_hospital_check(capsys):
    assert checks.check_most_helped_hospital(_gain, OWN)
    assert checks.check_most_helped_hospital(lambda s: (s["fédéré"] - s["local"]).sort_values().index[-1], OWN)
    capsys.readouterr()
    failed_with(capsys, checks.check_most_helped_hospital(lambda s: s["fédéré"].idxmax(), OWN), "GAIN")
    failed_with(capsys, checks.check_most_helped_hospital(lambda s: "Z", OWN), "index du tableau")
    _not_done(capsys, checks.check_most_helped_hospital(_not_written, OWN))
    _not_done(capsys, checks.check_most_helped_hospital(None, OWN))


def test_most_helped_hospital_check_wrong_answers_from_review(capsys):
    # sur les vraies données, ces méthodes donnent la même réponse que le gain : le tableau jouet les sépare
    worst_local = lambda s: s["local"].idxmin()  # noqa: E731
    ratio = lambda s: (s["fédéré"] / s["local"]).idxmax()  # noqa: E731
    assert worst_local(OWN) == ratio(OWN) == _gain(OWN)
    failed_with(capsys, checks.check_most_helped_hospital(worst_local, OWN), "plus faible score local")
    failed_with(capsys, checks.check_most_helped_hospital(ratio, OWN), "RAPPORT")
    failed_with(capsys, checks.check_most_helped_hospital(lambda s: (s["local"] - s["fédéré"]).idxmax(), OWN),
                "signe inversé")
    # un nom écrit en dur : juste sur le notebook, faux sur le tableau jouet
    failed_with(capsys, checks.check_most_helped_hospital(lambda s: "clinique ortho-neuro", OWN), "index du tableau")
    # une Series (nlargest), une position, un nombre : refusés avec un indice en français, sans planter
    failed_with(capsys, checks.check_most_helped_hospital(lambda s: (s["fédéré"] - s["local"]).nlargest(1), OWN),
                "Series", "une chaîne")
    failed_with(capsys, checks.check_most_helped_hospital(lambda s: int(np.argmax(s["fédéré"] - s["local"])), OWN),
                "position")
    failed_with(capsys, checks.check_most_helped_hospital(lambda s: (s["fédéré"] - s["local"]).max(), OWN),
                "un nombre")
    failed_with(capsys, checks.check_most_helped_hospital(lambda s: [_gain(s)], OWN), "collection")


def test_most_helped_hospital_check_negative_gaps(capsys):
    # ces trois réponses sont justes sur le premier tableau jouet et sur OWN (tous les écarts y sont positifs,
    # ou le plus grand en valeur absolue est positif) : seul le tableau aux écarts tous négatifs les refuse
    absolute = lambda s: (s["fédéré"] - s["local"]).abs().idxmax()  # noqa: E731
    squared = lambda s: ((s["fédéré"] - s["local"]) ** 2).idxmax()  # noqa: E731
    text_column = lambda s: s["écart fédéré − local [IC apparié]"].idxmax()  # noqa: E731
    for wrong in (absolute, squared, text_column):
        assert wrong(checks._with_gap_column(checks._TOY_SCORES)) == "C" and wrong(OWN) == _gain(OWN)
    failed_with(capsys, checks.check_most_helped_hospital(absolute, OWN), "valeur absolue", "Gardez le signe")
    failed_with(capsys, checks.check_most_helped_hospital(squared, OWN), "valeur absolue (ou le carré)")
    failed_with(capsys, checks.check_most_helped_hospital(text_column, OWN), "colonne de TEXTE", "« -0.300 »")
    # sur le tableau aux écarts négatifs, « local − fédéré » donne la même réponse que la valeur absolue : il reste
    # refusé (premier tableau), avec l'indice du signe inversé
    reversed_sign = lambda s: (s["local"] - s["fédéré"]).idxmax()  # noqa: E731
    negative = checks._with_gap_column(checks._ALL_NEGATIVE)
    assert reversed_sign(negative) == absolute(negative) == text_column(negative) != _gain(negative)
    failed_with(capsys, checks.check_most_helped_hospital(reversed_sign, OWN), "signe inversé")


def test_most_helped_hospital_check_best_local_global_table_and_missing_return(capsys):
    failed_with(capsys, checks.check_most_helped_hospital(lambda s: s["local"].idxmax(), OWN), "meilleur score local")
    # la fonction lit le tableau du notebook au lieu de son paramètre
    module_globals = {"own_scores": OWN}
    exec("def reads_notebook_table(scores):\n"
         "    return (own_scores['fédéré'] - own_scores['local']).idxmax()\n", module_globals)
    failed_with(capsys, checks.check_most_helped_hospital(module_globals["reads_notebook_table"], OWN),
                "utilisez `scores`, pas `own_scores`")
    # un nom écrit en dur garde son indice à lui
    hard_coded = checks.check_most_helped_hospital(lambda s: "clinique ortho-neuro", OWN)
    out = capsys.readouterr().out
    assert not hard_coded and "écrit en dur" in out and "own_scores`, le tableau" not in out

    def forgets_return(scores):
        (scores["fédéré"] - scores["local"]).idxmax()
    failed_with(capsys, checks.check_most_helped_hospital(forgets_return, OWN), "il manque `return`")


def test_most_helped_hospital_check_errors_on_toy_tables(capsys):
    # des noms d'hôpital écrits en dur : juste sur `own_scores`, KeyError sur les tableaux jouets → un indice, pas de plantage
    hospitals = list(OWN.index)
    hard_coded_rows = lambda s: max(hospitals, key=lambda h: s.loc[h, "fédéré"] - s.loc[h, "local"])  # noqa: E731
    assert hard_coded_rows(OWN) == _gain(OWN)
    failed_with(capsys, checks.check_most_helped_hospital(hard_coded_rows, OWN),
                "lève `KeyError` sur un autre tableau", "n'écrivez aucun nom d'hôpital en dur")
    # lire l'écart dans la colonne de texte (« 0.327 [0.147 ; 0.464] ») : les tableaux jouets ont le même format,
    # la réponse est donc acceptée au lieu de lever ValueError sur « 0.350 »
    column = "écart fédéré − local [IC apparié]"
    parses_text = lambda s: s[column].map(lambda text: float(text.split(" [")[0])).idxmax()  # noqa: E731
    toy = checks._with_gap_column(checks._TOY_SCORES)
    assert toy[column].str.fullmatch(r"-?\d\.\d{3} \[-?\d\.\d{3} ; -?\d\.\d{3}\]").all()
    assert checks.check_most_helped_hospital(parses_text, OWN)
    capsys.readouterr()
    # une autre erreur sur les tableaux jouets (ValueError) : même indice, avec son nom
    def fails_elsewhere(scores):
        if len(scores) != 3:
            raise ValueError("trois hôpitaux attendus")
        return _gain(scores)
    failed_with(capsys, checks.check_most_helped_hospital(fails_elsewhere, OWN), "lève `ValueError`")
    # une erreur sur `own_scores` lui-même : un indice aussi, sans planter
    failed_with(capsys, checks.check_most_helped_hospital(lambda s: s["gain"].idxmax(), OWN),
                "lève `KeyError` sur `own_scores`")


def test_most_helped_hospital_check_normalised_gain(capsys):
    normalised = lambda s: ((s["fédéré"] - s["local"]) / (1 - s["local"])).idxmax()  # noqa: E731
    # les tableaux jouets d'avant (sans G) ne la séparaient pas du gain : le septième hôpital le fait
    before = checks._TOY_SCORES.drop(index="G")
    assert normalised(before) == _gain(before) == "C" and normalised(checks._TOY_SCORES) == "G"
    assert normalised(checks._ALL_NEGATIVE) == _gain(checks._ALL_NEGATIVE)
    failed_with(capsys, checks.check_most_helped_hospital(normalised, OWN), "gain normalisé", "sans division")


def test_bytes_per_round_check_reads_notebook_weights(capsys):
    module_globals = {"initial_weights": [np.zeros((4096, 32), dtype=np.float32), np.zeros(32, dtype=np.float32)]}
    exec("def reads_notebook_weights(weights, num_clients):\n"
         "    return sum(w.nbytes for w in initial_weights) * num_clients * 2\n", module_globals)
    failed_with(capsys, checks.check_bytes_per_round(module_globals["reads_notebook_weights"]),
                "utilisez `weights`, pas `initial_weights`")
    # la variable globale lue dans une fonction imbriquée (lambda, compréhension) est repérée aussi
    exec("def reads_in_lambda(weights, num_clients):\n"
         "    size = lambda: sum(w.nbytes for w in initial_weights)\n"
         "    return size() * num_clients * 2\n", module_globals)
    failed_with(capsys, checks.check_bytes_per_round(module_globals["reads_in_lambda"]),
                "utilisez `weights`, pas `initial_weights`")


def test_hospital_specific_words_hint_names_only_shared_words_kept(capsys):
    keeps_pain = lambda vocabulary, hospitals: ({"pain"} | _specific(vocabulary, hospitals))  # noqa: E731
    verdict = checks.check_hospital_specific_words(keeps_pain, VOCABULARY, HOSPITALS)
    out = capsys.readouterr().out
    assert not verdict and "plusieurs hôpitaux (« pain »)" in out and "knee" not in out


def test_most_helped_hospital_check_refuses_interval_bounds(capsys):
    column = "écart fédéré − local [IC apparié]"
    lower = lambda s: s[column].map(lambda t: float(t.split("[")[1].split(";")[0])).idxmax()  # noqa: E731
    upper = lambda s: s[column].map(lambda t: float(t.split(";")[1].rstrip("]"))).idxmax()  # noqa: E731
    first_number = lambda s: s[column].map(lambda t: float(t.split()[0])).idxmax()  # noqa: E731
    tables = [checks._with_gap_column(t) for t in (checks._TOY_SCORES, checks._ALL_NEGATIVE, checks._MIXED_SIGNS)]
    for table in tables:  # chaque borne désigne un autre hôpital que l'écart observé, sur chaque tableau jouet
        right = _gain(table)
        assert first_number(table) == right and lower(table) != right and upper(table) != right
        gaps, low, high = (table[column].str.extract(r"(\S+) \[(\S+) ; (\S+)\]").astype(float)[i] for i in range(3))
        assert ((low < gaps) & (gaps < high)).all()  # l'écart observé reste dans son intervalle
    hint = "vous prenez une borne de l'intervalle, pas l'écart observé"
    failed_with(capsys, checks.check_most_helped_hospital(lower, OWN), hint)
    failed_with(capsys, checks.check_most_helped_hospital(upper, OWN), hint)
    assert checks.check_most_helped_hospital(first_number, OWN)


def test_hospital_specific_words_and_bytes_checks_report_errors_in_french(capsys):
    def raises_type_error(vocabulary, hospitals):
        return {word for word in vocabulary if hospitals[word] == 1}  # une liste indexée par un mot : TypeError
    failed_with(capsys, checks.check_hospital_specific_words(raises_type_error, VOCABULARY, HOSPITALS),
                "lève `TypeError` sur l'exemple")
    def fails_on_notebook(vocabulary, hospitals):
        if len(vocabulary) != 6:
            raise KeyError("stent")
        return _specific(vocabulary, hospitals)
    failed_with(capsys, checks.check_hospital_specific_words(fails_on_notebook, VOCABULARY, HOSPITALS),
                "lève `KeyError` sur `vocabulary`")
    def fails_in_float64(weights, num_clients):
        if weights[0].dtype != np.float32:
            raise ValueError("float32 attendu")
        return _right_bytes(weights, num_clients)
    failed_with(capsys, checks.check_bytes_per_round(fails_in_float64), "lève `ValueError`", "float64")
    failed_with(capsys, checks.check_bytes_per_round(lambda weights, n: weights.nbytes * n * 2),
                "lève `AttributeError`")
