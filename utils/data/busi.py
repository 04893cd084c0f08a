"""Chargement de BUSI (échographies mammaires), depuis Kaggle, un dossier local ou le miroir.

Arborescence attendue (celle du téléchargement Kaggle, parfois imbriquée deux fois) ::

    Dataset_BUSI_with_GT/{benign,malignant,normal}/benign (12).png
                                                  /benign (12)_mask.png, benign (12)_mask_1.png

Les masques ne sont jamais renvoyés comme des images : ils sont rattachés à leur image.
Les fichiers illisibles sont ignorés et comptés. Les quasi-doublons (~19 % dans BUSI) reçoivent
le même numéro de `group`, pour qu'une séparation entraînement/validation les garde ensemble.
"""
from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pandas as pd

from .busi_mirror import make_busi_mirror
from .sources import DataSourceError, find_folder, resolve_source

KAGGLE_HANDLE = "aryashah2k/breast-ultrasound-images-dataset"
ALL_CLASSES = ("benign", "malignant", "normal")
EXPECTED_LAYOUT = ("Dataset_BUSI_with_GT/{benign,malignant,normal}/benign (1).png, "
                   "avec les masques à côté : benign (1)_mask.png")
_MASK_NAME = re.compile(r"^(?P<stem>.+?)_mask(?:_\d+)?$", re.IGNORECASE)
DUPLICATE_SIMILARITY = 0.93  # similarité cosinus des vignettes 16×16 au-delà de laquelle deux images sont « les mêmes »


def load_busi(root: str | Path | None = None, source: str = "auto",
              classes: tuple[str, ...] = ("benign", "malignant")) -> pd.DataFrame:
    """Charge BUSI : une ligne par image.

    Paramètres
    ----------
    root : dossier local dans l'arborescence Kaggle (imbriquée ou non). S'il est donné, `source` est ignoré.
    source : "auto" (Kaggle si joignable, sinon miroir), "kaggle" ou "offline" (miroir généré).
    classes : classes à garder, dans l'ordre de `target` (par défaut 0 = bénin, 1 = malin).

    Colonnes : `image_path`, `label`, `target`, `mask_paths` (liste), `group` (quasi-doublons),
    `height`, `width`. `df.attrs` contient la source et la liste des fichiers ignorés.
    """
    unknown = set(classes) - set(ALL_CLASSES)
    if unknown:
        raise DataSourceError(f"Classe(s) inconnue(s) : {sorted(unknown)}. BUSI contient {', '.join(ALL_CLASSES)}.")
    if root is not None:
        base, description = Path(root), f"dossier local {root}"
        print(f"Source des données : {description}")
    else:
        base, description = resolve_source(source, KAGGLE_HANDLE, make_busi_mirror,
                                           "miroir hors ligne (images générées, même arborescence que Kaggle)")
    dataset_dir = find_dataset_dir(base)
    rows, skipped, orphan_masks = [], [], []
    for label in classes:
        class_rows, class_skipped, class_orphans = _scan_class(dataset_dir / label, label)
        rows += class_rows
        skipped += class_skipped
        orphan_masks += class_orphans
    frame = pd.DataFrame(rows, columns=["image_path", "label", "mask_paths", "height", "width", "thumbnail"])
    frame["target"] = frame["label"].map({label: index for index, label in enumerate(classes)}).astype(int)
    frame["group"] = near_duplicate_groups(np.stack(frame.pop("thumbnail").to_list()))
    frame = frame[["image_path", "label", "target", "mask_paths", "group", "height", "width"]]
    frame.attrs.update(source=description, dataset_dir=str(dataset_dir), skipped=skipped, orphan_masks=orphan_masks)
    _print_summary(frame, skipped, orphan_masks)
    return frame


def find_dataset_dir(base: Path, max_depth: int = 3) -> Path:
    """Trouve le dossier qui contient les sous-dossiers de classes (benign, malignant, normal)."""
    return find_folder(base, lambda folder: any((folder / label).is_dir() for label in ALL_CLASSES),
                       EXPECTED_LAYOUT, what="dossier de classe (benign, malignant, normal)", max_depth=max_depth)


def _scan_class(folder: Path, label: str):
    if not folder.is_dir():
        raise DataSourceError(f"Classe « {label} » absente : le dossier {folder} n'existe pas.\n"
                              f"Arborescence attendue : {EXPECTED_LAYOUT}")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".png")
    masks_by_stem: dict[str, list[Path]] = {}
    images = []
    for path in files:
        match = _MASK_NAME.match(path.stem)
        if match:
            masks_by_stem.setdefault(match["stem"], []).append(path)
        else:
            images.append(path)
    rows, skipped = [], []
    for path in images:
        gray = read_grayscale(path)
        if gray is None:
            skipped.append(str(path))
            continue
        masks = sorted(masks_by_stem.pop(path.stem, []), key=lambda p: (len(p.stem), p.stem))
        rows.append((str(path), label, [str(p) for p in masks], *gray.shape, _thumbnail(gray)))
    if not rows:
        raise DataSourceError(f"La classe « {label} » ne contient aucune image lisible dans {folder} "
                              f"({len(skipped)} fichier(s) illisible(s)). Arborescence attendue : {EXPECTED_LAYOUT}")
    orphans = [str(p) for paths in masks_by_stem.values() for p in paths]
    return rows, skipped, orphans


def read_grayscale(path: str | Path) -> np.ndarray | None:
    """Lit une image en niveaux de gris (uint8) ; None si le fichier est vide, corrompu ou tronqué."""
    data = np.fromfile(str(path), dtype=np.uint8)  # fromfile + imdecode : chemins avec espaces ou accents
    if data.size == 0:
        return None
    # Décodage en couleur puis conversion : même formule que pour un tableau déjà en mémoire (cvtColor).
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if image is None or image.size == 0:
        return None
    return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


def _thumbnail(gray: np.ndarray) -> np.ndarray:
    small = cv2.resize(gray, (16, 16), interpolation=cv2.INTER_AREA).astype(np.float32).ravel()
    small -= small.mean()
    return small / (np.linalg.norm(small) + 1e-6)


def near_duplicate_groups(thumbnails: np.ndarray, threshold: float = DUPLICATE_SIMILARITY) -> np.ndarray:
    """Numéro de groupe par image : les images dont les vignettes se ressemblent (cosinus ≥ seuil) partagent un groupe."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    if len(thumbnails) == 0:
        return np.zeros(0, dtype=int)
    similar = thumbnails @ thumbnails.T >= threshold
    _, groups = connected_components(csr_matrix(similar), directed=False)
    return groups


def _print_summary(frame: pd.DataFrame, skipped: list[str], orphan_masks: list[str]) -> None:
    counts = ", ".join(f"{label} : {n}" for label, n in frame["label"].value_counts().sort_index().items())
    n_duplicates = int(frame.duplicated("group", keep="first").sum())
    with_masks = int(frame["mask_paths"].map(bool).sum())
    print(f"{len(frame)} images chargées ({counts}) ; {with_masks} avec masque ; "
          f"{n_duplicates} quasi-doublon(s) regroupé(s) avec leur original.")
    if skipped:
        print(f"{len(skipped)} fichier(s) illisible(s) ignoré(s) : " + ", ".join(Path(p).name for p in skipped[:5])
              + (" ..." if len(skipped) > 5 else ""))
    if orphan_masks:
        print(f"{len(orphan_masks)} masque(s) sans image correspondante ignoré(s) : "
              + ", ".join(Path(p).name for p in orphan_masks[:5]))
