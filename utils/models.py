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


def build_breast_cnn(mean: float = 0.0, std: float = 1.0, learning_rate: float = 1e-3):
    """Petit CNN de la tâche BreastMNIST à 28 px (ateliers 6 à 8) : centrage-réduction, deux convolutions, une couche
    dense, softmax à 2 classes. `mean` et `std` : moyenne et écart-type des pixels d'entraînement."""
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


def build_radiograph_cnn(input_shape=(28, 28, 1), learning_rate: float = 2e-3):
    """Le petit CNN de radiographies de la semaine 5 (atelier 2 et `benchmarks/medmnist.py`), déjà compilé.

    Trois blocs convolution 3×3 (16, 32 puis 64 filtres, sans biais) → **normalisation par lot** → ReLU, séparés par
    deux max-pooling 2×2 ; puis la moyenne globale de chaque carte et un neurone sigmoïde (la probabilité de
    pneumonie). Pas de dropout. Adam (pas `learning_rate`), entropie croisée binaire, métriques AUC et exactitude.
    Les normalisations s'appellent `bn_1`, `bn_2`, `bn_3` : ce sont elles que FedBN garde à l'hôpital.
    """
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape, name="image")
    x = inputs
    for index, filters in enumerate((16, 32, 64), start=1):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv_{index}")(x)
        x = layers.BatchNormalization(momentum=0.9, name=f"bn_{index}")(x)
        x = layers.ReLU(name=f"relu_{index}")(x)
        if index < 3:
            x = layers.MaxPooling2D(2, name=f"pool_{index}")(x)
    x = layers.GlobalAveragePooling2D(name="moyenne_globale")(x)
    outputs = layers.Dense(1, activation="sigmoid", name="p_pneumonie")(x)
    model = keras.Model(inputs, outputs, name="cnn_radiographie")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy",
                  metrics=[keras.metrics.AUC(name="auc"), "accuracy"])
    return model
