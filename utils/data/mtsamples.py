"""Chargement de MTSamples (comptes rendus médicaux transcrits), depuis Kaggle, un dossier local ou le miroir.

Format attendu (celui du jeu Kaggle `tboyle10/medicaltranscriptions`) : un fichier `mtsamples.csv` ::

    ,description,medical_specialty,sample_name,transcription,keywords
    0, A 23-year-old white female presents with complaint of allergies., Allergy / Immunology, Allergic Rhinitis ,"SUBJECTIVE:,  This 23-year-old...","allergy / immunology, allergic rhinitis, ..."

4 999 lignes, 40 catégories (`medical_specialty`). Particularités du vrai fichier, traitées ici :

- une première colonne d'index sans nom (lue comme index, pas comme une variable) ;
- des espaces en tête (et parfois en fin) des champs : retirés de `medical_specialty` et `sample_name` ;
- environ 33 lignes sans transcription : retirées et comptées (`df.attrs["empty_transcriptions"]`) ;
- des transcriptions identiques rangées sous plusieurs catégories (« Surgery » et « Orthopedic »...) :
  la colonne `duplicate_group` numérote les textes identiques, `n_categories` dit sous combien de
  catégories ce texte apparaît. Une séparation entraînement/test doit garder un groupe d'un seul côté.

Les artefacts `,  ` laissés par l'aspiration du site (`"SUBJECTIVE:,  This..."`) restent dans `transcription` :
c'est le texte tel que le modèle le recevra ; `utils.text.clean_transcription` les retire si on le souhaite.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .mtsamples_mirror import COLUMNS, FILE_NAME, make_mtsamples_mirror
from .sources import DataSourceError, find_folder, resolve_source

KAGGLE_HANDLE = "tboyle10/medicaltranscriptions"
EXPECTED_LAYOUT = (f"un fichier {FILE_NAME} (éventuellement dans un sous-dossier), dont la première ligne est "
                   f"« ,{','.join(COLUMNS)} » : une colonne d'index sans nom, puis {', '.join(COLUMNS)}")
# Catégories de MTSamples qui décrivent un type de document (ou de contexte), pas une spécialité médicale.
DOCUMENT_TYPE_LABELS = (
    "Surgery", "Consult - History and Phy.", "SOAP / Chart / Progress Notes", "Discharge Summary",
    "Letters", "Office Notes", "Emergency Room Reports", "IME-QME-Work Comp etc.",
)


def load_mtsamples(root: str | Path | None = None, source: str = "auto") -> pd.DataFrame:
    """Charge MTSamples : une ligne par compte rendu qui a une transcription.

    Paramètres
    ----------
    root : dossier local qui contient `mtsamples.csv` (directement ou dans un sous-dossier), ou le
        chemin du fichier lui-même. S'il est donné, `source` est ignoré.
    source : "auto" (Kaggle si joignable, sinon miroir), "kaggle" ou "offline" (miroir généré, même format).

    Colonnes : `description`, `medical_specialty` (sans espaces autour), `sample_name`, `transcription`,
    `keywords` (chaîne vide si absents), `duplicate_group` (même numéro = même transcription, au caractère
    près, espaces de bord exceptés) et `n_categories` (nombre de catégories sous lesquelles ce texte apparaît).
    L'index est celui du fichier. `df.attrs` : source, fichier lu, lignes sans transcription retirées,
    nombre de lignes dont le texte existe ailleurs.
    """
    if root is not None:
        path, description = find_mtsamples_file(Path(root)), f"dossier local {root}"
        print(f"Source des données : {description}")
    else:
        base, description = resolve_source(source, KAGGLE_HANDLE, make_mtsamples_mirror,
                                           "miroir hors ligne (comptes rendus synthétiques, même format que Kaggle)")
        path = find_mtsamples_file(base)
    raw = read_mtsamples_csv(path)
    transcription = raw["transcription"].fillna("").astype(str)
    empty = transcription.str.strip() == ""
    frame = raw.loc[~empty].copy()
    for column in ("description", "medical_specialty", "sample_name", "keywords"):
        frame[column] = frame[column].fillna("").astype(str).str.strip()
    frame["transcription"] = frame["transcription"].astype(str)
    key = frame["transcription"].str.strip()
    frame["duplicate_group"] = key.groupby(key, sort=False).ngroup().astype(int)
    frame["n_categories"] = frame.groupby("duplicate_group")["medical_specialty"].transform("nunique").astype(int)
    n_copies = int(frame["duplicate_group"].duplicated(keep=False).sum())
    frame.attrs.update(source=description, file=str(path), empty_transcriptions=int(empty.sum()),
                       rows_in_file=len(raw), rows_with_duplicate=n_copies)
    _print_summary(frame)
    return frame


def find_mtsamples_file(base: Path, max_depth: int = 3) -> Path:
    """Le fichier `mtsamples.csv` dans `base` (ou `base` lui-même, ou un sous-dossier)."""
    base = Path(base)
    if base.is_file():
        return base
    return find_folder(base, lambda folder: (folder / FILE_NAME).is_file(), EXPECTED_LAYOUT,
                       what=f"fichier {FILE_NAME}", max_depth=max_depth) / FILE_NAME


def read_mtsamples_csv(path: str | Path) -> pd.DataFrame:
    """Lit le CSV brut (index sans nom en première colonne) et vérifie ses colonnes ; message clair sinon."""
    path = Path(path)
    if path.stat().st_size == 0:
        raise DataSourceError(f"{path} est vide.\nFormat attendu : {EXPECTED_LAYOUT}")
    try:
        raw = pd.read_csv(path, index_col=0, dtype=str, keep_default_na=False, na_values=[""])
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise DataSourceError(f"{path.name} illisible comme CSV ({type(error).__name__} : {error}).\n"
                              f"Format attendu : {EXPECTED_LAYOUT}") from None
    columns = [str(c).strip() for c in raw.columns]
    missing = [c for c in COLUMNS if c not in columns]
    if missing:
        hint = (" La première colonne (index sans nom) semble manquer : le fichier a-t-il été réenregistré sans index ?"
                if columns and columns[0] == COLUMNS[1] else "")
        raise DataSourceError(f"{path.name} : colonne(s) manquante(s) {', '.join(missing)} "
                              f"(trouvé : {', '.join(columns) or 'aucune'}).{hint}\nFormat attendu : {EXPECTED_LAYOUT}")
    raw.columns = columns
    if raw.index.astype(str).str.fullmatch(r"\d+").all():
        raw.index = raw.index.astype(int)
    if raw.empty:
        raise DataSourceError(f"{path.name} ne contient aucun compte rendu (en-tête seul).\nFormat attendu : {EXPECTED_LAYOUT}")
    return raw[list(COLUMNS)]


def _print_summary(frame: pd.DataFrame) -> None:
    attrs = frame.attrs
    print(f"{len(frame)} comptes rendus chargés, {frame['medical_specialty'].nunique()} catégories "
          f"({attrs['empty_transcriptions']} ligne(s) sans transcription retirée(s) sur {attrs['rows_in_file']}).")
    if attrs["rows_with_duplicate"]:
        print(f"{attrs['rows_with_duplicate']} lignes partagent leur transcription exacte avec une autre ligne "
              f"({frame['duplicate_group'].nunique()} textes distincts) : colonne `duplicate_group`.")


def split_class_counts(parts: dict, class_names, label_col: str = "target", minimum: int = 5) -> pd.DataFrame:
    """Comptes rendus par classe dans chaque part (entraînement, validation, test), et un avertissement clair.

    `parts` : {nom de la part : DataFrame} ; `label_col` contient l'indice de la classe dans `class_names`.
    Une classe qui a moins de `minimum` comptes rendus dans une part est nommée : sur un fichier réduit (quelques
    centaines de lignes), une spécialité peut n'avoir aucun compte rendu en validation ; son F1 n'y est alors pas
    défini, et les rapports doivent recevoir `labels=` pour garder les cinq classes. Renvoie le tableau des comptes.
    """
    counts = pd.DataFrame({name: frame[label_col].value_counts().reindex(range(len(class_names)), fill_value=0)
                           for name, frame in parts.items()})
    counts.index = list(class_names)
    small = [label for label in counts.index if (counts.loc[label] < minimum).any()]
    if small:
        details = " ; ".join(f"« {label} » : " + ", ".join(f"{int(n)} en {name}" for name, n in counts.loc[label].items())
                             for label in small)
        print(f"⚠️ Spécialité(s) trop petite(s) dans ce fichier (moins de {minimum} comptes rendus dans au moins une part) : "
              f"{details}.\n   Leurs scores (F1, intervalles) seront très instables, et une spécialité absente d'une part "
              "n'y est pas évaluée (F1 compté 0). Prenez le fichier complet, ou retirez-la(les) de SPECIALTIES. "
              "Le notebook continue : les rapports gardent toutes les spécialités (labels=...).")
    return counts
