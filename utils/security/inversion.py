"""Inversion de gradient (DLG, Zhu et al., 2019 ; étiquette à la manière d'iDLG, Zhao et al., 2020)."""
from __future__ import annotations

import numpy as np


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
    """L'étiquette d'une image seule, lue dans le gradient partagé, à la manière d'iDLG (Zhao et al., 2020).

    Règle du cours (une **simplification** de celle de l'article) : avec softmax et entropie croisée,
    ∂L/∂b_c = p_c − 1[c = y] pour le biais de la dernière couche : seule la vraie classe a une composante
    négative. Zhao et al. lisent le signe du gradient des **poids** de la dernière couche,
    ∂L/∂W_{:,c} = a·(p_c − 1[c = y]) avec des activations a ≥ 0, ce qui marche aussi sans biais ;
    les deux règles donnent la même classe quand la couche a un biais et des entrées positives.
    """
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
    gaussien d'écart-type `noise_multiplier × clipping_norm` sur chaque coordonnée (le geste de `LocalDpMod` de
    Flower). `clipping_norm` doit être fixé sans regarder les données (sinon ce n'est plus de la DP)."""
    rng = np.random.default_rng(seed)
    norm = np.sqrt(sum(float(np.sum(np.square(g))) for g in gradients))
    factor = min(1.0, clipping_norm / max(norm, 1e-12))
    return [np.asarray(g) * factor + rng.normal(0.0, noise_multiplier * clipping_norm, size=np.shape(g)).astype(np.float32)
            for g in gradients]
