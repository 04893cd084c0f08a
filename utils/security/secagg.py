"""Agrégation sécurisée : un petit ServerApp Flower avec ou sans SecAgg+ (`SecAggPlusWorkflow`)."""
from __future__ import annotations

from typing import Iterable

import numpy as np


def run_secagg_demo(num_clients: int = 5, *, dimension: int = 1000, rounds: int = 1, secure: bool = True,
                    attackers: Iterable[int] = (), attack_factor: float = -20.0, seed: int = 0) -> dict:
    """Un tour d'agrégation avec ou sans SecAgg+ (Bell et al., 2020), dans un petit ServerApp de Flower.

    Ce que SecAgg+ cache ici : les `ArrayRecord` (la mise à jour). Ce qu'il ne cache pas : le nombre d'exemples et
    les métriques de chaque client (en clair dans la réponse), ni les réponses d'évaluation. Il suppose un serveur
    honnête mais curieux (qui suit le protocole).

    Chaque client a une « mise à jour » de `dimension` nombres ; le serveur fait FedAvg.
    - `secure=True` : `secaggplus_mod` sur les clients et `SecAggPlusWorkflow` sur le serveur. Dans Flower 1.41,
      SecAgg+ n'existe que dans le flux « hérité » (`LegacyContext` + `DefaultWorkflow`, stratégie de
      `flwr.server.strategy`, client `NumPyClient`) : `run_flower_simulation` du cours (API Message) ne peut
      pas le porter, d'où ce ServerApp dédié, lancé par `flwr.simulation.run_simulation` (clients dans ce processus) ;
    - `secure=False` : le même ServerApp et les mêmes clients, sans le mod ni le flux SecAgg+.
    Les `attackers` multiplient leur mise à jour par `attack_factor` avant l'envoi (une mise à jour empoisonnée).

    Renvoie : `seen` (ce que le serveur a reçu du client de `partition-id` 0 : sa mise à jour en clair, ou le
    vecteur masqué et quantifié de SecAgg+), `true_update` (la mise à jour de ce client), `aggregate` (le modèle
    agrégé), `expected_mean` (la moyenne exacte de ce que les clients ont voulu envoyer), `seconds` (durée de la
    simulation) et `messages` (nombre de messages échangés).
    """
    import copy
    import time

    from flwr.client import NumPyClient
    from flwr.client.mod import secaggplus_mod
    from flwr.clientapp import ClientApp
    from flwr.common import bytes_to_ndarray, ndarrays_to_parameters
    from flwr.server import LegacyContext, ServerApp, ServerConfig
    from flwr.server.strategy import FedAvg as LegacyFedAvg
    from flwr.server.workflow import DefaultWorkflow, SecAggPlusWorkflow
    from flwr.simulation import run_simulation

    from ..federated.flower_internals import in_process_backend, quiet

    rng = np.random.default_rng(seed)
    updates = [rng.normal(0.0, 0.1, size=dimension).astype(np.float32) for _ in range(num_clients)]
    attackers = {int(a) for a in attackers}
    sent = [u * attack_factor if i in attackers else u for i, u in enumerate(updates)]
    record = {"seen": {}, "aggregate": None, "messages": 0}

    class UpdateClient(NumPyClient):
        def __init__(self, partition_id):
            self.partition_id = partition_id

        def fit(self, parameters, config):
            return [sent[self.partition_id]], 10, {}  # même poids pour tous : FedAvg = moyenne simple

    def client_fn(context):
        return UpdateClient(int(context.node_config["partition-id"])).to_client()

    def spy_mod(msg, context, call_next):  # ce qui quitte le client (après le masquage de secaggplus_mod)
        # Clients dans ce processus : le message n'est pas sérialisé comme sur un réseau, et secaggplus_mod
        # modifie sa configuration ; chaque client travaille donc sur sa propre copie.
        msg.content = copy.deepcopy(msg.content)
        reply = call_next(msg, context)
        partition_id = int(context.node_config["partition-id"])
        if partition_id == 0 and not reply.has_error():
            for config in reply.content.config_records.values():
                if "masked_params" in config:  # SecAgg+ : le vecteur masqué (entiers modulo, quantifiés)
                    masked = [bytes_to_ndarray(b) for b in config["masked_params"]]
                    record["seen"][0] = max(masked, key=np.size)
            for name, arrays in reply.content.array_records.items():
                values = arrays.to_numpy_ndarrays()
                if "parameters" in name and values:  # sans SecAgg+ : la mise à jour en clair
                    record["seen"][0] = values[0]
        record["messages"] += 1
        return reply

    mods = [spy_mod, secaggplus_mod] if secure else [spy_mod]
    client_app = ClientApp(client_fn=client_fn, mods=mods)
    server_app = ServerApp()

    @server_app.main()
    def main(grid, context):
        strategy = LegacyFedAvg(fraction_fit=1.0, fraction_evaluate=0.0, min_fit_clients=num_clients,
                                min_available_clients=num_clients,
                                initial_parameters=ndarrays_to_parameters([np.zeros(dimension, np.float32)]))
        legacy = LegacyContext(context=context, config=ServerConfig(num_rounds=rounds), strategy=strategy)
        fit_workflow = (SecAggPlusWorkflow(num_shares=num_clients, reconstruction_threshold=num_clients - 1,
                                           clipping_range=8.0) if secure else None)
        DefaultWorkflow(fit_workflow=fit_workflow)(grid, legacy)
        record["aggregate"] = legacy.state.array_records["parameters"].to_numpy_ndarrays()[0]  # le modèle agrégé

    start = time.perf_counter()
    with quiet(), in_process_backend():  # les clients dans ce processus (utils.federated.flower_internals)
        run_simulation(server_app=server_app, client_app=client_app, num_supernodes=num_clients)
    seconds = time.perf_counter() - start
    return {"seen": record["seen"].get(0), "true_update": sent[0], "aggregate": record["aggregate"],
            "expected_mean": np.mean(sent, axis=0), "seconds": seconds, "messages": record["messages"]}
