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

    `class_index` : la sortie expliquée (0 pour une sortie sigmoïde unique). On dérive la **sortie du modèle**,
    ici la probabilité (après la sigmoïde), et non le logit qu'utilisent Selvaraju et al. Pour une sortie sigmoïde,
    ∂p/∂A = p(1 − p) · ∂z/∂A : le facteur p(1 − p) > 0 est le même pour toutes les cartes, donc la carte normalisée
    est la même qu'avec le logit, sauf quand la sortie sature (p = 1,0 en float32 : gradient nul, carte vide).
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


def corner_share(cam, corner: float = 0.25) -> float:
    """Part de la chaleur Grad-CAM dans le coin le plus chaud : le plus chaud des quatre carrés de côté `corner` × taille.

    Un marqueur, un texte imprimé ou une lettre de latéralité sont dans un coin ; les poumons, au centre. Une carte
    uniforme donne `corner`² (0,0625 pour 25 %) ; une carte dont la chaleur est dans un coin, bien plus. Plus robuste
    que `border_share` quand la carte vient d'une couche grossière (7 × 7 agrandie en 28 × 28) : la chaleur d'un
    marqueur placé au bord y retombe quelques pixels vers l'intérieur, hors d'une bordure étroite, mais dans le coin.
    """
    cam = np.asarray(cam, dtype=np.float64)
    height, width = cam.shape
    dy, dx = max(1, int(round(corner * height))), max(1, int(round(corner * width)))
    total = cam.sum()
    if total <= 0:
        return 0.0
    corners = (cam[:dy, :dx], cam[:dy, width - dx:], cam[height - dy:, :dx], cam[height - dy:, width - dx:])
    return float(max(part.sum() for part in corners) / total)


__all__ = ["border_share", "corner_share", "grad_cam", "last_conv_layer_name", "overlay"]
