"""Grad-CAM (utils.explain) et calibration (utils.calibration)."""
import numpy as np
import pytest

from utils.calibration import (apply_temperature, expected_calibration_error, fit_temperature, logit,
                               reliability_table)
from utils.checks.semaine_5_01 import reference_cam
from utils.explain import border_share, corner_share, overlay


def test_ece_is_zero_for_perfect_and_large_for_overconfident():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=20000)
    y = (rng.uniform(size=20000) < p).astype(int)
    assert expected_calibration_error(y, p) < 0.02
    overconfident = apply_temperature(p, 0.3)
    assert expected_calibration_error(y, overconfident) > 0.1
    assert expected_calibration_error([0, 1, 1], [0.0, 1.0, 1.0]) == 0.0


def test_ece_by_hand():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.05, 0.15, 0.85, 0.95])   # tranches 0, 1, 8, 9 : écarts 0.05, 0.15, 0.15, 0.05
    assert expected_calibration_error(y, p) == pytest.approx(0.1)
    table = reliability_table(y, p)
    assert list(table["count"]) == [1, 1, 1, 1]
    assert reliability_table([1], [1.0])["bin_low"].iloc[0] == pytest.approx(0.9)  # 1,0 dans la dernière tranche


def test_temperature_recovers_the_distortion_and_keeps_the_ranking():
    rng = np.random.default_rng(1)
    p = rng.uniform(0.01, 0.99, size=5000)
    y = (rng.uniform(size=5000) < p).astype(int)
    sharpened = apply_temperature(p, 0.5)
    temperature = fit_temperature(y, sharpened)
    assert temperature == pytest.approx(2.0, rel=0.15)
    corrected = apply_temperature(sharpened, temperature)
    assert expected_calibration_error(y, corrected) < expected_calibration_error(y, sharpened) / 3
    assert np.array_equal(np.argsort(corrected), np.argsort(sharpened))
    assert np.allclose(apply_temperature(p, 1.0), p)
    assert np.isfinite(logit([0.0, 1.0])).all()


def test_mismatched_sizes_are_refused():
    with pytest.raises(ValueError, match="même taille"):
        expected_calibration_error([0, 1], [0.5])


def test_border_share():
    uniform = np.ones((20, 20))
    assert border_share(uniform) == pytest.approx(1 - (14 * 14) / 400)
    corner = np.zeros((20, 20))
    corner[0:2, 0:2] = 1
    assert border_share(corner) == 1.0
    centre = np.zeros((20, 20))
    centre[8:12, 8:12] = 1
    assert border_share(centre) == 0.0
    assert border_share(np.zeros((5, 5))) == 0.0


def test_overlay_is_rgb_in_unit_range():
    image = np.random.default_rng(0).uniform(size=(12, 12, 1))
    cam = np.linspace(0, 1, 144).reshape(12, 12)
    mixed = overlay(image, cam)
    assert mixed.shape == (12, 12, 3) and mixed.min() >= 0 and mixed.max() <= 1


def test_grad_cam_matches_the_four_steps_and_finds_the_signal():
    import keras
    import tensorflow as tf
    from keras import layers

    from utils.explain import grad_cam, last_conv_layer_name

    keras.utils.set_random_seed(0)
    inputs = keras.Input((16, 16, 1))
    maps = layers.Conv2D(4, 3, padding="same", activation="relu", name="conv")(inputs)
    pooled = layers.GlobalAveragePooling2D()(maps)
    model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(pooled))
    assert last_conv_layer_name(model) == "conv"
    image = np.zeros((16, 16, 1), np.float32)
    image[2:6, 10:14] = 1.0
    cam = grad_cam(model, image)
    assert cam.shape == (16, 16) and cam.min() >= 0 and cam.max() <= 1 + 1e-6
    # Même calcul que les quatre étapes en NumPy (la couche a la taille de l'image : pas d'agrandissement).
    grad_model = keras.Model(model.input, [model.get_layer("conv").output, model.output])
    with tf.GradientTape() as tape:
        activations, prediction = grad_model(image[None])
        score = prediction[:, 0]
    gradients = tape.gradient(score, activations)
    expected = reference_cam(activations.numpy()[0], gradients.numpy()[0])
    assert np.allclose(cam, expected, atol=1e-4)


def test_last_conv_layer_needs_a_2d_layer():
    import keras

    from utils.explain import last_conv_layer_name

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="cartes 2D"):
        last_conv_layer_name(model)


def test_corner_share_separates_a_corner_from_the_lungs():
    uniform = np.ones((28, 28))
    assert corner_share(uniform) == pytest.approx(7 * 7 / (28 * 28))
    corner = np.zeros((28, 28))
    corner[3:9, 2:8] = 1.0  # la chaleur d'un marqueur du coin, retombée quelques pixels vers l'intérieur
    assert corner_share(corner) > 0.5 and border_share(corner) < 0.6
    lungs = np.zeros((28, 28))
    lungs[6:22, 5:12] = lungs[6:22, 16:23] = 1.0
    assert corner_share(lungs) < 0.1
    assert corner_share(np.zeros((5, 5))) == 0.0


def test_reliability_bins_follow_the_exercise_formula():
    from utils.calibration import reliability_table

    table = reliability_table(np.array([1, 1, 1]), np.array([0.3, 0.6, 0.7]), 10)
    assert table["bin_low"].round(2).tolist() == [0.3, 0.6, 0.7]
