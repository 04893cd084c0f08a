"""Mode d'exécution (FAST ou complet), graines aléatoires et rapport d'environnement.

Un seul endroit décide du mode : les notebooks demandent leurs tailles à `pick`
(par exemple ``EPOCHS = pick(fast=1, full=20)``) et ne lisent jamais eux-mêmes
les variables d'environnement.
"""
from __future__ import annotations

import contextlib
import importlib.abc
import importlib.util
import os
import platform
import random
import re
import sys
import tempfile
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
    "RAY_DISABLE_FAILURE_SIGNAL_HANDLER": "1",  # pas de pile « *** SIGTERM received » quand Jupyter arrête le noyau
}
for _key, _value in _QUIET_ENVIRONMENT.items():
    os.environ.setdefault(_key, _value)

# Lignes que le C++ de TensorFlow écrit pendant son import, AVANT de lire TF_CPP_MIN_LOG_LEVEL (TensorFlow ≥ 2.17) :
# « WARNING: All log messages before absl::InitializeLog()... », « oneDNN custom operations are on... »,
# et sur GPU les « Unable to register cuDNN factory... ». Elles ne disent rien d'utile à un apprenant ;
# on ne peut pas les couper par une variable d'environnement sans changer les calculs (TF_ENABLE_ONEDNN_OPTS=0
# désactive oneDNN). On les retient donc pendant l'import de TensorFlow (voir `_QuietTensorFlowImport`) ;
# toute autre ligne écrite pendant cet import est réécrite telle quelle. `COURSE_TF_STARTUP_LOGS=1` les laisse passer.
_TF_STARTUP_NOISE = re.compile(
    r"All log messages before absl::InitializeLog\(\) is called"
    r"|oneDNN custom operations are on"
    r"|cpu_feature_guard\.cc"
    r"|^To enable the following instructions:"
    r"|Unable to register cu(DNN|FFT|BLAS) factory"
    r"|computation placer already registered"
    r"|TF-TRT Warning: Could not find TensorRT"
    r"|cudart_stub\.cc.*Could not find cuda drivers"  # paquet « tensorflow » complet sur une machine sans GPU
)


class _QuietLoader(importlib.abc.Loader):
    """Le chargeur de `tensorflow`, qui retient les lignes de démarrage du C++ (descripteur 2) pendant l'import."""

    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        try:
            with _filtered_stderr(_TF_STARTUP_NOISE):
                self._loader.exec_module(module)
        finally:  # le module garde son vrai chargeur
            module.__loader__ = self._loader
            if getattr(module, "__spec__", None) is not None:
                module.__spec__.loader = self._loader

    def __getattr__(self, name):
        return getattr(self._loader, name)


class _QuietTensorFlowImport(importlib.abc.MetaPathFinder):
    """Au premier `import tensorflow` (direct, ou par Keras), passe par `_QuietLoader` ; une seule fois."""

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        with contextlib.suppress(ValueError):
            sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader = _QuietLoader(spec.loader)
        return spec


@contextlib.contextmanager
def _filtered_stderr(noise):
    """Redirige le descripteur 2 (là où écrit le C++) dans un fichier, puis réécrit ce qui n'est pas du bruit."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):  # pas de descripteur 2 (certains environnements) : rien à faire
        yield
        return
    failed = True
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
            failed = False
        finally:
            with contextlib.suppress(Exception):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode("utf-8", "replace")
            kept = text if failed else "".join(line for line in text.splitlines(keepends=True)
                                               if not noise.search(line))
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()


class _MissingOpenCV(importlib.abc.MetaPathFinder):
    """Dernier recours quand `import cv2` ne trouve pas OpenCV : une erreur en français qui dit quoi installer.

    Le paquet du cours n'installe pas OpenCV (Colab a déjà le sien, `opencv-python` ; en installer un second
    casserait `cv2`) : en local, il vient de `requirements.txt` (`opencv-python-headless`).
    """

    def find_spec(self, name, path=None, target=None):
        if name != "cv2":
            return None
        raise ModuleNotFoundError(
            "OpenCV (le module `cv2`) n'est pas installé. Dans Colab, il l'est déjà : redémarrez la session "
            "(Exécution > Redémarrer la session) si une installation l'a abîmé. En local, installez les "
            "dépendances du cours : `pip install -r requirements.txt` (ou seulement `pip install "
            "opencv-python-headless`).", name="cv2")


if not any(isinstance(finder, _MissingOpenCV) for finder in sys.meta_path):
    sys.meta_path.append(_MissingOpenCV())

if "tensorflow" not in sys.modules and os.environ.get("COURSE_TF_STARTUP_LOGS", "0") in ("", "0"):
    if not any(isinstance(finder, _QuietTensorFlowImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _QuietTensorFlowImport())


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
                    "scikit-learn", "opencv-python", "opencv-python-headless", "pydicom"):
        try:
            report[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    if "tensorflow" in sys.modules:
        import tensorflow as tf

        with _filtered_stderr(_TF_STARTUP_NOISE):  # la première recherche de GPU réécrit « Could not find cuda drivers »
            gpus = tf.config.list_physical_devices("GPU")
        report["gpu"] = ", ".join(d.name for d in gpus) or "aucun"
    report.update(extra or {})
    width = max(len(key) for key in report)
    print("Environnement du cours")
    for key, value in report.items():
        print(f"  {key:<{width}} : {value}")
    return report
