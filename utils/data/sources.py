"""Choix de la source d'un jeu de données : la vraie (Kaggle...) ou le miroir hors ligne.

`source="auto"` essaie la vraie source avec un délai court et se replie sur le miroir
en disant pourquoi ; `"kaggle"` exige la vraie source ; `"offline"` prend le miroir.
"""
from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Callable

SOURCES = ("auto", "kaggle", "offline")


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


def resolve_source(source: str, handle: str, make_mirror: Callable[[], Path],
                   host: str = "www.kaggle.com") -> tuple[Path, str]:
    """Renvoie (dossier des données, description de la source) et affiche la source retenue."""
    if source not in SOURCES:
        raise DataSourceError(f"source={source!r} inconnue : choisissez parmi {', '.join(SOURCES)}.")
    if source == "kaggle":
        path, description = download_kaggle(handle), f"Kaggle ({handle})"
    elif source == "offline":
        path, description = make_mirror(), "miroir hors ligne (images générées, même arborescence que Kaggle)"
    elif not host_reachable(host):
        print(f"Kaggle injoignable ({host}) : repli sur le miroir hors ligne.")
        path, description = make_mirror(), "miroir hors ligne (Kaggle injoignable)"
    else:
        try:
            path, description = download_kaggle(handle), f"Kaggle ({handle})"
        except DataSourceError as error:
            print(f"{error}\n→ Repli sur le miroir hors ligne.")
            path, description = make_mirror(), "miroir hors ligne (échec du téléchargement Kaggle)"
    print(f"Source des données : {description}")
    return path, description
