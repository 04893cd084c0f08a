"""Tests des vérifications d'exercices de semaine_5/02 : bonnes réponses acceptées, mauvaises signalées."""
import numpy as np
import pandas as pd
import pytest

from utils.checks import semaine_5_02 as checks
from utils.data.medmnist import simulate_scanner
from check_helpers import failed_with, not_written as _not_written


def _not_done(capsys, verdict):
    out = capsys.readouterr().out
    assert not verdict and verdict.not_done, out
    assert "pas encore" in out


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
    capsys.readouterr()

    def noise_first(images, contrast, gamma, noise_std, seed):  # accepté autrefois : le bruit avant contraste et gamma
        x = np.clip(np.asarray(images) + np.random.default_rng(seed).normal(0, noise_std, np.shape(images)), 0, 1)
        return np.clip(0.5 + contrast * (x - 0.5), 0, 1) ** gamma

    def in_place(images, contrast, gamma, noise_std, seed):  # accepté autrefois : modifie les images de l'appelant
        np.clip(0.5 + contrast * (images - 0.5), 0, 1, out=images)
        images **= gamma
        images += np.random.default_rng(seed).normal(0, noise_std, images.shape)
        return np.clip(images, 0, 1, out=images)

    failed_with(capsys, checks.check_scanner(noise_first), "bruit avant le contraste")
    failed_with(capsys, checks.check_scanner(in_place), "images de l'appelant")
    _not_done(capsys, checks.check_scanner(_not_written))


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
    capsys.readouterr()
    # accepté autrefois : « tout sauf Conv2D et Dense » garderait les convolutions en profondeur de MobileNetV2
    failed_with(capsys, checks.check_local_layers(
        lambda layer: bool(layer.weights) and not isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)), model),
        "depthwise")
    failed_with(capsys, checks.check_local_layers(
        lambda layer: not isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense)), model), "DepthwiseConv2D")
    _not_done(capsys, checks.check_local_layers(None, model))
    _not_done(capsys, checks.check_local_layers(_not_written, model))


def test_worst_local_check(capsys):
    table = pd.DataFrame({"A": [0.8, 0.5, 0.9, 0.92, 0.85, 0.88], "B": [0.7, 0.6, 0.85, 0.9, 0.86, 0.9]},
                         index=["local A", "local B", "centralisé", "FedAvg", "FedProx", "FedBN"])
    assert checks.check_worst_local("local B", "FedAvg", table)
    assert not checks.check_worst_local("local A", "FedAvg", table)
    assert not checks.check_worst_local("local B", "centralisé", table)
    assert "n'est pas fédéré" in capsys.readouterr().out
    assert not checks.check_worst_local("local B", "FedBN", table)
    capsys.readouterr()
    # Un tableau où une colonne, le min/max d'une ligne et la moyenne donnent trois réponses différentes.
    table = pd.DataFrame({"A": [0.60, 0.85, 0.80, 0.95, 0.80, 0.70], "B": [0.95, 0.80, 0.70, 0.70, 0.85, 0.97],
                          "C": [0.95, 0.75, 0.97, 0.80, 0.90, 0.75]},
                         index=["local A", "local B", "local C", "FedAvg", "FedProx", "FedBN"])
    mean = table.mean(axis=1)
    assert (mean[["local A", "local B", "local C"]].idxmin(), mean[["FedAvg", "FedProx", "FedBN"]].idxmax()) == \
        ("local B", "FedProx")
    assert checks.check_worst_local("local B", "FedProx", table)
    capsys.readouterr()
    failed_with(capsys, checks.check_worst_local("local A", "FedAvg", table), "seule colonne « A »")
    failed_with(capsys, checks.check_worst_local("local C", "FedBN", table), "seule colonne « B »")
    failed_with(capsys, checks.check_worst_local("local A", "FedBN", table), "minimum ou le maximum")
    _not_done(capsys, checks.check_worst_local(None, "FedAvg", table))
