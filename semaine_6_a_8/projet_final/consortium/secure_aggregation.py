"""L'agrégation sécurisée SecAgg+ (Bell et al., 2020), telle que Flower 1.41 la fournit.

Avec SecAgg+, chaque hôpital masque ses poids avec des masques partagés avec quelques voisins (un graphe
de O(log n) voisins, là où SecAgg de Bonawitz et al. en partage avec tous) et un masque personnel ; les
masques s'annulent dans la somme : le serveur apprend la somme des poids, jamais ceux d'un hôpital.
Ce que le serveur voit encore en clair : les métriques de chaque hôpital (perte, exactitude, `num-examples`)
et chaque réponse d'évaluation (perte et AUC de validation par hôpital). La garantie suppose aussi un
serveur honnête mais curieux : il suit le protocole. Dans Flower 1.41, SecAgg+ n'existe que dans l'API « héritée » (avant l'API Message) :
- côté serveur, `SecAggPlusWorkflow` dans un `DefaultWorkflow`, avec une stratégie de `flwr.server.strategy`
  (`FedAvg` : une moyenne pondérée est une somme, ce que SecAgg+ sait calculer) ;
- côté hôpital, le mod `secaggplus_mod`, et des messages au format hérité (`fitins.parameters`,
  `fitres.parameters`...).
Ce module réunit tout ce que ce format demande, pour que `client_app.py` et `server_app.py` restent
écrits avec l'API Message.

Conséquence à retenir : le serveur ne voit plus les mises à jour une à une. Une stratégie robuste
(médiane, Krum), qui a besoin de chacune, est donc impossible avec le SecAgg+ de Flower (il faudrait un
protocole dédié) : `server_app.py` le refuse. De même pour l'écrêtage côté serveur de la DP ; et
l'application ne propose pas SecAgg+ avec écrêtage côté client.
"""
from __future__ import annotations

import numpy as np
from flwr.app import Context, Message
from flwr.client.mod import secaggplus_mod
from flwr.common import Code, EvaluateRes, FitRes, Status, ndarrays_to_parameters, parameters_to_ndarrays
from flwr.compat.common import recorddict_compat as compat
from flwr.server import LegacyContext, ServerConfig
from flwr.server.strategy import FedAvg as LegacyFedAvg
from flwr.server.workflow import DefaultWorkflow, SecAggPlusWorkflow

OK = Status(code=Code.OK, message="")


# ============================================================================ côté hôpital
def mod(msg: Message, context: Context, call_next) -> Message:
    """Le mod `secaggplus_mod` de Flower, seulement quand le run a `secure-aggregation = true`."""
    if context.run_config.get("secure-aggregation", False):
        return secaggplus_mod(msg, context, call_next)
    return call_next(msg, context)


def is_legacy(msg: Message) -> bool:
    """Vrai si le message vient du flux hérité (SecAgg+) plutôt que d'une stratégie de l'API Message."""
    return any(name.startswith(("fitins.", "evaluateins.")) for name in msg.content.keys())


def read(msg: Message) -> dict:
    """Les poids globaux (`weights`) et les réglages du tour (`config`), quel que soit le format."""
    if not is_legacy(msg):
        return {"weights": msg.content["arrays"].to_numpy_ndarrays(), "config": dict(msg.content["config"])}
    if "fitins.parameters" in msg.content.keys():
        ins = compat.recorddict_to_fitins(msg.content, keep_input=True)
    else:
        ins = compat.recorddict_to_evaluateins(msg.content, keep_input=True)
    return {"weights": parameters_to_ndarrays(ins.parameters), "config": dict(ins.config)}


def train_reply(msg: Message, weights, metrics: dict) -> Message:
    """La réponse d'entraînement au format hérité ; `secaggplus_mod` masque ensuite les poids."""
    metrics = dict(metrics)
    num_examples = int(metrics.pop("num-examples"))
    result = FitRes(status=OK, parameters=ndarrays_to_parameters(weights), num_examples=num_examples, metrics=metrics)
    return Message(content=compat.fitres_to_recorddict(result, keep_input=True), reply_to=msg)


def evaluate_reply(msg: Message, metrics: dict) -> Message:
    """La réponse d'évaluation au format hérité."""
    metrics = dict(metrics)
    num_examples = int(metrics.pop("num-examples"))
    result = EvaluateRes(status=OK, loss=float(metrics["loss"]), num_examples=num_examples, metrics=metrics)
    return Message(content=compat.evaluateres_to_recorddict(result), reply_to=msg)


# ============================================================================ côté serveur
def weighted_average(results) -> dict:
    """Moyenne des métriques des hôpitaux, pondérée par leur nombre d'exemples."""
    total = sum(num_examples for num_examples, _ in results)
    names = results[0][1].keys() if results else []
    return {name: sum(n * metrics[name] for n, metrics in results) / total for name in names}


def run_fedavg(grid, context: Context, initial_weights, *, num_rounds: int, num_hospitals: int,
               local_epochs: int) -> dict:
    """FedAvg avec SecAgg+ pendant `num_rounds` tours ; renvoie les poids finaux et les métriques par tour.

    Tous les hôpitaux sont nécessaires à chaque tour ; les masques sont partagés entre tous
    (`num_shares`), et il suffit de `num_hospitals − 1` hôpitaux pour reconstruire un masque si un
    hôpital disparaît en cours de tour (`reconstruction_threshold`).
    """
    strategy = LegacyFedAvg(fraction_fit=1.0, fraction_evaluate=1.0, min_fit_clients=num_hospitals,
                            min_evaluate_clients=num_hospitals, min_available_clients=num_hospitals,
                            initial_parameters=ndarrays_to_parameters(initial_weights),
                            # comme les stratégies de l'API Message : le numéro du tour dans la configuration
                            on_fit_config_fn=lambda server_round: {"server-round": server_round,
                                                                   "local-epochs": local_epochs},
                            on_evaluate_config_fn=lambda server_round: {"server-round": server_round},
                            fit_metrics_aggregation_fn=weighted_average,
                            evaluate_metrics_aggregation_fn=weighted_average)
    legacy = LegacyContext(context=context, config=ServerConfig(num_rounds=num_rounds), strategy=strategy)
    # clipping_range : SecAgg+ quantifie les poids sur [−8, 8] (entiers modulo) ; nos poids y tiennent largement.
    secagg = SecAggPlusWorkflow(num_shares=num_hospitals, reconstruction_threshold=max(2, num_hospitals - 1),
                                clipping_range=8.0)
    DefaultWorkflow(fit_workflow=secagg)(grid, legacy)

    history = legacy.history
    rounds = {}
    for phase, series in (("train", history.metrics_distributed_fit), ("evaluate", history.metrics_distributed)):
        for name, values in series.items():
            for server_round, value in values:
                rounds.setdefault(server_round, {"round": server_round})[f"{phase}_{name}"] = float(value)
    weights = [np.asarray(w) for w in legacy.state.array_records["parameters"].to_numpy_ndarrays()]
    return {"weights": weights, "rounds": [rounds[r] for r in sorted(rounds)]}


__all__ = ["evaluate_reply", "is_legacy", "mod", "read", "run_fedavg", "train_reply"]
