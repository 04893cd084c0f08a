"""Chargement de MedMNIST v2 (Yang et al., Scientific Data 2023) : les fichiers officiels `{flag}.npz`.

Format d'un fichier officiel (28×28 pixels) ::

    train_images  uint8 (N, 28, 28)      (N, 28, 28, 3) pour les jeux en couleur
    train_labels  uint8 (N, 1)
    val_images, val_labels, test_images, test_labels : idem

Les séparations entraînement / validation / test sont celles de MedMNIST : on les garde, pour se
comparer aux chiffres publiés. Les étiquettes :

- PneumoniaMNIST : 0 = normal, 1 = pneumonie (radiographies thoraciques pédiatriques de Kermany et al. 2018) ;
- BreastMNIST : **0 = malin**, 1 = normal ou bénin (BUSI réduit à 28×28). Attention, c'est l'inverse de
  la semaine 1, où 1 = malin.

Sources : le fichier officiel sur Zenodo, vérifié par sa somme MD5 (celle que publie MedMNIST dans
`medmnist/info.py`), un fichier local (`root`), ou le miroir hors ligne (`source="offline"`).
"""
from __future__ import annotations

import hashlib
import urllib.request
import warnings
import zipfile
from pathlib import Path

import numpy as np

from ..runtime import data_dir
from .medmnist_mirror import make_medmnist_mirror
from .sources import DataSourceError, RealSource, resolve

ZENODO_HOST = "zenodo.org"
# Adresses et sommes MD5 publiées par le projet MedMNIST (medmnist 3.0, medmnist/info.py), 28×28 pixels.
OFFICIAL_FILES = {
    "pneumoniamnist": {
        "url": "https://zenodo.org/records/10519652/files/pneumoniamnist.npz?download=1",
        "md5": "28209eda62fecd6e6a2d98b1501bb15f",
        "labels": {0: "normal", 1: "pneumonie"},
        "channels": 1,
        "n_samples": {"train": 4708, "val": 524, "test": 624},
    },
    "breastmnist": {
        "url": "https://zenodo.org/records/10519652/files/breastmnist.npz?download=1",
        "md5": "750601b1f35ba3300ea97c75c52ff8f6",
        "labels": {0: "malin", 1: "normal ou bénin"},
        "channels": 1,
        "n_samples": {"train": 546, "val": 78, "test": 156},
    },
}
KEYS = ("train_images", "train_labels", "val_images", "val_labels", "test_images", "test_labels")
EXPECTED_LAYOUT = ("un fichier {flag}.npz (celui de MedMNIST) avec les clés " + ", ".join(KEYS)
                   + " ; images uint8 de forme (N, 28, 28) ou (N, 28, 28, 3), étiquettes (N, 1)")


def load_medmnist(flag: str, root: str | Path | None = None, source: str = "auto") -> dict:
    """Charge un jeu MedMNIST (28×28) : un dictionnaire de tableaux NumPy aux clés officielles.

    Paramètres
    ----------
    flag : nom du jeu en minuscules, comme MedMNIST : "pneumoniamnist", "breastmnist".
    root : un dossier qui contient `{flag}.npz`, ou le fichier lui-même. S'il est donné, `source` est
        ignoré ; si sa somme MD5 n'est pas l'officielle, il est utilisé quand même, avec un avertissement.
    source : "auto" (Zenodo si joignable, sinon miroir), "zenodo" (exige le fichier officiel) ou
        "offline" (miroir hors ligne généré).

    Renvoie `{"train_images", "train_labels", "val_images", "val_labels", "test_images", "test_labels"}`
    plus `"source"` (d'où viennent les données) et `"label_names"` ({0: ..., 1: ...}).
    """
    info = _info(flag)
    if root is not None:
        path = Path(root)
        if path.is_dir():
            path = path / f"{flag}.npz"
        if not path.is_file():
            raise DataSourceError(f"Fichier introuvable : {path}.\nAttendu : {EXPECTED_LAYOUT.format(flag=flag)}.")
        digest = md5sum(path)
        if digest != info["md5"]:
            warnings.warn(f"{path.name} : somme MD5 {digest} différente de la somme officielle {info['md5']} : "
                          "ce n'est pas le fichier publié par MedMNIST (version modifiée, autre taille d'image, "
                          "ou miroir). Il est utilisé tel quel ; vos chiffres ne se comparent pas à ceux de MedMNIST.",
                          stacklevel=2)
        description = f"fichier local {path}"
        print(f"Source des données : {description}")
    else:
        path, description = resolve_medmnist_source(flag, source)
    data = read_npz(path, flag)
    data["source"] = description
    data["label_names"] = dict(info["labels"])
    _print_summary(flag, data)
    return data


def _info(flag: str) -> dict:
    if flag not in OFFICIAL_FILES:
        raise DataSourceError(f"Jeu MedMNIST « {flag} » non pris en charge par le cours : "
                              f"choisissez parmi {', '.join(OFFICIAL_FILES)} (en minuscules).")
    return OFFICIAL_FILES[flag]


def md5sum(path: str | Path) -> str:
    """Somme MD5 d'un fichier (en hexadécimal), lue par blocs."""
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_npz(path: str | Path, flag: str = "medmnist") -> dict:
    """Lit et vérifie un fichier au format MedMNIST ; message clair si une clé ou une forme ne va pas."""
    path = Path(path)
    expected = EXPECTED_LAYOUT.format(flag=flag)
    try:
        with np.load(path, allow_pickle=False) as archive:
            missing = [key for key in KEYS if key not in archive.files]
            if missing:
                raise DataSourceError(f"{path.name} : clé(s) absente(s) : {', '.join(missing)} "
                                      f"(clés trouvées : {', '.join(archive.files) or 'aucune'}).\nAttendu : {expected}.")
            data = {key: archive[key] for key in KEYS}
    except DataSourceError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        raise DataSourceError(f"{path.name} est illisible : fichier tronqué ou corrompu ({type(error).__name__} : "
                              f"{error}). Supprimez-le et téléchargez-le à nouveau.\nAttendu : {expected}.") from error
    for split in ("train", "val", "test"):
        images, labels = data[f"{split}_images"], data[f"{split}_labels"]
        if images.ndim not in (3, 4) or images.shape[1:3] != (28, 28) or (images.ndim == 4 and images.shape[3] != 3):
            raise DataSourceError(f"{path.name} : {split}_images a la forme {images.shape}, attendu (N, 28, 28) "
                                  f"ou (N, 28, 28, 3).\nAttendu : {expected}.")
        if images.dtype != np.uint8:
            raise DataSourceError(f"{path.name} : {split}_images est de type {images.dtype}, attendu uint8 (0 à 255).")
        if labels.ndim != 2 or labels.shape[1] != 1 or len(labels) != len(images):
            raise DataSourceError(f"{path.name} : {split}_labels a la forme {labels.shape}, attendu "
                                  f"({len(images)}, 1) : une étiquette par image.\nAttendu : {expected}.")
    return data


def resolve_medmnist_source(flag: str, source: str = "auto") -> tuple[Path, str]:
    """Renvoie (chemin du fichier npz, description de la source) et affiche la source retenue."""
    info = _info(flag)
    cached = data_dir() / "medmnist" / f"{flag}.npz"
    real = RealSource(key="zenodo", label=f"MedMNIST officiel ({info['url']})", host=ZENODO_HOST,
                      fetch=lambda: download_medmnist(flag),
                      cached=lambda: cached if cached.is_file() and md5sum(cached) == info["md5"] else None)
    return resolve(source, real, lambda: make_medmnist_mirror(flag),
                   "miroir hors ligne (images synthétiques, même format que le fichier MedMNIST)")


def download_medmnist(flag: str, destination: str | Path | None = None, timeout: float = 60.0) -> Path:
    """Télécharge `{flag}.npz` depuis Zenodo et vérifie sa somme MD5 ; un fichier faux n'est pas gardé."""
    info = _info(flag)
    folder = Path(destination) if destination else data_dir() / "medmnist"
    folder.mkdir(parents=True, exist_ok=True)
    final, partial = folder / f"{flag}.npz", folder / f"{flag}.npz.partiel"
    try:
        request = urllib.request.Request(info["url"], headers={"User-Agent": "cours-fl-sante"})
        with urllib.request.urlopen(request, timeout=timeout) as response, open(partial, "wb") as handle:
            while block := response.read(1 << 20):
                handle.write(block)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise DataSourceError(f"Téléchargement de {flag}.npz impossible ({type(error).__name__} : {error}).\n"
                              f"Vérifiez la connexion, ou téléchargez {info['url']} et passez le fichier en `root=`. "
                              "Sinon, utilisez source=\"offline\" (miroir hors ligne).") from error
    digest = md5sum(partial)
    if digest != info["md5"]:
        partial.unlink(missing_ok=True)
        raise DataSourceError(f"{flag}.npz téléchargé, mais sa somme MD5 ({digest}) n'est pas l'officielle "
                              f"({info['md5']}) : fichier tronqué ou modifié en route, il n'a pas été gardé. "
                              "Réessayez plus tard.")
    partial.replace(final)
    return final


def _print_summary(flag: str, data: dict) -> None:
    names = data["label_names"]
    parts = []
    for split in ("train", "val", "test"):
        labels = data[f"{split}_labels"].ravel()
        parts.append(f"{split} {len(labels)} ({100 * np.mean(labels == 1):.0f} % « {names[1]} »)")
    shape = "×".join(str(d) for d in data["train_images"].shape[1:])
    print(f"{flag} : images {shape} ; " + ", ".join(parts) + f" ; étiquettes : 0 = {names[0]}, 1 = {names[1]}.")


def to_model_input(images: np.ndarray, size: int | None = None, channels: int = 1) -> np.ndarray:
    """Images uint8 (N, 28, 28) → float32 (N, size, size, channels) dans [0, 1], prêtes pour Keras."""
    batch = np.asarray(images, dtype=np.float32) / 255.0
    if batch.ndim == 3:
        batch = batch[..., None]
    if size is not None and size != batch.shape[1]:
        import tensorflow as tf

        batch = tf.image.resize(batch, (size, size), method="bilinear").numpy()
    if channels == 3 and batch.shape[-1] == 1:
        batch = np.repeat(batch, 3, axis=-1)
    return batch.astype(np.float32)


def simulate_scanner(images, contrast: float = 1.0, gamma: float = 1.0, noise_std: float = 0.0,
                     resolution: float = 1.0, seed: int = 0) -> np.ndarray:
    """Les mêmes images vues par un autre appareil : float32 dans [0, 1], même forme que `images`.

    `images` : uint8 (0 à 255) ou float dans [0, 1], de forme (N, H, W) ou (N, H, W, 1). Quatre étapes :

    1. **contraste** autour du gris moyen : x ← clip(0,5 + contrast · (x − 0,5), 0, 1) ;
    2. **gamma** (réglage de la courbe de réponse) : x ← x ** gamma (gamma > 1 assombrit les tons moyens) ;
    3. **résolution** : réduction à `resolution` × la taille, puis agrandissement (le détail perdu ne revient pas) ;
    4. **bruit** électronique : x ← clip(x + N(0, noise_std²), 0, 1), tiré avec la graine `seed`.
    """
    x = np.asarray(images)
    x = x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)
    x = np.clip(0.5 + contrast * (x - 0.5), 0.0, 1.0)
    x = x ** gamma
    if resolution != 1.0:
        import cv2

        height, width = x.shape[1:3]
        small = (max(1, int(round(width * resolution))), max(1, int(round(height * resolution))))
        x = np.stack([cv2.resize(cv2.resize(image, small, interpolation=cv2.INTER_AREA), (width, height),
                                 interpolation=cv2.INTER_LINEAR).reshape(image.shape) for image in x])
    if noise_std > 0:
        x = x + np.random.default_rng(seed).normal(0.0, noise_std, x.shape).astype(np.float32)
    return np.clip(x, 0.0, 1.0).astype(np.float32)


__all__ = ["OFFICIAL_FILES", "download_medmnist", "load_medmnist", "make_medmnist_mirror", "md5sum", "read_npz",
           "simulate_scanner", "to_model_input"]
