"""Mode d'exécution (FAST ou complet), graines aléatoires et rapport d'environnement.

Un seul endroit décide du mode : les notebooks demandent leurs tailles à `pick`
(par exemple ``EPOCHS = pick(fast=1, full=20)``) et ne lisent jamais eux-mêmes
les variables d'environnement.
"""
from __future__ import annotations

import os
import platform
import random
import sys
from pathlib import Path

import numpy as np

# Variables d'environnement qui rendent Flower, Ray et TensorFlow silencieux hors ligne.
# Elles ne comptent que si ce module est importé AVANT TensorFlow : c'est le rôle de la cellule `setup`.
_QUIET_ENVIRONMENT = {
    "TF_CPP_MIN_LOG_LEVEL": "3",  # les messages C++ de TensorFlow ne disent rien d'utile à un apprenant
    "FLWR_TELEMETRY_ENABLED": "0",
    "FLWR_DISABLE_UPDATE_CHECK": "1",
    "RAY_DEDUP_LOGS": "0",
    "RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO": "0",
}
for _key, _value in _QUIET_ENVIRONMENT.items():
    os.environ.setdefault(_key, _value)


def is_fast() -> bool:
    """Vrai en mode FAST : `COURSE_FAST=1`, ou en CI si `COURSE_FAST` n'est pas fixé.

    `COURSE_FAST=0` force le mode complet, même en CI.
    """
    flag = os.environ.get("COURSE_FAST")
    if flag is not None:
        return flag.strip().lower() not in ("", "0", "false", "non", "no")
    return bool(os.environ.get("CI"))


def pick(fast, full):
    """Renvoie `fast` en mode FAST, `full` sinon (tailles, époques, tours...)."""
    return fast if is_fast() else full


def mode_name() -> str:
    return "FAST (données réduites, pour la CI)" if is_fast() else "complet"


def in_colab() -> bool:
    """Vrai quand le notebook tourne dans Google Colab."""
    return "google.colab" in sys.modules


def set_seed(seed: int = 42) -> int:
    """Fixe les graines de Python, NumPy et (si chargé) TensorFlow/Keras.

    Sur CPU, active aussi le déterminisme des opérations TensorFlow : deux exécutions
    du même notebook donnent exactement les mêmes métriques.
    """
    os.environ["PYTHONHASHSEED"] = str(seed)
    random.seed(seed)
    np.random.seed(seed)
    if "tensorflow" in sys.modules or "keras" in sys.modules:
        _seed_keras(seed)
    return seed


def _seed_keras(seed: int) -> None:
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    try:
        tf.config.experimental.enable_op_determinism()
    except Exception:  # déjà activé, ou version sans cette option
        pass


def data_dir() -> Path:
    """Dossier où le cours range les données téléchargées et les miroirs générés.

    `COURSE_DATA_DIR` le remplace ; sinon `~/.cache/cours-fl-sante`.
    """
    root = os.environ.get("COURSE_DATA_DIR") or Path.home() / ".cache" / "cours-fl-sante"
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


class EnvironmentReport(dict):
    """Le rapport d'environnement : un dictionnaire ordinaire, muet dans Jupyter.

    `environment_report()` l'imprime déjà ; sans `_ipython_display_`, la cellule de mise en place
    afficherait le même contenu une seconde fois (le dictionnaire renvoyé).
    """

    def _ipython_display_(self) -> None:
        """Rien à afficher : le rapport a déjà été imprimé."""


def environment_report(extra: dict | None = None) -> EnvironmentReport:
    """Affiche (en français) le mode, la machine et les versions des bibliothèques utiles.

    Renvoie le rapport (un `dict`) sans qu'il s'affiche une seconde fois dans Jupyter.
    """
    from importlib import metadata

    report = EnvironmentReport({
        "mode": mode_name(),
        "colab": "oui" if in_colab() else "non",
        "python": platform.python_version(),
        "processeurs": os.cpu_count(),
    })
    for package in ("numpy", "pandas", "tensorflow", "tensorflow-cpu", "keras", "flwr",
                    "scikit-learn", "opencv-python-headless", "pydicom"):
        try:
            report[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        report["gpu"] = ", ".join(d.name for d in tf.config.list_physical_devices("GPU")) or "aucun"
    report.update(extra or {})
    width = max(len(key) for key in report)
    print("Environnement du cours")
    for key, value in report.items():
        print(f"  {key:<{width}} : {value}")
    return report
