"""Vérifications des exercices du notebook semaine_5/02 (vision fédérée entre hôpitaux non IID)."""
from __future__ import annotations

import numpy as np

from . import call_answer, ensure_done, report


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
    ])


def check_local_layers(is_local, model) -> bool:
    """Exercice 2 : les couches qui restent à l'hôpital avec FedBN (la normalisation par lot, et elle seule)."""
    import keras

    ensure_done(is_local, "is_local")
    chosen = [layer.name for layer in model.layers if call_answer(is_local, layer, name="is_local")]
    batchnorm = [layer.name for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    weighted_others = [layer.name for layer in model.layers
                       if layer.weights and not isinstance(layer, keras.layers.BatchNormalization)]
    other = keras.layers.BatchNormalization(name="normalisation_par_lot")
    by_type = bool(call_answer(is_local, other, name="is_local"))
    return report("Exercice 2 — les couches locales de FedBN", [
        (set(batchnorm) <= set(chosen), "toutes les couches de normalisation par lot restent locales",
         "Testez le type de la couche : isinstance(layer, keras.layers.BatchNormalization)."),
        (not set(chosen) & set(weighted_others), "les convolutions et la couche dense sont partagées",
         "Seule la normalisation est propre à chaque appareil ; le reste du modèle s'apprend ensemble."),
        (by_type, "une couche de normalisation reconnue quel que soit son nom",
         "Ne vous fiez pas au nom (« bn_1 ») : testez le type de la couche."),
    ])


def check_worst_local(worst_local, best_federated, auc_table) -> bool:
    """Exercice 3 : le pire modèle local et le meilleur modèle fédéré, d'après l'AUC moyenne des hôpitaux."""
    ensure_done(worst_local, "worst_local")
    ensure_done(best_federated, "best_federated")
    mean = auc_table.mean(axis=1)
    local_rows = [name for name in auc_table.index if name.startswith("local")]
    federated_rows = [name for name in auc_table.index if name.startswith(("FedAvg", "FedProx", "FedBN"))]
    expected_worst = mean[local_rows].idxmin()
    expected_best = mean[federated_rows].idxmax()
    return report("Exercice 3 — le pire hôpital seul contre le meilleur fédéré", [
        (worst_local in local_rows, "worst_local est une ligne « local … » du tableau",
         f"Choisissez parmi : {', '.join(local_rows)}."),
        (worst_local == expected_worst, "le modèle local à la plus faible AUC moyenne",
         "Faites la moyenne de chaque ligne sur les hôpitaux (`auc_table.mean(axis=1)`), puis `idxmin()` sur les lignes locales."),
        (best_federated in federated_rows, "best_federated est une ligne fédérée (FedAvg, FedProx, FedBN…)",
         "Le modèle centralisé n'est pas fédéré : il réunit les données."),
        (best_federated == expected_best, "le modèle fédéré à la plus forte AUC moyenne",
         "`idxmax()` sur les lignes fédérées de la moyenne par ligne."),
    ])
