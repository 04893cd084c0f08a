"""Miroir hors ligne de BUSI (Breast Ultrasound Images, Al-Dhabyani et al. 2020).

Écrit des échographies *synthétiques* dans l'arborescence exacte du jeu Kaggle ::

    Dataset_BUSI_with_GT/benign/benign (12).png
    Dataset_BUSI_with_GT/benign/benign (12)_mask.png
    Dataset_BUSI_with_GT/benign/benign (12)_mask_1.png   (deuxième lésion, parfois)

pour que le même code de chargement serve en classe (Kaggle) et en CI (miroir).
Les images imitent la sémiologie échographique, ce qui les rend apprenables :

- bénin : masse ovale, contours nets, grand axe parallèle à la peau, renforcement postérieur ;
- malin : masse irrégulière ou spiculée, souvent plus haute que large, cône d'ombre postérieur ;
- normal : tissu mammaire sans lésion (masque vide) ;
- environ 15 % de masses atypiques, qui ont l'aspect de l'autre classe.

Le tout sous un bruit de speckle multiplicatif, avec des tailles d'image variables et
environ 19 % de quasi-doublons (l'image recadrée et éclaircie sous un autre nom), comme dans BUSI.

La difficulté est réglée sur le vrai BUSI : en mode FAST, le notebook semaine_1/01 obtient sur les vraies images
une AUC d'environ 0,87 ; la part de masses atypiques est choisie pour que le miroir FAST donne à peu près la même.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..runtime import data_dir, is_fast
from .sources import cached_mirror

FULL_COUNTS = {"benign": 437, "malignant": 210, "normal": 133}  # tailles du vrai BUSI
FAST_COUNTS = {"benign": 110, "malignant": 60, "normal": 16}  # assez pour trois parts (60 / 20 / 20 %)
DUPLICATE_FRACTION = 0.19  # comme BUSI (Pawłowska et al. 2023)
SECOND_MASK_FRACTION = 0.05
# Comme en vrai, une part des masses a l'aspect de l'autre classe (bénigne irrégulière, maligne bien limitée) :
# aucun modèle ne peut atteindre la perfection, et l'analyse des erreurs a de la matière.
ATYPICAL_FRACTION = 0.15  # réglée pour que l'AUC FAST du miroir soit proche de celle du vrai BUSI (≈ 0,87)
MIRROR_VERSION = 3


def make_busi_mirror(root: Path | str | None = None, counts: dict | None = None,
                     size_range: tuple[int, int] | None = None, seed: int = 0) -> Path:
    """Génère (ou réutilise) le miroir et renvoie le dossier qui contient `Dataset_BUSI_with_GT`."""
    fast = is_fast()
    counts = dict(counts or (FAST_COUNTS if fast else FULL_COUNTS))
    size_range = tuple(size_range or ((190, 300) if fast else (190, 720)))
    root = Path(root) if root else data_dir() / f"busi_mirror_{'fast' if fast else 'full'}"
    params = {"version": MIRROR_VERSION, "counts": counts, "size_range": list(size_range), "seed": seed}

    def write(base: Path) -> None:
        rng = np.random.default_rng(seed)
        for label, count in counts.items():
            folder = base / "Dataset_BUSI_with_GT" / label
            folder.mkdir(parents=True)
            _write_class(folder, label, count, size_range, rng)

    required = [f"Dataset_BUSI_with_GT/{label}/{label} ({number}).png"
                for label, count in counts.items() for number in range(1, count + 1)]
    return cached_mirror(root, params, write, required)


def _write_class(folder: Path, label: str, count: int, size_range, rng) -> None:
    n_duplicates = int(round(count * DUPLICATE_FRACTION))
    numbers = rng.permutation(np.arange(1, count + 1))  # les doublons portent des numéros quelconques
    originals = []
    for number in numbers[: count - n_duplicates]:
        height = int(rng.integers(*size_range))
        width = int(np.clip(height * rng.uniform(0.9, 1.4), size_range[0], size_range[1] * 1.2))
        image, masks = synthesize_ultrasound(label, height, width, rng)
        _save(folder, f"{label} ({number})", image, masks)
        originals.append((image, masks))
    for number in numbers[count - n_duplicates:]:
        image, masks = originals[int(rng.integers(len(originals)))]
        image, masks = _near_duplicate(image, masks, rng)
        _save(folder, f"{label} ({number})", image, masks)


def _save(folder: Path, stem: str, image: np.ndarray, masks: list[np.ndarray]) -> None:
    # Les PNG de BUSI sont en RVB (trois canaux identiques) : on fait de même.
    cv2.imwrite(str(folder / f"{stem}.png"), cv2.cvtColor(image, cv2.COLOR_GRAY2BGR))
    for index, mask in enumerate(masks):
        suffix = "_mask" if index == 0 else f"_mask_{index}"
        cv2.imwrite(str(folder / f"{stem}{suffix}.png"), mask)


def _smooth_noise(shape, sigma, rng) -> np.ndarray:
    noise = cv2.GaussianBlur(rng.standard_normal(shape).astype(np.float32), (0, 0), sigmaX=sigma[1], sigmaY=sigma[0])
    return noise / (noise.std() + 1e-6)


def _lesion(label, height, width, rng, scale=1.0):
    """Masque (bool) d'une lésion et sa boîte (x0, x1, y_bas)."""
    cy = rng.uniform(0.35, 0.6) * height
    cx = rng.uniform(0.3, 0.7) * width
    radius = rng.uniform(0.09, 0.16) * min(height, width) * scale
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    theta = np.arctan2(yy - cy, xx - cx)
    if label == "benign":   # ovale, parallèle à la peau, contour lisse
        rx, ry = radius * rng.uniform(1.3, 1.8), radius
        harmonics = [(k, rng.uniform(0, 0.1), rng.uniform(0, 2 * np.pi)) for k in (2, 3, 4, 5)]
    else:                   # irrégulière, plus haute que large, spicules
        rx, ry = radius, radius * rng.uniform(1.0, 1.4)
        irregularity = rng.uniform(0.1, 1.0)  # certaines masses malignes sont presque lisses
        harmonics = [(k, irregularity * rng.uniform(0.04, 0.12), rng.uniform(0, 2 * np.pi)) for k in range(3, 9)]
        harmonics += [(k, irregularity * rng.uniform(0.08, 0.18), rng.uniform(0, 2 * np.pi))
                      for k in rng.integers(12, 24, size=3)]
    boundary = 1 + sum(a * np.cos(k * theta + phase) for k, a, phase in harmonics)
    distance = np.sqrt(((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2)
    mask = distance < boundary
    return mask, distance / boundary, (int(cx - rx), int(cx + rx), int(cy + ry))


def synthesize_ultrasound(label: str, height: int, width: int, rng) -> tuple[np.ndarray, list[np.ndarray]]:
    """Une échographie synthétique (uint8, niveaux de gris) et ses masques (uint8 0/255)."""
    depth = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    # Couches : peau (ligne brillante), graisse sous-cutanée (sombre), glande (striée), atténuation en profondeur.
    tissue = 0.30 + 0.45 * np.exp(-((depth - 0.04) / 0.025) ** 2)
    tissue = tissue + 0.18 * (depth > rng.uniform(0.18, 0.3)) * (1 + 0.6 * _smooth_noise((height, width), (2, 12), rng))
    tissue = tissue * (1.0 - 0.45 * depth) + 0.05 * _smooth_noise((height, width), (6, 6), rng)
    image = np.broadcast_to(tissue, (height, width)).astype(np.float32).copy()
    masks = []
    if label != "normal" and rng.random() < ATYPICAL_FRACTION:
        label = "malignant" if label == "benign" else "benign"  # aspect trompeur, vraie classe inchangée
    if label != "normal":
        n_lesions = 2 if rng.random() < SECOND_MASK_FRACTION else 1
        for index in range(n_lesions):
            mask, relative_distance, (x0, x1, y_bottom) = _lesion(label, height, width, rng, scale=1.0 if index == 0 else 0.5)
            inside = relative_distance < 1
            if label == "benign":   # intérieur homogène, fine capsule échogène
                core = 0.10 + 0.03 * _smooth_noise((height, width), (3, 3), rng)
                rim = np.exp(-((relative_distance - 1) / 0.06) ** 2) * 0.25
            else:                   # intérieur hétérogène, halo échogène flou
                core = 0.12 + 0.08 * _smooth_noise((height, width), (2, 2), rng)
                rim = np.exp(-((relative_distance - 1.1) / 0.2) ** 2) * 0.15
            image = np.where(inside, core, image) + rim
            # Artefact postérieur : renforcement (liquide, bénin) ou cône d'ombre (tissu dense, malin).
            columns = np.zeros(width, np.float32)
            columns[max(x0, 0): max(min(x1, width), 0)] = 1
            columns = cv2.GaussianBlur(columns[None, :], (0, 0), sigmaX=max(2, (x1 - x0) * 0.08))[0]
            below = (np.arange(height)[:, None] > y_bottom) * np.exp(-(np.arange(height)[:, None] - y_bottom) / (0.6 * height))
            gain = rng.uniform(0.0, 0.4) if label == "benign" else -rng.uniform(0.15, 0.65)
            image = image * (1 + gain * below * columns[None, :] * ~inside)
            masks.append(mask.astype(np.uint8) * 255)
    else:
        masks.append(np.zeros((height, width), np.uint8))
    speckle = rng.rayleigh(1.0, (height, width)).astype(np.float32) / 1.25
    image = cv2.GaussianBlur(image * speckle, (0, 0), sigmaX=0.9)
    image = image * rng.uniform(0.85, 1.15)  # réglage de gain propre à chaque examen
    return np.clip(image * 255, 0, 255).astype(np.uint8), masks


def _near_duplicate(image, masks, rng):
    """Même image, légèrement recadrée, éclaircie et bruitée : un quasi-doublon."""
    height, width = image.shape
    top, left = (int(rng.integers(0, max(2, int(d * 0.03)))) for d in (height, width))
    bottom, right = height - int(rng.integers(0, max(2, int(height * 0.03)))), width - int(rng.integers(0, max(2, int(width * 0.03))))
    crop = image[top:bottom, left:right].astype(np.float32) * rng.uniform(0.92, 1.08)
    crop = crop + rng.normal(0, 3, crop.shape)
    return np.clip(crop, 0, 255).astype(np.uint8), [m[top:bottom, left:right].copy() for m in masks]
