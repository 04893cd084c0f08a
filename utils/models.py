"""Modèles Keras du cours."""
from __future__ import annotations


def build_cnn(input_shape=(224, 224, 1), learning_rate: float = 1e-3, dropout: float = 0.3, augmentation=None):
    """Petit CNN de classification binaire (sortie sigmoïde = probabilité de la classe 1), déjà compilé.

    Quatre convolutions 3×3 (16, 32, 64 puis 64 filtres, activation ReLU), séparées par trois max-pooling 2×2 :
    elles détectent des motifs de plus en plus grands (bords, contours, formes). Puis le maximum de chaque
    carte de la dernière convolution (max global : « ce motif apparaît-il quelque part dans l'image ? », car
    une lésion n'occupe qu'une petite partie de l'échographie), un dropout contre le surapprentissage, et un
    neurone de sortie. Les couches portent des noms lisibles (`conv_1`, `pool_1`, ...) pour afficher leurs activations.

    `augmentation` : des couches Keras d'augmentation placées en tête du modèle (actives à l'entraînement
    seulement) ; None pour ne pas en mettre.
    """
    import keras
    from keras import layers

    model = keras.Sequential(
        [
            keras.Input(shape=input_shape, name="image"),
            *([augmentation] if augmentation is not None else []),
            layers.Conv2D(16, 3, padding="same", activation="relu", name="conv_1"),
            layers.MaxPooling2D(2, name="pool_1"),
            layers.Conv2D(32, 3, padding="same", activation="relu", name="conv_2"),
            layers.MaxPooling2D(2, name="pool_2"),
            layers.Conv2D(64, 3, padding="same", activation="relu", name="conv_3"),
            layers.MaxPooling2D(2, name="pool_3"),
            layers.Conv2D(64, 3, padding="same", activation="relu", name="conv_4"),
            layers.GlobalMaxPooling2D(name="global_max"),
            layers.Dropout(dropout, name="dropout"),
            layers.Dense(1, activation="sigmoid", name="malignancy_probability"),
        ],
        name="cnn_echographie",
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="binary_crossentropy",
        metrics=["accuracy", keras.metrics.AUC(name="auc")],
    )
    return model
