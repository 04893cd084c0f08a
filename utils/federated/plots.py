"""Figures de l'apprentissage fédéré : qui a quelles données, et comment le modèle progresse tour après tour."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .partition import label_distribution

_METRIC_LABELS = {"accuracy": "exactitude", "loss": "perte", "auc": "AUC"}
_PREFIX_LABELS = {"val": "validation (serveur)", "eval": "validation chez les clients", "train": "entraînement local"}


def plot_label_distribution(labels, partitions, client_names=None, class_names=None,
                            normalize: bool = False, ax=None, title: str | None = None, legend: bool = True):
    """Barres empilées : pour chaque client, le nombre (ou la part, si `normalize`) d'exemples de chaque classe."""
    import matplotlib.pyplot as plt

    table = label_distribution(labels, partitions, client_names, class_names, normalize=normalize)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.2 * len(table) + 3, 3.2))
    table.plot(kind="bar", stacked=True, ax=ax, width=0.75, edgecolor="white",
               color=plt.cm.tab10.colors[: table.shape[1]])
    ax.set_xlabel("")
    ax.set_ylabel("part des exemples" if normalize else "nombre d'exemples")
    ax.set_title(title or "Répartition des classes par client")
    ax.tick_params(axis="x", rotation=0)
    if legend:
        ax.legend(title="classe", bbox_to_anchor=(1.01, 1), loc="upper left", frameon=False)
    else:
        ax.get_legend().remove()
    if normalize:
        ax.set_ylim(0, 1)
    ax.figure.tight_layout()
    return ax


def plot_round_curves(histories, metric: str = "val_accuracy", ax=None, title: str | None = None,
                      by_client: bool = False):
    """Courbes par tour : une par réglage (stratégie, alpha, époques locales...) ou une par client.

    `histories` : un DataFrame renvoyé par `run_flower_simulation` (ou de mêmes colonnes `round`,
    `client`, métriques), ou un dictionnaire {nom du réglage: DataFrame} pour comparer plusieurs
    réglages. On trace la ligne `client == "global"` de chaque DataFrame ; avec `by_client=True`
    (un seul DataFrame), une courbe par client.
    """
    import matplotlib.pyplot as plt

    if isinstance(histories, pd.DataFrame):
        histories = {None: histories}
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    for label, frame in histories.items():
        if metric not in frame:
            raise ValueError(f"Pas de colonne « {metric} » dans l'historique ; colonnes : {list(frame.columns)}.")
        if by_client:
            clients = frame[frame["client"] != "global"]
            for name, rows in clients.groupby("client", sort=False):
                rows = rows.dropna(subset=[metric]).sort_values("round")
                ax.plot(rows["round"], rows[metric], marker="o", ms=3, label=str(name))
        else:
            rows = frame[frame["client"] == "global"] if "client" in frame else frame
            rows = rows.dropna(subset=[metric]).sort_values("round")
            ax.plot(rows["round"], rows[metric], marker="o", ms=3, label=None if label is None else str(label))
    ax.set_xlabel("tour fédéré")
    ax.set_ylabel(_metric_label(metric))
    ax.set_title(title or _metric_label(metric).capitalize())
    rounds = pd.concat([frame["round"] for frame in histories.values()])
    if len(rounds) and rounds.max() <= 30:
        ax.set_xticks(np.arange(int(rounds.min()), int(rounds.max()) + 1))
    ax.grid(alpha=0.3)
    if by_client or any(label is not None for label in histories):
        ax.legend(frameon=False, fontsize="small")
    ax.figure.tight_layout()
    return ax


def _metric_label(metric: str) -> str:
    prefix, _, name = metric.partition("_")
    if prefix in _PREFIX_LABELS and name:
        return f"{_METRIC_LABELS.get(name, name)} ({_PREFIX_LABELS[prefix]})"
    return _METRIC_LABELS.get(metric, metric)
