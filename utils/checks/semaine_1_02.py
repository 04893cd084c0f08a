"""Vérifications des exercices du notebook semaine_1/02 (introduction à l'apprentissage fédéré)."""
from __future__ import annotations

import numpy as np

import copy

from . import ExerciseNotDone, Verdict, call_answer, ensure_done, exercise_check, report

DRIFT_CHOICES = ("A", "B", "C", "D")
_DRIFT_ANSWER = "C"
_DRIFT_HINTS = {
    "A": "Regardez les lignes imprimées sous les figures : H1 a plus de patientes que H0 et H2. Ce n'est pas la "
         "quantité de données qui lui manque, c'est leur variété.",
    "B": "Il n'y a aucun bruit ajouté dans ce notebook : la confidentialité différentielle viendra en semaine 6.",
    "D": "Le taux d'apprentissage de SGD est constant ici (SGD(learning_rate=0.1)). Comparez plutôt le point de "
         "H1 à votre `always_malignant_accuracy`.",
}


@exercise_check
def check_weighted_average(weighted_average) -> Verdict:
    """Exercice 1 : la moyenne des poids pondérée par le nombre d'exemples de chaque client."""
    from utils.federated import fedavg

    rng = np.random.default_rng(0)
    clients = [[rng.normal(size=(3, 2)), rng.normal(size=2)] for _ in range(3)]
    sizes = [10, 30, 60]
    expected = fedavg(clients, sizes)  # calculé d'abord, et la réponse reçoit des copies : elle peut les modifier
    answer = call_answer(weighted_average, copy.deepcopy(clients), list(sizes), name="weighted_average")
    is_list = isinstance(answer, (list, tuple)) and len(answer) == len(expected)
    shapes = is_list and all(np.shape(a) == np.shape(e) for a, e in zip(answer, expected))
    values = shapes and all(np.allclose(a, e, atol=1e-9) for a, e in zip(answer, expected))
    plain_mean = [np.mean([c[layer] for c in clients], axis=0) for layer in range(2)]
    is_plain_mean = shapes and all(np.allclose(a, m) for a, m in zip(answer, plain_mean))
    single = call_answer(weighted_average, [[np.array([1.0, 2.0])]], [7], name="weighted_average")
    alone = isinstance(single, (list, tuple)) and len(single) == 1 and np.allclose(single[0], [1.0, 2.0])
    return report("Exercice 1 — la moyenne pondérée de FedAvg", [
        (is_list, "une liste avec un tableau par couche du modèle",
         "Renvoyez une liste, comme `model.get_weights()` : un élément par couche."),
        (shapes, "chaque couche garde sa forme", "Additionnez les couches une à une, sans les aplatir."),
        (values, "les valeurs sont Σ (n_k / n) · w_k",
         "Les tailles comptent : un client de 60 exemples pèse six fois plus qu'un client de 10."
         + (" Vous avez calculé une moyenne simple, sans tenir compte des tailles." if is_plain_mean else "")),
        (alone, "avec un seul client, on retrouve ses poids", "Divisez par le nombre total d'exemples n = Σ n_k."),
    ])


def _mean_skew(labels, parts) -> float:
    """Écart moyen (variation totale) entre le mélange de classes de chaque client et le mélange global."""
    labels = np.asarray(labels).astype(int)
    overall = np.bincount(labels, minlength=labels.max() + 1) / len(labels)
    skews = []
    for part in parts:
        part = np.asarray(part, dtype=int)
        if len(part):
            mix = np.bincount(labels[part], minlength=len(overall)) / len(part)
            skews.append(0.5 * np.abs(mix - overall).sum())
    return float(np.mean(skews))


@exercise_check
def check_dirichlet(dirichlet_split, most_malignant_client, labels, shown_partition) -> Verdict:
    """Exercice 3 : écrire le découpage de Dirichlet, puis lire la figure du découpage montré."""
    labels = np.asarray(labels).astype(int)
    try:
        parts = call_answer(dirichlet_split, labels, 4, 0.5, 0, name="dirichlet_split")
    except ExerciseNotDone:
        raise
    except (IndexError, ValueError, TypeError) as error:  # par exemple des points de coupe sans le [:-1]
        print(f"Votre dirichlet_split a levé une erreur : {type(error).__name__}: {error}")
        return report("Exercice 3 — découpage de Dirichlet", [
            (False, "dirichlet_split s'exécute sans erreur",
             "Les points de coupe sont les parts cumulées SAUF la dernière (np.cumsum(shares)[:-1]), "
             "multipliées par le nombre d'indices de la classe, en entiers (.astype(int))."),
        ])
    ensure_done(most_malignant_client, "most_malignant_client")
    ok_type = isinstance(parts, (list, tuple)) and len(parts) == 4
    joined = np.concatenate([np.asarray(p, dtype=int).ravel() for p in parts]) if ok_type else np.array([])
    covers = ok_type and len(joined) == len(labels) and np.array_equal(np.sort(joined), np.arange(len(labels)))
    again = call_answer(dirichlet_split, labels, 4, 0.5, 0, name="dirichlet_split")
    reproducible = ok_type and all(np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(parts, again))
    skewed = near_iid = False
    if covers:
        small = np.mean([_mean_skew(labels, call_answer(dirichlet_split, labels, 4, 0.05, s)) for s in range(3)])
        large = np.mean([_mean_skew(labels, call_answer(dirichlet_split, labels, 4, 1000.0, s)) for s in range(3)])
        skewed, near_iid = small > 0.2, large < 0.05
    malignant_share = [float(np.mean(labels[np.asarray(p, dtype=int)] == 1)) if len(p) else 0.0 for p in shown_partition]
    expected_client = int(np.argmax(malignant_share))
    read_ok = isinstance(most_malignant_client, (int, np.integer)) and int(most_malignant_client) == expected_client
    read_hint = ("Sur la figure en proportions, cherchez la barre dont la partie « maligne » est la plus haute "
                 "(les hôpitaux sont numérotés à partir de 0).")
    if not isinstance(most_malignant_client, (int, np.integer)):
        read_hint = ("Donnez un entier, sans guillemets ni « H » : par exemple most_malignant_client = 2 pour H2. "
                     + read_hint)
    return report("Exercice 3 — découpage de Dirichlet", [
        (ok_type, "une liste d'indices par client", "Renvoyez `num_clients` tableaux d'indices."),
        (covers, "chaque patiente est dans exactement un hôpital",
         "Pour chaque classe, découpez TOUS ses indices (mélangés) aux positions des proportions cumulées."),
        (reproducible, "même graine → même découpage", "Tirez tout le hasard avec `rng`, le générateur créé à partir de `seed`."),
        (skewed, "petit alpha (0,05) : des hôpitaux très déséquilibrés",
         "Tirez les proportions avec `rng.dirichlet(np.full(num_clients, alpha))`, une fois par classe."),
        (near_iid, "grand alpha (1000) : presque le même mélange partout",
         "Avec un grand alpha, les proportions tirées sont presque égales : vérifiez vos points de coupe."),
        (read_ok, "lecture de la figure : l'hôpital à la plus forte part de tumeurs malignes", read_hint),
    ])


@exercise_check
def check_flower_agreement(max_abs_gap, scratch_weights, flower_weights, tolerance: float = 1e-5) -> Verdict:
    """Exercice 2 : `max_abs_gap(weights_a, weights_b)`, le plus grand |a − b| sur toutes les couches ;
    puis l'écart entre les poids de la boucle écrite à la main et ceux de Flower."""
    # Un exemple où le plus grand écart est négatif (a − b = −3) : un écart sans valeur absolue s'y trompe.
    # Écarts a − b : +0,5 dans la 1ʳᵉ couche, −3 dans la 2ᵉ ; sans valeur absolue on trouve 0,5.
    probe_a = [np.array([[0.5, 1.0], [2.0, 3.0]]), np.array([1.0, 1.0])]
    probe_b = [np.array([[0.0, 1.0], [2.0, 3.0]]), np.array([4.0, 1.0])]
    probe = call_answer(max_abs_gap, copy.deepcopy(probe_a), copy.deepcopy(probe_b), name="max_abs_gap")
    true_gap = max(float(np.max(np.abs(np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64))))
                   for a, b in zip(scratch_weights, flower_weights))
    got = call_answer(max_abs_gap, scratch_weights, flower_weights, name="max_abs_gap")
    number = lambda value: isinstance(value, (int, float, np.floating, np.integer))  # noqa: E731
    probe_ok = number(probe) and abs(float(probe) - 3.0) < 1e-9
    probe_hint = "Pour chaque couche, `np.abs(a - b).max()`, puis le maximum sur les couches."
    if number(probe) and abs(float(probe) - 0.5) < 1e-9:
        # 0,5 : le plus grand écart de la 1ʳᵉ couche. Les deux listes échangées départagent les deux erreurs :
        # sans valeur absolue, b − a vaut +3 dans la 2ᵉ couche (on trouve 3) ; la 1ʳᵉ couche seule redonne 0,5 ou 0.
        swapped = call_answer(max_abs_gap, copy.deepcopy(probe_b), copy.deepcopy(probe_a), name="max_abs_gap")
        if number(swapped) and abs(float(swapped) - 3.0) < 1e-9:
            probe_hint = ("Sans valeur absolue, un écart négatif est ignoré : ici a − b vaut −3 dans la 2ᵉ couche. "
                          + probe_hint)
        else:
            probe_hint = ("Vous ne regardez que la 1ʳᵉ couche : le plus grand écart (3) est dans la 2ᵉ. Parcourez "
                          "toutes les couches (zip(weights_a, weights_b)). " + probe_hint)
    computed = number(got) and abs(float(got) - true_gap) <= 1e-9
    same_shapes = [np.shape(a) for a in scratch_weights] == [np.shape(b) for b in flower_weights]
    return report(f"Exercice 2 — FedAvg à la main contre FedAvg de Flower (tolérance {tolerance:g})", [
        (probe_ok, "sur un exemple dont le plus grand écart est négatif (−3), votre fonction renvoie 3", probe_hint),
        (computed, "sur nos deux modèles, votre écart est le plus grand |w_main − w_Flower|", probe_hint),
        (same_shapes and true_gap < tolerance,
         f"les deux modèles coïncident : écart < {tolerance:g}",
         "Les deux entraînements doivent partir des mêmes poids, sur les mêmes données, sans mélange (shuffle=False)."),
    ])


@exercise_check
def check_client_drift(drift_answer, always_malignant_accuracy, y_val) -> Verdict:
    """Exercice 4 : l'exactitude, sur la validation, d'un modèle qui dit toujours « maligne », puis expliquer la dérive."""
    ensure_done(always_malignant_accuracy, "always_malignant_accuracy")
    ensure_done(drift_answer, "drift_answer")
    share = float(np.mean(np.asarray(y_val) == 1))
    try:
        value = float(always_malignant_accuracy)
    except (TypeError, ValueError):
        value = float("nan")
    value_ok = abs(value - share) < 5e-4 or abs(value - 100 * share) < 0.05  # fraction ou pourcentage
    if abs(value - (1 - share)) < 5e-4 or abs(value - 100 * (1 - share)) < 0.05:
        value_hint = ("C'est la part des tumeurs bénignes. Un modèle qui dit toujours « maligne » n'a raison "
                      "que pour les patientes dont la tumeur est maligne.")
    elif abs(value - round(value)) < 1e-9 and value > 1:
        value_hint = ("C'est un nombre de patientes : l'exactitude est une proportion. Divisez par le nombre de "
                      "patientes de la validation, ou prenez directement `np.mean(y_val == 1)`.")
    else:
        value_hint = ("Il a raison exactement pour les patientes malignes : l'exactitude est donc la part de "
                      "`y_val` qui vaut 1, `np.mean(y_val == 1)`.")
    answer = str(drift_answer).strip().upper()
    valid = answer in DRIFT_CHOICES
    right = answer == _DRIFT_ANSWER
    hint = _DRIFT_HINTS.get(answer, "Répondez par une lettre : \"A\", \"B\", \"C\" ou \"D\".")
    success = report("Exercice 4 — la dérive des clients", [
        (value_ok, "l'exactitude d'un modèle qui répond toujours « maligne »", value_hint),
        (valid, "une réponse parmi A, B, C, D", "Répondez par une lettre entre guillemets, par exemple \"A\"."),
        (right, "l'explication du point de H1 au premier tour", hint),
    ])
    if success:
        print(f"À retenir : un modèle qui répond « maligne » à tout le monde a {100 * share:.0f} % d'exactitude ici. "
              "Entraîné sur ses seules patientes, chaque hôpital tire le modèle vers ce qui marche chez lui ; "
              "la moyenne de FedAvg compense ces dérives, d'autant moins bien qu'elles sont grandes.")
    return success
