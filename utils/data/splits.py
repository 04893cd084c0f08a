"""Séparations sans fuite (entraînement / validation / test) : stratifiées, et groupées (patient, quasi-doublon)."""
from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold


def split_by_group(frame: pd.DataFrame, test_size: float = 0.2, label_col: str = "target",
                   group_col: str = "group", seed: int = 42) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sépare `frame` en (entraînement, test) : proportions de classes proches, et chaque groupe d'un seul côté.

    Deux quasi-doublons (ou deux images d'un même patient) de part et d'autre de la séparation
    feraient « réviser » le modèle sur les réponses de l'examen : le score serait trop optimiste.
    """
    if not 0 < test_size < 1:
        raise ValueError(f"test_size doit être entre 0 et 1 (reçu : {test_size}).")
    n_splits = max(2, int(round(1 / test_size)))
    splitter = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    train_index, test_index = next(splitter.split(frame, frame[label_col], frame[group_col]))
    train, test = frame.iloc[train_index], frame.iloc[test_index]
    shared = set(train[group_col]) & set(test[group_col])
    assert not shared, f"groupes des deux côtés : {sorted(shared)[:5]}"
    return train.reset_index(drop=True), test.reset_index(drop=True)


def split_train_val_test(frame: pd.DataFrame, val_size: float = 0.2, test_size: float = 0.2,
                         label_col: str = "target", group_col: str = "group",
                         seed: int = 42) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Sépare `frame` en trois parts (entraînement, validation, test), chaque groupe d'un seul côté.

    - l'entraînement sert à ajuster les poids du modèle ;
    - la validation sert à tous les choix (arrêt précoce, seuil de décision, réglages) ;
    - le test n'est lu qu'une fois, à la fin, quand tout est fixé : c'est lui qui dit ce que vaut le modèle.

    `val_size` et `test_size` sont des parts de `frame` entier (0,2 et 0,2 : 60 / 20 / 20 %).
    """
    if not (0 < val_size < 1 and 0 < test_size < 1 and val_size + test_size < 1):
        raise ValueError(f"val_size et test_size doivent être entre 0 et 1, de somme < 1 "
                         f"(reçu : {val_size} et {test_size}).")
    rest, test = split_by_group(frame, test_size=test_size, label_col=label_col, group_col=group_col, seed=seed)
    train, val = split_by_group(rest, test_size=val_size / (1 - test_size), label_col=label_col,
                                group_col=group_col, seed=seed + 1)
    for first, second in ((train, val), (train, test), (val, test)):
        assert group_leaks(first, second, group_col) == 0, "un groupe est présent dans deux parts"
    return train, val, test


def group_leaks(train: pd.DataFrame, test: pd.DataFrame, group_col: str = "group") -> int:
    """Nombre d'images de test dont le groupe apparaît aussi à l'entraînement (0 = pas de fuite)."""
    return int(np.isin(test[group_col], train[group_col]).sum())
