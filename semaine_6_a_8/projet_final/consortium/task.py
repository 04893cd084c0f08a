"""La tâche : les données d'un hôpital, le modèle, l'entraînement local et l'évaluation.

Rien de Flower ici : ce sont les fonctions qu'un hôpital appellerait aussi sans apprentissage fédéré.
Ce fichier se suffit à lui-même (TensorFlow/Keras et NumPy, rien du paquet du cours) : c'est ce que
chaque hôpital installe et exécute. Il contient, recopiés du cours et vérifiés identiques par les tests
(`tests/test_projet_final_app.py`) :
- le CNN de la semaine 1 (`utils.models.build_cnn`), pour des images 28×28 ;
- le pas de FedProx de la semaine 3 (`utils.federated.apps.proximal_step` et `fit_proximal`) ;
- un lecteur du fichier BreastMNIST de MedMNIST (`breastmnist.npz`), qui vérifie sa somme MD5.

BreastMNIST : les échographies BUSI réduites à 28×28 pixels (fichier officiel de MedMNIST, ou le miroir
hors ligne du cours, même format). Étiquette du modèle : 1 = malin, comme en semaine 1 (BreastMNIST note
0 = malin). L'application ne télécharge ni n'écrit rien : le fichier doit être déjà là (voir `find_breastmnist`).
"""
from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # avant TensorFlow : moins de messages au démarrage

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

IMAGE_SHAPE = (28, 28, 1)

# ============================================================================ les données
# Le fichier officiel de MedMNIST v2 (Yang et al., 2023) et sa somme MD5 publiée (medmnist/info.py).
BREASTMNIST_URL = "https://zenodo.org/records/10519652/files/breastmnist.npz?download=1"
BREASTMNIST_MD5 = "750601b1f35ba3300ea97c75c52ff8f6"
NPZ_KEYS = tuple(f"{split}_{kind}" for split in ("train", "val", "test") for kind in ("images", "labels"))
DATA_SOURCES = ("auto", "official", "offline")


def data_dir() -> Path:
    """Le dossier des données de cette machine : `COURSE_DATA_DIR`, sinon `~/.cache/cours-fl-sante` (celui du cours)."""
    return Path(os.environ.get("COURSE_DATA_DIR") or Path.home() / ".cache" / "cours-fl-sante")


def md5sum(path: str | Path) -> str:
    """Somme MD5 d'un fichier (en hexadécimal), lue par blocs."""
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def find_breastmnist(source: str = "auto", folder: str | Path | None = None) -> tuple[Path, str]:
    """Le fichier `breastmnist.npz` à lire, et ce qu'il est ; l'application ne télécharge ni ne génère rien.

    - "official" : `<dossier>/medmnist/breastmnist.npz`, dont la somme MD5 doit être l'officielle ;
    - "offline" : le miroir hors ligne du cours (`<dossier>/medmnist_mirror_fast/` ou `_full/`), généré avant
      par `load_medmnist("breastmnist", source="offline")` (images synthétiques, même format) ;
    - "auto" : le fichier officiel s'il est là, sinon le miroir.
    `<dossier>` : `folder`, sinon `data_dir()`. Un dossier monté en lecture seule suffit.
    """
    if source not in DATA_SOURCES:
        raise ValueError(f"data-source = {source!r} : choisissez parmi {', '.join(DATA_SOURCES)}.")
    root = Path(folder) if folder else data_dir()
    official = root / "medmnist" / "breastmnist.npz"
    mirrors = [root / f"medmnist_mirror_{mode}" / "breastmnist.npz" for mode in ("fast", "full")]
    if source in ("official", "auto") and official.is_file():
        digest = md5sum(official)
        if digest == BREASTMNIST_MD5:
            return official, "MedMNIST officiel (somme MD5 vérifiée)"
        if source == "official":
            raise ValueError(f"{official} : somme MD5 {digest}, différente de l'officielle {BREASTMNIST_MD5} : "
                             "ce n'est pas le fichier publié par MedMNIST. Téléchargez-le de nouveau.")
    if source in ("offline", "auto"):
        for mirror in mirrors:
            if mirror.is_file():
                return mirror, "miroir hors ligne (images synthétiques, même format que MedMNIST)"
    raise FileNotFoundError(
        f"BreastMNIST introuvable dans {root} (data-source = {source!r}). L'application ne télécharge rien : "
        f"placez le fichier officiel ({BREASTMNIST_URL}, somme MD5 {BREASTMNIST_MD5}) dans {official}, "
        "ou générez le miroir hors ligne avec le paquet du cours : "
        "python -c \"from utils.data import load_medmnist; load_medmnist('breastmnist', source='offline')\".")


def read_npz(path: str | Path) -> dict:
    """Les six tableaux d'un fichier MedMNIST (`train_images`, `train_labels`, ...), formes vérifiées."""
    with np.load(path, allow_pickle=False) as archive:
        missing = [key for key in NPZ_KEYS if key not in archive.files]
        if missing:
            raise ValueError(f"{path} : clé(s) absente(s) : {', '.join(missing)} ; attendu : {', '.join(NPZ_KEYS)}.")
        data = {key: archive[key] for key in NPZ_KEYS}
    for split in ("train", "val", "test"):
        images, labels = data[f"{split}_images"], data[f"{split}_labels"]
        if images.shape[1:] != (28, 28) or images.dtype != np.uint8 or labels.shape != (len(images), 1):
            raise ValueError(f"{path} : {split} a la forme {images.shape} ({images.dtype}) et {labels.shape} ; "
                             "attendu (N, 28, 28) en uint8 et (N, 1).")
    return data


@functools.lru_cache(maxsize=4)
def load_breastmnist(source: str = "auto", folder: str | None = None) -> dict:
    """Le fichier BreastMNIST entier, lu une fois par processus : `{split: (x, y)}` pour train, val et test.

    Images en float32 dans [0, 1], forme (n, 28, 28, 1) ; y = 1 pour « malin », 0 pour « normal ou bénin ».
    `source` : voir `find_breastmnist` ; les clés « source » et « path » du résultat disent quel fichier a été lu.
    """
    path, description = find_breastmnist(source, folder)
    data = read_npz(path)
    splits = {}
    for split in ("train", "val", "test"):
        x = (data[f"{split}_images"][..., None] / 255.0).astype(np.float32)
        y = (data[f"{split}_labels"].reshape(-1) == 0).astype(np.float32)  # 0 = malin dans BreastMNIST
        splits[split] = (x, y)
    splits["source"], splits["path"] = description, str(path)
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
                       seed: int = 42, folder: str | None = None) -> dict:
    """Les données de l'hôpital `partition_id` sur `num_partitions` : `x`, `y` (entraînement), `x_val`, `y_val`.

    En simulation, chaque hôpital prend sa part du fichier BreastMNIST (mêmes proportions de classes dans
    sa part d'entraînement et dans sa part de validation). Dans un vrai consortium, cette fonction lirait
    les fichiers de l'hôpital lui-même. Le jeu de test officiel n'est donné à aucun hôpital : c'est le
    « test commun », lu une fois à la fin, dans le notebook.
    """
    if not 0 <= partition_id < num_partitions:
        raise ValueError(f"partition-id = {partition_id} : il doit être entre 0 et num-partitions − 1 "
                         f"= {num_partitions - 1}.")
    data = load_breastmnist(source, folder)
    proportions = hospital_proportions(num_partitions, alpha, seed)
    (x, y), (x_val, y_val) = data["train"], data["val"]
    train = hospital_indices(y, proportions, partition_id, seed)
    val = hospital_indices(y_val, proportions, partition_id, seed + 1)
    return {"x": x[train], "y": y[train], "x_val": x_val[val], "y_val": y_val[val]}


# ============================================================================ le modèle
def build_model(learning_rate: float = 1e-3, dropout: float = 0.3):
    """Le CNN de la semaine 1 (`utils.models.build_cnn`), pour des images 28×28, déjà compilé.

    Quatre convolutions 3×3 (16, 32, 64 puis 64 filtres, ReLU) séparées par trois max-pooling 2×2, le
    maximum de chaque carte de la dernière convolution (max global : une lésion n'occupe qu'une petite
    partie de l'image), un dropout, et un neurone de sortie sigmoïde (probabilité « malin »).
    """
    model = keras.Sequential(
        [
            keras.Input(shape=IMAGE_SHAPE, name="image"),
            keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="conv_1"),
            keras.layers.MaxPooling2D(2, name="pool_1"),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu", name="conv_2"),
            keras.layers.MaxPooling2D(2, name="pool_2"),
            keras.layers.Conv2D(64, 3, padding="same", activation="relu", name="conv_3"),
            keras.layers.MaxPooling2D(2, name="pool_3"),
            keras.layers.Conv2D(64, 3, padding="same", activation="relu", name="conv_4"),
            keras.layers.GlobalMaxPooling2D(name="global_max"),
            keras.layers.Dropout(dropout, name="dropout"),
            keras.layers.Dense(1, activation="sigmoid", name="malignancy_probability"),
        ],
        name="cnn_echographie",
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy",
                  metrics=["accuracy", keras.metrics.AUC(name="auc")])
    return model


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
@tf.function
def proximal_step(model, x_batch, y_batch, global_weights, mu):
    """Un pas de FedProx (Li et al., 2020) : perte + μ/2 · ‖w − w_global‖², puis un pas de l'optimiseur."""
    with tf.GradientTape() as tape:
        prediction = model(x_batch, training=True)
        loss = model.compute_loss(x=x_batch, y=y_batch, y_pred=prediction, training=True)
        distance = tf.add_n([tf.reduce_sum(tf.square(w - w_global))  # ‖w − w_global‖²
                             for w, w_global in zip(model.trainable_variables, global_weights)])
        total = loss + mu / 2 * distance
    gradients = tape.gradient(total, model.trainable_variables)
    model.optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    return loss


def fit_proximal(model, x, y, *, epochs: int, batch_size: int, mu: float) -> dict:
    """L'entraînement local de FedProx : des pas `proximal_step` sur des lots mélangés, `epochs` fois."""
    global_weights = [tf.constant(w) for w in model.trainable_variables]  # les poids reçus du serveur
    mu = tf.constant(mu, dtype=tf.float32)
    if not model.optimizer.built:  # ses variables naissent ici : `proximal_step`, déjà tracé, ne peut plus en créer
        model.optimizer.build(model.trainable_variables)
    # Ordre des exemples tiré de la graine de NumPy, que le client fixe à chaque tour : même résultat d'une
    # exécution à l'autre (un tirage eager de TensorFlow, lui, poursuivrait sa suite d'un appel à l'autre).
    rng = np.random.default_rng(np.random.randint(2**31 - 1))
    losses = []
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch_size):
            batch = order[start:start + batch_size]
            losses.append(float(proximal_step(model, tf.convert_to_tensor(x[batch]), tf.convert_to_tensor(y[batch]),
                                              global_weights, mu)))
    metrics = model.evaluate(x, y, batch_size=max(batch_size, 256), verbose=0, return_dict=True)
    batches_per_epoch = -(-len(x) // batch_size)
    metrics["loss"] = np.mean(losses[-batches_per_epoch:])  # perte moyenne de la dernière époque (sans le terme)
    return {name: float(value) for name, value in metrics.items()}


def train(model, x, y, *, epochs: int, batch_size: int, proximal_mu: float = 0.0) -> dict:
    """L'entraînement local d'un hôpital ; renvoie la perte et l'exactitude de la dernière époque.

    `proximal_mu > 0` (FedProx) : chaque pas minimise perte + μ/2 · ‖w − w_global‖², le pas de la
    semaine 3 (`fit_proximal` ci-dessus), qui retient les poids près des poids reçus.
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
