"""Prétraitement des échographies, métriques cliniques et CNN."""
import cv2
import numpy as np
import pytest

from utils.evaluation import clinical_metrics, threshold_for_sensitivity
from utils.preprocessing import load_images, preprocess_ultrasound


def test_preprocess_from_array_and_path_agree(tmp_path):
    rng = np.random.default_rng(0)
    color = rng.integers(0, 256, size=(180, 260, 3), dtype=np.uint8)
    path = tmp_path / "benign (1).png"
    cv2.imwrite(str(path), color)
    from_array, from_path = preprocess_ultrasound(color, size=64), preprocess_ultrasound(path, size=64)
    assert from_array.shape == (64, 64, 1) and from_array.dtype == np.float32
    assert 0.0 <= from_array.min() and from_array.max() <= 1.0
    np.testing.assert_array_equal(from_array, from_path)
    assert load_images([path, path], size=32).shape == (2, 32, 32, 1)


def test_clahe_raises_local_contrast():
    flat = np.full((100, 100), 100, np.uint8)
    flat[40:60, 40:60] = 110
    out = preprocess_ultrasound(flat, size=100)[..., 0]
    assert out[50, 50] - out[10, 10] > 10 / 255


def test_unreadable_file_gives_a_french_message(tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n")
    with pytest.raises(ValueError, match="Image illisible"):
        preprocess_ultrasound(broken)


def test_clinical_metrics_match_hand_counts():
    y_true = [1, 1, 1, 0, 0, 0, 0]
    y_score = [0.9, 0.6, 0.2, 0.7, 0.1, 0.3, 0.4]
    metrics = clinical_metrics(y_true, y_score, threshold=0.5)
    assert metrics["sensitivity"] == pytest.approx(2 / 3)
    assert metrics["specificity"] == pytest.approx(3 / 4)
    assert metrics["ppv"] == pytest.approx(2 / 3)
    assert clinical_metrics(y_true, y_score, threshold=threshold_for_sensitivity(y_true, y_score, 1.0))["sensitivity"] == 1.0


def test_threshold_for_sensitivity_is_the_largest_threshold_reaching_the_target():
    # 20 cancers en file (0,50 ... 0,99) : roc_curve(drop_intermediate=True) sauterait des seuils de ce segment
    rng = np.random.default_rng(0)
    y_true = np.r_[np.ones(20), np.zeros(20)]
    y_score = np.r_[np.linspace(0.5, 0.99, 20), rng.uniform(0, 0.6, 20)]
    threshold = threshold_for_sensitivity(y_true, y_score, 0.95)
    assert threshold == pytest.approx(y_score[1])  # 19 cancers sur 20 au-dessus : le 2e plus petit score malin
    assert clinical_metrics(y_true, y_score, threshold)["sensitivity"] >= 0.95
    larger = np.unique(y_score[y_score > threshold])
    assert all(clinical_metrics(y_true, y_score, t)["sensitivity"] < 0.95 for t in larger)


def test_roc_markers_sit_at_the_exact_operating_points(monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from utils.plots import plot_roc

    monkeypatch.setattr(plt, "show", lambda: None)
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 2, 60)
    y_score = np.clip(0.3 * y_true + rng.uniform(0, 0.7, 60), 0, 1)
    plot_roc(y_true, y_score, thresholds=(0.3, 0.5, 0.7))
    markers = [line for line in plt.gca().lines if line.get_label().startswith("seuil")]
    for line, threshold in zip(markers, (0.3, 0.5, 0.7)):
        expected = clinical_metrics(y_true, y_score, threshold)
        assert line.get_xdata()[0] == pytest.approx(1 - expected["specificity"])
        assert line.get_ydata()[0] == pytest.approx(expected["sensitivity"])
    plt.close("all")


def test_cnn_shapes_and_named_layers():
    from utils.models import build_cnn

    model = build_cnn(input_shape=(64, 64, 1))
    assert model.output_shape == (None, 1)
    assert {"conv_1", "pool_1", "conv_2", "pool_2", "conv_3"} <= {layer.name for layer in model.layers}
    prediction = model.predict(np.zeros((2, 64, 64, 1), np.float32), verbose=0)
    assert ((0 <= prediction) & (prediction <= 1)).all()


def test_cnn_text_matches_the_model():
    """Le texte du notebook et la docstring décrivent le modèle tel qu'il est : 4 convolutions, 3 poolings, 1 max global."""
    from keras import layers

    from utils.models import build_cnn

    model = build_cnn(input_shape=(64, 64, 1))
    kinds = [type(layer) for layer in model.layers]
    assert kinds.count(layers.Conv2D) == 4
    assert kinds.count(layers.MaxPooling2D) == 3
    assert kinds.count(layers.GlobalMaxPooling2D) == 1
    assert [layer.filters for layer in model.layers if isinstance(layer, layers.Conv2D)] == [16, 32, 64, 64]


def test_cnn_with_augmentation_has_the_same_layers_after_it():
    import keras
    from keras import layers

    from utils.models import build_cnn

    augmentation = keras.Sequential([layers.RandomFlip("horizontal", seed=0)], name="augmentation")
    plain, augmented = build_cnn(input_shape=(64, 64, 1)), build_cnn(input_shape=(64, 64, 1), augmentation=augmentation)
    assert augmented.layers[0].name == "augmentation"
    assert [(l.name, l.output.shape) for l in augmented.layers[1:]] == [(l.name, l.output.shape) for l in plain.layers]
    assert augmented.count_params() == plain.count_params()
    image = np.random.default_rng(0).uniform(0, 1, (1, 64, 64, 1)).astype(np.float32)
    augmented.set_weights(plain.get_weights())
    np.testing.assert_allclose(augmented.predict(image, verbose=0), plain.predict(image, verbose=0), rtol=1e-5)


def test_workshop_shows_the_cnn_it_trains_and_describes_it_right():
    """semaine_1/01 affiche le code de build_cnn (celui qui tourne) et son texte compte bien les couches."""
    import nbformat

    from utils.notebooks import ROOT

    nb = nbformat.read(ROOT / "semaine_1" / "solutions" / "01_atelier_cancer_sein.ipynb", 4)
    code = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    text = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    assert "inspect.getsource(build_cnn)" in code
    assert "from utils.models import build_cnn" in code and "def build_cnn" not in code
    assert "inspect.getsource(bootstrap_interval)" in code  # le bootstrap enseigné : celui de utils.statistics
    assert "inspect.getsource(threshold_for_sensitivity)" in code and "inspect.getsource(apply_clahe)" in code
    assert "38 × 38 pixels" in text and "sa forme et l'ombre en dessous" not in text
    assert "**quatre convolutions**" in text and "**trois max-pooling**" in text and "**max global**" in text
    assert "Trois blocs convolution" not in text
    assert "rappel (*callback*)" not in text.lower()
