"""La tâche des ateliers 6 à 8 : BreastMNIST à 28 px réparti entre hôpitaux, son CNN, son AUC."""
from __future__ import annotations

import numpy as np

from ..models import build_breast_cnn


def load_breast_federation(num_hospitals: int = 7, *, seed: int = 0, source: str = "offline") -> dict:
    """La tâche de la semaine 1 à 28 px : BreastMNIST (échographies BUSI, 0 = malin, 1 = normal ou bénin)
    répartie entre `num_hospitals` hôpitaux (découpage IID stratifié, graine `seed`).

    Renvoie `clients` (liste de `(x, y)`), `x_val`, `y_val`, `x_test`, `y_test` (images `(n, 28, 28, 1)`
    dans [0, 1], étiquettes entières), `mean` et `std` (des pixels d'entraînement, pour le modèle) et `source`.
    """
    from ..data import load_medmnist
    from ..federated import partition_iid

    data = load_medmnist("breastmnist", source=source)

    def images(split):
        return (data[f"{split}_images"][..., None] / 255.0).astype(np.float32)

    def labels(split):
        return data[f"{split}_labels"].reshape(-1).astype(np.int64)

    x_train, y_train = images("train"), labels("train")
    parts = partition_iid(y_train, num_hospitals, seed=seed)
    return {"clients": [(x_train[p], y_train[p]) for p in parts],
            "x_train": x_train, "y_train": y_train,
            "x_val": images("val"), "y_val": labels("val"), "x_test": images("test"), "y_test": labels("test"),
            "mean": float(x_train.mean()), "std": float(x_train.std()), "source": data.get("source", "")}



def model_factory(mean: float, std: float, learning_rate: float = 1e-3):
    """Une fonction sans argument qui construit `utils.models.build_breast_cnn(mean, std)` (ce qu'attend
    `run_flower_simulation`)."""
    import functools

    return functools.partial(build_breast_cnn, mean, std, learning_rate)


def auc_score(model, x, y) -> float:
    """AUC (ROC) de la classe 0 « malin » : la probabilité qu'une image maligne ait un score plus haut qu'une autre."""
    from sklearn.metrics import roc_auc_score

    probabilities = np.asarray(model.predict(x, batch_size=256, verbose=0))
    labels = np.asarray(y).reshape(-1)
    return float(roc_auc_score(labels == 0, probabilities[:, 0]))
