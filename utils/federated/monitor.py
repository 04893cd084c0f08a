"""Le suivi d'une simulation Flower : progression tour par tour, tableau des métriques, erreurs des clients.

Rien de ce module n'est nécessaire à Flower : il observe les messages que la stratégie échange avec les
clients (`Monitor.watch` enveloppe le `Grid` de Flower), affiche une ligne par tour, range les métriques
de chaque client dans un DataFrame, arrête la simulation dès qu'un client échoue (ou ne répond plus)
et traduit l'erreur en un message qui nomme le client.
"""
from __future__ import annotations

import re
import threading
import time

import numpy as np
import pandas as pd

GLOBAL = "global"
_ERROR_PATTERN = re.compile(r"«client (\d+)»(.*?)«fin»", re.S)


class FederatedClientError(RuntimeError):
    """Un client a échoué (ou n'a pas répondu) pendant une simulation fédérée."""

    def __init__(self, message: str, client: str | None = None):
        super().__init__(message)
        self.client = client


def label_client_errors(msg, context, call_next):
    """« Mod » Flower du `ClientApp` : l'erreur d'un client porte son numéro, que le serveur retrouvera."""
    client = int(context.node_config["partition-id"])
    try:
        return call_next(msg, context)
    except Exception as error:
        detail = f"{type(error).__name__}: {error}"
        raise RuntimeError(f"«client {client}»{detail}«fin»") from error


class Monitor:
    """Suit la simulation côté serveur : réponses des clients, ligne de progression, tableau final."""

    def __init__(self, names, num_rounds, timeout_s, verbose, started):
        self.names, self.num_rounds, self.timeout_s = list(names), num_rounds, float(timeout_s)
        self.verbose, self.started = verbose, started
        self.rows: dict[tuple[int, int], dict] = {}
        self.val: dict[int, dict] = {}
        self.result = None
        self.cancel = threading.Event()
        self.round_started = started
        self.node_to_client: dict[int, int] = {}

    def watch(self, grid):
        """Le `Grid` de Flower, observé par ce suivi (appelé par le `main` du ServerApp)."""
        return _ObservedGrid(grid, self)

    def evaluate_fn(self, evaluate):
        """Enveloppe l'évaluation centralisée : chaque appel (un par tour) fait aussi avancer le suivi."""

        def observed(server_round, arrays):
            metrics = evaluate(server_round, arrays)
            self.end_of_round(server_round, metrics)
            return metrics

        return observed

    def record(self, kind: str, server_round: int, client: int, metrics: dict) -> None:
        row = self.rows.setdefault((server_round, client), {})
        values = {k: float(v) for k, v in metrics.items() if isinstance(v, (int, float, np.floating, np.integer))}
        size = values.pop("num-examples", None)
        if kind == "train":
            row["num_examples"] = size
            row.update({f"train_{k}": v for k, v in values.items()})
        else:
            row["num_eval_examples"] = size
            row.update({f"eval_{k}": v for k, v in values.items()})

    def end_of_round(self, server_round: int, val_metrics) -> None:
        if val_metrics is not None:
            self.val[server_round] = {f"val_{k}": float(v) for k, v in val_metrics.items()}
        if server_round == 0 or not self.verbose:
            self.round_started = time.perf_counter()
            return
        rows = [row for (r, _), row in self.rows.items() if r == server_round]
        parts = []
        for prefix, label in (("eval", "éval. clients"), ("train", "entraînement")):
            if any(f"{prefix}_loss" in row for row in rows):
                size_key = "num_eval_examples" if prefix == "eval" else "num_examples"
                summary = [f"perte {_weighted(rows, f'{prefix}_loss', size_key):.3f}"]
                if any(f"{prefix}_accuracy" in row for row in rows):
                    summary.append(f"exactitude {_weighted(rows, f'{prefix}_accuracy', size_key):.3f}")
                parts.append(f"{label} : " + ", ".join(summary))
                break
        if "val_accuracy" in self.val.get(server_round, {}):
            parts.append(f"validation (serveur) : exactitude {self.val[server_round]['val_accuracy']:.3f}")
        elif "val_loss" in self.val.get(server_round, {}):
            parts.append(f"validation (serveur) : perte {self.val[server_round]['val_loss']:.3f}")
        now = time.perf_counter()
        print(f"  tour {server_round}/{self.num_rounds} · " + " · ".join(parts) + f" · {now - self.round_started:.1f} s",
              flush=True)
        self.round_started = now

    def dataframe(self) -> pd.DataFrame:
        records = []
        for (server_round, client), row in sorted(self.rows.items()):
            records.append({"round": server_round, "client": self.names[client], "client_id": client, **row})
        result = self.result
        rounds = sorted({r for r, _ in self.rows} | set(self.val))
        for server_round in rounds:
            row = {"round": server_round, "client": GLOBAL, "client_id": -1}
            sizes = [r.get("num_examples") for (rr, _), r in self.rows.items() if rr == server_round]
            sizes = [s for s in sizes if s is not None]
            if sizes:
                row["num_examples"] = float(sum(sizes))
            for prefix, source in (("train", result.train_metrics_clientapp), ("eval", result.evaluate_metrics_clientapp)):
                if server_round in source:
                    row.update({f"{prefix}_{k}": float(v) for k, v in source[server_round].items()
                                if k != "num-examples" and isinstance(v, (int, float))})
            eval_sizes = [r.get("num_eval_examples") for (rr, _), r in self.rows.items() if rr == server_round]
            eval_sizes = [s for s in eval_sizes if s is not None]
            if eval_sizes:
                row["num_eval_examples"] = float(sum(eval_sizes))
            row.update(self.val.get(server_round, {}))
            records.append(row)
        frame = pd.DataFrame.from_records(records)
        first = ["round", "client", "client_id", "num_examples"]
        ordered = [c for c in first if c in frame] + sorted(c for c in frame if c.startswith("train_")) \
            + [c for c in ["num_eval_examples"] if c in frame] + sorted(c for c in frame if c.startswith("eval_")) \
            + sorted(c for c in frame if c.startswith("val_"))
        frame = frame[ordered + [c for c in frame if c not in ordered]]
        for column in ("num_examples", "num_eval_examples"):
            if column in frame:
                frame[column] = frame[column].astype("Int64")
        return frame.sort_values(["round", "client_id"], key=lambda s: s.replace(-1, 10**9) if s.name == "client_id" else s,
                                 ignore_index=True)


def _weighted(rows, key, size_key) -> float:
    pairs = [(row[key], row.get(size_key) or 1.0) for row in rows if key in row]
    total = sum(size for _, size in pairs)
    return sum(value * size for value, size in pairs) / total if total else float("nan")


def _make_observed_grid_class():
    from flwr.serverapp import Grid

    class ObservedGrid(Grid):
        """Le `Grid` de Flower, observé : enregistre les réponses et s'arrête net à la première erreur d'un client."""

        def __init__(self, grid, monitor):
            self._grid, self._monitor, self._round = grid, monitor, 0

        # Délégation simple au Grid de Flower.
        def set_run(self, run):
            self._grid.set_run(run)

        @property
        def run(self):
            return self._grid.run

        def create_message(self, *args, **kwargs):
            return self._grid.create_message(*args, **kwargs)

        def get_node_ids(self):
            return self._grid.get_node_ids()

        def push_messages(self, messages):
            return self._grid.push_messages(messages)

        def pull_messages(self, message_ids):
            return self._grid.pull_messages(message_ids)

        def __getattr__(self, name):
            return getattr(self._grid, name)

        def send_and_receive(self, messages, *, timeout=None):
            messages = list(messages)
            if not messages:
                return []
            kind = messages[0].metadata.message_type.split(".")[0]
            server_round = _server_round(messages[0])
            if server_round is None:
                server_round = self._round + (1 if kind == "train" else 0)
            self._round = server_round
            destinations = {}
            for message in messages:
                destinations[message.metadata.dst_node_id] = message
            pending = set(self._grid.push_messages(messages))
            waiting_for = {m.metadata.message_id: m.metadata.dst_node_id for m in messages}
            limit = self._monitor.timeout_s if timeout is None else min(float(timeout), self._monitor.timeout_s)
            deadline = time.monotonic() + limit
            replies = []
            while pending:
                for reply in self._grid.pull_messages(pending):
                    pending.discard(reply.metadata.reply_to_message_id)
                    if reply.has_error():
                        raise self._stop_after_failure(reply, waiting_for)
                    client = _client_index(reply)
                    if client is not None:
                        self._monitor.node_to_client[reply.metadata.src_node_id] = client
                        metrics = next(iter(reply.content.metric_records.values()), {})
                        self._monitor.record(kind, server_round, client, dict(metrics))
                    replies.append(reply)
                if not pending:
                    break
                if self._monitor.cancel.is_set():
                    raise FederatedClientError("Simulation interrompue.")
                if time.monotonic() > deadline:
                    silent = [self._describe_node(waiting_for.get(mid)) for mid in pending]
                    raise FederatedClientError(
                        f"Délai dépassé ({limit:.0f} s) au tour {server_round} ({'entraînement' if kind == 'train' else 'évaluation'}) : "
                        f"pas de réponse de {', '.join(sorted(silent))}. Un client est bloqué ou trop lent ; "
                        "augmentez `timeout_s` si l'entraînement local est vraiment long.")
                time.sleep(0.02)
            # Ordre fixe (par numéro de client) : l'agrégation donne le même résultat à chaque exécution.
            return sorted(replies, key=lambda r: (_client_index(r) is None, _client_index(r) or 0))

        def _stop_after_failure(self, reply, waiting_for):
            """Erreur d'un client : on arrête le serveur tout de suite (Flower arrête ensuite les clients)."""
            return _client_failure(reply, self._monitor, waiting_for)

        def _describe_node(self, node_id):
            client = self._monitor.node_to_client.get(node_id)
            return f"« {self._monitor.names[client]} »" if client is not None else f"nœud {node_id}"

    return ObservedGrid


_OBSERVED_GRID = None


def _ObservedGrid(grid, monitor):  # noqa: N802  (fabrique paresseuse : importer Flower seulement à l'usage)
    global _OBSERVED_GRID
    if _OBSERVED_GRID is None:
        _OBSERVED_GRID = _make_observed_grid_class()
    return _OBSERVED_GRID(grid, monitor)


def _server_round(message):
    for record in message.content.config_records.values():
        if "server-round" in record:
            return int(record["server-round"])
    return None


def _client_index(reply):
    record = reply.content.config_records.get("client") if reply.content is not None else None
    if record is None or "partition-id" not in record:
        return None
    return int(record["partition-id"])


def _actor_died(reason: str) -> bool:
    """Vrai si l'erreur vient de la mort du processus Ray du client (et non d'une exception dans son code)."""
    return "RayActorError" in reason or "ActorDiedError" in reason


def _client_failure(reply, monitor, waiting_for) -> FederatedClientError:
    reason = reply.error.reason or ""
    match = _ERROR_PATTERN.search(reason)
    if match:
        client = int(match.group(1))
        name = monitor.names[client]
        detail = match.group(2).strip()
    else:
        client = monitor.node_to_client.get(reply.metadata.src_node_id)
        name = monitor.names[client] if client is not None else f"nœud {reply.metadata.src_node_id}"
        detail = re.sub(r"^.*?Message: ", "", reason.replace("\n", " ")).strip(" '>") or reason
        if _actor_died(reason):
            detail = f"le processus du client s'est arrêté brutalement (mémoire ? plantage ?) [{detail[:300]}]"
    return FederatedClientError(f"Le client « {name} » a échoué ; la simulation est arrêtée.\n"
                                f"Erreur du client : {detail}", client=name)
