"""Empoisonnement du modèle : un *mod* Flower du `ClientApp` qui fausse la mise à jour des hôpitaux attaquants."""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np


class ModelPoisoningMod:
    """Un *mod* Flower du `ClientApp` qui fausse la mise à jour des hôpitaux attaquants.

    Un mod est une fonction `(message, context, call_next) -> réponse` que Flower appelle autour du
    `train` du client : il laisse le client s'entraîner normalement (`call_next`), puis, si l'hôpital
    (`context.node_config["partition-id"]`) est dans `attackers`, remplace les poids renvoyés. Avec
    Δ = w_local − w_global (la mise à jour honnête) :

    - `mode="scale"` : w_global + `factor`·Δ (mise à jour amplifiée : remplacement du modèle,
      Bagdasaryan et al., 2020, avec `factor` = 1 / poids de l'attaquant dans FedAvg,
      soit n pour n hôpitaux de même taille) ;
    - `mode="sign-flip"` : w_global − `factor`·Δ (on pousse le modèle dans la direction opposée) ;
    - `mode="noise"` : w_global + bruit gaussien de même norme que `factor`·Δ.

    Une classe plutôt qu'une fonction imbriquée : Ray la transporte vers les processus des clients.
    """

    def __init__(self, attackers: Iterable[int], mode: str = "sign-flip", factor: float = 5.0, seed: int = 0):
        if mode not in ("scale", "sign-flip", "noise"):
            raise ValueError(f"mode inconnu : {mode!r} (choix : 'scale', 'sign-flip', 'noise')")
        self.attackers = {int(a) for a in attackers}
        self.mode = mode
        self.factor = float(factor)
        self.seed = int(seed)

    def __repr__(self) -> str:
        return f"ModelPoisoningMod(attackers={sorted(self.attackers)}, mode={self.mode!r}, factor={self.factor:g})"

    def poison(self, global_weights: Sequence[np.ndarray], local_weights: Sequence[np.ndarray],
               rng: np.random.Generator | None = None) -> list[np.ndarray]:
        """Les poids que l'attaquant envoie à la place de `local_weights`."""
        update = [np.asarray(l, dtype=np.float64) - np.asarray(g, dtype=np.float64)
                  for g, l in zip(global_weights, local_weights)]
        if self.mode == "scale":
            poisoned = [g + self.factor * u for g, u in zip(global_weights, update)]
        elif self.mode == "sign-flip":
            poisoned = [g - self.factor * u for g, u in zip(global_weights, update)]
        else:
            rng = rng or np.random.default_rng(self.seed)
            norm = self.factor * np.sqrt(sum(float(np.sum(u ** 2)) for u in update))
            noise = [rng.normal(size=np.shape(u)) for u in update]
            scale = norm / max(np.sqrt(sum(float(np.sum(n ** 2)) for n in noise)), 1e-12)
            poisoned = [g + scale * n for g, n in zip(global_weights, noise)]
        return [np.asarray(p, dtype=np.asarray(l).dtype) for p, l in zip(poisoned, local_weights)]

    def __call__(self, msg, context, call_next):
        from flwr.app import ArrayRecord

        reply = call_next(msg, context)
        partition_id = int(context.node_config["partition-id"])
        if (partition_id not in self.attackers or msg.metadata.message_type != "train"
                or reply.has_error() or "arrays" not in reply.content):
            return reply  # hôpital honnête, évaluation, ou erreur : rien à changer
        global_weights = msg.content["arrays"].to_numpy_ndarrays()  # ce que le serveur a envoyé
        local_weights = reply.content["arrays"].to_numpy_ndarrays()  # ce que le client a appris
        round_number = int(msg.content["config"].get("server-round", 0)) if "config" in msg.content else 0
        rng = np.random.default_rng([self.seed, partition_id, round_number])
        reply.content["arrays"] = ArrayRecord(self.poison(global_weights, local_weights, rng))
        return reply
