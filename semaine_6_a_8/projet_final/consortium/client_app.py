"""Le `ClientApp` : le code qui tourne dans chaque hôpital (une SuperNode de Flower).

Il reçoit un `Message` du serveur et répond par un `Message` :
- `@app.train()` : le contenu reçu porte les poids globaux (`ArrayRecord` « arrays ») et les réglages
  du tour (`ConfigRecord` « config ») ; l'hôpital entraîne sur ses données et renvoie ses poids et ses
  métriques (`MetricRecord` « metrics », avec `num-examples`, le poids de l'hôpital dans la moyenne de FedAvg, sauf
  sous DP où tous pèsent autant ; ces métriques partent en clair, même avec SecAgg+) ;
- `@app.evaluate()` : l'hôpital évalue les poids reçus sur sa part de validation.
Les images ne quittent jamais l'hôpital : seuls des poids et des nombres partent dans le `Message`.

`context.node_config` dit qui est l'hôpital (`partition-id`, `num-partitions`, fixés au démarrage de
la SuperNode) ; `context.run_config` porte la configuration du run (`pyproject.toml`, `--run-config`).
"""
from __future__ import annotations

from flwr.app import ArrayRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from consortium import secure_aggregation
from consortium.task import evaluate, flip_update, fresh_model, load_hospital_data, train

# `secure_aggregation.mod` : le protocole SecAgg+ de Flower quand le run le demande, sinon rien.
app = ClientApp(mods=[secure_aggregation.mod])


def hospital_data(context: Context) -> dict:
    """Les données de cet hôpital, d'après sa configuration de nœud et celle du run."""
    return load_hospital_data(int(context.node_config["partition-id"]), int(context.node_config["num-partitions"]),
                              source=str(context.run_config["data-source"]),
                              alpha=float(context.run_config["dirichlet-alpha"]), seed=int(context.run_config["seed"]))


@app.train()
def train_on_hospital_data(msg: Message, context: Context) -> Message:
    received = secure_aggregation.read(msg)  # poids globaux et réglages (format de SecAgg+ compris)
    config, run_config = received["config"], context.run_config
    partition_id = int(context.node_config["partition-id"])
    data = hospital_data(context)

    # Le modèle global reçu ; graine propre à cet hôpital et à ce tour : un run se rejoue à l'identique.
    model = fresh_model(received["weights"], float(run_config["learning-rate"]),
                        seed=int(run_config["seed"]) + 1000 * int(config.get("server-round", 0)) + partition_id)
    metrics = train(model, data["x"], data["y"], epochs=int(config["local-epochs"]),  # réglage envoyé par le serveur
                    batch_size=int(run_config["batch-size"]),
                    proximal_mu=float(config.get("proximal-mu", 0.0)))  # envoyé par la stratégie FedProx
    weights = model.get_weights()
    if partition_id == int(run_config["malicious-hospital"]):  # l'exercice d'attaque : un hôpital malveillant
        weights = flip_update(received["weights"], weights)

    metrics["num-examples"] = len(data["x"])  # FedAvg pondère chaque hôpital par ce nombre
    if secure_aggregation.is_legacy(msg):
        return secure_aggregation.train_reply(msg, weights, metrics)
    content = RecordDict({"arrays": ArrayRecord(weights), "metrics": MetricRecord(metrics)})
    return Message(content=content, reply_to=msg)


@app.evaluate()
def evaluate_on_hospital_data(msg: Message, context: Context) -> Message:
    received = secure_aggregation.read(msg)
    data = hospital_data(context)
    model = fresh_model(received["weights"], float(context.run_config["learning-rate"]))
    metrics = evaluate(model, data["x_val"], data["y_val"])
    metrics["num-examples"] = len(data["x_val"])
    if secure_aggregation.is_legacy(msg):
        return secure_aggregation.evaluate_reply(msg, metrics)
    return Message(content=RecordDict({"metrics": MetricRecord(metrics)}), reply_to=msg)
