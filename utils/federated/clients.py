"""Ce que chaque client d'une simulation garde entre deux messages : son modèle Keras, construit une fois par simulation.

Le `ClientApp` (voir `apps.make_client_app`) appelle `ClientLoader(partition_id, server_round)` à chaque message :
on lui rend le modèle, optimiseur remis à neuf (comme un client qui vient de recevoir le modèle), graine fixée à
`seed + 1000 * tour + client` (sans vider le cache des noyaux de TensorFlow : `tensorflow_internals`), et les
données du client. Dans ce processus (par défaut), le modèle est aussi repris
d'une simulation à l'autre (`model_reuse.reuse_model`) ; avec `engine="ray"`, chaque acteur Ray garde le sien.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .model_reuse import check_compiled, reuse_model
from .tensorflow_internals import set_seeds_keeping_kernels


@dataclass(frozen=True)
class ClientSpec:
    """Ce que le `ClientApp` emporte : la fonction qui construit le modèle, les données de chaque client, la graine."""

    token: str
    model_fn: Callable
    data: list
    seed: int
    in_process: bool = True


_STATE: dict = {}  # le modèle et les données de la simulation en cours, pour ce processus


class ClientLoader:
    """Le `load_client(partition_id, server_round)` du `ClientApp` : (modèle prêt, données du client)."""

    def __init__(self, spec: ClientSpec):
        self.spec = spec

    def __call__(self, partition_id: int, server_round: int):
        state = _client_state(self.spec)
        model = state["model"]
        for variable, start in zip(model.optimizer.variables, state["optimizer_start"]):
            variable.assign(start)
        # `keras.utils.set_random_seed`, sans vider le cache des noyaux de TensorFlow (voir `tensorflow_internals`)
        set_seeds_keeping_kernels(self.spec.seed + 1000 * int(server_round) + int(partition_id))
        return model, self.spec.data[int(partition_id)]


def current_client_model():
    """Le modèle des clients de la dernière simulation de ce processus (pour les tests)."""
    return _STATE.get("model")


def _client_state(spec: ClientSpec) -> dict:
    global _STATE
    if _STATE.get("token") == spec.token:
        return _STATE
    import keras

    if not spec.in_process:  # un acteur Ray : une session Keras neuve par simulation
        keras.backend.clear_session()
    model = spec.model_fn()
    check_compiled(model)
    if spec.in_process:  # le même modèle qu'à la simulation précédente : ses fonctions TensorFlow sont déjà tracées
        model = reuse_model("client", model)
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    _STATE = {"token": spec.token, "model": model,
              "optimizer_start": [np.array(v.numpy()) for v in model.optimizer.variables]}
    return _STATE
