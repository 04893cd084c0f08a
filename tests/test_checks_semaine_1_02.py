"""Tests des vérifications d'exercices de semaine_1/02 : la réponse de référence passe, les erreurs typiques
échouent avec leur indice, un exercice non fait le dit (⏳ « pas encore ») sans lever."""
import json
import re
from pathlib import Path

import numpy as np
import pytest

from utils.checks import semaine_1_02 as checks
from utils.federated import fedavg, partition_dirichlet
from check_helpers import not_written as _not_written

NOTEBOOK = Path(__file__).resolve().parents[1] / "semaine_1" / "solutions" / "02_introduction_apprentissage_federe.ipynb"


# --------------------------------------------------------------------------- exercice 1
def test_weighted_average_reference_passes():
    assert checks.check_weighted_average(fedavg)


@pytest.mark.parametrize("wrong, hint", [
    # moyenne simple, sans les tailles
    (lambda weights, sizes: [np.mean([w[k] for w in weights], axis=0) for k in range(len(weights[0]))],
     "moyenne simple"),
    # somme des n_k · w_k, sans diviser par n
    (lambda weights, sizes: [sum(n * w[k] for w, n in zip(weights, sizes)) for k in range(len(weights[0]))],
     "Divisez par le nombre total"),
    # tout aplati en un seul vecteur
    (lambda weights, sizes: [np.average([np.concatenate([a.ravel() for a in w]) for w in weights], axis=0,
                                        weights=sizes)] * len(weights[0]),
     "sans les aplatir"),
])
def test_weighted_average_wrong_answers_fail_with_their_hint(capsys, wrong, hint):
    assert not checks.check_weighted_average(wrong)
    assert hint in capsys.readouterr().out


def test_weighted_average_that_scales_the_client_arrays_in_place_passes():
    # juste, mais modifie les tableaux reçus : la vérification calcule l'attendu avant, sur ses propres copies
    def in_place(weights_per_client, num_examples):
        total = sum(num_examples)
        for weights, n_k in zip(weights_per_client, num_examples):
            for layer in weights:
                layer *= n_k / total
        return [sum(w[k] for w in weights_per_client) for k in range(len(weights_per_client[0]))]

    assert checks.check_weighted_average(in_place)


def test_weighted_average_not_written(capsys):
    verdict = checks.check_weighted_average(_not_written)
    assert not verdict and verdict.not_done
    assert "pas encore" in capsys.readouterr().out


# --------------------------------------------------------------------------- exercice 2
def _weights():
    a = [np.zeros((2, 2), dtype=np.float32), np.ones(2, dtype=np.float32)]
    b = [a[0] + 1e-7, a[1] + 3e-7]  # le plus grand écart : deuxième couche, et négatif (a − b ≈ −3e-7)
    return a, b


def _reference_gap(weights_a, weights_b):
    return max(float(np.abs(x - y).max()) for x, y in zip(weights_a, weights_b))


def test_flower_agreement_reference_passes():
    a, b = _weights()
    assert checks.check_flower_agreement(_reference_gap, a, b)


@pytest.mark.parametrize("wrong_gap, hint", [
    (lambda a, b: float(np.mean([np.abs(x - y).mean() for x, y in zip(a, b)])), "puis le maximum"),  # écart moyen
    (lambda a, b: float(np.abs(a[0] - b[0]).max()), "puis le maximum sur les couches"),  # première couche seulement
    (lambda a, b: max(float((x - y).max()) for x, y in zip(a, b)), "Sans valeur absolue"),  # sans valeur absolue
])
def test_flower_agreement_wrong_answers_fail_with_their_hint(capsys, wrong_gap, hint):
    a, b = _weights()
    assert not checks.check_flower_agreement(wrong_gap, a, b)
    assert hint in capsys.readouterr().out


def test_signed_gap_fails_even_when_the_largest_gap_of_the_models_is_positive(capsys):
    a, _ = _weights()
    b = [a[0] - 1e-7, a[1] - 3e-7]  # ici a − b > 0 partout : seul l'exemple de la vérification démasque l'oubli
    assert not checks.check_flower_agreement(lambda x, y: max(float((u - v).max()) for u, v in zip(x, y)), a, b)
    assert "Sans valeur absolue" in capsys.readouterr().out


def test_first_layer_only_gets_its_own_hint_not_the_absolute_value_one(capsys):
    weights = [np.zeros((2, 2), "float32"), np.zeros(2, "float32")]
    assert not checks.check_flower_agreement(lambda a, b: float(np.abs(a[0] - b[0]).max()), weights, weights)
    output = capsys.readouterr().out
    assert "Vous ne regardez que la 1ʳᵉ couche" in output and "Sans valeur absolue" not in output


def test_flower_agreement_detects_models_that_differ(capsys):
    a, _ = _weights()
    assert not checks.check_flower_agreement(_reference_gap, a, [a[0] + 0.5, a[1]])
    assert "shuffle=False" in capsys.readouterr().out


def test_flower_agreement_not_done(capsys):
    a, b = _weights()
    verdict = checks.check_flower_agreement(_not_written, a, b)
    assert not verdict and verdict.not_done
    assert "pas encore" in capsys.readouterr().out


# --------------------------------------------------------------------------- exercice 3
LABELS = np.array([0] * 60 + [1] * 40)
SHOWN = partition_dirichlet(LABELS, 4, alpha=0.1, seed=3)
BEST = int(np.argmax([LABELS[p].mean() for p in SHOWN]))


def test_dirichlet_reference_passes():
    assert checks.check_dirichlet(partition_dirichlet, BEST, LABELS, SHOWN)


def _unseeded(labels, num_clients, alpha, seed):
    return partition_dirichlet(labels, num_clients, alpha, seed=int(np.random.default_rng().integers(1 << 30)))


@pytest.mark.parametrize("split, answer, hint", [
    (lambda y, n, alpha, seed: np.array_split(np.random.default_rng(seed).permutation(len(y)), n), BEST,
     "rng.dirichlet"),                                                  # un découpage IID, sans Dirichlet
    (_unseeded, BEST, "générateur créé à partir de `seed`"),            # hasard sans la graine
    (partition_dirichlet, (BEST + 1) % 4, "cherchez la barre"),          # mauvaise lecture de la figure
    (lambda y, n, alpha, seed: partition_dirichlet(y, n, alpha, seed)[:-1] + [np.array([], dtype=int)], BEST,
     "TOUS ses indices"),                                               # des patientes perdues
])
def test_dirichlet_wrong_answers_fail_with_their_hint(capsys, split, answer, hint):
    assert not checks.check_dirichlet(split, answer, LABELS, SHOWN)
    assert hint in capsys.readouterr().out


def _without_last_cut_dropped(labels, num_clients, alpha, seed):
    rng = np.random.default_rng(seed)
    parts = [[] for _ in range(num_clients)]
    for label in np.unique(labels):
        indices = rng.permutation(np.flatnonzero(labels == label))
        cuts = (np.cumsum(rng.dirichlet(np.full(num_clients, alpha))) * len(indices)).astype(int)  # sans [:-1]
        for client, chunk in enumerate(np.split(indices, cuts)):
            parts[client].extend(chunk.tolist())  # un morceau de trop : IndexError sur parts[num_clients]
    return parts


def test_dirichlet_forgotten_last_cut_gets_a_hint_not_a_traceback(capsys):
    assert not checks.check_dirichlet(_without_last_cut_dropped, BEST, LABELS, SHOWN)
    output = capsys.readouterr().out
    assert "IndexError" in output and "np.cumsum(shares)[:-1]" in output


@pytest.mark.parametrize("answer", [str(BEST), f"H{BEST}"])
def test_dirichlet_client_given_as_text_gets_the_integer_hint(capsys, answer):
    assert not checks.check_dirichlet(partition_dirichlet, answer, LABELS, SHOWN)
    assert "Donnez un entier" in capsys.readouterr().out


def test_dirichlet_not_done(capsys):
    for split, answer in ((_not_written, BEST), (partition_dirichlet, None)):
        verdict = checks.check_dirichlet(split, answer, LABELS, SHOWN)
        assert not verdict and verdict.not_done
        assert "pas encore" in capsys.readouterr().out


# --------------------------------------------------------------------------- exercice 4
Y_VAL = np.array([1.0] * 53 + [0.0] * 90, dtype="float32")  # 53 malignes sur 143


@pytest.mark.parametrize("accuracy", [53 / 143, 100 * 53 / 143, np.float32(53 / 143)])
def test_client_drift_reference_passes(capsys, accuracy):
    assert checks.check_client_drift("c", accuracy, Y_VAL)
    assert "37 %" in capsys.readouterr().out


@pytest.mark.parametrize("letter, accuracy, hint", [
    ("A", 53 / 143, "plus de patientes que H0 et H2"),        # la taille de H1
    ("B", 53 / 143, "aucun bruit"),                           # du bruit du serveur
    ("D", 53 / 143, "constant"),                              # le taux d'apprentissage
    ("C", 90 / 143, "part des tumeurs bénignes"),             # l'exactitude d'un modèle qui dit toujours « bénigne »
    ("C", 53, "nombre de patientes"),                         # un compte au lieu d'une proportion
    ("Z", 53 / 143, "une lettre"),                            # pas une des lettres
])
def test_client_drift_wrong_answers_fail_with_their_hint(capsys, letter, accuracy, hint):
    assert not checks.check_client_drift(letter, accuracy, Y_VAL)
    assert hint in capsys.readouterr().out


def test_client_drift_not_done(capsys):
    for letter, accuracy in ((None, 53 / 143), ("C", None)):
        verdict = checks.check_client_drift(letter, accuracy, Y_VAL)
        assert not verdict and verdict.not_done
        assert "pas encore" in capsys.readouterr().out


def test_quiz_question_does_not_give_the_answer_and_options_are_balanced():
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    quiz = next("".join(c["source"]) for c in cells if "### Exercice 4" in "".join(c["source"]))
    question, options = quiz.split("- **A.**")
    assert "%" not in question and "exactement" not in question  # aucun chiffre ni réponse soufflés
    texts = re.split(r"- \*\*[BCD]\.\*\*", options)
    assert len(texts) == 4
    lengths = [len(" ".join(t.split())) for t in texts]
    assert max(lengths) < 1.5 * min(lengths)  # aucune option ne se distingue par sa longueur
    assert "maligne" in texts["ABCD".index(checks._DRIFT_ANSWER)]


# --------------------------------------------------------------------------- ce que le notebook montre de Flower
def test_the_notebook_shows_the_flower_apps_that_the_simulation_builds():
    """Le notebook affiche le source des fonctions de `utils/federated/apps.py` ; `run_flower_simulation`
    construit son ClientApp et son ServerApp avec ces mêmes fonctions (voir aussi tests/test_federated.py,
    `test_the_simulation_runs_the_apps_of_the_apps_module`, qui l'exécute)."""
    import inspect

    from utils.federated import simulation

    source = "".join("".join(c["source"]) for c in cells_of(NOTEBOOK) if c["cell_type"] == "code")
    shown = set(re.findall(r"inspect\.getsource\(apps\.(\w+)\)", source))
    assert shown == {"make_client_app", "fit_locally", "make_server_app"}
    builder = inspect.getsource(simulation.build_apps)
    for name in shown:
        assert f"apps.{name}" in builder


def cells_of(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
