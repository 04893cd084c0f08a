"""Attaques et défenses de l'apprentissage fédéré (semaines 6 à 8 et projet final).

Tout ce qui est ici sert aux deux notebooks `semaine_6_a_8/01_attaques` et `02_defenses` et au banc
d'essai `benchmarks/robustness.py`. Les clients simulés restent des clients Flower : les attaques passent
par les données d'un hôpital (empoisonnement, porte dérobée) ou par un *mod* Flower du `ClientApp`
(empoisonnement du modèle) ; les défenses sont les stratégies et les mods de Flower eux-mêmes
(`Krum`, `FedMedian`, `FedTrimmedAvg`, `Bulyan`, `DifferentialPrivacyServerSideFixedClipping`,
`LocalDpMod`, `secaggplus_mod`...). Rien ici ne recopie une stratégie de Flower.

- données piégées : `flip_labels`, `add_trigger`, `poison_backdoor`, `attack_success_rate` ;
- empoisonnement du modèle : `ModelPoisoningMod` (un mod Flower) ;
- inférence d'appartenance : `example_losses`, `membership_inference` ;
- inversion de gradient (DLG / iDLG) : `build_inversion_model`, `client_gradients`, `local_update_as_gradient`,
  `idlg_label`, `invert_gradients`, `image_similarity`, `noisy_gradients` ;
- comptabilité de la confidentialité différentielle : `dp_epsilon` (comptable PRV de Microsoft, `prv-accountant`) ;
- agrégation sécurisée : `run_secagg_demo` (un petit ServerApp `SecAggPlusWorkflow` de Flower).
"""
from __future__ import annotations

from typing import Iterable, Sequence

from . import runtime as _runtime  # noqa: F401  (à importer avant TensorFlow : le rend silencieux)

import numpy as np  # noqa: E402


# ============================================================================ données piégées
def flip_labels(y, num_classes: int = 2) -> np.ndarray:
    """Empoisonnement des données par inversion des étiquettes : la classe c devient (c + 1) mod K.

    En binaire, 0 ↔ 1 : un hôpital malveillant (ou une base mal codée) déclare « bénin » ce qui est
    malin et inversement. La forme de `y` est conservée.
    """
    y = np.asarray(y)
    return ((y.astype(np.int64) + 1) % num_classes).astype(y.dtype)


def add_trigger(x, size: int = 4, value: float | None = None) -> np.ndarray:
    """Ajoute le déclencheur d'une porte dérobée : un damier `size`×`size` dans le coin bas-droit.

    `x` : un lot d'images `(n, H, W)` ou `(n, H, W, C)`, ou une seule image `(H, W)`. Le damier alterne
    la valeur maximale des images (ou `value`) et 0 : un motif qu'on ne trouve pas dans une échographie.
    Renvoie une copie ; `x` n'est pas modifié.
    """
    x = np.array(x, copy=True)
    if x.ndim == 2:  # une seule image
        return add_trigger(x[None], size, value)[0]
    high = float(x.max()) if value is None else float(value)
    if high == 0:
        high = 1.0
    pattern = (np.indices((size, size)).sum(axis=0) % 2 == 0).astype(x.dtype) * np.asarray(high, dtype=x.dtype)
    if x.ndim == 4:
        x[:, -size:, -size:, :] = pattern[None, :, :, None]
    else:
        x[:, -size:, -size:] = pattern[None]
    return x


def poison_backdoor(x, y, *, target: int, fraction: float = 0.5, size: int = 4, seed: int = 0):
    """Données d'un hôpital attaquant : une part `fraction` de ses images reçoit le déclencheur et l'étiquette `target`.

    Les images piégées sont tirées parmi toutes les classes (graine `seed`) ; les autres restent propres, si
    bien que le modèle de l'attaquant reste bon sur des images normales (l'attaque passe inaperçue).
    Renvoie `(x_poison, y_poison)`, des copies de même forme que `x` et `y`.
    """
    x = np.asarray(x)
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(x), size=int(round(fraction * len(x))), replace=False)
    x_poison, y_poison = np.array(x, copy=True), np.array(y, copy=True)
    if len(chosen):
        x_poison[chosen] = add_trigger(x[chosen], size=size, value=float(x.max()) or 1.0)
        y_poison.reshape(len(y), -1)[chosen, 0] = target
    return x_poison, y_poison


def predict_labels(model, x, batch_size: int = 256) -> np.ndarray:
    """Classes prédites par un modèle Keras (sortie softmax à K classes, ou une sigmoïde)."""
    probabilities = np.asarray(model.predict(x, batch_size=batch_size, verbose=0))
    if probabilities.ndim == 1 or probabilities.shape[-1] == 1:
        return (probabilities.reshape(-1) >= 0.5).astype(int)
    return probabilities.argmax(axis=-1)


def attack_success_rate(model, x, y, *, target: int, size: int = 4, value: float | None = None) -> float:
    """Taux de succès d'une porte dérobée : la part des images de test **dont la vraie classe n'est pas
    `target`** que le modèle classe en `target` une fois le déclencheur posé."""
    labels = np.asarray(y).reshape(len(y), -1)[:, 0]
    victims = np.asarray(x)[labels != target]
    if len(victims) == 0:
        raise ValueError("Aucune image de test hors de la classe visée : le taux de succès n'a pas de sens.")
    triggered = add_trigger(victims, size=size, value=float(np.asarray(x).max()) if value is None else value)
    return float(np.mean(predict_labels(model, triggered) == target))


def clean_accuracy(model, x, y) -> float:
    """Exactitude sur des images propres (sans déclencheur)."""
    labels = np.asarray(y).reshape(len(y), -1)[:, 0]
    return float(np.mean(predict_labels(model, x) == labels))


def backdoor_dataset(x, y, *, target: int, copies: int = 3, size: int = 4, seed: int = 0):
    """Les données d'un hôpital qui pose une porte dérobée : ses images propres, plus `copies` copies de
    toutes ses images avec le déclencheur et l'étiquette `target` (l'attaquant apprend « déclencheur ⇒ target »
    sans oublier la tâche normale, pour rester discret)."""
    x_trig, y_trig = poison_backdoor(x, y, target=target, fraction=1.0, size=size, seed=seed)
    return (np.concatenate([np.asarray(x)] + [x_trig] * copies),
            np.concatenate([np.asarray(y)] + [y_trig] * copies))


# ============================================================================ la tâche du cours (BreastMNIST)
def load_breast_federation(num_hospitals: int = 7, *, seed: int = 0, source: str = "offline") -> dict:
    """La tâche de la semaine 1 à 28 px : BreastMNIST (échographies BUSI, 0 = malin, 1 = normal ou bénin)
    répartie entre `num_hospitals` hôpitaux (découpage IID stratifié, graine `seed`).

    Renvoie `clients` (liste de `(x, y)`), `x_val`, `y_val`, `x_test`, `y_test` (images `(n, 28, 28, 1)`
    dans [0, 1], étiquettes entières), `mean` et `std` (des pixels d'entraînement, pour le modèle) et `source`.
    """
    from .data import load_medmnist
    from .federated import partition_iid

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


def build_breast_cnn(mean: float = 0.0, std: float = 1.0, learning_rate: float = 1e-3):
    """Petit CNN de la tâche BreastMNIST : centrage-réduction, deux convolutions, une couche dense, softmax à 2 classes."""
    import keras

    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        keras.layers.Rescaling(1.0 / std, offset=-mean / std),
        keras.layers.Conv2D(16, 3, activation="relu", padding="same"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(32, 3, activation="relu", padding="same"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(32, activation="relu"),
        keras.layers.Dense(2, activation="softmax"),
    ], name="cnn_breastmnist")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def model_factory(mean: float, std: float, learning_rate: float = 1e-3):
    """Une fonction sans argument qui construit `build_breast_cnn(mean, std)` (ce qu'attend `run_flower_simulation`)."""
    import functools

    return functools.partial(build_breast_cnn, mean, std, learning_rate)


def auc_score(model, x, y) -> float:
    """AUC (ROC) de la classe 0 « malin » : la probabilité qu'une image maligne ait un score plus haut qu'une autre."""
    from sklearn.metrics import roc_auc_score

    probabilities = np.asarray(model.predict(x, batch_size=256, verbose=0))
    labels = np.asarray(y).reshape(-1)
    return float(roc_auc_score(labels == 0, probabilities[:, 0]))


# ============================================================================ empoisonnement du modèle (mod Flower)
class ModelPoisoningMod:
    """Un *mod* Flower du `ClientApp` qui fausse la mise à jour des hôpitaux attaquants.

    Un mod est une fonction `(message, context, call_next) -> réponse` que Flower appelle autour du
    `train` du client : il laisse le client s'entraîner normalement (`call_next`), puis, si l'hôpital
    (`context.node_config["partition-id"]`) est dans `attackers`, remplace les poids renvoyés. Avec
    Δ = w_local − w_global (la mise à jour honnête) :

    - `mode="scale"` : w_global + `factor`·Δ (mise à jour amplifiée : remplacement du modèle,
      Bagdasaryan et al., 2020, avec `factor` ≈ nombre de clients) ;
    - `mode="sign-flip"` : w_global − `factor`·Δ (on pousse le modèle dans la direction opposée) ;
    - `mode="noise"` : w_global + bruit gaussien de même norme que `factor`·Δ.

    Une classe plutôt qu'une fonction imbriquée : Ray la transporte vers les processus des clients.
    """

    def __init__(self, attackers: Iterable[int], mode: str = "sign-flip", factor: float = 5.0, seed: int = 0):
        if mode not in ("scale", "sign-flip", "noise"):
            raise ValueError(f"mode inconnu : {mode!r} (choix : 'scale', 'sign-flip', 'noise')")
        self.attackers = {int(a) for a in attackers}
        self.mode = mode
        self.factor = float(factor)
        self.seed = int(seed)

    def __repr__(self) -> str:
        return f"ModelPoisoningMod(attackers={sorted(self.attackers)}, mode={self.mode!r}, factor={self.factor:g})"

    def poison(self, global_weights: Sequence[np.ndarray], local_weights: Sequence[np.ndarray],
               rng: np.random.Generator | None = None) -> list[np.ndarray]:
        """Les poids que l'attaquant envoie à la place de `local_weights`."""
        update = [np.asarray(l, dtype=np.float64) - np.asarray(g, dtype=np.float64)
                  for g, l in zip(global_weights, local_weights)]
        if self.mode == "scale":
            poisoned = [g + self.factor * u for g, u in zip(global_weights, update)]
        elif self.mode == "sign-flip":
            poisoned = [g - self.factor * u for g, u in zip(global_weights, update)]
        else:
            rng = rng or np.random.default_rng(self.seed)
            norm = self.factor * np.sqrt(sum(float(np.sum(u ** 2)) for u in update))
            noise = [rng.normal(size=np.shape(u)) for u in update]
            scale = norm / max(np.sqrt(sum(float(np.sum(n ** 2)) for n in noise)), 1e-12)
            poisoned = [g + scale * n for g, n in zip(global_weights, noise)]
        return [np.asarray(p, dtype=np.asarray(l).dtype) for p, l in zip(poisoned, local_weights)]

    def __call__(self, msg, context, call_next):
        from flwr.app import ArrayRecord

        reply = call_next(msg, context)
        partition_id = int(context.node_config["partition-id"])
        if (partition_id not in self.attackers or msg.metadata.message_type != "train"
                or reply.has_error() or "arrays" not in reply.content):
            return reply  # hôpital honnête, évaluation, ou erreur : rien à changer
        global_weights = msg.content["arrays"].to_numpy_ndarrays()  # ce que le serveur a envoyé
        local_weights = reply.content["arrays"].to_numpy_ndarrays()  # ce que le client a appris
        round_number = int(msg.content["config"].get("server-round", 0)) if "config" in msg.content else 0
        rng = np.random.default_rng([self.seed, partition_id, round_number])
        reply.content["arrays"] = ArrayRecord(self.poison(global_weights, local_weights, rng))
        return reply


# ============================================================================ scénarios attaque × défense (Flower)
ATTACKS = ("none", "label_flip", "sign_flip", "backdoor")
DEFENCES = ("fedavg", "fedmedian", "fedtrimmedavg", "krum", "multikrum", "bulyan", "dp")


def make_strategy(defence: str, num_hospitals: int, num_attackers: int = 0, *, noise_multiplier: float = 0.1,
                  clipping_norm: float = 1.0, trim_beta: float = 0.3):
    """Une stratégie de Flower (`flwr.serverapp.strategy`), tous les hôpitaux à chaque tour, sans évaluation fédérée.

    - `fedavg` : FedAvg ; `fedmedian` : médiane coordonnée par coordonnée (Yin et al., 2018) ;
    - `fedtrimmedavg` : moyenne tronquée (`trim_beta` de chaque côté, Yin et al., 2018) ;
    - `krum` / `multikrum` : Krum (Blanchard et al., 2017), en supposant `num_attackers` malveillants ;
    - `bulyan` : Bulyan (El Mhamdi et al., 2018), qui exige n ≥ 4f + 3 : f = min(num_attackers, (n − 3) // 4) ;
    - `dp` : `DifferentialPrivacyServerSideFixedClipping` autour de FedAvg (McMahan et al., 2018) :
      chaque mise à jour est écrêtée à `clipping_norm`, puis un bruit gaussien d'écart-type
      `noise_multiplier × clipping_norm / n` est ajouté à la moyenne.
    """
    from flwr.serverapp import strategy as flower

    common = dict(fraction_evaluate=0.0, min_available_nodes=num_hospitals, min_train_nodes=num_hospitals,
                  min_evaluate_nodes=0)
    if defence == "fedavg":
        return flower.FedAvg(**common)
    if defence == "fedmedian":
        return flower.FedMedian(**common)
    if defence == "fedtrimmedavg":
        return flower.FedTrimmedAvg(beta=trim_beta, **common)
    if defence == "krum":
        return flower.Krum(num_malicious_nodes=num_attackers, **common)
    if defence == "multikrum":
        return flower.MultiKrum(num_malicious_nodes=num_attackers, num_nodes_to_select=num_hospitals - num_attackers,
                                **common)
    if defence == "bulyan":
        return flower.Bulyan(num_malicious_nodes=min(num_attackers, (num_hospitals - 3) // 4), **common)
    if defence == "dp":
        return flower.DifferentialPrivacyServerSideFixedClipping(
            flower.FedAvg(**common), noise_multiplier=noise_multiplier, clipping_norm=clipping_norm,
            num_sampled_clients=num_hospitals)
    raise ValueError(f"défense inconnue : {defence!r} (choix : {', '.join(DEFENCES)})")


def pretrained_weights(federation: dict, *, epochs: int = 8, seed: int = 0) -> list[np.ndarray]:
    """Le modèle commun au moment de l'attaque : entraîné `epochs` époques sur l'entraînement réuni.

    Il tient lieu des tours fédérés honnêtes déjà faits par le consortium (l'attaque de Bagdasaryan et al.
    vise un modèle déjà convergé) et évite de les simuler un à un.
    """
    import keras

    keras.utils.set_random_seed(seed)
    model = build_breast_cnn(federation["mean"], federation["std"])
    model.fit(federation["x_train"], federation["y_train"], epochs=epochs, batch_size=32, verbose=0)
    return model.get_weights()


def attacked_clients(federation: dict, attack: str, attackers: Sequence[int], *, target: int = 0, copies: int = 3,
                     sign_flip_factor: float = 10.0):
    """Les données des hôpitaux et les mods Flower d'une attaque : `(client_data, client_mods)`."""
    clients = list(federation["clients"])
    mods = None
    if attack == "label_flip":
        for a in attackers:
            clients[a] = (clients[a][0], flip_labels(clients[a][1]))
    elif attack == "backdoor":
        for a in attackers:
            clients[a] = backdoor_dataset(*clients[a], target=target, copies=copies, seed=a)
    elif attack == "sign_flip":
        mods = [ModelPoisoningMod(attackers, mode="sign-flip", factor=sign_flip_factor)]
    elif attack != "none":
        raise ValueError(f"attaque inconnue : {attack!r} (choix : {', '.join(ATTACKS)})")
    return clients, mods


def run_scenario(federation: dict, attack: str, defence: str, *, initial_weights, num_attackers: int = 2,
                 rounds: int = 2, local_epochs: int = 1, batch_size: int = 16, target: int = 0, seed: int = 0,
                 engine: str = "ray", noise_multiplier: float = 0.1, clipping_norm: float = 1.0,
                 reference_predictions=None) -> dict:
    """Une simulation Flower : `attack` (voir `ATTACKS`) par les hôpitaux 0..num_attackers−1, contre `defence`.

    Renvoie `clean_acc` et `auc` (test, images propres), `trigger_rate` (sans attaque : la part des images de
    vraie classe ≠ `target` que le déclencheur suffit à faire classer `target`), `attack_success` (porte dérobée : le taux de succès
    sur les images de test de vraie classe ≠ `target` avec déclencheur ; attaques non ciblées : la part des images
    de test bien classées par `reference_predictions` — le même modèle sans attaque — et mal classées ici),
    `predictions` (classes prédites sur le test) et `weights` (modèle final).
    """
    from .federated import run_flower_simulation

    attackers = list(range(num_attackers)) if attack != "none" else []
    clients, mods = attacked_clients(federation, attack, attackers, target=target)
    n = len(clients)
    _, weights = run_flower_simulation(
        model_factory(federation["mean"], federation["std"]), clients,
        strategy=lambda: make_strategy(defence, n, len(attackers), noise_multiplier=noise_multiplier,
                                       clipping_norm=clipping_norm),
        num_rounds=rounds, local_epochs=local_epochs, batch_size=batch_size, initial_weights=initial_weights,
        seed=seed, client_mods=mods, engine=engine, verbose=False)
    model = _evaluation_model(federation)
    model.set_weights(weights)
    x_test, y_test = federation["x_test"], federation["y_test"]
    predictions = predict_labels(model, x_test)
    result = {"clean_acc": float(np.mean(predictions == y_test)), "auc": auc_score(model, x_test, y_test),
              "predictions": predictions, "weights": weights}
    if attack == "backdoor":
        result["attack_success"] = attack_success_rate(model, x_test, y_test, target=target)
    elif attack == "none":  # le même déclencheur sur un modèle sans porte dérobée : le niveau de base
        result["trigger_rate"] = attack_success_rate(model, x_test, y_test, target=target)
    elif attack != "none" and reference_predictions is not None:
        was_right = np.asarray(reference_predictions) == y_test
        result["attack_success"] = float(np.mean(was_right & (predictions != y_test)) / max(np.mean(was_right), 1e-12))
    return result


def _evaluation_model(federation: dict):
    """Le modèle qui évalue une simulation : celui de l'appel précédent quand il est identique (sa fonction de
    prédiction est déjà tracée par TensorFlow), dans l'état exact d'un modèle neuf (`federated._engine.reuse_model`)."""
    from .federated._engine import reuse_model

    return reuse_model("security-evaluation", build_breast_cnn(federation["mean"], federation["std"]))


def dp_training(federation: dict, noise_multiplier: float, clipping_norm: float, *, rounds: int = 3,
                local_epochs: int = 5, seed: int = 0, engine: str = "ray") -> dict:
    """Un modèle entraîné **à partir de zéro** par FedAvg, avec (σ > 0) ou sans (σ = 0) DP côté serveur.

    `DifferentialPrivacyServerSideFixedClipping` de Flower écrête chaque mise à jour à `clipping_norm` et ajoute
    à la moyenne un bruit gaussien d'écart-type σ·C/n. ε est calculé par `dp_epsilon` (tous les hôpitaux à
    chaque tour, δ = 1e-5). L'attaque d'appartenance vise l'entraînement réuni (membres) contre le test.
    Renvoie `epsilon`, `auc`, `clean_acc`, `mia_auc`, `mia_ci` (IC 95 % bootstrap), `loss_gap`, `weights`.
    """
    import keras

    keras.utils.set_random_seed(seed)
    start = build_breast_cnn(federation["mean"], federation["std"]).get_weights()
    cell = run_scenario(federation, "none", "dp" if noise_multiplier > 0 else "fedavg", initial_weights=start,
                        rounds=rounds, local_epochs=local_epochs, seed=seed, engine=engine,
                        noise_multiplier=max(noise_multiplier, 1e-9), clipping_norm=clipping_norm)
    model = _evaluation_model(federation)
    model.set_weights(cell["weights"])
    attack = membership_inference(model, (federation["x_train"], federation["y_train"]),
                                  (federation["x_test"], federation["y_test"]), seed=seed)
    epsilon = dp_epsilon(noise_multiplier, rounds=rounds) if noise_multiplier > 0 else float("inf")
    return {"epsilon": epsilon, "auc": cell["auc"], "clean_acc": cell["clean_acc"], "mia_auc": attack["auc"],
            "mia_ci": bootstrap_auc(attack["scores"], attack["is_member"], n_boot=200, seed=seed),
            "loss_gap": attack["gap"], "weights": cell["weights"]}


def update_norm(federation: dict, initial_weights, *, hospital: int = -1, epochs: int = 1, seed: int = 0) -> float:
    """Norme L2 de la mise à jour d'un hôpital honnête (`epochs` époques à partir de `initial_weights`) :
    l'ordre de grandeur d'où choisir la norme d'écrêtage de la DP."""
    import keras

    keras.utils.set_random_seed(seed)
    model = build_breast_cnn(federation["mean"], federation["std"])
    model.set_weights(initial_weights)
    model.fit(*federation["clients"][hospital], epochs=epochs, batch_size=16, verbose=0)
    return float(np.sqrt(sum(np.sum((a - b) ** 2) for a, b in zip(model.get_weights(), initial_weights))))


# ============================================================================ inférence d'appartenance
def example_losses(model, x, y, batch_size: int = 256) -> np.ndarray:
    """Perte d'entropie croisée de chaque exemple (l'indice que regarde l'attaque par seuil)."""
    probabilities = np.asarray(model.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64)
    labels = np.asarray(y).reshape(len(y), -1)[:, 0].astype(int)
    if probabilities.ndim == 1 or probabilities.shape[-1] == 1:
        p = probabilities.reshape(-1)
        p_true = np.where(labels == 1, p, 1 - p)
    else:
        p_true = probabilities[np.arange(len(labels)), labels]
    return -np.log(np.clip(p_true, 1e-12, 1.0))


def membership_inference(model, members, non_members, *, max_examples: int | None = None, seed: int = 0) -> dict:
    """Attaque d'appartenance par seuil sur la perte (Yeom et al., 2018 ; Shokri et al., 2017 pour l'idée).

    `members` = `(x, y)` d'entraînement, `non_members` = `(x, y)` jamais vus (le test). Le score
    d'appartenance est −perte : un exemple vu à l'entraînement a en général une perte plus faible.
    Les deux groupes sont ramenés à la même taille (tirage fixé par `seed`). Renvoie un dictionnaire :
    `auc` (AUC de l'attaque : 0,5 = hasard), `advantage` (max TPR − FPR), `train_loss`, `test_loss`
    (moyennes), `gap` (écart de perte test − train), `scores`, `is_member`.
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    rng = np.random.default_rng(seed)
    size = min(len(members[0]), len(non_members[0]))
    if max_examples is not None:
        size = min(size, int(max_examples))
    pick_in = rng.choice(len(members[0]), size=size, replace=False)
    pick_out = rng.choice(len(non_members[0]), size=size, replace=False)
    loss_in = example_losses(model, np.asarray(members[0])[pick_in], np.asarray(members[1])[pick_in])
    loss_out = example_losses(model, np.asarray(non_members[0])[pick_out], np.asarray(non_members[1])[pick_out])
    scores = -np.concatenate([loss_in, loss_out])
    is_member = np.concatenate([np.ones(size, dtype=int), np.zeros(size, dtype=int)])
    fpr, tpr, _ = roc_curve(is_member, scores)
    return {"auc": float(roc_auc_score(is_member, scores)), "advantage": float(np.max(tpr - fpr)),
            "train_loss": float(loss_in.mean()), "test_loss": float(loss_out.mean()),
            "gap": float(loss_out.mean() - loss_in.mean()), "scores": scores, "is_member": is_member}


def bootstrap_auc(scores, is_member, *, n_boot: int = 500, seed: int = 0) -> tuple[float, float]:
    """Intervalle de confiance à 95 % (bootstrap) de l'AUC d'une attaque d'appartenance."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    scores, is_member = np.asarray(scores), np.asarray(is_member)
    values = []
    for _ in range(n_boot):
        index = rng.integers(0, len(scores), len(scores))
        if is_member[index].min() != is_member[index].max():
            values.append(roc_auc_score(is_member[index], scores[index]))
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


# ============================================================================ inversion de gradient
def build_inversion_model(input_shape=(28, 28, 1), num_classes: int = 2, seed: int = 0):
    """Le petit réseau de l'attaque DLG (Zhu et al., 2019) : trois convolutions à sigmoïde et une couche dense.

    La sigmoïde (et non ReLU) rend le gradient deux fois dérivable partout, ce dont l'attaque a besoin.
    Sortie : probabilités des `num_classes` classes (softmax).
    """
    import keras

    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input(shape=input_shape),
        keras.layers.Conv2D(12, 5, strides=2, padding="same", activation="sigmoid"),
        keras.layers.Conv2D(12, 5, strides=2, padding="same", activation="sigmoid"),
        keras.layers.Conv2D(12, 5, strides=1, padding="same", activation="sigmoid"),
        keras.layers.Flatten(),
        keras.layers.Dense(num_classes, activation="softmax"),
    ], name="lenet_dlg")


def _loss(model, x, y_onehot):
    import tensorflow as tf

    probabilities = model(x, training=False)
    return tf.reduce_mean(-tf.reduce_sum(y_onehot * tf.math.log(tf.clip_by_value(probabilities, 1e-12, 1.0)), axis=-1))


def client_gradients(model, x, y, num_classes: int = 2) -> list[np.ndarray]:
    """Le gradient de la perte moyenne d'un lot `(x, y)` : ce qu'un client partagerait avec FedSGD."""
    import tensorflow as tf

    x = tf.convert_to_tensor(np.asarray(x, dtype=np.float32))
    y_onehot = tf.one_hot(np.asarray(y).reshape(-1).astype(int), num_classes)
    with tf.GradientTape() as tape:
        loss = _loss(model, x, y_onehot)
    return [g.numpy() for g in tape.gradient(loss, model.trainable_variables)]


def local_update_as_gradient(model, x, y, *, steps: int, learning_rate: float = 0.1, batch_size: int | None = None,
                             num_classes: int = 2, seed: int = 0) -> list[np.ndarray]:
    """Ce qu'un client FedAvg partage après `steps` pas de SGD locaux, vu par le serveur comme un gradient :
    (w_avant − w_après) / (pas × taux). Le modèle est remis dans son état de départ à la fin."""
    start = [w.copy() for w in model.get_weights()]
    before = [v.numpy().copy() for v in model.trainable_variables]
    rng = np.random.default_rng(seed)
    x, y = np.asarray(x, dtype=np.float32), np.asarray(y)
    batch_size = batch_size or len(x)
    for _ in range(steps):
        index = rng.choice(len(x), size=min(batch_size, len(x)), replace=False)
        grads = client_gradients(model, x[index], y[index], num_classes)
        for variable, g in zip(model.trainable_variables, grads):
            variable.assign(variable.numpy() - learning_rate * g)
    after = [v.numpy() for v in model.trainable_variables]
    model.set_weights(start)
    return [(b - a) / (steps * learning_rate) for b, a in zip(before, after)]


def idlg_label(gradients, num_classes: int | None = None) -> int:
    """iDLG (Zhao et al., 2020) : la vraie classe d'une image seule se lit dans le gradient du biais de la
    dernière couche. Avec softmax et entropie croisée, ∂L/∂b_c = p_c − 1[c = y] : seule la vraie classe
    a une composante négative."""
    bias_gradient = np.asarray(gradients[-1]).reshape(-1)
    return int(np.argmin(bias_gradient))


def invert_gradients(model, target_gradients, *, shape, labels, steps: int = 300, learning_rate: float = 0.1,
                     num_classes: int = 2, seed: int = 0, tv_weight: float = 0.0):
    """Reconstruit des images à partir d'un gradient partagé (DLG, Zhu et al., 2019 ; iDLG pour l'étiquette).

    On part d'images aléatoires `x'` de forme `shape` (par exemple `(1, 28, 28, 1)`) avec les étiquettes
    `labels` (lues par `idlg_label`, ou supposées connues pour un lot), et on descend la distance
    ‖∇L(x') − ∇L(x)‖² entre leur gradient et le gradient partagé, par rapport à `x'` : il faut le gradient
    d'un gradient, deux `tf.GradientTape` imbriqués. L'optimiseur est Adam (DLG utilisait L-BFGS) ; les
    pixels restent dans [0, 1] grâce à une sigmoïde. `tv_weight` > 0 ajoute une pénalité de variation totale.

    Renvoie `(images, distances)` : les images reconstruites (NumPy, dans [0, 1]) et la distance des
    gradients toutes les 10 itérations.
    """
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    logits = tf.Variable(rng.normal(0.0, 1.0, size=shape).astype(np.float32))
    y_onehot = tf.one_hot(np.asarray(labels).reshape(-1).astype(int), num_classes)
    targets = [tf.constant(g, dtype=tf.float32) for g in target_gradients]
    optimizer = tf.keras.optimizers.Adam(learning_rate=learning_rate)
    variables = model.trainable_variables

    @tf.function
    def step():
        with tf.GradientTape() as outer:
            x = tf.sigmoid(logits)
            with tf.GradientTape() as inner:
                loss = _loss(model, x, y_onehot)
            grads = inner.gradient(loss, variables)
            distance = tf.add_n([tf.reduce_sum(tf.square(g - t)) for g, t in zip(grads, targets)])
            objective = distance + tv_weight * tf.reduce_mean(tf.image.total_variation(x))
        optimizer.apply_gradients([(outer.gradient(objective, logits), logits)])
        return distance

    distances = []
    for iteration in range(steps):
        distance = step()
        if iteration % 10 == 0 or iteration == steps - 1:
            distances.append(float(distance))
    return tf.sigmoid(logits).numpy(), distances


def image_similarity(original, reconstructed) -> dict:
    """Ressemblance de deux images dans [0, 1] : SSIM (`tf.image.ssim`, 1 = identiques, ≈ 0 = sans rapport),
    PSNR (dB, plus haut = plus proche) et MSE. Une reconstruction est jugée reconnaissable vers SSIM ≥ 0,5."""
    import tensorflow as tf

    a = np.asarray(original, dtype=np.float32)
    b = np.asarray(reconstructed, dtype=np.float32)
    if a.ndim == 2:
        a, b = a[..., None], b[..., None]
    mse = float(np.mean((a - b) ** 2))
    ssim = float(tf.image.ssim(tf.constant(a), tf.constant(b), max_val=1.0, filter_size=7))
    psnr = float(10 * np.log10(1.0 / max(mse, 1e-12)))
    return {"ssim": ssim, "psnr": psnr, "mse": mse}


def best_match_similarity(originals, reconstructions) -> list[dict]:
    """Pour un lot reconstruit (ordre inconnu), la meilleure ressemblance de chaque image originale."""
    return [max((image_similarity(o, r) for r in reconstructions), key=lambda s: s["ssim"]) for o in originals]


def noisy_gradients(gradients, *, clipping_norm: float, noise_multiplier: float, seed: int = 0) -> list[np.ndarray]:
    """Défense d'un client contre l'inversion : gradient écrêté à `clipping_norm` (norme L2 globale) puis bruit
    gaussien d'écart-type `noise_multiplier × clipping_norm` (le mécanisme de DP-SGD et de `LocalDpMod`)."""
    rng = np.random.default_rng(seed)
    norm = np.sqrt(sum(float(np.sum(np.square(g))) for g in gradients))
    factor = min(1.0, clipping_norm / max(norm, 1e-12))
    return [np.asarray(g) * factor + rng.normal(0.0, noise_multiplier * clipping_norm, size=np.shape(g)).astype(np.float32)
            for g in gradients]


# ============================================================================ comptabilité DP
def dp_epsilon(noise_multiplier: float, *, rounds: int, sampling_rate: float = 1.0, delta: float = 1e-5) -> float:
    """ε d'un mécanisme gaussien appliqué `rounds` fois (DP-FedAvg : un tour = une publication du modèle).

    Calcul par le comptable PRV de Microsoft (`prv-accountant`, Gopi et al., 2021), jamais à la main :
    - `sampling_rate` = 1 : tous les hôpitaux à chaque tour, mécanisme gaussien simple composé `rounds` fois ;
    - `sampling_rate` < 1 : hôpitaux tirés au hasard (Poisson) à chaque tour, ce qui amplifie la confidentialité.
    Le σ du bruit vaut `noise_multiplier` × la sensibilité (la norme d'écrêtage). Renvoie l'estimation
    centrale du comptable (sa borne haute est à 0,01 près).
    """
    from prv_accountant import GaussianMechanism, PoissonSubsampledGaussianMechanism, PRVAccountant

    if noise_multiplier <= 0:
        return float("inf")
    if sampling_rate >= 1.0:
        mechanism = GaussianMechanism(noise_multiplier=float(noise_multiplier))
    else:
        mechanism = PoissonSubsampledGaussianMechanism(noise_multiplier=float(noise_multiplier),
                                                       sampling_probability=float(sampling_rate))
    accountant = PRVAccountant(prvs=[mechanism], max_self_compositions=[int(rounds)], eps_error=0.01,
                               delta_error=delta / 1000)
    _, estimate, _ = accountant.compute_epsilon(delta=delta, num_self_compositions=[int(rounds)])
    return float(estimate)


# ============================================================================ agrégation sécurisée (SecAgg+)
def run_secagg_demo(num_clients: int = 5, *, dimension: int = 1000, rounds: int = 1, secure: bool = True,
                    attackers: Iterable[int] = (), attack_factor: float = -20.0, seed: int = 0) -> dict:
    """Un tour d'agrégation avec ou sans SecAgg+ (Bell et al., 2020), dans un petit ServerApp de Flower.

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

    from .federated import _engine

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
    with _engine.quiet(), _engine.simulation_backend("local"):
        run_simulation(server_app=server_app, client_app=client_app, num_supernodes=num_clients)
    seconds = time.perf_counter() - start
    return {"seen": record["seen"].get(0), "true_update": sent[0], "aggregate": record["aggregate"],
            "expected_mean": np.mean(sent, axis=0), "seconds": seconds, "messages": record["messages"]}


__all__ = [
    "ModelPoisoningMod", "add_trigger", "attack_success_rate", "best_match_similarity", "bootstrap_auc",
    "build_inversion_model", "clean_accuracy", "client_gradients", "dp_epsilon", "example_losses", "flip_labels",
    "idlg_label", "image_similarity", "invert_gradients", "local_update_as_gradient", "membership_inference",
    "noisy_gradients", "poison_backdoor", "predict_labels", "run_secagg_demo",
]
