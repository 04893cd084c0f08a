"""Le `ServerApp` : le code du serveur du consortium (lancé par la SuperLink de Flower).

Sa fonction `main` lit la configuration du run, choisit la stratégie de Flower qu'elle demande, lance
les tours (`strategy.start`), puis écrit les résultats : métriques par tour, modèle final et
configuration, dans `results-dir/<nom du run>/`. Le serveur n'a aucune donnée : il ne voit que les
poids et les métriques que les hôpitaux renvoient.

Ce que la confidentialité différentielle (`differential-privacy = true`) garantit ici, et seulement ici :
les **poids** publiés à chaque tour, au niveau de l'hôpital : deux consortiums voisins ne diffèrent que par la
mise à jour d'un hôpital, remplacée par une mise à jour nulle (il répond, sans rien apprendre de ses données).
Remplacer un hôpital par un autre, ou retirer une patiente, déplace sa mise à jour écrêtée de 2C au plus :
la garantie est alors celle de σ/2. Pour que
le bruit σ·C/n de Flower corresponde à la sensibilité réelle C/n, la moyenne est à poids égaux (un hôpital
pèse 1/n, quel que soit son `num-examples`) et un tour sans la réponse des n hôpitaux n'est pas agrégé.
Les métriques (perte, AUC) et `num-examples` de chaque hôpital circulent en clair : hors de la garantie.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import keras
import numpy as np
from flwr.app import ArrayRecord, ConfigRecord, Context, MessageType
from flwr.serverapp import Grid, ServerApp
from flwr.serverapp import strategy as flower

from consortium import secure_aggregation
from consortium.task import build_model

app = ServerApp()

ROBUST = ("fedmedian", "fedtrimmedavg", "krum")
STRATEGIES = ("fedavg", "fedprox", *ROBUST)


class EqualWeights:
    """Sous DP : une moyenne à poids égaux. Le serveur fixe le poids de chaque réponse à 1.

    FedAvg pondère par `num-examples`, un nombre que chaque hôpital déclare lui-même. Le bruit de la DP est
    calibré pour une moyenne de n mises à jour écrêtées à C, chacune de poids 1/n (sensibilité C/n) :
    avec des poids inégaux, l'hôpital le plus lourd aurait une sensibilité plus grande que celle du calcul.
    """

    def aggregate_train(self, server_round, replies):
        replies = list(replies)
        for reply in replies:
            if not reply.has_error():
                for record in reply.content.metric_records.values():
                    record[self.weighted_by_key] = 1  # écrit par le serveur : l'hôpital ne choisit pas son poids
        return super().aggregate_train(server_round, replies)


class EqualFedAvg(EqualWeights, flower.FedAvg):
    """FedAvg à poids égaux (sous DP)."""


class EqualFedProx(EqualWeights, flower.FedProx):
    """FedProx à poids égaux (sous DP)."""


class HospitalLevelDP(flower.DifferentialPrivacyServerSideFixedClipping):
    """L'enveloppe DP de Flower, qui refuse d'agréger un tour où un hôpital n'a pas répondu.

    Flower ajoute un bruit σ·C/n, n = `num_sampled_clients` ; avec n − 1 réponses, la sensibilité devient
    C/(n − 1) pour le même bruit : le ε calculé ne vaudrait plus. Ce tour-là n'est donc pas publié (le modèle
    global reste celui du tour précédent, et rien n'est dépensé du budget de confidentialité).

    Le bruit de Flower est tiré du générateur global de NumPy (`np.random.normal`), que `main` a initialisé avec
    la graine **publique** du run (`seed`, envoyée à chaque hôpital et écrite dans config.json) : qui la connaît
    recalculerait ce bruit et le retrancherait. Avant chaque tour, le générateur repart donc d'une graine neuve
    tirée du système (`np.random.seed()`) : un run sous DP ne se rejoue pas à l'identique, c'est voulu.
    """

    def aggregate_train(self, server_round, replies):
        replies = list(replies)
        answered = sum(not reply.has_error() for reply in replies)
        if answered != self.num_sampled_clients:
            print(f"DP : tour {server_round} non agrégé ({answered}/{self.num_sampled_clients} hôpitaux ont "
                  "répondu ; le bruit est calibré pour tous)", flush=True)
            return None, None
        np.random.seed()  # graine neuve du système : le bruit ne se déduit pas de la graine publique du run
        return super().aggregate_train(server_round, replies)


def make_strategy(run_config: dict):
    """La stratégie de Flower que demande la configuration du run (`strategy`, `differential-privacy`...)."""
    name = str(run_config["strategy"])
    hospitals = int(run_config["num-hospitals"])
    # Tous les hôpitaux connectés participent à chaque tour ; le run attend au moins `min-hospitals` d'entre eux.
    common = dict(fraction_train=1.0, fraction_evaluate=1.0, min_available_nodes=int(run_config["min-hospitals"]),
                  min_train_nodes=int(run_config["min-hospitals"]), min_evaluate_nodes=int(run_config["min-hospitals"]))
    private = bool(run_config["differential-privacy"])
    if name == "fedavg":
        strategy = (EqualFedAvg if private else flower.FedAvg)(**common)
    elif name == "fedprox":  # FedAvg côté serveur ; la stratégie envoie `proximal-mu` aux hôpitaux
        strategy = (EqualFedProx if private else flower.FedProx)(proximal_mu=float(run_config["proximal-mu"]), **common)
    elif name == "fedmedian":  # médiane coordonnée par coordonnée (Yin et al., 2018)
        strategy = flower.FedMedian(**common)
    elif name == "fedtrimmedavg":  # moyenne sans les valeurs extrêmes de chaque côté (Yin et al., 2018)
        strategy = flower.FedTrimmedAvg(beta=0.34, **common)  # avec 3 hôpitaux : retire le plus haut et le plus bas
    elif name == "krum":  # garde la mise à jour la plus proche des autres (Blanchard et al., 2017)
        strategy = flower.Krum(num_malicious_nodes=max(0, (hospitals - 3) // 2), **common)
    else:
        raise ValueError(f"stratégie inconnue : {name!r} ; choix : {', '.join(STRATEGIES)}.")

    if private:
        if name in ROBUST:
            raise ValueError("differential-privacy = true se combine avec fedavg ou fedprox, pas avec une "
                             f"stratégie robuste ({name}) : le bruit est calibré pour une moyenne.")
        # Confidentialité différentielle au niveau des hôpitaux (McMahan et al., 2018) : chaque mise à jour
        # est écrêtée à la norme `dp-clipping-norm`, la moyenne est à poids égaux (EqualFedAvg), puis un bruit
        # gaussien d'écart-type dp-noise-multiplier × dp-clipping-norm / num-hospitals lui est ajouté ;
        # un tour sans tous les hôpitaux n'est pas agrégé (HospitalLevelDP).
        strategy = HospitalLevelDP(strategy, noise_multiplier=float(run_config["dp-noise-multiplier"]),
                                   clipping_norm=float(run_config["dp-clipping-norm"]), num_sampled_clients=hospitals)
    return strategy


class Attendance:
    """La `Grid` de Flower, plus l'appel des hôpitaux : qui a répondu à chaque tour, et un délai d'attente.

    Une stratégie de Flower attend, avant chaque tour, que `min-hospitals` hôpitaux soient connectés :
    sans limite de temps. Si un hôpital tombe pour de bon, le consortium attendrait indéfiniment.
    Ici, après `wait-for-hospitals` secondes sans assez d'hôpitaux, le run s'arrête avec un message clair.
    """

    def __init__(self, grid: Grid, *, min_hospitals: int, patience: float):
        self.grid, self.min_hospitals, self.patience = grid, min_hospitals, patience
        self.short_since = None  # depuis quand il manque des hôpitaux

    def get_node_ids(self):
        node_ids = list(self.grid.get_node_ids())
        if len(node_ids) >= self.min_hospitals:
            self.short_since = None
        elif self.short_since is None:
            self.short_since = time.monotonic()
        elif time.monotonic() - self.short_since > self.patience:
            raise RuntimeError(f"Seulement {len(node_ids)} hôpital(aux) connecté(s) depuis {self.patience:.0f} s, "
                               f"il en faut {self.min_hospitals} (min-hospitals) : le run s'arrête. Vérifiez les "
                               "SuperNodes des hôpitaux (processus arrêté, réseau, certificat).")
        return node_ids

    def send_and_receive(self, messages, *, timeout=None):
        messages = list(messages)
        replies = list(self.grid.send_and_receive(messages, timeout=timeout))
        answered = {reply.metadata.src_node_id for reply in replies if not reply.has_error()}
        missing = sorted({m.metadata.dst_node_id for m in messages} - answered)
        phase = "entraînement" if messages and messages[0].metadata.message_type == MessageType.TRAIN else "évaluation"
        line = f"{phase} : {len(answered)}/{len(messages)} hôpitaux ont répondu"
        if missing:
            line += f" ; sans réponse valable : nœuds {missing} (le tour continue sans eux)"
        errors = {reply.error.reason.strip().splitlines()[-1] for reply in replies if reply.has_error()}
        print(line + "".join(f"\n    erreur d'un hôpital : {error}" for error in sorted(errors)), flush=True)
        return replies

    def __getattr__(self, name):  # tout le reste : la Grid de Flower telle quelle
        return getattr(self.grid, name)


@app.main()
def main(grid: Grid, context: Context) -> None:
    run_config = dict(context.run_config)
    num_rounds = int(run_config["num-server-rounds"])
    started = time.perf_counter()

    keras.utils.set_random_seed(int(run_config["seed"]))  # le même modèle initial à chaque run
    model = build_model(float(run_config["learning-rate"]))  # le modèle initial, le même pour tous les hôpitaux
    initial_weights = model.get_weights()

    if run_config["secure-aggregation"]:
        if run_config["strategy"] != "fedavg" or run_config["differential-privacy"]:
            # SecAgg+ avec écrêtage côté client (recommandation de l'atelier 2) : cette application ne le propose
            # pas. L'écrêtage côté serveur, lui, a besoin de chaque mise à jour, que SecAgg+ cache.
            raise ValueError("secure-aggregation = true demande strategy = \"fedavg\" sans differential-privacy : "
                             "avec SecAgg+, le serveur ne voit que la somme des poids, pas chaque mise à jour ; "
                             "l'application ne propose pas SecAgg+ avec écrêtage côté client.")
        outcome = secure_aggregation.run_fedavg(grid, context, initial_weights, num_rounds=num_rounds,
                                                num_hospitals=int(run_config["num-hospitals"]),
                                                local_epochs=int(run_config["local-epochs"]))
        final_weights, rounds = outcome["weights"], outcome["rounds"]
    else:
        strategy = make_strategy(run_config)
        result = strategy.start(
            grid=Attendance(grid, min_hospitals=int(run_config["min-hospitals"]),
                            patience=float(run_config["wait-for-hospitals"])),
            initial_arrays=ArrayRecord(initial_weights),  # les poids du tour 1
            num_rounds=num_rounds,
            timeout=float(run_config["round-timeout"]),  # un hôpital muet n'arrête pas le consortium
            # les réglages envoyés aux hôpitaux à chaque tour (la stratégie y ajoute le numéro du tour)
            train_config=ConfigRecord({"local-epochs": int(run_config["local-epochs"])}),
        )
        final_weights = result.arrays.to_numpy_ndarrays()
        rounds = rounds_from_result(result, num_rounds)

    model.set_weights(final_weights)
    folder = save_results(run_config, model, rounds, seconds=time.perf_counter() - started)
    print(f"Résultats écrits dans {folder}")


def rounds_from_result(result, num_rounds: int) -> list[dict]:
    """Une ligne par tour : les métriques d'entraînement et d'évaluation, moyennées sur les hôpitaux."""
    rounds = []
    for server_round in range(1, num_rounds + 1):
        row = {"round": server_round}
        for phase, records in (("train", result.train_metrics_clientapp),
                               ("evaluate", result.evaluate_metrics_clientapp)):
            for name, value in dict(records.get(server_round, {})).items():
                row[f"{phase}_{name}"] = float(value)
        rounds.append(row)
    return rounds


def save_results(run_config: dict, model, rounds: list[dict], *, seconds: float) -> Path:
    """Écrit `config.json`, `metrics.json` (une ligne par tour) et `model.keras` ; renvoie le dossier."""
    name = str(run_config.get("run-name") or "") or time.strftime("%Y%m%d-%H%M%S") + f"-{run_config['strategy']}"
    folder = Path(str(run_config["results-dir"])).expanduser() / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(run_config, indent=2, ensure_ascii=False), encoding="utf-8")
    (folder / "metrics.json").write_text(json.dumps({"rounds": rounds, "seconds": round(seconds, 1)}, indent=2),
                                         encoding="utf-8")
    model.save(folder / "model.keras")
    return folder
