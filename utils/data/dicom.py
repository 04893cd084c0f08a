"""Fichiers DICOM : les exemples réels livrés avec pydicom, la lecture et l'écriture avec des messages clairs.

pydicom embarque une douzaine de vrais fichiers (`pydicom.examples`) : scanner (CT), IRM (MR),
échographies couleur (US), radiothérapie (RTPLAN, RTSTRUCT, RTDOSE), ECG... Ils sont installés avec
la bibliothèque : aucun téléchargement, ni en classe ni en CI.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

from .sources import DataSourceError

# Description en français des exemples de pydicom 3 (nom dans pydicom.examples -> contenu).
EXAMPLE_DESCRIPTIONS = {
    "ct": "coupe de scanner (CT), 128×128, valeurs brutes à convertir en unités Hounsfield",
    "mr": "coupe d'IRM (MR), 64×64",
    "overlay": "IRM avec un calque de superposition (overlay) qui entoure une lésion",
    "jpeg2k": "échographie couleur compressée en JPEG 2000 sans perte",
    "rgb_color": "échographie couleur RVB non compressée",
    "palette_color": "échographie en couleurs indexées (palette)",
    "ybr_color": "échographie couleur multi-images (30 images), JPEG avec perte",
    "rt_dose": "distribution de dose de radiothérapie (RTDOSE), volume 15×10×10",
    "rt_plan": "plan de traitement de radiothérapie (RTPLAN), sans image",
    "rt_ss": "contours de structures de radiothérapie (RTSTRUCT), sans image",
    "waveform": "électrocardiogramme 12 dérivations (forme d'onde, sans image)",
    "dicomdir": "index d'un ensemble de fichiers (DICOMDIR), sans image",
    "no_meta": "jeu de données sans en-tête de fichier (préambule et méta-informations absents)",
}


def example_names() -> list[str]:
    """Noms des exemples que pydicom livre (`pydicom.examples.<nom>`)."""
    from pydicom import examples

    return sorted(examples._DATASETS)  # la liste officielle du module (pydicom >= 3.0)


def example_path(name: str) -> Path:
    """Chemin du fichier d'un exemple de pydicom ; message clair si le nom n'existe pas."""
    from pydicom import examples

    if name not in example_names():
        raise DataSourceError(f"Exemple DICOM inconnu : {name!r}. Exemples livrés avec pydicom : "
                              f"{', '.join(example_names())}.")
    return Path(examples.get_path(name))


def list_dicom_examples():
    """Tableau (pandas) des exemples de pydicom : modalité, classe SOP, syntaxe de transfert, image, tags privés."""
    import pandas as pd

    rows = []
    for name in example_names():
        ds = read_dicom(name)
        meta = getattr(ds, "file_meta", None)
        transfer = meta.get("TransferSyntaxUID") if meta is not None else None
        shape = ""
        if "PixelData" in ds:
            try:
                shape = "×".join(map(str, ds.pixel_array.shape))
            except Exception as error:  # décodeur manquant
                shape = f"illisible ({type(error).__name__})"
        sop_class = ds.get("SOPClassUID")
        rows.append({
            "exemple": name,
            "modalité": ds.get("Modality", ""),
            "classe SOP": sop_class.name if sop_class else "",
            "syntaxe de transfert": transfer.name if transfer else "(absente)",
            "image": shape or "non",
            "éléments privés": sum(1 for elem in ds.iterall() if elem.tag.is_private),
            "description": EXAMPLE_DESCRIPTIONS.get(name, ""),
        })
    return pd.DataFrame(rows)


def read_dicom(source, *, require_pixels: bool = False):
    """Lit un fichier DICOM : un chemin, ou le nom d'un exemple de pydicom (« ct », « mr »...).

    Messages clairs en français pour un fichier absent, un fichier qui n'est pas du DICOM, ou
    (avec ``require_pixels=True``) un DICOM sans données de pixels.
    """
    import pydicom
    from pydicom.errors import InvalidDicomError

    if isinstance(source, str) and os.path.sep not in source and source in example_names():
        path = example_path(source)
        with warnings.catch_warnings():  # les exemples de pydicom servent aussi à ses tests : valeurs
            warnings.simplefilter("ignore", UserWarning)  # volontairement non conformes, connues
            ds = pydicom.dcmread(path, force=True)  # certains exemples n'ont pas d'en-tête de fichier
            for _ in ds.iterall():  # pydicom convertit les éléments à la demande : faisons-le ici, en silence
                pass
    else:
        path = Path(source)
        if not path.is_file():
            raise DataSourceError(f"Fichier DICOM introuvable : {path}. Donnez le chemin d'un fichier .dcm, "
                                  f"ou le nom d'un exemple de pydicom ({', '.join(example_names())}).")
        try:
            ds = pydicom.dcmread(path)
        except InvalidDicomError as error:
            raise DataSourceError(
                f"{path.name} n'est pas un fichier DICOM : un fichier DICOM commence par un préambule de "
                "128 octets suivi des lettres « DICM », absentes ici. Vérifiez qu'il ne s'agit pas d'une image "
                "exportée (PNG, JPEG), d'un rapport PDF ou d'une archive ZIP."
            ) from error
        except Exception as error:  # fichier tronqué ou corrompu
            raise DataSourceError(f"{path.name} ressemble à du DICOM mais est illisible ({type(error).__name__} : "
                                  f"{error}). Le fichier est peut-être tronqué ou corrompu.") from error
    if require_pixels:
        ensure_pixels(ds, path.name)
    return ds


def ensure_pixels(ds, name: str = "ce jeu de données") -> None:
    """Lève une erreur claire si `ds` ne contient pas d'image (élément Pixel Data (7FE0,0010))."""
    if "PixelData" in ds or "FloatPixelData" in ds or "DoubleFloatPixelData" in ds:
        return
    sop_class = ds.get("SOPClassUID")
    kind = f"un objet « {sop_class.name} »" if sop_class else "un objet"
    modality = ds.get("Modality")
    raise DataSourceError(
        f"{name} ne contient pas d'image : pas d'élément Pixel Data (7FE0,0010). C'est {kind}"
        + (f" de modalité {modality}" if modality else "")
        + ". Tous les fichiers DICOM ne sont pas des images (plans et structures de radiothérapie, ECG, "
        "comptes rendus structurés, DICOMDIR...). Choisissez un fichier d'image (CT, MR, US, CR...)."
    )


def read_pixels(ds, name: str = "ce jeu de données"):
    """Le tableau NumPy des pixels, avec un message clair si l'image manque ou si un décodeur manque."""
    ensure_pixels(ds, name)
    try:
        return ds.pixel_array
    except Exception as error:
        transfer = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
        raise DataSourceError(
            f"Impossible de décoder les pixels de {name} (syntaxe de transfert : "
            f"{transfer.name if transfer else 'inconnue'}) : {error}. Pour les images compressées, installez un "
            "décodeur (pip install pylibjpeg pylibjpeg-libjpeg pylibjpeg-openjpeg)."
        ) from error


def write_dicom(ds, path) -> Path:
    """Écrit `ds` dans un vrai fichier DICOM (préambule, « DICM », méta-informations) et renvoie son chemin.

    Un jeu de données lu sans en-tête de fichier en reçoit un (classe et instance SOP, syntaxe de transfert).
    """
    import pydicom
    from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    out = ds.copy()
    meta = getattr(out, "file_meta", None)
    if meta is None or "TransferSyntaxUID" not in meta:
        if "SOPClassUID" not in out or "SOPInstanceUID" not in out:
            raise DataSourceError("Impossible d'écrire un fichier DICOM : SOPClassUID et SOPInstanceUID sont requis.")
        out.ensure_file_meta()
        implicit = (out.original_encoding or (True, True))[0] if hasattr(out, "original_encoding") else True
        out.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian
        out.file_meta.MediaStorageSOPClassUID = out.SOPClassUID
        out.file_meta.MediaStorageSOPInstanceUID = out.SOPInstanceUID
    pydicom.dcmwrite(path, out, enforce_file_format=True)
    return path
