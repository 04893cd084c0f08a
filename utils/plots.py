"""Figures du cours (matplotlib) : images, courbes d'apprentissage, matrice de confusion, ROC, activations."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay, RocCurveDisplay


def show_images(images, titles=None, ncols: int = 5, size: float = 2.4, cmap: str = "gray", suptitle: str | None = None):
    """Affiche une grille d'images (tableaux 2D, ou (H, W, 1))."""
    images = list(images)
    nrows = max(1, int(np.ceil(len(images) / ncols)))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for index, image in enumerate(images):
        ax = axes.ravel()[index]
        ax.imshow(np.squeeze(image), cmap=cmap)
        if titles is not None:
            ax.set_title(titles[index], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    plt.show()


def plot_class_counts(labels, title: str = "Nombre d'images par classe"):
    """Diagramme en barres du nombre d'exemples par classe."""
    values, counts = np.unique(np.asarray(labels), return_counts=True)
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.bar(values.astype(str), counts, color=["tab:green", "tab:red", "tab:gray"][: len(values)])
    for x, count in enumerate(counts):
        ax.text(x, count, str(count), ha="center", va="bottom")
    ax.set_ylabel("images")
    ax.set_title(title)
    fig.tight_layout()
    plt.show()


def plot_training_curves(history, metrics=("loss", "auc")):
    """Courbes d'entraînement et de validation, une par métrique, en fonction de l'époque."""
    history = getattr(history, "history", history)
    fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5), squeeze=False)
    for ax, metric in zip(axes.ravel(), metrics):
        epochs = np.arange(1, len(history[metric]) + 1)
        ax.plot(epochs, history[metric], "o-", label="entraînement")
        if f"val_{metric}" in history:
            ax.plot(epochs, history[f"val_{metric}"], "s--", label="validation")
        ax.set_xlabel("époque")
        ax.set_title(metric)
        ax.legend()
    fig.tight_layout()
    plt.show()


def plot_confusion(y_true, y_pred, class_names=("bénin", "malin"), title: str = "Matrice de confusion"):
    """Matrice de confusion (scikit-learn) avec les noms de classes en français."""
    display = ConfusionMatrixDisplay.from_predictions(y_true, y_pred, display_labels=list(class_names),
                                                      cmap="Blues", colorbar=False)
    display.ax_.set_xlabel("classe prédite")
    display.ax_.set_ylabel("vraie classe")
    display.ax_.set_title(title)
    display.figure_.set_size_inches(4, 3.5)
    plt.show()


def plot_roc(y_true, y_score, thresholds=(0.5,), title: str = "Courbe ROC (validation)"):
    """Courbe ROC (scikit-learn) avec, en points, les seuils de décision indiqués.

    Chaque point est calculé exactement au seuil t (« malin » si score ≥ t) : c'est la sensibilité et la
    spécificité du tableau `metrics_by_threshold`, pas le point de la courbe le plus proche.
    """
    from .evaluation import clinical_metrics

    display = RocCurveDisplay.from_predictions(y_true, y_score, name="CNN")
    for threshold in thresholds:
        point = clinical_metrics(y_true, y_score, threshold)
        display.ax_.plot(1 - point["specificity"], point["sensitivity"], "o", markersize=8,
                         label=f"seuil {threshold:.2f}")
    display.ax_.plot([0, 1], [0, 1], ":", color="gray", label="hasard")
    display.ax_.set_xlabel("1 − spécificité (faux positifs)")
    display.ax_.set_ylabel("sensibilité (vrais positifs)")
    display.ax_.set_title(title)
    display.ax_.legend(loc="lower right")
    display.figure_.set_size_inches(4.5, 4)
    plt.show()


def plot_activation_maps(activation, layer_name: str, n_maps: int = 8):
    """Les `n_maps` premières cartes d'activation d'une couche, pour une image (forme (1, H, W, C))."""
    activation = np.asarray(activation)[0]
    n_maps = min(n_maps, activation.shape[-1])
    show_images([activation[..., k] for k in range(n_maps)], [f"filtre {k}" for k in range(n_maps)],
                ncols=n_maps, size=1.6, cmap="viridis",
                suptitle=f"{layer_name} : {activation.shape[0]}×{activation.shape[1]} pixels, {activation.shape[-1]} cartes")
