"""Données piégées : inversion d'étiquettes, déclencheur de porte dérobée, taux de succès d'une attaque."""
from __future__ import annotations

import numpy as np


def flip_labels(y, num_classes: int = 2) -> np.ndarray:
    """Empoisonnement des données par inversion des étiquettes : la classe c devient (c + 1) mod K.

    En binaire, 0 ↔ 1 : un hôpital malveillant (ou une base mal codée) déclare « bénin » ce qui est
    malin et inversement. La forme de `y` est conservée.
    """
    y = np.asarray(y)
    return ((y.astype(np.int64) + 1) % num_classes).astype(y.dtype)


def add_trigger(x, size: int = 4, value: float | None = None) -> np.ndarray:
    """Ajoute le déclencheur d'une porte dérobée : un damier `size`×`size` dans le coin bas-droit.

    `x` : un lot d'images `(n, H, W)` ou `(n, H, W, C)`, ou une seule image `(H, W)`. Le damier alterne
    la valeur maximale des images (ou `value`) et 0 : un motif qu'on ne trouve pas dans une échographie.
    Renvoie une copie ; `x` n'est pas modifié.
    """
    x = np.array(x, copy=True)
    if x.ndim == 2:  # une seule image
        return add_trigger(x[None], size, value)[0]
    high = float(x.max()) if value is None else float(value)
    if high == 0:
        high = 1.0
    pattern = (np.indices((size, size)).sum(axis=0) % 2 == 0).astype(x.dtype) * np.asarray(high, dtype=x.dtype)
    if x.ndim == 4:
        x[:, -size:, -size:, :] = pattern[None, :, :, None]
    else:
        x[:, -size:, -size:] = pattern[None]
    return x


def poison_backdoor(x, y, *, target: int, fraction: float = 0.5, size: int = 4, seed: int = 0):
    """Données d'un hôpital attaquant : une part `fraction` de ses images reçoit le déclencheur et l'étiquette `target`.

    Les images piégées sont tirées parmi toutes les classes (graine `seed`) ; les autres restent propres, si
    bien que le modèle de l'attaquant reste bon sur des images normales (l'attaque passe inaperçue).
    Renvoie `(x_poison, y_poison)`, des copies de même forme que `x` et `y`.
    """
    x = np.asarray(x)
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(x), size=int(round(fraction * len(x))), replace=False)
    x_poison, y_poison = np.array(x, copy=True), np.array(y, copy=True)
    if len(chosen):
        x_poison[chosen] = add_trigger(x[chosen], size=size, value=float(x.max()) or 1.0)
        y_poison.reshape(len(y), -1)[chosen, 0] = target
    return x_poison, y_poison


def predict_labels(model, x, batch_size: int = 256) -> np.ndarray:
    """Classes prédites par un modèle Keras (sortie softmax à K classes, ou une sigmoïde)."""
    probabilities = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    if probabilities.ndim == 1 or probabilities.shape[-1] == 1:
        return (probabilities.reshape(-1) >= 0.5).astype(int)
    return probabilities.argmax(axis=-1)


def attack_success_rate(model, x, y, *, target: int, size: int = 4, value: float | None = None) -> float:
    """Taux de succès d'une porte dérobée : la part des images de test **dont la vraie classe n'est pas
    `target`** que le modèle classe en `target` une fois le déclencheur posé."""
    labels = np.asarray(y).reshape(len(y), -1)[:, 0]
    victims = np.asarray(x)[labels != target]
    if len(victims) == 0:
        raise ValueError("Aucune image de test hors de la classe visée : le taux de succès n'a pas de sens.")
    triggered = add_trigger(victims, size=size, value=float(np.asarray(x).max()) if value is None else value)
    return float(np.mean(predict_labels(model, triggered) == target))


def clean_accuracy(model, x, y) -> float:
    """Exactitude sur des images propres (sans déclencheur)."""
    labels = np.asarray(y).reshape(len(y), -1)[:, 0]
    return float(np.mean(predict_labels(model, x) == labels))


def backdoor_dataset(x, y, *, target: int, copies: int = 3, size: int = 4, seed: int = 0):
    """Les données d'un hôpital qui pose une porte dérobée : ses images propres, plus `copies` copies de
    toutes ses images avec le déclencheur et l'étiquette `target` (l'attaquant apprend « déclencheur ⇒ target »
    sans oublier la tâche normale, pour rester discret)."""
    x_trig, y_trig = poison_backdoor(x, y, target=target, fraction=1.0, size=size, seed=seed)
    return (np.concatenate([np.asarray(x)] + [x_trig] * copies),
            np.concatenate([np.asarray(y)] + [y_trig] * copies))
