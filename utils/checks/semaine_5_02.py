"""Vérifications des exercices du notebook semaine_5/02 (vision fédérée entre hôpitaux non IID)."""
from __future__ import annotations

import numpy as np

from . import call_answer, ensure_done, exercise_check, report


@exercise_check
def check_scanner(apply_scanner) -> bool:
    """Exercice 1 : contraste, gamma et bruit d'un appareil (sans la résolution)."""
    from utils.data.medmnist import simulate_scanner

    rng = np.random.default_rng(3)
    images = rng.uniform(0, 1, (4, 10, 10)).astype(np.float32)
    answer = call_answer(apply_scanner, images.copy(), 0.6, 1.6, 0.0, 0, name="apply_scanner")
    shape_ok = np.shape(answer) == images.shape
    answer = np.asarray(answer, dtype=np.float64) if shape_ok else np.zeros(images.shape)
    expected = simulate_scanner(images, 0.6, 1.6, 0.0)
    swapped = np.clip(0.5 + 0.6 * (images ** 1.6 - 0.5), 0, 1)
    deterministic = simulate_scanner(images, 1.3, 0.7, 0.0)
    strong = call_answer(apply_scanner, images.copy(), 1.3, 0.7, 0.0, 0, name="apply_scanner")
    clipped = np.shape(strong) == images.shape and np.allclose(strong, deterministic, atol=1e-5)
    noisy = call_answer(apply_scanner, images.copy(), 1.0, 1.0, 0.1, 7, name="apply_scanner")
    again = call_answer(apply_scanner, images.copy(), 1.0, 1.0, 0.1, 7, name="apply_scanner")
    noise_ok = np.shape(noisy) == images.shape and np.allclose(noisy, simulate_scanner(images, noise_std=0.1, seed=7), atol=1e-5)
    reproducible = np.shape(noisy) == images.shape and np.allclose(noisy, again)
    in_range = np.shape(noisy) == images.shape and float(np.min(noisy)) >= 0 and float(np.max(noisy)) <= 1
    # Tout à la fois (contraste ≠ 1, gamma ≠ 1, bruit > 0) : l'ordre contraste → gamma → bruit compte.
    given = images.copy()
    combined = call_answer(apply_scanner, given, 1.3, 0.7, 0.05, 3, name="apply_scanner")
    unchanged = np.array_equal(given, images)
    combined_ok = np.shape(combined) == images.shape and np.allclose(combined, simulate_scanner(images, 1.3, 0.7, 0.05,
                                                                                              seed=3), atol=1e-5)
    noise = np.random.default_rng(3).normal(0, 0.05, images.shape)
    noise_first = np.clip(0.5 + 1.3 * (np.clip(images + noise, 0, 1) - 0.5), 0, 1) ** 0.7
    noise_first_raw = np.clip(0.5 + 1.3 * (images + noise - 0.5), 0, 1) ** 0.7
    noise_too_early = np.shape(combined) == images.shape and (
        np.allclose(combined, noise_first, atol=1e-5) or np.allclose(combined, noise_first_raw, atol=1e-5))
    return report("Exercice 1 — l'appareil de chaque hôpital", [
        (shape_ok, "les images gardent leur forme", "Travaillez pixel par pixel, sans changer la forme du tableau."),
        (shape_ok and np.allclose(answer, expected, atol=1e-5), "contraste autour de 0,5, puis gamma",
         "D'abord 0.5 + contrast * (x - 0.5), coupé dans [0, 1] ; ensuite seulement x ** gamma."
         + (" Vous appliquez gamma avant le contraste." if shape_ok and np.allclose(answer, swapped, atol=1e-5) else "")),
        (clipped, "un contraste > 1 reste dans [0, 1] avant le gamma",
         "Coupez avec np.clip(..., 0, 1) après le contraste (une puissance d'un nombre négatif n'a pas de sens)."),
        (noise_ok and reproducible, "bruit gaussien tiré avec np.random.default_rng(seed)",
         "rng = np.random.default_rng(seed) puis x + rng.normal(0, noise_std, x.shape)."),
        (in_range, "le résultat reste dans [0, 1] après le bruit", "Recoupez avec np.clip(..., 0, 1) à la fin."),
        (combined_ok, "dans l'ordre : contraste, gamma, puis le bruit (contraste 1,3, gamma 0,7, bruit 0,05)",
         "Le bruit électronique s'ajoute à l'image déjà formée : contraste, puis gamma, puis le bruit en dernier."
         + (" Vous ajoutez le bruit avant le contraste et le gamma." if noise_too_early else "")),
        (unchanged, "les images reçues ne sont pas modifiées",
         "Travaillez sur une copie (`np.asarray(images, dtype=np.float32)` puis des opérations qui créent un nouveau "
         "tableau) : pas de `images *= ...` ni de `out=images`, qui changent les images de l'appelant."),
    ])


def _mobile_block():
    """Un bloc à la MobileNetV2 : convolution en profondeur (*depthwise*), normalisation par lot et par couche, dense."""
    import keras
    from keras import layers

    inputs = keras.Input((8, 8, 3))
    x = layers.Conv2D(4, 1, name="expansion")(inputs)
    x = layers.BatchNormalization(name="expansion_bn")(x)
    x = layers.DepthwiseConv2D(3, padding="same", name="depthwise")(x)
    x = layers.BatchNormalization(name="depthwise_bn")(x)
    x = layers.SeparableConv2D(4, 3, name="separable")(x)
    x = layers.LayerNormalization(name="layer_norm")(x)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(1, name="sortie")(x), name="bloc_mobile")


@exercise_check
def check_local_layers(is_local, model) -> bool:
    """Exercice 2 : les couches qui restent à l'hôpital avec FedBN (la normalisation par lot, et elle seule).

    Vérifié sur le modèle du notebook et sur un bloc à la MobileNetV2 (convolutions en profondeur et séparables,
    normalisation par couche) : « tout sauf Conv2D et Dense » garderait ces convolutions à l'hôpital.
    """
    import keras

    ensure_done(is_local, "is_local")
    layers_seen = list(model.layers) + list(_mobile_block().layers)
    chosen = [layer.name for layer in layers_seen if call_answer(is_local, layer, name="is_local")]
    batchnorm = [layer.name for layer in layers_seen if isinstance(layer, keras.layers.BatchNormalization)]
    weighted_others = [layer.name for layer in layers_seen
                       if layer.weights and not isinstance(layer, keras.layers.BatchNormalization)]
    wrongly_local = sorted(set(chosen) & set(weighted_others))
    other = keras.layers.BatchNormalization(name="normalisation_par_lot")
    by_type = bool(call_answer(is_local, other, name="is_local"))
    return report("Exercice 2 — les couches locales de FedBN", [
        (set(batchnorm) <= set(chosen), "toutes les couches de normalisation par lot restent locales",
         "Testez le type de la couche : isinstance(layer, keras.layers.BatchNormalization)."),
        (not wrongly_local, "les convolutions (y compris en profondeur), la normalisation par couche et la dense sont partagées",
         "Seule la normalisation par lot est propre à chaque appareil ; le reste du modèle s'apprend ensemble. Dites "
         "ce qui est local (la normalisation par lot) plutôt que ce qui ne l'est pas : une liste de types exclus en "
         "oublie toujours (DepthwiseConv2D n'est pas une Conv2D)."
         + (f" Vous gardez aussi à l'hôpital : {', '.join(wrongly_local)}." if wrongly_local else "")),
        (by_type, "une couche de normalisation reconnue quel que soit son nom",
         "Ne vous fiez pas au nom (« bn_1 ») : testez le type de la couche."),
    ])


@exercise_check
def check_worst_local(worst_local, best_federated, val_auc_table) -> bool:
    """Exercice 3 : le pire modèle local et le meilleur modèle fédéré, d'après l'AUC moyenne de **validation**."""
    ensure_done(worst_local, "worst_local")
    ensure_done(best_federated, "best_federated")
    mean = val_auc_table.mean(axis=1)
    local_rows = [name for name in val_auc_table.index if name.startswith("local")]
    federated_rows = [name for name in val_auc_table.index if name.startswith(("FedAvg", "FedProx", "FedBN"))]
    expected_worst = mean[local_rows].idxmin()
    expected_best = mean[federated_rows].idxmax()
    by_column = {column: (val_auc_table.loc[local_rows, column].idxmin(), val_auc_table.loc[federated_rows, column].idxmax())
                 for column in val_auc_table.columns}
    by_extreme = (val_auc_table.loc[local_rows].min(axis=1).idxmin(), val_auc_table.loc[federated_rows].max(axis=1).idxmax())
    one_column = [c for c, (w, b) in by_column.items() if (w, b) == (worst_local, best_federated)
                  and (w, b) != (expected_worst, expected_best)]
    extreme = (worst_local, best_federated) == by_extreme and by_extreme != (expected_worst, expected_best)
    hint = (f" Votre choix est celui de la seule colonne « {one_column[0]} » : un hôpital, pas la moyenne des trois."
            if one_column else "") + (" Votre choix suit le minimum ou le maximum d'une ligne, pas sa moyenne."
                                      if extreme else "")
    return report("Exercice 3 — le pire hôpital seul contre le meilleur fédéré (sur la validation)", [
        (worst_local in local_rows, "worst_local est une ligne « local … » du tableau",
         f"Choisissez parmi : {', '.join(local_rows)}."),
        (worst_local == expected_worst, "le modèle local à la plus faible AUC moyenne de validation",
         "Faites la moyenne de chaque ligne sur les hôpitaux (`val_auc_table.mean(axis=1)`), puis `idxmin()` sur les "
         "lignes locales." + hint),
        (best_federated in federated_rows, "best_federated est une ligne fédérée (FedAvg, FedProx, FedBN…)",
         "Le modèle centralisé n'est pas fédéré : il réunit les données."),
        (best_federated == expected_best, "le modèle fédéré à la plus forte AUC moyenne de validation",
         "`idxmax()` sur les lignes fédérées de la moyenne par ligne." + hint),
    ])
