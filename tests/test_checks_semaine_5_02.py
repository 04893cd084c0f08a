"""Tests des vérifications d'exercices de semaine_5/02 : bonnes réponses acceptées, mauvaises signalées."""
import numpy as np
import pandas as pd
import pytest

from utils.checks import ExerciseNotDone
from utils.checks import semaine_5_02 as checks
from utils.data.medmnist import simulate_scanner
from check_helpers import not_written as _not_written


def reference(images, contrast, gamma, noise_std, seed):
    return simulate_scanner(images, contrast=contrast, gamma=gamma, noise_std=noise_std, seed=seed)


def test_scanner_check(capsys):
    assert checks.check_scanner(reference)

    def gamma_first(images, contrast, gamma, noise_std, seed):
        x = np.clip(0.5 + contrast * (np.asarray(images) ** gamma - 0.5), 0, 1)
        return np.clip(x + np.random.default_rng(seed).normal(0, noise_std, x.shape), 0, 1)

    def unseeded(images, contrast, gamma, noise_std, seed):
        x = np.clip(0.5 + contrast * (np.asarray(images) - 0.5), 0, 1) ** gamma
        return np.clip(x + np.random.default_rng().normal(0, noise_std, x.shape), 0, 1)

    def unclipped(images, contrast, gamma, noise_std, seed):
        x = (0.5 + contrast * (np.asarray(images) - 0.5)) ** gamma
        return x + np.random.default_rng(seed).normal(0, noise_std, x.shape)

    assert not checks.check_scanner(gamma_first)
    assert "gamma avant le contraste" in capsys.readouterr().out
    assert not checks.check_scanner(unseeded)
    assert "default_rng(seed)" in capsys.readouterr().out
    with np.errstate(invalid="ignore"):
        assert not checks.check_scanner(unclipped)
    with pytest.raises(ExerciseNotDone):
        checks.check_scanner(_not_written)


def _model():
    import keras
    from keras import layers

    inputs = keras.Input((8, 8, 1))
    x = layers.Conv2D(2, 3, name="conv_1")(inputs)
    x = layers.BatchNormalization(name="bn_1")(x)
    x = layers.ReLU(name="relu_1")(x)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(1, name="sortie")(x))


def test_local_layers_check(capsys):
    import keras

    model = _model()
    assert checks.check_local_layers(lambda layer: isinstance(layer, keras.layers.BatchNormalization), model)
    assert not checks.check_local_layers(lambda layer: "bn" in layer.name, model)  # le nom ne suffit pas
    assert "type de la couche" in capsys.readouterr().out
    assert not checks.check_local_layers(lambda layer: bool(layer.weights), model)  # tout resterait local
    assert "partagé" in capsys.readouterr().out
    assert not checks.check_local_layers(lambda layer: False, model)
    with pytest.raises(ExerciseNotDone):
        checks.check_local_layers(None, model)
    with pytest.raises(ExerciseNotDone):
        checks.check_local_layers(_not_written, model)


def test_worst_local_check(capsys):
    table = pd.DataFrame({"A": [0.8, 0.5, 0.9, 0.92, 0.85, 0.88], "B": [0.7, 0.6, 0.85, 0.9, 0.86, 0.9]},
                         index=["local A", "local B", "centralisé", "FedAvg", "FedProx", "FedBN"])
    assert checks.check_worst_local("local B", "FedAvg", table)
    assert not checks.check_worst_local("local A", "FedAvg", table)
    assert not checks.check_worst_local("local B", "centralisé", table)
    assert "n'est pas fédéré" in capsys.readouterr().out
    assert not checks.check_worst_local("local B", "FedBN", table)
    with pytest.raises(ExerciseNotDone):
        checks.check_worst_local(None, "FedAvg", table)
