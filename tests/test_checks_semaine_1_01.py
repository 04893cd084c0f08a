"""Tests des vérifications d'exercices de semaine_1/01 : pour chaque exercice, la réponse de référence passe,
des erreurs typiques échouent avec leur indice affiché, un exercice non fait le dit (⏳ « pas encore ») sans lever."""
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from utils.checks import semaine_1_01 as checks
from utils.notebooks import ROOT, make_student, read, course_config
from check_helpers import not_written as _not_written

SOLUTION = ROOT / "semaine_1" / "solutions" / "01_atelier_cancer_sein.ipynb"


@pytest.fixture(scope="module")
def images():
    """Quatre images « prétraitées » (float32 dans [0, 1], avec des pixels proches de 0 et de 1)."""
    rng = np.random.default_rng(0)
    batch = rng.uniform(0, 1, size=(4, 32, 32, 1)).astype(np.float32)
    batch[:, :4] = 1.0
    batch[:, -4:] = 0.0
    return batch


# --------------------------------------------------------------------------- exercice 1 : augmentation
def _augmentation(*extra, contrast_range=(0, 1), n_random=4):
    import keras
    from keras import layers

    random_layers = [
        layers.RandomRotation(0.04, fill_mode="reflect", seed=1),
        layers.RandomZoom(0.1, fill_mode="reflect", seed=1),
        layers.RandomTranslation(0.05, 0.05, fill_mode="reflect", seed=1),
        layers.RandomContrast(0.5, value_range=contrast_range, seed=1),
    ][-n_random:]
    return keras.Sequential([*random_layers, *extra])


def test_augmentation_reference_passes(images):
    assert checks.check_augmentation(_augmentation(), images)


def test_augmentation_out_of_range_fails(images, capsys):
    from keras import layers

    # Rescaling(255) : les pixels passent dans 0–255 (et changent aussi en inférence)
    assert not checks.check_augmentation(_augmentation(layers.Rescaling(255.0)), images)
    output = capsys.readouterr().out
    assert "❌ les pixels restent dans la plage" in output and "value_range=(0, 1)" in output
    assert "n'utilisez que des couches Random" in output


def test_augmentation_contrast_on_the_wrong_scale_fails(images, capsys):
    # RandomContrast avec sa plage par défaut (0–255) sur des images dans [0, 1] : des pixels sortent de [0, 1]
    assert not checks.check_augmentation(_augmentation(contrast_range=(0, 255)), images)
    assert "value_range=(0, 1)" in capsys.readouterr().out


def test_augmentation_too_few_layers_fails(images, capsys):
    assert not checks.check_augmentation(_augmentation(n_random=2), images)
    assert "combinez par exemple" in capsys.readouterr().out


def test_augmentation_vertical_flip_fails(images, capsys):
    from keras import layers

    flipped = _augmentation(layers.RandomFlip("vertical", seed=1), n_random=2)
    assert not checks.check_augmentation(flipped, images)
    assert "la profondeur a un sens" in capsys.readouterr().out


def test_augmentation_three_identical_layers_fail(images, capsys):
    import keras
    from keras import layers

    same = keras.Sequential([layers.RandomRotation(0.04, fill_mode="reflect", seed=k) for k in range(3)])
    assert not checks.check_augmentation(same, images)
    assert "trois couches de la même sorte" in capsys.readouterr().out


def test_augmentation_constant_fill_mode_fails_and_keras_default_passes(images, capsys):
    import keras
    from keras import layers

    constant = keras.Sequential([layers.RandomRotation(0.04, fill_mode="constant", seed=1),
                                 layers.RandomZoom(0.1, fill_mode="constant", seed=1),
                                 layers.RandomContrast(0.2, value_range=(0, 1), seed=1)])
    assert not checks.check_augmentation(constant, images)
    assert "RandomRotation, RandomZoom : donnez fill_mode=\"reflect\"" in capsys.readouterr().out
    # Keras 3 remplit par défaut en « reflect » : ne pas écrire fill_mode n'est pas une erreur
    default_fill = keras.Sequential([layers.RandomRotation(0.04, seed=1), layers.RandomZoom(0.1, seed=1),
                                     layers.RandomContrast(0.2, value_range=(0, 1), seed=1)])
    assert layers.RandomRotation(0.1).fill_mode == "reflect"
    assert checks.check_augmentation(default_fill, images)


def test_augmentation_upside_down_rotation_fails(images, capsys):
    import keras
    from keras import layers

    # RandomRotation(0.5) : jusqu'à ± 180°, la peau en bas la moitié du temps (un retournement haut-bas déguisé)
    turned = keras.Sequential([layers.RandomRotation(0.5, fill_mode="reflect", seed=1),
                               layers.RandomZoom(0.1, fill_mode="reflect", seed=1),
                               layers.RandomContrast(0.2, value_range=(0, 1), seed=1)])
    assert not checks.check_augmentation(turned, images)
    assert "fraction de tour" in capsys.readouterr().out


def test_augmentation_vertical_flip_in_a_nested_sequential_fails(images, capsys):
    import keras
    from keras import layers

    nested = keras.Sequential([keras.Sequential([layers.RandomFlip("vertical", seed=1)]),
                               layers.RandomZoom(0.1, fill_mode="reflect", seed=1),
                               layers.RandomContrast(0.2, value_range=(0, 1), seed=1)])
    assert not checks.check_augmentation(nested, images)
    assert "la profondeur a un sens" in capsys.readouterr().out


def test_augmentation_nearest_fill_mode_gets_a_hint_that_names_it(images, capsys):
    import keras
    from keras import layers

    nearest = keras.Sequential([layers.RandomRotation(0.04, fill_mode="nearest", seed=1),
                                layers.RandomZoom(0.1, fill_mode="reflect", seed=1),
                                layers.RandomContrast(0.2, value_range=(0, 1), seed=1)])
    assert not checks.check_augmentation(nearest, images)
    assert "vous avez 'nearest'" in capsys.readouterr().out


def test_augmentation_not_done(images, capsys):
    verdict = checks.check_augmentation(None, images)
    assert not verdict and verdict.not_done
    assert "pas encore" in capsys.readouterr().out


# --------------------------------------------------------------------------- exercice 2 : activations
@pytest.fixture(scope="module")
def small_model():
    from utils.models import build_cnn

    return build_cnn(input_shape=(32, 32, 1))


LAYERS = ["conv_1", "pool_1", "conv_2", "pool_2", "conv_3"]


def test_activation_model_reference_passes(small_model, images):
    import keras

    reference = keras.Model(small_model.inputs, [small_model.get_layer(name).output for name in LAYERS])
    assert checks.check_activation_model(reference, small_model, LAYERS, images[0])


def test_activation_model_with_one_output_fails(small_model, images, capsys):
    import keras

    only_last = keras.Model(small_model.inputs, small_model.get_layer("conv_3").output)
    assert not checks.check_activation_model(only_last, small_model, LAYERS, images[0])
    assert "outputs=[model.get_layer(nom).output" in capsys.readouterr().out


def test_activation_model_in_the_wrong_order_fails(small_model, images, capsys):
    import keras

    reversed_order = keras.Model(small_model.inputs, [small_model.get_layer(name).output for name in LAYERS[::-1]])
    assert not checks.check_activation_model(reversed_order, small_model, LAYERS, images[0])
    assert "gardez l'ordre de layer_names" in capsys.readouterr().out


def test_activation_model_of_an_untrained_network_fails(small_model, images, capsys):
    import keras

    from utils.models import build_cnn

    fresh = build_cnn(input_shape=(32, 32, 1))  # même architecture, autres poids : pas le modèle entraîné
    untrained = keras.Model(fresh.inputs, [fresh.get_layer(name).output for name in LAYERS])
    assert not checks.check_activation_model(untrained, small_model, LAYERS, images[0])
    output = capsys.readouterr().out
    assert "✅ chaque sortie a la forme" in output and "un nouveau build_cnn(...) a des poids au hasard" in output


def test_activation_model_not_done(small_model, images, capsys):
    verdict = checks.check_activation_model(None, small_model, LAYERS, images[0])
    assert not verdict and verdict.not_done
    assert "pas encore" in capsys.readouterr().out


# --------------------------------------------------------------------------- exercice 3 : seuil et confiance
PROBABILITIES = np.array([0.05, 0.48, 0.93, 0.51, 0.3, 0.62, 0.12, 0.55, 0.81, 0.4, 0.7, 0.2])


def _reference_threshold(probabilities, threshold):
    return (np.asarray(probabilities) >= threshold).astype(int)


def _least(probabilities, n=5):
    return np.argsort(np.abs(probabilities - 0.5), kind="stable")[:n]


def test_threshold_reference_passes():
    assert checks.check_threshold(_reference_threshold, _least(PROBABILITIES), PROBABILITIES)


def test_threshold_strict_inequality_fails(capsys):
    strict = lambda probabilities, threshold: (np.asarray(probabilities) > threshold).astype(int)  # noqa: E731
    assert not checks.check_threshold(strict, _least(PROBABILITIES), PROBABILITIES)
    assert "probabilité est ≥ au seuil" in capsys.readouterr().out


def test_threshold_fixed_at_one_half_fails(capsys):
    ignores_threshold = lambda probabilities, threshold: (np.asarray(probabilities) >= 0.5).astype(int)  # noqa: E731
    assert not checks.check_threshold(ignores_threshold, _least(PROBABILITIES), PROBABILITIES)
    assert "❌ classes prédites correctes au seuil 0.2" in capsys.readouterr().out


def test_least_confident_by_probability_instead_of_distance_fails(capsys):
    lowest = np.argsort(PROBABILITIES)[:5]  # les moins probables, pas les plus hésitantes
    assert not checks.check_threshold(_reference_threshold, lowest, PROBABILITIES)
    assert "|probabilité − 0,5|" in capsys.readouterr().out


def test_threshold_not_done(capsys):
    for answers in ((_reference_threshold, None), (_not_written, _least(PROBABILITIES))):
        verdict = checks.check_threshold(*answers, PROBABILITIES)
        assert not verdict and verdict.not_done
        assert "pas encore" in capsys.readouterr().out


# --------------------------------------------------------------------------- exercice 4 : qualité d'image
@pytest.fixture(scope="module")
def quality_case():
    """Douze images aux netteté, contraste et luminosité variés, et des prédictions avec 4 erreurs."""
    rng = np.random.default_rng(1)
    grays = []
    for k in range(12):
        image = rng.normal(40 + 12 * k, 5 + 3 * ((k * 7) % 12), size=(48, 64))
        if k % 3 == 0:
            image = cv2.GaussianBlur(image, (0, 0), 2.0)
        grays.append(np.clip(image, 0, 255).astype(np.uint8))
    y_true = np.array([0, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0, 0])
    y_pred = y_true.copy()
    y_pred[[1, 4, 7, 10]] = 1 - y_pred[[1, 4, 7, 10]]
    return grays, y_true, y_pred


def _reference_table(grays, y_true, y_pred, quality=checks.reference_image_quality):
    table = pd.DataFrame([quality(gray) for gray in grays])
    table["error"] = (y_pred != y_true).astype(int)
    for measure in ("sharpness", "contrast", "brightness"):
        table[f"{measure}_group"] = pd.qcut(table[measure], 3, labels=["faible", "moyen", "élevé"])
    return table


def test_quality_reference_passes(quality_case):
    grays, y_true, y_pred = quality_case
    table = _reference_table(grays, y_true, y_pred)
    assert checks.check_quality_analysis(checks.reference_image_quality, table, grays, y_true, y_pred)


def test_quality_error_column_all_zeros_fails(quality_case, capsys):
    grays, y_true, y_pred = quality_case
    table = _reference_table(grays, y_true, y_pred).assign(error=0)
    assert not checks.check_quality_analysis(checks.reference_image_quality, table, grays, y_true, y_pred)
    assert "(val_predictions != y_val)" in capsys.readouterr().out


def test_quality_contrast_and_brightness_groups_are_checked(quality_case, capsys):
    grays, y_true, y_pred = quality_case
    table = _reference_table(grays, y_true, y_pred)
    # groupes de contraste et de luminosité échangés (copier-coller de la mauvaise colonne)
    table["contrast_group"], table["brightness_group"] = table["brightness_group"], table["contrast_group"]
    assert not checks.check_quality_analysis(checks.reference_image_quality, table, grays, y_true, y_pred)
    output = capsys.readouterr().out
    assert "❌ « contrast » coupé en trois groupes" in output
    assert "❌ « brightness » coupé en trois groupes" in output
    assert "✅ « sharpness » coupé en trois groupes" in output


def test_quality_groups_of_unequal_size_fail(quality_case, capsys):
    grays, y_true, y_pred = quality_case
    table = _reference_table(grays, y_true, y_pred)
    table["contrast_group"] = pd.cut(table["contrast"], 3, labels=["faible", "moyen", "élevé"])  # largeurs égales
    assert not checks.check_quality_analysis(checks.reference_image_quality, table, grays, y_true, y_pred)
    assert "❌ « contrast » coupé en trois groupes" in capsys.readouterr().out


def test_quality_groups_in_reverse_order_fail(quality_case, capsys):
    grays, y_true, y_pred = quality_case
    table = _reference_table(grays, y_true, y_pred)
    table["sharpness_group"] = pd.qcut(table["sharpness"], 3, labels=["élevé", "moyen", "faible"])
    assert not checks.check_quality_analysis(checks.reference_image_quality, table, grays, y_true, y_pred)
    assert "❌ « sharpness » coupé en trois groupes" in capsys.readouterr().out


def test_quality_laplacian_in_uint8_fails(quality_case, capsys):
    grays, y_true, y_pred = quality_case

    def clipped_laplacian(gray):  # cv2.CV_8U coupe les valeurs négatives du laplacien
        return {"sharpness": float(cv2.Laplacian(gray, cv2.CV_8U).var()),
                "contrast": float(gray.std()), "brightness": float(gray.mean())}

    table = _reference_table(grays, y_true, y_pred, quality=clipped_laplacian)
    assert not checks.check_quality_analysis(clipped_laplacian, table, grays, y_true, y_pred)
    assert "cv2.CV_64F" in capsys.readouterr().out


def test_quality_measured_on_preprocessed_images_fails_with_the_right_hint(quality_case, capsys):
    from utils.preprocessing import preprocess_ultrasound

    grays, y_true, y_pred = quality_case
    # les images après CLAHE (en uint8) au lieu des originales
    preprocessed = [(255 * preprocess_ultrasound(gray, 32)[..., 0]).astype(np.uint8) for gray in grays]
    table = _reference_table(preprocessed, y_true, y_pred)
    assert not checks.check_quality_analysis(checks.reference_image_quality, table, grays, y_true, y_pred)
    output = capsys.readouterr().out
    assert "❌ la colonne « sharpness » mesure les images originales" in output
    assert "images originales en niveaux de gris (val_gray)" in output


def test_quality_not_done(quality_case, capsys):
    grays, y_true, y_pred = quality_case
    table = _reference_table(grays, y_true, y_pred)
    for quality, answer in ((checks.reference_image_quality, None), (_not_written, table)):
        verdict = checks.check_quality_analysis(quality, answer, grays, y_true, y_pred)
        assert not verdict and verdict.not_done
        assert "pas encore" in capsys.readouterr().out


# --------------------------------------------------------------------------- exercice 5 : erreurs
Y_TRUE = np.array([1, 0, 1, 0, 0, 1, 0, 1])
PROBS = np.array([0.2, 0.7, 0.9, 0.1, 0.6, 0.4, 0.3, 0.8])   # au seuil 0,5 : faux négatifs 0 et 5 ; faux positifs 1 et 4
VAL_DF = pd.DataFrame({"image_path": [f"img_{k}.png" for k in range(8)], "target": Y_TRUE},
                      index=[10, 11, 12, 13, 14, 15, 16, 17])  # un index qui n'est pas 0..n-1, comme après une séparation


def _reference_errors(frame=VAL_DF, probabilities=PROBS):
    errors = frame.assign(probability=probabilities, predicted=(probabilities >= 0.5).astype(int))
    errors = errors[errors.predicted != errors.target]
    return errors.sort_values("target", ascending=False, kind="stable")


def test_error_cases_reference_passes():
    assert checks.check_error_cases(_reference_errors(), VAL_DF, PROBS)


def test_error_cases_with_a_new_index_pass():
    # reset_index(drop=True) : les bonnes lignes, renumérotées ; la vérification les reconnaît par image_path
    assert checks.check_error_cases(_reference_errors().reset_index(drop=True), VAL_DF, PROBS)


def test_error_cases_false_positives_first_fails(capsys):
    errors = _reference_errors().sort_values("target", kind="stable")
    assert not checks.check_error_cases(errors, VAL_DF, PROBS)
    assert "mettre en tête les malins prédits bénins" in capsys.readouterr().out


def test_error_cases_only_false_negatives_fails(capsys):
    errors = _reference_errors()
    assert not checks.check_error_cases(errors[errors.target == 1], VAL_DF, PROBS)
    assert "diffère de la vraie classe (target)" in capsys.readouterr().out


def test_error_cases_without_probability_fails(capsys):
    assert not checks.check_error_cases(_reference_errors().drop(columns="probability"), VAL_DF, PROBS)
    assert "ajoutez la colonne" in capsys.readouterr().out


def test_error_cases_not_done(capsys):
    verdict = checks.check_error_cases(None, VAL_DF, PROBS)
    assert not verdict and verdict.not_done
    assert "pas encore" in capsys.readouterr().out


# --------------------------------------------------------------------------- forme des exercices (DECISIONS 5)
@pytest.mark.parametrize("name", ["predict_with_threshold", "image_quality"])
def test_function_exercises_keep_def_and_docstring_in_student_version(name):
    student = make_student(read(SOLUTION), course_config(), "semaine_1/solutions/01_atelier_cancer_sein.ipynb")
    cell = next(c for c in student.cells if f"def {name}(" in c.source)
    lines = cell.source.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"def {name}("))
    assert lines[start + 1].strip().startswith('"""'), "la docstring doit rester dans la version étudiante"
    assert lines[start + 2].strip() == "# VOTRE CODE ICI"
    assert lines[start + 3].strip().startswith("raise NotImplementedError(")
