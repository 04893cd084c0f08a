"""Chargement de l'étude UCI Heart Disease (quatre hôpitaux), depuis l'UCI, un dossier local ou le miroir.

Format attendu (celui du dépôt UCI, jeu n° 45 « Heart Disease ») : un dossier qui contient ::

    processed.cleveland.data    (Cleveland Clinic, États-Unis)         303 lignes
    processed.hungarian.data    (Institut de cardiologie de Budapest)  294 lignes
    processed.switzerland.data  (hôpitaux universitaires de Zurich et Bâle) 123 lignes
    processed.va.data           (V.A. Medical Center, Long Beach)      200 lignes

Chaque fichier : valeurs séparées par des virgules, pas d'en-tête, ``?`` pour une valeur manquante,
14 colonnes : age, sex, cp, trestbps, chol, fbs, restecg, thalach, exang, oldpeak, slope, ca, thal, num.
``num`` va de 0 (pas de rétrécissement coronaire > 50 %) à 4 ; la cible binaire est ``num > 0``.

Particularité des vrais fichiers, conservée telle quelle par le chargeur : ``chol = 0`` (impossible
physiologiquement) veut dire « non mesuré » ; c'est le cas de tous les patients suisses et d'une partie
de ceux de Long Beach. Le chargeur le signale ; c'est au notebook de décider quoi en faire.
"""
from __future__ import annotations

import csv
import io
import math
import shutil
import urllib.request
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

from ..runtime import data_dir
from .heart_disease_mirror import COLUMNS, HOSPITAL_FILES, ROW_COUNTS, make_heart_disease_mirror
from .sources import DataSourceError, RealSource, find_folder, resolve

UCI_HOST = "archive.ics.uci.edu"
UCI_ZIP_URL = "https://archive.ics.uci.edu/static/public/45/heart+disease.zip"
UCI_FILE_URL = "https://archive.ics.uci.edu/ml/machine-learning-databases/heart-disease/{file_name}"
UCI_DOI = "https://doi.org/10.24432/C52P4X"
HOSPITAL_NAMES = {
    "cleveland": "Cleveland (États-Unis)",
    "hungarian": "Budapest (Hongrie)",
    "switzerland": "Zurich et Bâle (Suisse)",
    "va": "Long Beach VA (États-Unis)",
}
EXPECTED_LAYOUT = ("un dossier contenant " + ", ".join(HOSPITAL_FILES.values())
                   + " (virgules, pas d'en-tête, « ? » pour une valeur manquante, 14 colonnes : "
                   + ", ".join(COLUMNS) + ")")
FEATURES = COLUMNS[:-1]


def load_heart_disease(root: str | Path | None = None, source: str = "auto") -> pd.DataFrame:
    """Charge les quatre hôpitaux de l'étude UCI Heart Disease : une ligne par patient.

    Paramètres
    ----------
    root : dossier local contenant les fichiers `processed.*.data` (éventuellement dans un sous-dossier,
        comme après avoir décompressé l'archive UCI). S'il est donné, `source` est ignoré.
    source : "auto" (UCI si joignable, sinon miroir), "uci" (exige le vrai téléchargement)
        ou "offline" (miroir hors ligne généré, même format).

    Colonnes : les 14 colonnes UCI (age, sex, cp, trestbps, chol, fbs, restecg, thalach, exang, oldpeak,
    slope, ca, thal, num) en nombres (NaN là où le fichier porte « ? »), `hospital` (cleveland, hungarian,
    switzerland, va) et `target` (1 si num > 0 : maladie coronarienne). `df.attrs` contient la source,
    le dossier lu et le nombre de lignes où chol vaut 0.
    """
    if root is not None:
        base, description = Path(root), f"dossier local {root}"
        print(f"Source des données : {description}")
    else:
        base, description = resolve_heart_disease_source(source)
    folder = find_heart_disease_dir(base)
    frames = []
    for hospital, file_name in HOSPITAL_FILES.items():
        frame = read_hospital_file(folder / file_name)
        frame["hospital"] = hospital
        frames.append(frame)
    data = pd.concat(frames, ignore_index=True)
    data["num"] = data["num"].astype(int)
    data["target"] = (data["num"] > 0).astype(int)
    data.attrs.update(source=description, data_dir=str(folder),
                      chol_zero=int((data["chol"] == 0).sum()))
    _print_summary(data)
    return data


# --------------------------------------------------------------------------- lecture
def find_heart_disease_dir(base: Path, max_depth: int = 2) -> Path:
    """Le dossier (base ou un sous-dossier) qui contient les fichiers `processed.*.data` ; vérifie leurs noms."""
    folder = find_folder(base, lambda candidate: any(candidate.glob("processed.*.data")), EXPECTED_LAYOUT,
                         what="fichier processed.*.data", max_depth=max_depth)
    _check_file_names(folder, sorted(p.name for p in folder.glob("processed.*.data")))
    return folder


def _check_file_names(folder: Path, found: list[str]) -> None:
    known = set(HOSPITAL_FILES.values())
    unknown = [name for name in found if name not in known]
    if unknown:
        raise DataSourceError(
            f"Fichier d'hôpital inconnu dans {folder} : {', '.join(unknown)}.\n"
            f"L'étude compte quatre hôpitaux, aux fichiers : {', '.join(HOSPITAL_FILES.values())}. "
            "Renommez ou retirez ce fichier."
        )
    missing = [name for name in HOSPITAL_FILES.values() if name not in found]
    if missing:
        raise DataSourceError(f"Fichier(s) manquant(s) dans {folder} : {', '.join(missing)}.\n"
                              f"Format attendu : {EXPECTED_LAYOUT}")


def read_hospital_file(path: str | Path) -> pd.DataFrame:
    """Lit un fichier `processed.<hôpital>.data` : 14 colonnes nommées, NaN à la place de « ? ».

    Une ligne qui n'a pas 14 valeurs, ou une valeur qui n'est ni un nombre ni « ? », arrête la lecture
    avec un message qui donne le fichier, la ligne et ce qui était attendu.
    """
    path = Path(path)
    text = path.read_text(encoding="latin-1")
    rows = []
    for line_number, fields in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not fields or all(not f.strip() for f in fields):
            continue  # ligne vide (fin de fichier)
        if len(fields) != len(COLUMNS):
            raise DataSourceError(
                f"{path.name}, ligne {line_number} : {len(fields)} colonne(s) au lieu de {len(COLUMNS)}.\n"
                f"Contenu de la ligne : {','.join(fields)[:120]}\n"
                f"Chaque ligne doit porter 14 valeurs séparées par des virgules : {', '.join(COLUMNS)}."
            )
        rows.append([_parse_value(value, path, line_number, column) for value, column in zip(fields, COLUMNS)])
    if not rows:
        raise DataSourceError(f"{path.name} est vide : aucun patient à lire.\nFormat attendu : {EXPECTED_LAYOUT}")
    frame = pd.DataFrame(np.array(rows, dtype=float), columns=list(COLUMNS))
    if frame["num"].isna().any() or not frame["num"].isin(range(5)).all():
        bad = frame.loc[~frame["num"].isin(range(5)), "num"].head(3).tolist()
        raise DataSourceError(f"{path.name} : la dernière colonne (num) doit valoir 0, 1, 2, 3 ou 4 "
                              f"sur chaque ligne (trouvé : {bad}). Les colonnes sont-elles dans l'ordre UCI ?")
    return frame


def _parse_value(value: str, path: Path, line_number: int, column: str) -> float:
    value = value.strip()
    if value in ("?", ""):
        return math.nan
    try:
        return float(value)
    except ValueError:
        raise DataSourceError(
            f"{path.name}, ligne {line_number}, colonne {column} : valeur « {value} » illisible "
            "(un nombre est attendu, ou « ? » pour une valeur manquante)."
        ) from None


def _print_summary(data: pd.DataFrame) -> None:
    parts = [f"{hospital} {len(group)} ({100 * group['target'].mean():.0f} % malades)"
             for hospital, group in data.groupby("hospital", sort=False)]
    print(f"{len(data)} patients chargés : " + ", ".join(parts) + ".")
    missing = data[list(FEATURES)].isna().sum()
    missing = missing[missing > 0].sort_values(ascending=False)
    if len(missing):
        print("Valeurs manquantes (« ? ») : " + ", ".join(f"{column} {count}" for column, count in missing.items()) + ".")
    zeros = data[data["chol"] == 0]["hospital"].value_counts()
    if len(zeros):
        print("chol = 0 (valeur impossible : cholestérol non mesuré) dans "
              + ", ".join(f"{hospital} {count}" for hospital, count in zeros.items())
              + " ; à traiter comme une valeur manquante.")


# --------------------------------------------------------------------------- statistiques fédérées
def local_sums(table) -> dict:
    """Ce qu'un hôpital envoie au serveur, colonne par colonne : nombre de valeurs présentes, somme, somme des carrés.

    Les valeurs manquantes (NaN) ne comptent pas. Aucune ligne de patient ne quitte l'hôpital.
    """
    table = pd.DataFrame(table)
    return {"count": table.notna().sum(), "total": table.sum(), "squares": (table ** 2).sum()}


def federated_mean_std(client_sums: list[dict]) -> tuple[pd.Series, pd.Series]:
    """Moyenne et écart-type (ddof = 1) de chaque colonne sur tous les hôpitaux, à partir de leurs seules sommes.

    Le résultat est exactement celui qu'on obtiendrait en réunissant les données (aux arrondis près).
    """
    count = sum(pd.Series(sums["count"], dtype=float) for sums in client_sums)
    total = sum(pd.Series(sums["total"], dtype=float) for sums in client_sums)
    squares = sum(pd.Series(sums["squares"], dtype=float) for sums in client_sums)
    mean = total / count
    variance = (squares - count * mean ** 2) / (count - 1)
    return mean, np.sqrt(variance.clip(lower=0))


# --------------------------------------------------------------------------- sources
def resolve_heart_disease_source(source: str = "auto") -> tuple[Path, str]:
    """Renvoie (dossier des fichiers, description de la source) et affiche la source retenue."""
    cache = data_dir() / "heart_disease_uci"
    real = RealSource(key="uci", label="dépôt UCI", host=UCI_HOST,
                      fetch=lambda: download_uci_heart_disease(cache),
                      cached=lambda: cache if _complete(cache) else None)
    return resolve(source, real, make_heart_disease_mirror,
                   "miroir hors ligne (patients synthétiques, même format que les fichiers UCI)")


def _complete(folder: Path) -> bool:
    return all((folder / name).is_file() for name in HOSPITAL_FILES.values())


def download_uci_heart_disease(destination: str | Path | None = None, timeout: float = 20.0) -> Path:
    """Télécharge les quatre fichiers `processed.*.data` depuis le dépôt UCI dans `destination`.

    Essaie l'archive officielle (`heart+disease.zip`), puis les fichiers un par un à leur ancienne adresse.
    """
    destination = Path(destination) if destination else data_dir() / "heart_disease_uci"
    partial = destination.with_name(destination.name + ".partiel")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    errors = []
    try:
        archive = zipfile.ZipFile(io.BytesIO(_fetch(UCI_ZIP_URL, timeout)))
        members = {Path(name).name: name for name in archive.namelist()}
        for file_name in HOSPITAL_FILES.values():
            (partial / file_name).write_bytes(archive.read(members[file_name]))
    except (OSError, KeyError, zipfile.BadZipFile) as error:
        errors.append(f"archive : {type(error).__name__} : {error}")
        try:
            for file_name in HOSPITAL_FILES.values():
                (partial / file_name).write_bytes(_fetch(UCI_FILE_URL.format(file_name=file_name), timeout))
        except OSError as second:
            errors.append(f"fichiers un par un : {type(second).__name__} : {second}")
            shutil.rmtree(partial, ignore_errors=True)
            raise DataSourceError(
                "Téléchargement UCI impossible (" + " ; ".join(errors) + ").\n"
                f"Vérifiez la connexion, ou téléchargez {UCI_ZIP_URL}, décompressez-le et passez le dossier "
                "en `root=`. Sinon, utilisez source=\"offline\" (miroir hors ligne)."
            ) from second
    shutil.rmtree(destination, ignore_errors=True)
    partial.rename(destination)
    return destination


def _fetch(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "cours-fl-sante"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return response.read()


__all__ = ["HOSPITAL_FILES", "HOSPITAL_NAMES", "ROW_COUNTS", "download_uci_heart_disease", "federated_mean_std",
           "find_heart_disease_dir", "load_heart_disease", "local_sums", "make_heart_disease_mirror",
           "read_hospital_file"]
