"""L'agrégation FedAvg, écrite simplement pour être lue.

FedAvg (McMahan et al., 2017) fait la moyenne des poids des modèles locaux, chaque client
pesant selon son nombre d'exemples : un hôpital de 300 patientes compte trois fois plus
qu'un hôpital de 100 patientes.

`weights_nbytes` mesure ce qu'un client envoie ou reçoit à chaque tour (le coût de communication).
"""
from __future__ import annotations

import numpy as np


def fedavg(weights_per_client, num_examples) -> list[np.ndarray]:
    """Moyenne des poids des clients, pondérée par leur nombre d'exemples.

    `weights_per_client` : une liste (un élément par client) de listes de tableaux NumPy,
    comme celles que renvoie `model.get_weights()` de Keras.
    `num_examples` : le nombre d'exemples d'entraînement de chaque client.
    Renvoie une liste de tableaux de mêmes formes : les poids du modèle global.
    """
    weights_per_client = [list(weights) for weights in weights_per_client]
    num_examples = [float(n) for n in num_examples]
    _check(weights_per_client, num_examples)

    total = sum(num_examples)
    averaged = []
    for layer in range(len(weights_per_client[0])):
        # Somme des poids de cette couche, chaque client comptant pour n_k / n.
        layer_sum = np.zeros(np.shape(weights_per_client[0][layer]), dtype=np.float64)
        for weights, n_k in zip(weights_per_client, num_examples):
            layer_sum += (n_k / total) * np.asarray(weights[layer], dtype=np.float64)
        averaged.append(layer_sum.astype(np.result_type(weights_per_client[0][layer], np.float32)))
    return averaged


def weights_nbytes(weights) -> int:
    """Taille en octets d'une liste de tableaux de poids (ce qu'un client envoie ou reçoit en un message)."""
    return int(sum(np.asarray(w).nbytes for w in weights))


def _check(weights_per_client, num_examples) -> None:
    if not weights_per_client:
        raise ValueError("fedavg : aucun client à agréger.")
    if len(weights_per_client) != len(num_examples):
        raise ValueError(f"fedavg : {len(weights_per_client)} listes de poids mais "
                         f"{len(num_examples)} nombres d'exemples ; il en faut un par client.")
    if any(n < 0 for n in num_examples) or sum(num_examples) <= 0:
        raise ValueError(f"fedavg : les nombres d'exemples doivent être positifs et non tous nuls (reçu : {num_examples}).")
    reference = [np.shape(w) for w in weights_per_client[0]]
    for client, weights in enumerate(weights_per_client[1:], start=1):
        shapes = [np.shape(w) for w in weights]
        if shapes != reference:
            raise ValueError(f"fedavg : les poids du client {client} n'ont pas la même forme que ceux du client 0 "
                             f"({shapes} au lieu de {reference}) : tous les clients doivent avoir le même modèle.")
