"""Plomberie du moteur de simulation de Flower (Ray) : démarrage unique, silence, acteurs réutilisés.

Ce que coûte une simulation Flower sur un petit processeur, c'est surtout son démarrage : lancer
Ray (plusieurs processus Python), puis importer TensorFlow dans chaque acteur Ray qui héberge
les clients. Ce module garde donc, pour tout le processus (le noyau Jupyter) :

- une seule session Ray, limitée aux cœurs de la machine, démarrée au premier appel ;
- le groupe d'acteurs de Flower, réutilisé d'une simulation à l'autre (TensorFlow y est déjà
  importé) au lieu d'être détruit à la fin de chaque simulation ; dans un acteur, le modèle Keras
  n'est construit qu'une fois par simulation, puis seulement rechargé avec les poids reçus.

Techniquement, on remplace, le temps d'un appel à `flwr.simulation.run_simulation`, la classe
`RayBackend` de Flower par une sous-classe qui réutilise les acteurs et n'arrête pas Ray.
Tout le reste (ServerApp, ClientApp, stratégies, messages) est celui de Flower.
"""
from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sys
import threading
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

# Lus par Ray, TensorFlow et Flower à leur import : on les fixe avant.
for _key, _value in {
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "FLWR_TELEMETRY_ENABLED": "0",
    "FLWR_DISABLE_UPDATE_CHECK": "1",
    "RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO": "0",
    "RAY_DEDUP_LOGS": "0",
    "RAY_USAGE_STATS_ENABLED": "0",
    # Ray installe dans le noyau un gestionnaire de signaux (abseil) qui, quand Jupyter arrête le noyau par
    # SIGTERM, imprime « *** SIGTERM received ... *** » et une pile d'appels C++ : un faux plantage. On le coupe.
    "RAY_DISABLE_FAILURE_SIGNAL_HANDLER": "1",
}.items():
    os.environ.setdefault(_key, _value)

_LOCK = threading.Lock()
_STATE = {"num_cpus": None, "pool": None, "discard_pool": False, "in_use": False}
_STARTER: dict = {"thread": None, "error": None, "ready": threading.Event(), "release": threading.Event()}
_QUIET_LOGGERS = ("flwr", "ray", "ray.widgets.util", "ray.data", "ray.tune", "ray.rllib", "ray.train", "ray.serve")


def available_cpus() -> int:
    """Nombre de cœurs vraiment utilisables par ce processus (quota du conteneur compris)."""
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        count = os.cpu_count() or 1
    return max(1, count)


def start_in_background(num_cpus: int, cpus_per_client: int) -> bool:
    """Lance Ray et les acteurs (TensorFlow importé) dans un fil d'exécution ; renvoie False s'ils sont déjà là."""
    with _LOCK:
        thread = _STARTER["thread"]
        if (thread is not None and not _STARTER["ready"].is_set()) or _STATE["pool"] is not None:
            return False
        with quiet():  # les imports (et leurs avertissements) restent dans le fil principal
            import ray  # noqa: F401
            from flwr.simulation.ray_transport import ray_actor  # noqa: F401
        thread = threading.Thread(target=_start, args=(num_cpus, cpus_per_client), name="demarrage-flower-ray",
                                  daemon=True)
        _STARTER.update(thread=thread, error=None, ready=threading.Event())
        thread.start()
        return True


def _start(num_cpus: int, cpus_per_client: int) -> None:
    ready, release = _STARTER["ready"], _STARTER["release"]
    try:
        _init_ray(num_cpus)
        _prepare_pool({"num_cpus": cpus_per_client, "num_gpus": 0.0})
    except Exception as error:  # sera signalée (et réessayée) par la prochaine simulation
        _STARTER["error"] = error
    finally:
        ready.set()
    # Ray lie la vie de ses processus (raylet...) au fil d'exécution qui les a lancés : s'il se terminait,
    # le système les tuerait. Ce fil attend donc, sans rien consommer, l'arrêt de Ray.
    release.wait()


def wait_for_background_start() -> None:
    """Attend la fin d'un démarrage en arrière-plan, s'il y en a un."""
    thread = _STARTER["thread"]
    if thread is not None and thread is not threading.current_thread():
        _STARTER["ready"].wait()


def _prepare_pool(client_resources: dict) -> None:
    """Crée les acteurs de Flower tout de suite et y importe Keras, pour que la simulation les trouve prêts."""
    import ray
    from flwr.simulation.ray_transport.ray_actor import BasicActorPool, ClientAppActor

    with quiet():
        pool = BasicActorPool(actor_type=ClientAppActor, client_resources=client_resources, actor_kwargs={})
        pool.add_actors_to_pool(pool.actors_capacity)
        try:
            # `run` appelle d'abord la fonction qui fabrique le ClientApp : la nôtre importe Keras, sans plus.
            ray.get([actor.run.remote(_warm_up_app, None, "préchauffage", None) for actor in pool.pool],
                    timeout=300)
        except Exception:
            for actor in pool.pool:  # des acteurs orphelins garderaient les cœurs pour eux
                with contextlib.suppress(Exception):
                    ray.kill(actor, no_restart=True)
            raise
    _STATE.update(pool=pool, discard_pool=False)


def _warm_up_app():
    import keras  # noqa: F401  (plusieurs secondes : c'est tout l'intérêt de le faire d'avance)

    return _do_nothing


def _do_nothing(message=None, context=None):
    return None


def ray_is_ready(num_cpus: int) -> bool:
    """Vrai si Ray tourne déjà avec ces cœurs (la simulation n'aura rien à démarrer)."""
    with quiet():  # le premier import de Ray bavarde (tqdm, ipywidgets manquant) : on le fait taire
        import ray

    return ray.is_initialized() and _STATE["num_cpus"] == num_cpus


def ensure_ray(num_cpus: int) -> None:
    """Démarre Ray une fois pour tout le processus, limité à `num_cpus` cœurs, sans tableau de bord ni bavardage."""
    wait_for_background_start()
    _init_ray(num_cpus)


def _init_ray(num_cpus: int) -> None:
    with quiet():
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
            with quiet():
                ray.init(
                    num_cpus=num_cpus,
                    include_dashboard=False,
                    logging_level=logging.ERROR,
                    log_to_driver=False,
                    configure_logging=True,
                    runtime_env={"env_vars": env_vars},
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
    if not _STATE.get("atexit"):
        # À l'arrêt du noyau : nos acteurs puis Ray, proprement et vite (avant le `ray.shutdown` de Ray lui-même),
        # pour que Jupyter n'ait pas à tuer le noyau par SIGTERM au milieu de l'arrêt.
        atexit.register(_shutdown_at_exit)
        _STATE["atexit"] = True


def _shutdown_at_exit() -> None:
    thread = _STARTER["thread"]
    if thread is not None and not _STARTER["ready"].is_set():
        return  # démarrage en cours : on n'attend pas, le `ray.shutdown` de Ray s'en charge
    with contextlib.suppress(Exception):
        shutdown()


def shutdown() -> None:
    """Arrête les acteurs et la session Ray du cours (la prochaine simulation redémarrera tout)."""
    import ray

    wait_for_background_start()
    kill_pool()
    if ray.is_initialized():
        with quiet():
            ray.shutdown()
    released, _STARTER["release"] = _STARTER["release"], threading.Event()
    released.set()  # le fil qui avait lancé Ray peut enfin se terminer
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
    """Fait taire Flower, Ray et les avertissements Python le temps du bloc (les erreurs restent levées).

    `warnings.catch_warnings` n'est pas sûr entre fils d'exécution : hors du fil principal (le démarrage
    en arrière-plan), on ne touche qu'aux journaux.
    """
    python_warnings = threading.current_thread() is threading.main_thread()
    saved = {}
    for name in _QUIET_LOGGERS:
        logger = logging.getLogger(name)
        saved[name] = (logger.level, logger.propagate)
        logger.setLevel(logging.CRITICAL + 1)
    try:
        if python_warnings:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                yield
        else:
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


# ============================================================================ côté client : modèle gardé par processus
@dataclass(frozen=True)
class ClientSpec:
    """Ce que chaque client reçoit avec chaque message : petit (les données restent dans Ray)."""

    token: str
    model_fn: Callable
    data: Any
    seed: int
    threads: int
    in_process: bool = False


_ACTOR: dict = {}


class ClientLoader:
    """Le `load_client(partition_id, server_round)` du `ClientApp` (voir `apps.make_client_app`).

    Dans un processus (acteur Ray, ou le noyau avec `engine="local"`), le modèle Keras n'est construit
    qu'une fois par simulation ; à chaque message, on remet son optimiseur à neuf (comme un client qui
    vient de recevoir le modèle) et on fixe la graine `seed + 1000 * tour + client`.
    """

    def __init__(self, spec: ClientSpec):
        self.spec = spec

    def __call__(self, partition_id: int, server_round: int):
        import keras

        state = _client_state(self.spec)
        model = state["model"]
        for variable, start in zip(model.optimizer.variables, state["optimizer_start"]):
            variable.assign(start)
        keras.utils.set_random_seed(self.spec.seed + 1000 * int(server_round) + int(partition_id))
        return model, state["data"][int(partition_id)]


def _client_state(spec: ClientSpec) -> dict:
    """Le modèle et les données de la simulation en cours, gardés par le processus entre deux messages."""
    global _ACTOR
    if _ACTOR.get("token") == spec.token:
        return _ACTOR
    import keras
    import tensorflow as tf

    from .simulation import check_compiled

    if spec.in_process:  # dans le noyau : on ne touche ni aux réglages de TensorFlow ni à la session Keras
        _ACTOR = {"configured": _ACTOR.get("configured", False)}
        data = spec.data
    else:
        if not _ACTOR.get("configured"):
            try:  # un acteur = `threads` cœurs ; à faire avant la première opération TensorFlow
                tf.config.threading.set_intra_op_parallelism_threads(spec.threads)
                tf.config.threading.set_inter_op_parallelism_threads(spec.threads)
            except RuntimeError:
                pass
            with contextlib.suppress(Exception):
                tf.config.experimental.enable_op_determinism()
        _ACTOR = {"configured": True}
        keras.backend.clear_session()
        data = spec.data
        if not isinstance(data, list):
            import ray

            data = ray.get(data)
    model = spec.model_fn()
    check_compiled(model)
    if spec.in_process:  # le même modèle qu'à la simulation précédente : ses fonctions TensorFlow sont déjà tracées
        model = reuse_model("client", model)
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    _ACTOR.update(token=spec.token, data=data, model=model,
                  optimizer_start=[np.array(v.numpy()) for v in model.optimizer.variables])
    return _ACTOR


# ============================================================================ modèles gardés d'une simulation à l'autre
_MODELS: dict = {}  # rôle ("client", "server") -> modèle déjà utilisé dans ce processus


def reuse_model(role: str, fresh):
    """Renvoie un modèle déjà utilisé (fonctions TensorFlow déjà tracées) mis dans l'état exact de `fresh`.

    Chaque simulation reconstruit le modèle avec `model_fn` ; Keras retrace alors ses fonctions d'entraînement
    et d'évaluation (plusieurs secondes pour un CNN sur 2 cœurs). Si le modèle gardé a exactement la même
    architecture et la même compilation que `fresh` (couches Keras standard seulement), on copie dans le
    modèle gardé toutes les variables de `fresh` (poids, statistiques de normalisation, états des graines) et
    on remet son optimiseur à neuf : les calculs sont ceux de `fresh`, sans retraçage. Sinon, `fresh` est gardé
    pour la fois suivante et renvoyé tel quel.
    """
    signature = _model_signature(fresh)
    kept = _MODELS.get(role)
    if signature is None or kept is None or kept[0] is fresh or _model_signature(kept[0]) != signature \
            or kept[0].optimizer is not kept[1]:
        if fresh.optimizer is not None and not fresh.optimizer.built:
            fresh.optimizer.build(fresh.trainable_variables)
        _MODELS[role] = (fresh, fresh.optimizer, [np.array(v.numpy()) for v in fresh.optimizer.variables])
        return fresh
    model, optimizer, optimizer_start = kept
    for variable, value in zip(model.variables, fresh.variables):
        variable.assign(value)
    for variable, value in zip(optimizer.variables, optimizer_start):
        variable.assign(value)
    return model


# Couches Keras dont l'état (table de vocabulaire, fonction Python) n'est ni dans leurs variables ni dans leur config.
_STATE_OUTSIDE_VARIABLES = {"IndexLookup", "TextVectorization", "StringLookup", "IntegerLookup", "Lambda",
                            "TFSMLayer", "TorchModuleWrapper", "JaxLayer", "FlaxLayer"}


def _model_signature(model):
    """Architecture, variables et compilation d'un modèle séquentiel ou fonctionnel de couches Keras standard,
    noms des couches remplacés par leur rang ; `None` si on ne peut pas le décrire sûrement (modèle ou couche
    écrits à la main, compilation non sérialisable)."""
    import json

    import keras

    try:
        if type(model) not in (keras.Sequential, keras.Model) and type(model).__name__ != "Functional":
            return None
        overridden = [name for name, value in vars(model).items()  # ex. `model.fit = ...` sur cet objet-là
                      if callable(value) and callable(getattr(type(model), name, None))
                      and name not in ("build", "quantize")]  # ces deux-là, Keras les enveloppe lui-même
        if overridden:
            return None
        layers = list(model._flatten_layers(include_self=True))
        if any(not type(layer).__module__.startswith("keras.")
               or {base.__name__ for base in type(layer).__mro__} & _STATE_OUTSIDE_VARIABLES for layer in layers):
            return None
        names = {layer.name: f"couche-{index}" for index, layer in enumerate(layers)}
        names[model.optimizer.name] = "optimiseur"  # « sgd », puis « sgd_1 »... : le nom seul ne compte pas

        def canonical(value):
            if isinstance(value, dict):
                return {key: canonical(item) for key, item in value.items()}
            if isinstance(value, (list, tuple)):
                return [canonical(item) for item in value]
            if isinstance(value, str):
                return names.get(value, value)
            return value

        return json.dumps({
            "config": canonical(model.get_config()),
            "compile": canonical(model.get_compile_config()),
            "optimizer": type(model.optimizer).__name__,
            "trainable": [layer.trainable for layer in layers],
            "variables": [(tuple(v.shape), str(v.dtype), v.trainable) for v in model.variables],
        }, sort_keys=True, default=repr)
    except Exception:  # noqa: BLE001  (indescriptible : on ne réutilise pas)
        return None
