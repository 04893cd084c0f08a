"""Miroir hors ligne de MedMNIST v2 (Yang et al. 2023) : PneumoniaMNIST et BreastMNIST.

Écrit `{flag}.npz` exactement comme les fichiers officiels : clés `train_images`, `train_labels`,
`val_images`, `val_labels`, `test_images`, `test_labels` ; images uint8 N×28×28 ; étiquettes uint8 N×1.

- **PneumoniaMNIST** (0 = normal, 1 = pneumonie) : radiographies thoraciques *synthétiques* d'enfants
  (deux champs pulmonaires sombres, médiastin et diaphragme clairs, côtes), avec, en cas de pneumonie,
  des opacités floues dans un poumon (foyer bactérien) ou dans les deux (atteinte virale, diffuse).
  Les opacités sont plus ou moins marquées, et une part des radios normales porte des surimpressions
  qui leur ressemblent : un petit CNN atteint une AUC d'environ 0,95, pas 1 (comme sur le vrai fichier).
  Comme dans le vrai jeu, le test (l'ancien « val/test » de Kaggle) vient d'une autre série de clichés :
  exposition un peu différente, et proportion de pneumonies plus faible (62 % contre 74 %).
- **BreastMNIST** (0 = malin, 1 = normal ou bénin) : les échographies synthétiques du miroir BUSI
  (`busi_mirror.synthesize_ultrasound`) réduites à 28×28 pixels, comme MedMNIST l'a fait avec BUSI.

Le miroir n'a pas la somme MD5 officielle : `load_medmnist` le sait et ne le signale pas.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import cv2
import numpy as np

from ..runtime import data_dir, is_fast

MIRROR_VERSION = 1
SPLITS = ("train", "val", "test")
# Tailles officielles (medmnist/info.py) et part d'étiquettes 1 de chaque partie.
FULL_COUNTS = {
    "pneumoniamnist": {"train": 4708, "val": 524, "test": 624},
    "breastmnist": {"train": 546, "val": 78, "test": 156},
}
FAST_COUNTS = {
    "pneumoniamnist": {"train": 900, "val": 200, "test": 300},
    "breastmnist": {"train": 546, "val": 78, "test": 156},
}
POSITIVE_SHARE = {
    "pneumoniamnist": {"train": 0.742, "val": 0.742, "test": 0.625},
    "breastmnist": {"train": 0.731, "val": 0.731, "test": 0.731},
}
MIRROR_FLAGS = tuple(FULL_COUNTS)
# Réglages du dessin des radiographies (PneumoniaMNIST) : part des radios normales avec une surimpression qui ressemble
# à une opacité, et son intensité ; gravité des pneumonies (loi log-normale : médiane, dispersion).
PNEUMONIA_STYLE = {"mimic_share": 0.35, "mimic_strength": (0.08, 0.2), "severity_median": 0.16, "severity_sigma": 0.6,
                   "exposure_gamma": (0.8, 1.25), "brightness": (200, 255)}


_DEFAULT_STYLE = dict(PNEUMONIA_STYLE)


def make_medmnist_mirror(flag: str = "pneumoniamnist", root: str | Path | None = None,
                         counts: dict | None = None, seed: int = 0) -> Path:
    """Génère (ou réutilise) `{flag}.npz` dans `root` et renvoie le chemin du fichier."""
    if flag not in FULL_COUNTS:
        raise ValueError(f"Pas de miroir pour « {flag} » : miroirs disponibles : {', '.join(MIRROR_FLAGS)}.")
    fast = is_fast()
    counts = dict(counts or (FAST_COUNTS if fast else FULL_COUNTS)[flag])
    root = Path(root) if root else data_dir() / f"medmnist_mirror_{'fast' if fast else 'full'}"
    root.mkdir(parents=True, exist_ok=True)
    path = root / f"{flag}.npz"
    params = {"version": MIRROR_VERSION, "flag": flag, "counts": counts, "seed": seed}
    if PNEUMONIA_STYLE != _DEFAULT_STYLE and flag == "pneumoniamnist":  # réglages essayés (banc) : fichier distinct
        params["style"] = {k: list(v) if isinstance(v, tuple) else v for k, v in PNEUMONIA_STYLE.items()}
    marker = root / f"{flag}_mirror.json"
    if path.exists() and marker.exists() and json.loads(marker.read_text()) == params:
        return path
    rng = np.random.default_rng([seed, sorted(FULL_COUNTS).index(flag)])
    arrays = {}
    for split in SPLITS:
        n = counts[split]
        labels = np.zeros(n, dtype=np.uint8)
        labels[: int(round(n * POSITIVE_SHARE[flag][split]))] = 1
        labels = rng.permutation(labels)
        make = _pneumonia_image if flag == "pneumoniamnist" else _breast_image
        arrays[f"{split}_images"] = np.stack([make(int(label), rng, split) for label in labels])
        arrays[f"{split}_labels"] = labels[:, None]
    # Écriture atomique : plusieurs processus (les hôpitaux d'un déploiement local) peuvent générer le
    # miroir en même temps ; chacun écrit son fichier temporaire, puis le renomme (jamais de fichier à moitié écrit).
    temporary = root / f".{flag}.{os.getpid()}.tmp.npz"
    np.savez_compressed(temporary, **arrays)
    os.replace(temporary, path)
    temporary_marker = root / f".{flag}.{os.getpid()}.tmp.json"
    temporary_marker.write_text(json.dumps(params))
    os.replace(temporary_marker, marker)
    return path


def _pneumonia_image(label: int, rng, split: str) -> np.ndarray:
    """Une radiographie thoracique synthétique 28×28 (dessinée en 56×56 puis réduite, comme MedMNIST)."""
    kind = ("bacteria" if rng.random() < 0.6 else "virus") if label == 1 else "normal"
    image = chest_radiograph(kind, 56, 56, rng, contrast_shift=split == "test")
    small = cv2.resize(image, (28, 28), interpolation=cv2.INTER_AREA)
    small = (small - small.min()) / (small.max() - small.min() + 1e-6)  # comme les clichés fenêtrés
    return np.clip(small * rng.uniform(*PNEUMONIA_STYLE["brightness"]), 0, 255).astype(np.uint8)


def chest_radiograph(kind: str, height: int, width: int, rng, contrast_shift: bool = False) -> np.ndarray:
    """Une radiographie thoracique synthétique (float32, environ 0 à 1) : `kind` = normal, bacteria ou virus.

    Dessin : thorax clair, deux champs pulmonaires sombres, cœur et diaphragme clairs, côtes ;
    une pneumonie bactérienne ajoute un foyer de condensation dans un poumon, une virale des opacités
    diffuses et réticulées des deux côtés. Les tailles sont en fractions de l'image.
    """
    s = float(min(height, width))
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    cx = width / 2 + rng.normal(0, 0.027 * s)
    cy = height / 2 + rng.normal(0, 0.027 * s)
    chest = rng.uniform(0.85, 1.05)  # morphologie de l'enfant

    def blob(by, bx, ry, rx):
        return np.exp(-(((yy - by) / ry) ** 2 + ((xx - bx) / rx) ** 2))

    image = np.full((height, width), 0.55 + 0.1 * rng.standard_normal(), np.float32)
    image -= 0.35 * (np.abs(xx - cx) > 0.46 * s * chest)  # air hors du thorax
    lungs = []
    for side in (-1, 1):
        ly, lx = cy - 0.02 * s, cx + side * 0.2 * s * chest
        lung = blob(ly, lx, 0.3 * s * rng.uniform(0.9, 1.1), 0.13 * s * chest * rng.uniform(0.9, 1.1)) ** 0.7
        lungs.append((ly, lx, lung))
        image -= 0.42 * lung
    image += 0.25 * blob(cy + 0.12 * s, cx + 0.03 * s, 0.14 * s, 0.09 * s)  # cœur
    image += 0.35 * (yy > cy + 0.3 * s + 0.036 * s * np.sin(xx / (0.11 * s)))  # diaphragme
    lung_mask = lungs[0][2] + lungs[1][2]
    period = rng.uniform(0.116, 0.152) * s
    ribs = 0.5 + 0.5 * np.cos(2 * np.pi * (yy + 0.25 * np.abs(xx - cx)) / period + rng.uniform(0, 6.3))
    image += 0.07 * ribs * lung_mask  # côtes
    style = PNEUMONIA_STYLE
    if rng.random() < style["mimic_share"]:  # surimpression (vaisseaux, thymus) qui ressemble à une opacité
        ly, lx, _ = lungs[int(rng.integers(2))]
        image += rng.uniform(*style["mimic_strength"]) * blob(ly + rng.normal(0, 0.07 * s), lx + rng.normal(0, 0.036 * s),
                                               rng.uniform(0.054, 0.107) * s, rng.uniform(0.036, 0.071) * s)
    if kind != "normal":
        severity = rng.lognormal(np.log(style["severity_median"]), style["severity_sigma"])
        if kind == "bacteria":  # un foyer de condensation dans un poumon
            ly, lx, _ = lungs[int(rng.integers(2))]
            image += severity * 1.4 * blob(ly + rng.uniform(-0.14, 0.18) * s, lx + rng.normal(0, 0.036 * s),
                                           rng.uniform(0.07, 0.16) * s, rng.uniform(0.054, 0.107) * s)
        else:  # opacités diffuses, réticulées, des deux côtés
            texture = cv2.GaussianBlur(rng.standard_normal((height, width)).astype(np.float32), (0, 0), 0.027 * s)
            image += severity * (0.6 + 0.8 * np.clip(texture, 0, None)) * lung_mask
    gamma = rng.uniform(*PNEUMONIA_STYLE["exposure_gamma"]) * (0.93 if contrast_shift else 1.0)  # exposition du cliché
    image = np.clip(image, 0.02, 1) ** gamma
    image = image + rng.normal(0, 0.04, image.shape)
    return cv2.GaussianBlur(image.astype(np.float32), (0, 0), rng.uniform(0.5, 1.2) * s / 56)


def _breast_image(label: int, rng, split: str) -> np.ndarray:
    """Une échographie du miroir BUSI réduite à 28×28 ; étiquette 0 = malin, 1 = normal ou bénin."""
    from .busi_mirror import synthesize_ultrasound

    kind = "malignant" if label == 0 else ("normal" if rng.random() < 133 / 570 else "benign")
    size = int(rng.integers(96, 128))
    image, _ = synthesize_ultrasound(kind, size, int(size * rng.uniform(1.0, 1.3)), rng)
    return cv2.resize(image, (28, 28), interpolation=cv2.INTER_AREA)
