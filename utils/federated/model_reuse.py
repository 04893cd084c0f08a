"""Le modèle Keras d'une simulation : vérifier qu'il est compilé, et le réutiliser d'une simulation à l'autre.

Chaque simulation reconstruit son modèle avec `model_fn` ; Keras retrace alors ses fonctions d'entraînement et
d'évaluation (plusieurs secondes pour un CNN sur 2 cœurs). `reuse_model` garde, par rôle (« client », « server »),
le dernier modèle utilisé dans ce processus et le remet dans l'état exact d'un modèle neuf quand l'architecture
et la compilation sont les mêmes : mêmes chiffres, sans retraçage. Rien ici ne dépend de Flower.
"""
from __future__ import annotations

import numpy as np


def check_compiled(model) -> None:
    """Refuse, avec un message en français, ce qui n'est pas un modèle Keras compilé."""
    if not hasattr(model, "get_weights") or not hasattr(model, "fit"):
        raise TypeError(f"model_fn doit renvoyer un modèle Keras, pas {type(model).__name__}.")
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", True):
        raise ValueError("model_fn doit renvoyer un modèle **compilé** : appelez model.compile(optimizer=..., "
                         "loss=..., metrics=[...]) avant de le renvoyer.")


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
        layers = _all_layers(model)
        if any(not type(layer).__module__.startswith("keras.")
               or {base.__name__ for base in type(layer).__mro__} & _STATE_OUTSIDE_VARIABLES for layer in layers):
            return None
        config = model.get_config()
        names = {name: f"couche-{index}" for index, name in enumerate(
            dict.fromkeys([layer.name for layer in layers] + _layer_names_in(config)))}
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
            "config": canonical(config),
            "compile": canonical(model.get_compile_config()),
            "optimizer": type(model.optimizer).__name__,
            "trainable": [layer.trainable for layer in layers],
            "variables": [(tuple(v.shape), str(v.dtype), v.trainable) for v in model.variables],
        }, sort_keys=True, default=repr)
    except Exception:  # noqa: BLE001  (indescriptible : on ne réutilise pas)
        return None


def _all_layers(layer) -> list:
    """La couche (ou le modèle) puis, en profondeur d'abord, toutes les couches qu'elle contient."""
    found = [layer]
    for inner in getattr(layer, "layers", []):
        found.extend(_all_layers(inner))
    return found


def _layer_names_in(config) -> list:
    """Les noms de couches d'une configuration Keras (l'`InputLayer` d'un `Sequential` n'est pas dans `.layers`)."""
    found = []
    if isinstance(config, dict):
        if "class_name" in config and isinstance(config.get("config"), dict) and "name" in config["config"]:
            found.append(config["config"]["name"])
        for value in config.values():
            found.extend(_layer_names_in(value))
    elif isinstance(config, list):
        for value in config:
            found.extend(_layer_names_in(value))
    return found
