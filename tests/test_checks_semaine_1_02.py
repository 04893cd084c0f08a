"""Tests des vérifications d'exercices de semaine_1/02 : bonnes réponses acceptées, mauvaises signalées."""
import numpy as np
import pytest

from utils.checks import ExerciseNotDone
from utils.checks import semaine_1_02 as checks
from utils.federated import fedavg, partition_dirichlet


def _not_written(*args, **kwargs):
    raise NotImplementedError()


def test_weighted_average_check(capsys):
    assert checks.check_weighted_average(fedavg)
    plain_mean = lambda weights, sizes: [np.mean([w[k] for w in weights], axis=0) for k in range(len(weights[0]))]  # noqa: E731
    assert not checks.check_weighted_average(plain_mean)
    assert "moyenne simple" in capsys.readouterr().out
    with pytest.raises(ExerciseNotDone):
        checks.check_weighted_average(_not_written)


def test_dirichlet_check():
    labels = np.array([0] * 60 + [1] * 40)
    shown = partition_dirichlet(labels, 4, alpha=0.1, seed=3)
    best = int(np.argmax([labels[p].mean() for p in shown]))
    assert checks.check_dirichlet(partition_dirichlet, best, labels, shown)
    assert not checks.check_dirichlet(partition_dirichlet, (best + 1) % 4, labels, shown)
    iid = lambda y, n, alpha, seed: np.array_split(np.random.default_rng(seed).permutation(len(y)), n)  # noqa: E731
    assert not checks.check_dirichlet(iid, best, labels, shown)  # pas de déséquilibre avec un petit alpha
    with pytest.raises(ExerciseNotDone):
        checks.check_dirichlet(_not_written, best, labels, shown)
    with pytest.raises(ExerciseNotDone):
        checks.check_dirichlet(partition_dirichlet, None, labels, shown)


def test_flower_agreement_check():
    a = [np.zeros((2, 2), dtype=np.float32), np.ones(2, dtype=np.float32)]
    b = [a[0] + 1e-7, a[1] - 2e-7]
    gap = max(float(np.abs(x - y).max()) for x, y in zip(a, b))
    assert checks.check_flower_agreement(gap, a, b)
    assert not checks.check_flower_agreement(0.0, a, b)
    assert not checks.check_flower_agreement(0.5, a, [a[0] + 0.5, a[1]])
    with pytest.raises(ExerciseNotDone):
        checks.check_flower_agreement(None, a, b)


def test_client_drift_check(capsys):
    assert checks.check_client_drift("b")
    assert not checks.check_client_drift("C")
    assert "semaine 6" in capsys.readouterr().out
    assert not checks.check_client_drift("Z")
    with pytest.raises(ExerciseNotDone):
        checks.check_client_drift(None)
