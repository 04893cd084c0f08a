"""Ce module touche aux rouages internes de Flower 1.41 : c'est le seul ; `tests/test_flower_internals.py` échoue si Flower change.

Pourquoi : `flwr.simulation.run_simulation` exécute toujours les clients dans des acteurs Ray. Sur les machines du cours
(Colab et la CI, 2 cœurs), Ray ne fait tourner qu'un client à la fois, coûte 10 à 30 s de démarrage à chaque simulation
et cache les `print()` des clients. `in_process_backend()` fait exécuter par Flower, le temps d'un appel, chaque
`ClientApp` dans ce processus, l'un après l'autre : même `ServerApp`, même `ClientApp`, même stratégie, mêmes messages.
Sans importer Ray : son import coûte 1,5 s par noyau et affiche sous la cellule une ligne
« INFO util.py -- Missing packages: ['ipywidgets'] » qu'un apprenant prend pour une erreur.

Ce qu'on suppose de Flower (vérifié par le test de contrat) :
- `flwr.server.superlink.fleet.vce.vce_api.start_vce` importe `RayBackend` depuis le module
  `flwr.server.superlink.fleet.vce.backend.raybackend` au moment de créer le moteur (import tardif) : si ce module
  n'est pas encore chargé, un module de remplacement posé le temps de l'appel dans `sys.modules` suffit (Ray n'est
  pas importé) ; s'il l'est déjà (après `engine="ray"`), on remplace sa classe le temps de l'appel ;
- un moteur est une sous-classe de `flwr.server.superlink.fleet.vce.backend.backend.Backend` qui définit
  `build`, `num_workers`, `is_worker_idle`, `process_message` et `terminate` ;
- une exception du client est rendue à Flower sous la forme `ClientAppException`, comme le fait son acteur Ray.
"""
from __future__ import annotations

import contextlib
import gc
import logging
import os
import threading
import warnings

# Lus par Flower, Ray et TensorFlow à leur import : on les fixe avant. Avec engine="ray", Ray installe dans le
# noyau un gestionnaire de signaux qui, quand Jupyter arrête le noyau, imprime une pile C++ : un faux plantage.
for _key, _value in {"TF_CPP_MIN_LOG_LEVEL": "2", "FLWR_TELEMETRY_ENABLED": "0", "FLWR_DISABLE_UPDATE_CHECK": "1",
                     "RAY_USAGE_STATS_ENABLED": "0", "RAY_DISABLE_FAILURE_SIGNAL_HANDLER": "1"}.items():
    os.environ.setdefault(_key, _value)

RAY_BACKEND_MODULE = "flwr.server.superlink.fleet.vce.backend.raybackend"
_LOCK = threading.Lock()
_IN_USE = {"running": False}
_QUIET_LOGGERS = ("flwr", "ray")


@contextlib.contextmanager
def quiet():
    """Fait taire les journaux de Flower et de Ray et les avertissements Python le temps du bloc (les erreurs restent levées)."""
    saved = {}
    for name in _QUIET_LOGGERS:
        logger = logging.getLogger(name)
        saved[name] = logger.level
        logger.setLevel(logging.CRITICAL + 1)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def _in_process_backend_class():
    from flwr.clientapp.client_app import ClientAppException, LoadClientAppError
    from flwr.server.superlink.fleet.vce.backend.backend import Backend

    class InProcessBackend(Backend):
        """Exécute chaque `ClientApp` dans ce processus, l'un après l'autre : rien à démarrer, `print()` visibles."""

        def __init__(self, backend_config) -> None:
            super().__init__(backend_config)
            self.app_fn = None

        def build(self, app_fn) -> None:
            self.app_fn = app_fn

        @property
        def num_workers(self) -> int:
            return 1

        def is_worker_idle(self) -> bool:
            return True

        def process_message(self, message, context):
            try:
                out_message = self.app_fn()(message=message, context=context)
            except LoadClientAppError:
                raise
            except Exception as error:  # comme l'acteur Ray de Flower
                raise ClientAppException(str(error)) from error
            return out_message, context

        def terminate(self) -> None:
            pass

    return InProcessBackend


@contextlib.contextmanager
def in_process_backend():
    """Le temps du bloc, `run_simulation` de Flower exécute les clients dans ce processus au lieu d'acteurs Ray."""
    import sys
    import types

    with _LOCK:
        if _IN_USE["running"]:
            raise RuntimeError("Une simulation Flower tourne déjà dans ce processus : attendez qu'elle se termine.")
        _IN_USE["running"] = True
    # Flower appelle `gc.collect()` à chaque conversion de poids (`ArrayRecord`, keep_input=False : Bulyan, QFedAvg…) ;
    # gelés, les objets déjà là (TensorFlow, le notebook : des centaines de milliers) ne sont pas reparcourus à chaque fois.
    gc.freeze()
    try:
        module = sys.modules.get(RAY_BACKEND_MODULE)
        stand_in = module is None  # le vrai module importerait Ray : un remplaçant, retiré à la fin
        if stand_in:
            module = sys.modules[RAY_BACKEND_MODULE] = types.ModuleType(RAY_BACKEND_MODULE)
        original = getattr(module, "RayBackend", None)
        module.RayBackend = _in_process_backend_class()
        try:
            yield
        finally:
            if not stand_in:
                module.RayBackend = original
            elif sys.modules.get(RAY_BACKEND_MODULE) is module:
                del sys.modules[RAY_BACKEND_MODULE]
    finally:
        gc.unfreeze()
        _IN_USE["running"] = False
