"""Grad-CAM (Selvaraju et al., ICCV 2017) : où le réseau a-t-il regardé pour décider ?

Le calcul, en quatre étapes (le notebook semaine_5/01 les montre une à une) :

1. un modèle auxiliaire renvoie, pour une image, les **cartes d'activation** A_k d'une couche de
   convolution ET la sortie du réseau ;
2. `tf.GradientTape` enregistre le calcul et donne le **gradient** du score de la classe par rapport
   à chaque carte : ∂score / ∂A_k ;
3. le **poids** de chaque carte est la moyenne de son gradient sur tous les pixels (α_k) ;
4. la carte Grad-CAM est ReLU(Σ_k α_k · A_k) : les zones qui *augmentent* le score, normalisées dans [0, 1]
   puis agrandies à la taille de l'image.
"""
from __future__ import annotations

import numpy as np


def last_conv_layer_name(model) -> str:
    """Nom de la dernière couche dont la sortie est une carte 2D (convolution, activation, normalisation...)."""
    for layer in reversed(model.layers):
        shape = getattr(layer, "output", None)
        shape = getattr(shape, "shape", None)
        if shape is not None and len(shape) == 4 and "pool" not in layer.name:
            return layer.name
    raise ValueError("Le modèle n'a pas de couche qui produit des cartes 2D (forme (lot, H, W, canaux)).")


def grad_cam(model, image, layer_name: str | None = None, class_index: int = 0) -> np.ndarray:
    """Carte Grad-CAM (float32 dans [0, 1], taille de l'image) pour une image (H, W, C).

    `class_index` : la sortie expliquée (0 pour une sortie sigmoïde unique). Pour une sortie sigmoïde,
    on explique le logit (avant la sigmoïde) s'il est disponible, sinon la probabilité.
    """
    import keras
    import tensorflow as tf

    layer_name = layer_name or last_conv_layer_name(model)
    # Étape 1 : un modèle qui renvoie (cartes de la couche, prédiction).
    grad_model = keras.Model(model.input, [model.get_layer(layer_name).output, model.output])
    batch = tf.convert_to_tensor(np.asarray(image, dtype=np.float32)[None])
    # Étape 2 : le gradient du score par rapport aux cartes.
    with tf.GradientTape() as tape:
        maps, prediction = grad_model(batch, training=False)
        score = prediction[:, class_index]
    gradients = tape.gradient(score, maps)
    # Étape 3 : un poids par carte = moyenne de son gradient sur les pixels.
    weights = tf.reduce_mean(gradients, axis=(1, 2))
    # Étape 4 : somme pondérée des cartes, ReLU, normalisation, agrandissement.
    cam = tf.nn.relu(tf.reduce_sum(maps * weights[:, None, None, :], axis=-1))[0]
    cam = cam / (tf.reduce_max(cam) + 1e-8)
    height, width = batch.shape[1:3]
    cam = tf.image.resize(cam[..., None], (height, width), method="bilinear")[..., 0]
    return cam.numpy().astype(np.float32)


def overlay(image, cam, alpha: float = 0.45) -> np.ndarray:
    """L'image en gris et la carte Grad-CAM en couleurs (jet) superposées : RVB float dans [0, 1]."""
    import matplotlib

    gray = np.squeeze(np.asarray(image, dtype=np.float32))
    if gray.ndim == 3:
        gray = gray.mean(axis=-1)
    gray = (gray - gray.min()) / (gray.max() - gray.min() + 1e-8)
    heat = matplotlib.colormaps["jet"](np.clip(cam, 0, 1))[..., :3]
    return np.clip((1 - alpha) * np.repeat(gray[..., None], 3, axis=-1) + alpha * heat, 0.0, 1.0)


def border_share(cam, border: float = 0.15) -> float:
    """Part de l'« attention » Grad-CAM dans la bordure de l'image (les `border` × taille pixels de chaque bord).

    Une part élevée signale un raccourci possible : le modèle regarde les coins, les marqueurs, le texte
    ou le bord du cliché plutôt que les poumons. Une carte uniforme donne la part de la bordure dans la surface.
    """
    cam = np.asarray(cam, dtype=np.float64)
    height, width = cam.shape
    dy, dx = max(1, int(round(border * height))), max(1, int(round(border * width)))
    inside = np.zeros_like(cam, dtype=bool)
    inside[dy:height - dy, dx:width - dx] = True
    total = cam.sum()
    return float(cam[~inside].sum() / total) if total > 0 else 0.0


__all__ = ["border_share", "grad_cam", "last_conv_layer_name", "overlay"]
