"""Le kit commun à tous les jeux de données : choisir la source, trouver le dossier, garder un miroir en cache.

Trois mécanismes, écrits une fois ; chaque jeu de données ne garde que ce qui lui est propre (arborescence,
lecture, contenu du miroir) :

- `resolve` : `source="auto"` essaie la vraie source (Kaggle, dépôt UCI, Zenodo...) avec un délai court et se
  replie sur le miroir hors ligne en disant pourquoi ; le nom de la vraie source l'exige ; `"offline"` prend le miroir ;
- `find_folder` : le dossier le moins profond qui a la forme attendue (un téléchargement ajoute souvent un ou deux
  niveaux, parfois une copie en double ou un dossier `__MACOSX`), ou un message qui dit l'arborescence attendue ;
- `cached_mirror` : un miroir n'est régénéré que si ses paramètres ont changé ou qu'un de ses fichiers manque ;
  il est écrit dans un dossier temporaire puis mis en place d'un coup (plusieurs processus à la fois : pas de
  miroir à moitié écrit).
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable


class DataSourceError(RuntimeError):
    """Données introuvables ou mal formées ; le message (en français) dit ce qui était attendu."""


def host_reachable(host: str, port: int = 443, timeout: float = 3.0) -> bool:
    """Vrai si une connexion TCP vers `host` aboutit en moins de `timeout` secondes.

    La résolution DNS peut bloquer bien plus longtemps qu'un connect : on la fait dans
    un fil d'exécution séparé pour que le délai soit vraiment respecté.
    """
    result = []

    def probe():
        try:
            with socket.create_connection((host, port), timeout=timeout):
                result.append(True)
        except OSError:
            pass

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(result)


def download_kaggle(handle: str) -> Path:
    """Télécharge (ou reprend du cache) un jeu de données Kaggle avec kagglehub.

    Les identifiants éventuels sont lus par kagglehub dans les secrets Colab ou
    l'environnement (`KAGGLE_USERNAME`, `KAGGLE_KEY`), jamais dans le notebook.
    """
    try:
        import kagglehub
    except ImportError as error:
        raise DataSourceError("kagglehub n'est pas installé : `pip install kagglehub`.") from error
    try:
        return Path(kagglehub.dataset_download(handle))
    except Exception as error:  # kagglehub lève des erreurs variées (réseau, 401, 404...)
        raise DataSourceError(
            f"Téléchargement Kaggle de « {handle} » impossible ({type(error).__name__} : {error}).\n"
            "Vérifiez la connexion, et si Kaggle le demande, ajoutez vos identifiants dans les secrets "
            "Colab (KAGGLE_USERNAME, KAGGLE_KEY). Sinon, utilisez source=\"offline\" (miroir hors ligne)."
        ) from error


# --------------------------------------------------------------------------- choisir la source
@dataclass(frozen=True)
class RealSource:
    """La vraie source d'un jeu de données.

    `key` : la valeur de `source=` qui l'exige (« kaggle », « uci », « zenodo ») ; `label` : son nom affiché ;
    `host` : l'hôte sondé avant de tenter le téléchargement ; `fetch()` : télécharge et renvoie le chemin des
    données (lève `DataSourceError` en cas d'échec) ; `cached()` : le chemin s'il est déjà téléchargé et complet.
    """

    key: str
    label: str
    host: str
    fetch: Callable[[], Path]
    cached: Callable[[], Path | None] = lambda: None


def resolve(source: str, real: RealSource, make_mirror: Callable[[], Path], mirror_text: str) -> tuple[Path, str]:
    """Renvoie (chemin des données, description de la source) et affiche la source retenue.

    `source` : « auto », `real.key` ou « offline ». `mirror_text` décrit le miroir, entre parenthèses, par exemple
    « miroir hors ligne (images générées, même arborescence que Kaggle) ».
    """
    choices = ("auto", real.key, "offline")
    if source not in choices:
        raise DataSourceError(f"source={source!r} inconnue : choisissez parmi {', '.join(choices)}.")
    cached = None if source == "offline" else real.cached()
    if source == "offline":
        path, description = make_mirror(), mirror_text
    elif cached is not None:
        path, description = cached, f"{real.label} (déjà téléchargé dans {cached})"
    elif source == real.key:
        path, description = real.fetch(), real.label
    elif not host_reachable(real.host):
        print(f"{real.label[:1].upper()}{real.label[1:]} injoignable ({real.host}) : repli sur le miroir hors ligne.")
        path, description = make_mirror(), _with_reason(mirror_text, f"{real.host} injoignable")
    else:
        try:
            path, description = real.fetch(), real.label
        except DataSourceError as error:
            print(f"{error}\n→ Repli sur le miroir hors ligne.")
            path, description = make_mirror(), _with_reason(mirror_text, "échec du téléchargement")
    print(f"Source des données : {description}")
    return path, description


def _with_reason(mirror_text: str, reason: str) -> str:
    return mirror_text.replace("(", f"({reason} ; ", 1) if "(" in mirror_text else f"{mirror_text} ({reason})"


def resolve_source(source: str, handle: str, make_mirror: Callable[[], Path],
                   mirror_text: str = "miroir hors ligne (fichiers générés, même arborescence que Kaggle)",
                   host: str = "www.kaggle.com") -> tuple[Path, str]:
    """`resolve` pour un jeu de données Kaggle (`handle` : « propriétaire/nom »)."""
    real = RealSource(key="kaggle", label=f"Kaggle ({handle})", host=host, fetch=lambda: download_kaggle(handle))
    return resolve(source, real, make_mirror, mirror_text)


# --------------------------------------------------------------------------- trouver le dossier
def find_folder(base: str | Path, has_layout: Callable[[Path], bool], expected_layout: str, *,
                what: str, max_depth: int = 3) -> Path:
    """Le dossier le moins profond sous `base` (compris) pour lequel `has_layout(dossier)` est vrai.

    Les dossiers cachés et `__MACOSX` (copies de macOS dans les archives) sont ignorés. Sinon, `DataSourceError`
    dit ce qui manque (`what`, par exemple « dossier de classe (benign, malignant, normal) »), ce que contient
    `base`, et l'arborescence attendue.
    """
    base = Path(base)
    if not base.is_dir():
        raise DataSourceError(f"Dossier introuvable : {base}\nArborescence attendue : {expected_layout}")
    level = [base]
    for _ in range(max_depth + 1):
        for folder in level:
            if has_layout(folder):
                return folder
        level = sorted(child for folder in level for child in folder.iterdir()
                       if child.is_dir() and child.name != "__MACOSX" and not child.name.startswith("."))
    content = ", ".join(sorted(p.name for p in base.iterdir())[:8]) or "dossier vide"
    raise DataSourceError(f"Aucun {what} dans {base} (contenu : {content}).\nArborescence attendue : {expected_layout}")


# --------------------------------------------------------------------------- garder un miroir en cache
MIRROR_MARKER = "miroir.json"


def cached_mirror(folder: str | Path, params: dict, write: Callable[[Path], None],
                  required: Iterable[str]) -> Path:
    """Le dossier d'un miroir, régénéré seulement si ses paramètres ont changé ou qu'un fichier manque.

    `write(dossier)` écrit le miroir dans un dossier vide ; `required` : les chemins (relatifs) qui doivent exister.
    Le miroir est écrit à côté, dans un dossier temporaire, puis mis en place par un renommage : un autre
    processus qui lit le miroir au même moment voit l'ancien ou le nouveau, jamais un miroir à moitié écrit.
    """
    folder = Path(folder)
    required = list(required)
    if _mirror_is_ready(folder, params, required):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    temporary = folder.with_name(f".{folder.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        temporary.mkdir()
        write(temporary)
        missing = [name for name in required if not (temporary / name).exists()]
        if missing:
            raise RuntimeError(f"Le générateur du miroir n'a pas écrit : {', '.join(missing)}.")
        (temporary / MIRROR_MARKER).write_text(json.dumps(params, sort_keys=True))
        if folder.exists():  # un ancien miroir : mis de côté d'un coup, puis effacé
            stale = folder.with_name(f".{folder.name}.{uuid.uuid4().hex[:8]}.ancien")
            try:
                os.replace(folder, stale)
            except OSError:
                pass
            shutil.rmtree(stale, ignore_errors=True)
        try:
            os.replace(temporary, folder)
        except OSError:  # un autre processus vient de mettre en place le même miroir : on garde le sien
            if not _mirror_is_ready(folder, params, required):
                raise
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return folder


def _mirror_is_ready(folder: Path, params: dict, required: list[str]) -> bool:
    marker = folder / MIRROR_MARKER
    try:
        same = json.loads(marker.read_text()) == json.loads(json.dumps(params, sort_keys=True))
    except (OSError, ValueError):
        return False
    return same and all((folder / name).exists() for name in required)
