"""Plomberie du moteur de simulation de Flower (Ray) : démarrage unique, silence, acteurs réutilisés.

Ce que coûte une simulation Flower sur un petit processeur, c'est surtout son démarrage : lancer
Ray (plusieurs processus Python), puis importer TensorFlow dans chaque acteur Ray qui héberge
les clients. Ce module garde donc, pour tout le processus (le noyau Jupyter) :

- une seule session Ray, limitée aux cœurs de la machine, démarrée au premier appel ;
- le groupe d'acteurs de Flower, réutilisé d'une simulation à l'autre (TensorFlow déjà importé,
  graphes Keras déjà compilés) au lieu d'être détruit à la fin de chaque simulation.

Techniquement, on remplace, le temps d'un appel à `flwr.simulation.run_simulation`, la classe
`RayBackend` de Flower par une sous-classe qui réutilise les acteurs et n'arrête pas Ray.
Tout le reste (ServerApp, ClientApp, stratégies, messages) est celui de Flower.
"""
from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import warnings

# Lus par Ray, TensorFlow et Flower à leur import : on les fixe avant.
for _key, _value in {
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "FLWR_TELEMETRY_ENABLED": "0",
    "FLWR_DISABLE_UPDATE_CHECK": "1",
    "RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO": "0",
    "RAY_DEDUP_LOGS": "0",
    "RAY_USAGE_STATS_ENABLED": "0",
}.items():
    os.environ.setdefault(_key, _value)

# Réglages du démarrage de Ray (modifiables pour les mesures du banc d'essai).
OPTIONS = {"prestart_workers": True, "import_keras_at_worker_start": True}
_LOCK = threading.Lock()
_STATE = {"num_cpus": None, "pool": None, "discard_pool": False, "in_use": False}
_QUIET_LOGGERS = ("flwr", "ray", "ray.data", "ray.tune", "ray.rllib", "ray.train", "ray.serve")


def available_cpus() -> int:
    """Nombre de cœurs vraiment utilisables par ce processus (quota du conteneur compris)."""
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        count = os.cpu_count() or 1
    return max(1, count)


def worker_setup() -> None:
    """Exécuté au démarrage de chaque processus de Ray : TensorFlow importé d'avance, et muet."""
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    try:
        import keras  # noqa: F401  (l'import coûte plusieurs secondes : autant le faire pendant le démarrage)
    except Exception:  # le client lèvera lui-même une erreur claire s'il ne peut pas importer Keras
        pass


def ensure_ray(num_cpus: int) -> None:
    """Démarre Ray une fois pour tout le processus, limité à `num_cpus` cœurs, sans tableau de bord ni bavardage."""
    import ray

    if ray.is_initialized() and _STATE["num_cpus"] == num_cpus:
        return
    if ray.is_initialized():
        shutdown()
    # Comme Flower : les processus de Ray doivent retrouver les modules du noyau (le paquet `utils`...).
    pythonpath = os.pathsep.join(p for p in sys.path if p)
    if os.environ.get("PYTHONPATH"):
        pythonpath = f"{pythonpath}{os.pathsep}{os.environ['PYTHONPATH']}"
    env_vars = {"PYTHONPATH": pythonpath, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore",
                "RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO": "0"}
    last_error = None
    for _attempt in range(3):
        try:
            runtime_env = {"env_vars": env_vars}
            if OPTIONS["import_keras_at_worker_start"]:
                runtime_env["worker_process_setup_hook"] = f"{__name__}.worker_setup"
            system_config = {} if OPTIONS["prestart_workers"] else {"enable_worker_prestart": False,
                                                                    "prestart_worker_first_driver": False}
            with quiet():
                ray.init(
                    num_cpus=num_cpus,
                    include_dashboard=False,
                    logging_level=logging.ERROR,
                    log_to_driver=False,
                    configure_logging=True,
                    runtime_env=runtime_env,
                    _system_config=system_config,
                )
            break
        except Exception as error:  # machine très chargée : les processus de Ray démarrent trop lentement
            last_error = error
            with contextlib.suppress(Exception), quiet():
                ray.shutdown()
    else:
        raise RuntimeError("Ray (le moteur de simulation de Flower) n'a pas pu démarrer, trois fois de suite. "
                           "La machine est peut-être surchargée : fermez d'autres notebooks et relancez la cellule. "
                           f"Dernière erreur : {last_error}") from last_error
    _STATE.update(num_cpus=num_cpus, pool=None, discard_pool=False)


def shutdown() -> None:
    """Arrête les acteurs et la session Ray du cours (la prochaine simulation redémarrera tout)."""
    import ray

    kill_pool()
    if ray.is_initialized():
        with quiet():
            ray.shutdown()
    _STATE.update(num_cpus=None, pool=None, discard_pool=False)


def kill_pool() -> None:
    """Tue les acteurs (clients) tout de suite : un client bloqué ou en erreur ne retient pas la simulation."""
    import ray

    pool, _STATE["pool"] = _STATE["pool"], None
    _STATE["discard_pool"] = True
    if pool is None or not ray.is_initialized():
        return
    actors = list(getattr(pool, "pool", [])) + list(getattr(pool, "_future_to_actor", {}).values())
    for actor in actors:
        with contextlib.suppress(Exception):
            ray.kill(actor, no_restart=True)


@contextlib.contextmanager
def quiet():
    """Fait taire Flower, Ray et les avertissements Python le temps du bloc (les erreurs restent levées)."""
    saved = {}
    for name in _QUIET_LOGGERS:
        logger = logging.getLogger(name)
        saved[name] = (logger.level, logger.propagate)
        logger.setLevel(logging.CRITICAL + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            yield
        finally:
            for name, (level, propagate) in saved.items():
                logging.getLogger(name).setLevel(level)
                logging.getLogger(name).propagate = propagate


def _persistent_backend_class():
    from flwr.server.superlink.fleet.vce.backend import raybackend

    class PersistentRayBackend(raybackend.RayBackend):
        """Le `RayBackend` de Flower, qui garde ses acteurs et la session Ray d'une simulation à l'autre."""

        def build(self, app_fn):
            pool = _STATE["pool"]
            if pool is not None and not _STATE["discard_pool"] and pool.client_resources == self.client_resources:
                self.pool, self.app_fn = pool, app_fn
                return
            kill_pool()
            super().build(app_fn)
            _STATE.update(pool=self.pool, discard_pool=False)

        def terminate(self) -> None:
            # Flower arrêterait ici les acteurs et Ray ; on les garde pour la simulation suivante,
            # sauf si la simulation a échoué (acteurs peut-être bloqués ou morts).
            if _STATE["discard_pool"]:
                kill_pool()

    return raybackend, PersistentRayBackend


def _local_backend_class():
    from flwr.clientapp.client_app import ClientAppException, LoadClientAppError
    from flwr.server.superlink.fleet.vce.backend.backend import Backend

    class LocalBackend(Backend):
        """Exécute chaque `ClientApp` dans ce processus, l'un après l'autre : aucun démarrage à payer."""

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

    return LocalBackend


@contextlib.contextmanager
def simulation_backend(engine: str):
    """Le temps du bloc, le moteur de simulation de Flower exécute les clients avec `engine`.

    `"ray"` : les acteurs Ray de Flower, gardés d'une simulation à l'autre ; `"local"` : dans ce processus.
    """
    with _LOCK:
        if _STATE["in_use"]:
            raise RuntimeError("Une simulation Flower tourne déjà dans ce processus : attendez qu'elle se termine.")
        _STATE["in_use"] = True
    try:
        module, persistent = _persistent_backend_class()
        backend = persistent if engine == "ray" else _local_backend_class()
        original = module.RayBackend
        module.RayBackend = backend
        try:
            yield
        finally:
            module.RayBackend = original
    finally:
        _STATE["in_use"] = False
