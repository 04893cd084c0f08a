"""La tâche : les données d'un hôpital, le modèle, l'entraînement local et l'évaluation.

Rien de Flower ici : ce sont les fonctions qu'un hôpital appellerait aussi sans apprentissage fédéré.
Le modèle est celui de la semaine 1 (`utils.models.build_cnn`, le CNN d'échographie mammaire), sur
BreastMNIST : les échographies BUSI réduites à 28×28 pixels (fichier officiel de MedMNIST, ou son
miroir hors ligne). Étiquette du modèle : 1 = malin, comme en semaine 1 (BreastMNIST note 0 = malin).
"""
from __future__ import annotations

import functools

import keras
import numpy as np

from utils import runtime as _runtime  # noqa: F401  (avant TensorFlow : rend son démarrage silencieux)
from utils.data import load_medmnist
from utils.federated.apps import fit_proximal
from utils.models import build_cnn

IMAGE_SHAPE = (28, 28, 1)


# ============================================================================ les données
@functools.lru_cache(maxsize=4)
def load_breastmnist(source: str) -> dict:
    """Le fichier BreastMNIST entier, lu une fois par processus : `{split: (x, y)}` pour train, val et test.

    Images en float32 dans [0, 1], forme (n, 28, 28, 1) ; y = 1 pour « malin », 0 pour « normal ou bénin ».
    """
    data = load_medmnist("breastmnist", source=source)
    splits = {}
    for split in ("train", "val", "test"):
        x = (data[f"{split}_images"][..., None] / 255.0).astype(np.float32)
        y = (data[f"{split}_labels"].reshape(-1) == 0).astype(np.float32)  # 0 = malin dans BreastMNIST
        splits[split] = (x, y)
    splits["source"] = data["source"]
    return splits


def hospital_proportions(num_hospitals: int, alpha: float, seed: int) -> np.ndarray:
    """Part de chaque classe qui va à chaque hôpital : une loi de Dirichlet(alpha) par classe.

    Renvoie un tableau (2 classes, num_hospitals) dont chaque ligne somme à 1. Petit `alpha` : des
    hôpitaux très différents (un centre de référence reçoit surtout des cancers) ; grand : presque IID.
    Tous les hôpitaux calculent le même tableau (même graine) : chacun sait quelle part est la sienne.
    """
    rng = np.random.default_rng(seed)
    return rng.dirichlet(np.full(num_hospitals, float(alpha)), size=2)


def hospital_indices(y: np.ndarray, proportions: np.ndarray, hospital: int, seed: int) -> np.ndarray:
    """Les exemples de `y` qui reviennent à l'hôpital `hospital`, selon `proportions` (classe × hôpital)."""
    rng = np.random.default_rng(seed)
    mine = []
    for label in (0, 1):
        indices = rng.permutation(np.flatnonzero(y == label))
        cuts = np.round(np.cumsum(proportions[label])[:-1] * len(indices)).astype(int)
        mine.append(np.split(indices, cuts)[hospital])
    return np.sort(np.concatenate(mine))


def load_hospital_data(partition_id: int, num_partitions: int, *, source: str = "auto", alpha: float = 1.0,
                       seed: int = 42) -> dict:
    """Les données de l'hôpital `partition_id` sur `num_partitions` : `x`, `y` (entraînement), `x_val`, `y_val`.

    En simulation, chaque hôpital prend sa part du fichier BreastMNIST (mêmes proportions de classes dans
    sa part d'entraînement et dans sa part de validation). Dans un vrai consortium, cette fonction lirait
    les fichiers de l'hôpital lui-même. Le jeu de test officiel n'est donné à aucun hôpital : c'est le
    « test commun », lu une fois à la fin, dans le notebook.
    """
    if not 0 <= partition_id < num_partitions:
        raise ValueError(f"partition-id = {partition_id} : il doit être entre 0 et num-partitions − 1 "
                         f"= {num_partitions - 1}.")
    data = load_breastmnist(source)
    proportions = hospital_proportions(num_partitions, alpha, seed)
    (x, y), (x_val, y_val) = data["train"], data["val"]
    train = hospital_indices(y, proportions, partition_id, seed)
    val = hospital_indices(y_val, proportions, partition_id, seed + 1)
    return {"x": x[train], "y": y[train], "x_val": x_val[val], "y_val": y_val[val]}


# ============================================================================ le modèle
def build_model(learning_rate: float = 1e-3):
    """Le CNN de la semaine 1 (4 convolutions, max global, sortie sigmoïde), pour des images 28×28."""
    return build_cnn(input_shape=IMAGE_SHAPE, learning_rate=learning_rate)


@functools.lru_cache(maxsize=2)
def _process_model(learning_rate: float):
    model = build_model(learning_rate)
    model.optimizer.build(model.trainable_variables)
    return model


def fresh_model(weights, learning_rate: float = 1e-3, seed: int = 0):
    """Le modèle de ce processus, avec les poids `weights`, comme neuf : optimiseur et dropout remis à zéro.

    Un seul modèle par processus : le construire et compiler ses fonctions TensorFlow coûte plus cher
    qu'un tour d'entraînement. Remettre à zéro l'état de l'optimiseur (moments d'Adam, compteur de pas)
    et celui du générateur aléatoire du dropout le rend identique à un modèle neuf qui aurait reçu ces poids ;
    `seed` fixe aussi l'ordre des exemples : un run se rejoue à l'identique.
    """
    keras.utils.set_random_seed(seed)
    model = _process_model(float(learning_rate))
    model.set_weights(weights)
    for variable in model.optimizer.variables:
        if variable is not model.optimizer.learning_rate:  # le pas d'apprentissage reste, le reste repart de zéro
            variable.assign(np.zeros(variable.shape, dtype=variable.dtype))
    rng = np.random.default_rng(seed)
    for variable in model.non_trainable_variables:  # l'état du générateur du dropout : [graine, compteur]
        variable.assign(np.array([rng.integers(2**31), 0], dtype=variable.dtype))
    return model


# ============================================================================ entraînement et évaluation
def train(model, x, y, *, epochs: int, batch_size: int, proximal_mu: float = 0.0) -> dict:
    """L'entraînement local d'un hôpital ; renvoie la perte et l'exactitude de la dernière époque.

    `proximal_mu > 0` (FedProx) : chaque pas minimise perte + μ/2 · ‖w − w_global‖², le pas écrit en
    semaine 3 (`utils.federated.apps.fit_proximal`), qui retient les poids près des poids reçus.
    """
    if proximal_mu > 0:
        metrics = fit_proximal(model, x, y, epochs=epochs, batch_size=batch_size, mu=proximal_mu)
    else:
        history = model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0)
        metrics = {name: values[-1] for name, values in history.history.items()}
    return {"loss": float(metrics["loss"]), "accuracy": float(metrics["accuracy"])}


def evaluate(model, x, y, batch_size: int = 256) -> dict:
    """Perte, exactitude et AUC du modèle sur (x, y)."""
    values = model.evaluate(x, y, batch_size=batch_size, verbose=0, return_dict=True)
    return {"loss": float(values["loss"]), "accuracy": float(values["accuracy"]), "auc": float(values["auc"])}


def flip_update(global_weights, local_weights, factor: float = 5.0) -> list[np.ndarray]:
    """L'attaque de l'hôpital malveillant : il renvoie sa mise à jour inversée et amplifiée.

    w_envoyé = w_global − factor · (w_local − w_global) : la moyenne est poussée à l'opposé de l'apprentissage.
    """
    return [g - factor * (w - g) for g, w in zip(global_weights, local_weights)]
