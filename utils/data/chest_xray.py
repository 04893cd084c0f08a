"""Chargement du jeu Kaggle « Chest X-Ray Images (Pneumonia) » (Kermany et al. 2018), ou de son miroir.

Arborescence du téléchargement `paultimothymooney/chest-xray-pneumonia` ::

    chest_xray/{train,val,test}/{NORMAL,PNEUMONIA}/*.jpeg
    chest_xray/chest_xray/...      copie en double de l'archive : ignorée
    chest_xray/__MACOSX/.../._*    métadonnées macOS : ignorées

Les noms de fichiers portent l'identifiant du patient : `person1_bacteria_1.jpeg` et
`person1_bacteria_2.jpeg` sont deux clichés du patient `person1` ; `IM-0115-0001.jpeg` est le cliché 1
de l'examen `IM-0115`. Le dossier `val` officiel n'a que 16 images : trop peu pour choisir quoi que ce
soit. `split_by_patient` refait une validation à partir de train + val, sans qu'un patient soit des
deux côtés ; le test officiel reste intact.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from .chest_xray_mirror import make_chest_xray_mirror
from .sources import DataSourceError, find_folder, resolve_source

KAGGLE_HANDLE = "paultimothymooney/chest-xray-pneumonia"
SPLITS = ("train", "val", "test")
CLASSES = ("NORMAL", "PNEUMONIA")
EXPECTED_LAYOUT = "chest_xray/{train,val,test}/{NORMAL,PNEUMONIA}/*.jpeg (par exemple person1_bacteria_1.jpeg)"
IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png")
_PERSON = re.compile(r"^(?P<patient>person\d+)_(?:bacteria|virus)_\d+$", re.IGNORECASE)
_STUDY = re.compile(r"^(?P<patient>(?:NORMAL2-)?IM-\d+)-\d+$", re.IGNORECASE)


def load_chest_xray(root: str | Path | None = None, source: str = "auto") -> pd.DataFrame:
    """Liste les radiographies : une ligne par image, colonnes `image_path, label, split, patient_id`.

    Paramètres
    ----------
    root : dossier local du téléchargement (celui qui contient `chest_xray/`, ou `chest_xray/` lui-même).
        S'il est donné, `source` est ignoré.
    source : "auto" (Kaggle si joignable, sinon miroir), "kaggle" ou "offline" (miroir généré).

    `label` vaut 0 (NORMAL) ou 1 (PNEUMONIA) ; `split` est la partie officielle (train, val, test).
    La copie `chest_xray/chest_xray/` et les fichiers `__MACOSX/`, `._*` sont ignorés.
    """
    if root is not None:
        base, description = Path(root), f"dossier local {root}"
        print(f"Source des données : {description}")
    else:
        base, description = resolve_source(source, KAGGLE_HANDLE, make_chest_xray_mirror,
                                           "miroir hors ligne (images générées, même arborescence que Kaggle)")
    dataset_dir = find_chest_xray_dir(base)
    rows, ignored = [], []
    for split in SPLITS:
        for label in CLASSES:
            folder = dataset_dir / split / label
            if not folder.is_dir():
                raise DataSourceError(f"Dossier absent : {folder}.\nArborescence attendue : {EXPECTED_LAYOUT}")
            for path in sorted(folder.iterdir()):
                if path.name.startswith(".") or not path.is_file() or path.suffix.lower() not in IMAGE_SUFFIXES:
                    ignored.append(str(path))
                    continue
                rows.append((str(path), CLASSES.index(label), split, patient_id(path.name)))
    frame = pd.DataFrame(rows, columns=["image_path", "label", "split", "patient_id"])
    for split in SPLITS:
        for label in (0, 1):
            if not ((frame["split"] == split) & (frame["label"] == label)).any():
                raise DataSourceError(f"Aucune image {CLASSES[label]} dans {dataset_dir / split / CLASSES[label]}.\n"
                                      f"Arborescence attendue : {EXPECTED_LAYOUT}")
    frame.attrs.update(source=description, dataset_dir=str(dataset_dir), ignored=ignored)
    _print_summary(frame, ignored)
    return frame


def find_chest_xray_dir(base: str | Path, max_depth: int = 3) -> Path:
    """Le dossier le moins profond qui contient train/, val/ et test/ (hors `__MACOSX`) : pas la copie en double."""
    return find_folder(base, lambda folder: all((folder / split).is_dir() for split in SPLITS), EXPECTED_LAYOUT,
                       what="dossier avec train/, val/ et test/", max_depth=max_depth)


def patient_id(file_name: str) -> str:
    """Identifiant du patient tiré du nom : `person1_bacteria_1.jpeg` → `person1`, `IM-0115-0001.jpeg` → `IM-0115`.

    Un nom qui ne suit aucun des deux modèles est son propre patient (on ne peut pas le regrouper).
    """
    stem = Path(file_name).stem
    for pattern in (_PERSON, _STUDY):
        match = pattern.match(stem)
        if match:
            return match["patient"]
    return stem


def split_by_patient(frame: pd.DataFrame, val_size: float = 0.15, seed: int = 42) -> pd.DataFrame:
    """Refait la validation : train + val officiels réunis puis séparés par patient ; le test ne bouge pas.

    Renvoie une copie de `frame` avec une colonne `subset` (train, val ou test). La part de pneumonies est
    gardée à peu près égale des deux côtés (séparation stratifiée sur les patients).
    """
    from sklearn.model_selection import StratifiedGroupKFold

    if not 0 < val_size < 1:
        raise ValueError(f"val_size doit être entre 0 et 1 (reçu : {val_size}).")
    result = frame.copy()
    result["subset"] = np.where(result["split"] == "test", "test", "train")
    development = result.index[result["split"] != "test"]
    splitter = StratifiedGroupKFold(n_splits=max(2, int(round(1 / val_size))), shuffle=True, random_state=seed)
    _, val_index = next(splitter.split(development, result.loc[development, "label"],
                                       result.loc[development, "patient_id"]))
    result.loc[development[val_index], "subset"] = "val"
    train_patients = set(result.loc[result["subset"] == "train", "patient_id"])
    assert not train_patients & set(result.loc[result["subset"] == "val", "patient_id"])
    return result


def _print_summary(frame: pd.DataFrame, ignored: list[str]) -> None:
    counts = frame.groupby(["split", "label"]).size().unstack(fill_value=0)
    parts = [f"{split} {int(counts.loc[split].sum())} ({int(counts.loc[split].get(1, 0))} pneumonies)"
             for split in SPLITS]
    print(f"{len(frame)} radiographies, {frame['patient_id'].nunique()} patients : " + ", ".join(parts) + ".")
    if ignored:
        print(f"{len(ignored)} fichier(s) ignoré(s) dans les dossiers de classe (non-images, fichiers cachés).")


__all__ = ["find_chest_xray_dir", "load_chest_xray", "make_chest_xray_mirror", "patient_id", "split_by_patient"]
