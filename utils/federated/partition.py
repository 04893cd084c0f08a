"""Découper un jeu de données entre des clients (des hôpitaux) simulés.

Chaque fonction renvoie une liste de tableaux d'indices, un par client : chaque exemple apparaît
dans exactement un client, et la même graine redonne exactement le même découpage. Dans chaque
client, les indices sont dans un ordre aléatoire (reproductible) : un entraînement sans mélange
voit donc des classes entremêlées.

- `partition_iid` : des clients qui se ressemblent (même taille, même mélange de classes) ;
- `partition_dirichlet` : déséquilibre des étiquettes (*label skew*) réglé par `alpha` ;
- `partition_by_site` : le découpage naturel, par une colonne « hôpital » des données ;
- `partition_quantity_skew` : des clients de tailles très différentes, au même mélange de classes.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def _as_labels_or_size(n_or_labels) -> tuple[int, np.ndarray | None]:
    if np.isscalar(n_or_labels):
        n = int(n_or_labels)
        if n < 0:
            raise ValueError(f"Le nombre d'exemples doit être positif (reçu : {n}).")
        return n, None
    labels = np.asarray(n_or_labels).ravel()
    return len(labels), labels


def _check_num_clients(num_clients, n: int) -> int:
    num_clients = int(num_clients)
    if num_clients < 1:
        raise ValueError(f"Il faut au moins un client (reçu : num_clients={num_clients}).")
    if num_clients > n:
        raise ValueError(f"Impossible de donner au moins un exemple à chacun des {num_clients} clients : "
                         f"il n'y a que {n} exemples.")
    return num_clients


def _shuffled(parts: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    return [rng.permutation(np.asarray(part, dtype=np.int64)) for part in parts]


def partition_iid(n_or_labels, num_clients: int, seed: int = 42) -> list[np.ndarray]:
    """Découpage IID : des clients de même taille (à un exemple près) et au même mélange de classes.

    `n_or_labels` : un nombre d'exemples, ou les étiquettes. Avec les étiquettes, le découpage est
    stratifié : chaque classe est répartie aussi également que possible entre les clients.
    """
    n, labels = _as_labels_or_size(n_or_labels)
    num_clients = _check_num_clients(num_clients, n)
    rng = np.random.default_rng(seed)
    if labels is None:
        return _shuffled(np.array_split(rng.permutation(n), num_clients), rng)
    parts: list[list[int]] = [[] for _ in range(num_clients)]
    offset = 0  # on continue la distribution circulaire d'une classe à l'autre : tailles équilibrées
    for label in np.unique(labels):
        indices = rng.permutation(np.flatnonzero(labels == label))
        for position, index in enumerate(indices):
            parts[(offset + position) % num_clients].append(int(index))
        offset += len(indices)
    return _shuffled(parts, rng)


def partition_dirichlet(labels, num_clients: int, alpha: float, seed: int = 42,
                        min_size: int = 1, max_tries: int = 100) -> list[np.ndarray]:
    """Déséquilibre des étiquettes : pour chaque classe, des proportions tirées d'une loi de Dirichlet.

    Pour chaque classe, on tire la part de cette classe qui va à chaque client selon
    Dirichlet(alpha, ..., alpha), puis on coupe la liste (mélangée) de ses exemples selon ces parts.
    Petit `alpha` (0,1) : chaque client ne voit presque qu'une classe ; grand `alpha` (100) : tous
    les clients ont presque le même mélange, comme en IID. Aucun client n'est laissé avec moins
    de `min_size` exemples : on retire au sort (au plus `max_tries` fois), puis on complète les
    plus petits clients avec des exemples pris aux plus grands.
    """
    labels = np.asarray(labels).ravel()
    n = len(labels)
    num_clients = _check_num_clients(num_clients, n)
    if not alpha > 0:
        raise ValueError(f"`alpha` doit être strictement positif (reçu : {alpha}).")
    if min_size * num_clients > n:
        raise ValueError(f"Impossible de donner {min_size} exemples à chacun des {num_clients} clients "
                         f"avec {n} exemples : baissez `min_size`.")
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    for _ in range(max_tries):
        parts: list[list[int]] = [[] for _ in range(num_clients)]
        for label in classes:
            indices = rng.permutation(np.flatnonzero(labels == label))
            proportions = rng.dirichlet(np.full(num_clients, float(alpha)))
            cuts = (np.cumsum(proportions)[:-1] * len(indices)).astype(int)
            for client, chunk in enumerate(np.split(indices, cuts)):
                parts[client].extend(chunk.tolist())
        if min(len(part) for part in parts) >= min_size:
            return _shuffled(parts, rng)
    # Dernier recours (alpha minuscule, beaucoup de clients) : on complète les plus petits clients.
    for client in range(num_clients):
        while len(parts[client]) < min_size:
            donor = max(range(num_clients), key=lambda c: len(parts[c]))
            parts[client].append(parts[donor].pop(int(rng.integers(len(parts[donor])))))
    return _shuffled(parts, rng)


def partition_by_site(sites, order=None, seed: int = 42) -> list[np.ndarray]:
    """Découpage naturel : un client par valeur de la colonne `sites` (l'hôpital d'origine).

    Les clients suivent `order` (une liste de sites) s'il est donné, sinon l'ordre trié des sites :
    le client i correspond à `sorted(set(sites))[i]`.
    """
    sites = np.asarray(sites, dtype=object).ravel()
    present = list(pd.unique(sites))
    if order is None:
        order = sorted(present, key=str)
    order = list(order)
    missing = [site for site in present if site not in order]
    if missing:
        raise ValueError(f"Sites absents de `order` : {missing}. Donnez tous les sites, par exemple {sorted(present, key=str)}.")
    empty = [site for site in order if site not in present]
    if empty:
        raise ValueError(f"Sites sans aucun exemple : {empty}. Retirez-les de `order`.")
    rng = np.random.default_rng(seed)
    return _shuffled([np.flatnonzero(sites == site) for site in order], rng)


def partition_quantity_skew(n_or_labels, num_clients: int, alpha: float = 1.0, seed: int = 42,
                            min_size: int = 2, proportions=None) -> list[np.ndarray]:
    """Déséquilibre de taille : des clients de tailles très différentes, au même mélange de classes.

    Les parts de chaque client viennent de `proportions` si elles sont données (par exemple
    `[0.6, 0.3, 0.1]`), sinon d'un tirage Dirichlet(alpha) : plus `alpha` est petit, plus les tailles
    sont inégales. Chaque client reçoit au moins `min_size` exemples, tirés au hasard.
    """
    n, _ = _as_labels_or_size(n_or_labels)
    num_clients = _check_num_clients(num_clients, n)
    if min_size * num_clients > n:
        raise ValueError(f"Impossible de donner {min_size} exemples à chacun des {num_clients} clients "
                         f"avec {n} exemples : baissez `min_size`.")
    rng = np.random.default_rng(seed)
    if proportions is None:
        if not alpha > 0:
            raise ValueError(f"`alpha` doit être strictement positif (reçu : {alpha}).")
        proportions = rng.dirichlet(np.full(num_clients, float(alpha)))
    proportions = np.asarray(proportions, dtype=float)
    if proportions.shape != (num_clients,) or (proportions < 0).any() or proportions.sum() <= 0:
        raise ValueError(f"`proportions` doit contenir {num_clients} nombres positifs (reçu : {proportions.tolist()}).")
    proportions = proportions / proportions.sum()
    # Tailles proportionnelles (arrondies au plus près), puis au moins `min_size` chacun,
    # pris aux plus gros clients.
    exact = proportions * n
    sizes = np.floor(exact).astype(int)
    for client in np.argsort(-(exact - sizes), kind="stable")[: n - sizes.sum()]:
        sizes[client] += 1
    for client in range(num_clients):
        while sizes[client] < min_size:
            sizes[int(np.argmax(sizes))] -= 1
            sizes[client] += 1
    return _shuffled(np.split(rng.permutation(n), np.cumsum(sizes)[:-1]), rng)


def label_distribution(labels, partitions, client_names=None, class_names=None,
                       normalize: bool = False) -> pd.DataFrame:
    """Tableau clients × classes : le nombre (ou la proportion si `normalize`) d'exemples de chaque classe."""
    labels = np.asarray(labels).ravel()
    classes = np.unique(labels)
    names = list(client_names) if client_names is not None else [f"client {i}" for i in range(len(partitions))]
    if len(names) != len(partitions):
        raise ValueError(f"{len(names)} noms de clients pour {len(partitions)} clients.")
    if class_names is None:
        columns = [str(c) for c in classes]
    elif isinstance(class_names, dict):
        columns = [str(class_names.get(c, c)) for c in classes]
    else:
        columns = [str(class_names[int(c)]) for c in classes]
    counts = np.array([[np.sum(labels[np.asarray(part, dtype=int)] == c) for c in classes] for part in partitions])
    table = pd.DataFrame(counts, index=pd.Index(names, name="client"), columns=pd.Index(columns, name="classe"))
    if normalize:
        table = table.div(table.sum(axis=1).replace(0, 1), axis=0)
    return table
