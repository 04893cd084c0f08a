"""Prétraitement des images médicales : niveaux de gris, taille fixe, CLAHE, normalisation."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from .data.busi import read_grayscale

CLAHE_CLIP_LIMIT = 2.0      # au-delà, le bruit de speckle est lui aussi amplifié
CLAHE_TILE_GRID = (8, 8)    # 8 × 8 tuiles : contraste local, à l'échelle d'une lésion


def to_grayscale(image: np.ndarray) -> np.ndarray:
    """Image en niveaux de gris uint8 (accepte gris, BGR ou BGRA)."""
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    elif image.ndim == 3:
        code = cv2.COLOR_BGRA2GRAY if image.shape[2] == 4 else cv2.COLOR_BGR2GRAY
        image = cv2.cvtColor(image, code)
    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    return image


def apply_clahe(gray: np.ndarray, clip_limit: float = CLAHE_CLIP_LIMIT, tile_grid=CLAHE_TILE_GRID) -> np.ndarray:
    """CLAHE (égalisation d'histogramme adaptative à contraste limité) sur une image uint8."""
    return cv2.createCLAHE(clipLimit=clip_limit, tileGridSize=tile_grid).apply(gray)


def preprocess_ultrasound(image_or_path, size: int = 224) -> np.ndarray:
    """Une échographie prête pour le CNN : float32 de forme (size, size, 1), valeurs dans [0, 1].

    Étapes : niveaux de gris → redimensionnement size × size → CLAHE → division par 255 → axe de canal.
    """
    if isinstance(image_or_path, (str, Path)):
        image = read_grayscale(image_or_path)
        if image is None:
            raise ValueError(f"Image illisible (fichier vide, corrompu ou tronqué) : {image_or_path}")
    else:
        image = np.asarray(image_or_path)
    gray = to_grayscale(image)
    interpolation = cv2.INTER_AREA if min(gray.shape) > size else cv2.INTER_LINEAR
    resized = cv2.resize(gray, (size, size), interpolation=interpolation)
    enhanced = apply_clahe(resized)
    return (enhanced.astype(np.float32) / 255.0)[..., np.newaxis]


def load_images(paths, size: int = 224) -> np.ndarray:
    """Prétraite une liste de chemins : tableau float32 de forme (N, size, size, 1)."""
    paths = list(paths)
    batch = np.empty((len(paths), size, size, 1), dtype=np.float32)
    for index, path in enumerate(paths):
        batch[index] = preprocess_ultrasound(path, size)
    return batch

