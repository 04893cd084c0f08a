"""Miroir hors ligne du jeu Kaggle « Chest X-Ray Images (Pneumonia) » (Kermany et al., Cell 2018).

Écrit des radiographies *synthétiques* (JPEG, niveaux de gris, tailles variables) dans l'arborescence
exacte du téléchargement `paultimothymooney/chest-xray-pneumonia` ::

    chest_xray/train/NORMAL/IM-0115-0001.jpeg
    chest_xray/train/NORMAL/NORMAL2-IM-0927-0001.jpeg
    chest_xray/train/PNEUMONIA/person1_bacteria_1.jpeg, person1_bacteria_2.jpeg, person3_virus_15.jpeg
    chest_xray/val/...   (16 images seulement, comme le vrai)
    chest_xray/test/...
    chest_xray/chest_xray/{train,val,test}/...   copie en double de l'archive (à ignorer)
    chest_xray/__MACOSX/chest_xray/.../._IM-0115-0001.jpeg   métadonnées macOS (à ignorer)

Un patient atteint de pneumonie a souvent plusieurs clichés (`person1_bacteria_1`, `person1_bacteria_2`) :
c'est ce qui rend obligatoire une séparation par patient. Les images viennent du même dessin que le
miroir de PneumoniaMNIST (`medmnist_mirror.chest_radiograph`).
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..runtime import data_dir, is_fast
from .medmnist_mirror import chest_radiograph
from .sources import cached_mirror

MIRROR_VERSION = 1
# Nombre de PATIENTS par partie et classe ; le vrai jeu a 1341/3875 images en train, 8/8 en val, 234/390 en test.
FULL_PATIENTS = {"train": {"NORMAL": 300, "PNEUMONIA": 420}, "val": {"NORMAL": 8, "PNEUMONIA": 6},
                 "test": {"NORMAL": 80, "PNEUMONIA": 90}}
FAST_PATIENTS = {"train": {"NORMAL": 50, "PNEUMONIA": 60}, "val": {"NORMAL": 8, "PNEUMONIA": 6},
                 "test": {"NORMAL": 20, "PNEUMONIA": 24}}
VAL_IMAGES = 8  # par classe : le vrai dossier val n'a que 16 images


def make_chest_xray_mirror(root: Path | str | None = None, patients: dict | None = None,
                           size_range: tuple[int, int] | None = None, seed: int = 0) -> Path:
    """Génère (ou réutilise) le miroir et renvoie le dossier qui contient `chest_xray/`."""
    fast = is_fast()
    patients = patients or (FAST_PATIENTS if fast else FULL_PATIENTS)
    size_range = tuple(size_range or ((96, 128) if fast else (160, 256)))
    root = Path(root) if root else data_dir() / f"chest_xray_mirror_{'fast' if fast else 'full'}"
    params = {"version": MIRROR_VERSION, "patients": patients, "size_range": list(size_range), "seed": seed}

    def write(target: Path) -> None:
        rng = np.random.default_rng(seed)
        base = target / "chest_xray"
        person, image_number, study = 1, 1, 1
        for split in ("train", "val", "test"):
            for label in ("NORMAL", "PNEUMONIA"):
                folder = base / split / label
                folder.mkdir(parents=True)
                written = 0
                for _ in range(patients[split][label]):
                    if label == "NORMAL":
                        prefix = "NORMAL2-" if rng.random() < 0.3 else ""
                        n_images = 1 if rng.random() < 0.85 else 2
                        names = [f"{prefix}IM-{study:04d}-{k + 1:04d}" for k in range(n_images)]
                        kinds = ["normal"] * n_images
                        study += 1
                    else:
                        kind = "bacteria" if rng.random() < 0.65 else "virus"
                        n_images = int(rng.choice([1, 1, 2, 3, 4]))
                        names, kinds = [], []
                        for _k in range(n_images):
                            names.append(f"person{person}_{kind}_{image_number}")
                            kinds.append(kind)
                            image_number += 1
                        person += 1
                    if split == "val":
                        names, kinds = names[: VAL_IMAGES - written], kinds[: VAL_IMAGES - written]
                    for name, kind in zip(names, kinds):
                        height = int(rng.integers(*size_range))
                        width = int(height * rng.uniform(1.1, 1.45))
                        image = chest_radiograph(kind, height, width, rng, contrast_shift=split == "test")
                        image = (image - image.min()) / (image.max() - image.min() + 1e-6) * 255
                        cv2.imwrite(str(folder / f"{name}.jpeg"), image.astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 85])
                        written += 1
        _write_duplicates_and_macos_files(base, rng)

    required = [f"chest_xray/{split}/{label}" for split in ("train", "val", "test") for label in ("NORMAL", "PNEUMONIA")]
    return cached_mirror(root, params, write, required)


def _write_duplicates_and_macos_files(base: Path, rng) -> None:
    """La copie `chest_xray/chest_xray/` (un extrait suffit) et quelques fichiers `__MACOSX/._*`."""
    import shutil

    for split in ("train", "val", "test"):
        for label in ("NORMAL", "PNEUMONIA"):
            files = sorted((base / split / label).glob("*.jpeg"))
            duplicate = base / "chest_xray" / split / label
            duplicate.mkdir(parents=True)
            for path in files[:3]:
                shutil.copy(path, duplicate / path.name)
            macos = base / "__MACOSX" / "chest_xray" / split / label
            macos.mkdir(parents=True)
            for path in files[:2]:
                # Un fichier AppleDouble : en-tête binaire, pas une image (l'ouvrir comme JPEG échoue).
                (macos / f"._{path.name}").write_bytes(b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + bytes(rng.integers(0, 256, 64, dtype=np.uint8)))
    (base / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
