"""Vérifications des exercices de semaine_1/01 (atelier cancer du sein)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import call_answer, ensure_done, exercise_check, report


MAX_ROTATION = 0.125  # en fraction de tour (Keras) : ± 45°


def _all_layers(model) -> list:
    """Les couches d'un modèle, en descendant dans les `Sequential` imbriqués."""
    found = []
    for layer in getattr(model, "layers", []):
        found.extend(_all_layers(layer) if hasattr(layer, "layers") else [layer])
    return found


@exercise_check
def check_augmentation(data_augmentation, images, value_range=(0.0, 1.0)) -> bool:
    """Exercice 1 : un pipeline Keras d'augmentation qui garde la forme, la plage de valeurs, et transforme vraiment les images."""
    ensure_done(data_augmentation, "data_augmentation")
    batch = np.asarray(images[:4], dtype=np.float32)
    augmented = np.asarray(call_answer(data_augmentation, batch, training=True, name="data_augmentation"))
    unchanged = np.asarray(data_augmentation(batch, training=False))
    layers = _all_layers(data_augmentation)  # y compris celles d'un Sequential imbriqué
    kinds = {type(layer).__name__ for layer in layers}
    vertical = [type(layer).__name__ for layer in layers if "vertical" in str(getattr(layer, "mode", ""))]
    # Une rotation de plus d'un huitième de tour (± 45°) met la peau sur le côté, voire en bas (0,5 : la tête en
    # bas, comme un retournement haut-bas) : ce n'est plus une sonde « tenue un peu autrement ».
    too_turned = [float(np.max(np.abs(np.ravel(layer.factor)))) for layer in layers
                  if type(layer).__name__ == "RandomRotation" and hasattr(layer, "factor")
                  and float(np.max(np.abs(np.ravel(layer.factor)))) > MAX_ROTATION]
    # Keras 3 remplit par défaut en miroir (« reflect ») : seule une autre valeur, donnée exprès, est refusée.
    not_reflect = [type(layer).__name__ for layer in layers
                   if hasattr(layer, "fill_mode") and getattr(layer, "fill_mode") != "reflect"]
    modes = sorted({str(getattr(layer, "fill_mode")) for layer in layers
                    if hasattr(layer, "fill_mode") and getattr(layer, "fill_mode") != "reflect"})
    low, high = value_range
    same_shape = augmented.shape == batch.shape
    in_range = bool(np.isfinite(augmented).all()) and augmented.min() >= low - 1e-4 and augmented.max() <= high + 1e-4
    return report("Exercice 1 — augmentation de données", [
        (same_shape, "la forme des images est conservée",
         "chaque couche doit renvoyer des images de même taille (fill_mode='reflect' par exemple)"),
        (same_shape and not np.allclose(augmented, batch), "les images sont transformées à l'entraînement",
         "appelez les couches avec training=True : sans cela elles ne font rien"),
        (unchanged.shape == batch.shape and np.allclose(unchanged, batch, atol=1e-5),
         "les images ne changent pas en inférence (training=False)",
         "l'augmentation ne doit agir que pendant l'entraînement : n'utilisez que des couches Random..."),
        (len(kinds) >= 3, f"au moins trois transformations différentes ({len(kinds)} sorte(s) de couche)",
         "trois couches de la même sorte ne font qu'une transformation : combinez par exemple "
         "RandomRotation, RandomZoom, RandomTranslation, RandomContrast"),
        (not vertical, "pas de retournement haut-bas",
         "en échographie, la profondeur a un sens (la peau en haut, l'ombre sous la lésion) : "
         "RandomFlip(\"horizontal\") seulement"),
        (not too_turned, f"une rotation légère (au plus ± {360 * MAX_ROTATION:g}°)",
         f"RandomRotation({max(too_turned, default=0):g}) tourne l'image jusqu'à ± {360 * max(too_turned, default=0):g}° "
         "(le facteur est une fraction de tour) : la peau passerait sur le côté ou en bas. Une sonde n'est "
         "tenue qu'un peu autrement : un facteur de 0,05 (± 18°) suffit"),
        (not not_reflect, "fill_mode=\"reflect\" sur les couches qui remplissent des bords",
         f"{', '.join(sorted(set(not_reflect)))} : donnez fill_mode=\"reflect\" (vous avez "
         f"{', '.join(repr(m) for m in modes)} ; avec \"constant\", des coins noirs apparaissent, avec \"nearest\" "
         "ou \"wrap\", des bandes étirées ou des morceaux déplacés, qu'aucune échographie ne montre)"),
        (in_range, f"les pixels restent dans la plage des images d'entrée [{low:g}, {high:g}]",
         "les images sont entre 0 et 1 : donnez value_range=(0, 1) à RandomContrast / RandomBrightness "
         "(par défaut, Keras suppose 0–255), et pas de Rescaling"),
    ])


@exercise_check
def check_activation_model(activation_model, model, layer_names, image) -> bool:
    """Exercice 2 : un modèle intermédiaire qui renvoie les activations des couches demandées, celles du modèle entraîné."""
    import keras

    ensure_done(activation_model, "activation_model")
    image = np.asarray(image)[None]
    outputs = activation_model.predict(image, verbose=0)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    expected = [tuple(model.get_layer(name).output.shape[1:]) for name in layer_names]
    shapes = [tuple(np.shape(output)[1:]) for output in outputs]
    reference = keras.Model(model.inputs, [model.get_layer(name).output for name in layer_names]).predict(image, verbose=0)
    reference = reference if isinstance(reference, (list, tuple)) else [reference]
    same_values = shapes == expected and all(np.allclose(np.asarray(got), np.asarray(want), atol=1e-5)
                                             for got, want in zip(outputs, reference))
    return report("Exercice 2 — cartes d'activation", [
        (len(outputs) == len(layer_names), f"une sortie par couche demandée ({len(layer_names)})",
         "outputs=[model.get_layer(nom).output for nom in layer_names]"),
        (shapes == expected, "chaque sortie a la forme de la couche correspondante",
         "gardez l'ordre de layer_names et les entrées du modèle entraîné : inputs=model.inputs"),
        (same_values, "les activations sont celles du modèle entraîné `model`",
         "construisez activation_model à partir du modèle entraîné : inputs=model.inputs et "
         "model.get_layer(nom).output ; un nouveau build_cnn(...) a des poids au hasard"),
    ])


@exercise_check
def check_threshold(predict_with_threshold, least_confident, probabilities, n_least: int = 5) -> bool:
    """Exercice 3 : classes prédites à un seuil donné, et images les moins sûres (proba la plus proche de 0,5)."""
    ensure_done(least_confident, "least_confident")
    probabilities = np.asarray(probabilities, dtype=float).ravel()
    results = []
    for threshold in (0.2, 0.5, 0.8):
        # On ajoute des probabilités exactement égales au seuil : c'est là que « > » et « ≥ » diffèrent.
        probe = np.concatenate([probabilities, [threshold, threshold]])
        got = np.asarray(call_answer(predict_with_threshold, probe, threshold, name="predict_with_threshold")).ravel()
        results.append((got.shape == probe.shape and np.array_equal(got.astype(int), (probe >= threshold).astype(int)),
                        f"classes prédites correctes au seuil {threshold}",
                        "une image est « maligne » (1) si sa probabilité est ≥ au seuil, sinon « bénigne » (0)"))
    expected = set(np.argsort(np.abs(probabilities - 0.5), kind="stable")[:n_least].tolist())
    results.append((set(np.asarray(least_confident).ravel().tolist()) == expected,
                    f"les {n_least} images les moins sûres sont trouvées",
                    "triez par |probabilité − 0,5| croissant (np.argsort) et gardez les premiers indices"))
    return report("Exercice 3 — seuil de décision et confiance", results)


def reference_image_quality(gray) -> dict:
    """Solution de référence de l'exercice 4."""
    import cv2

    gray = np.asarray(gray)
    return {"sharpness": float(cv2.Laplacian(gray, cv2.CV_64F).var()),
            "contrast": float(gray.std()), "brightness": float(gray.mean())}


QUALITY_MEASURES = ("sharpness", "contrast", "brightness")
QUALITY_GROUPS = ("faible", "moyen", "élevé")


@exercise_check
def check_quality_analysis(image_quality, quality_table, images, y_true, y_pred) -> bool:
    """Exercice 4 : mesures de qualité d'image, colonne d'erreur, et trois groupes de même taille par mesure."""
    ensure_done(quality_table, "quality_table")
    results = []
    for index, gray in enumerate(images[:3]):
        got = call_answer(image_quality, gray, name="image_quality")
        want = reference_image_quality(gray)
        same = isinstance(got, dict) and all(np.isclose(got.get(k, np.nan), v, rtol=1e-3) for k, v in want.items())
        results.append((same, f"mesures correctes pour l'image {index}",
                        "netteté = variance du laplacien (cv2.Laplacian(..., cv2.CV_64F).var()), "
                        "contraste = écart-type, luminosité = moyenne"))
    columns = {*QUALITY_MEASURES, *(f"{m}_group" for m in QUALITY_MEASURES), "error"}
    has_columns = isinstance(quality_table, pd.DataFrame) and columns <= set(quality_table.columns)
    results.append((has_columns, "le tableau a les trois mesures, leurs groupes et l'erreur",
                    f"colonnes attendues : {', '.join(sorted(columns))}"))
    if not has_columns:
        return report("Exercice 4 — erreurs selon la qualité d'image", results)
    expected_error = (np.asarray(y_pred).astype(int).ravel() != np.asarray(y_true).astype(int).ravel()).astype(int)
    error = np.asarray(quality_table["error"])
    results.append((len(quality_table) == len(expected_error), "une ligne par image de validation",
                    f"{len(expected_error)} lignes attendues, {len(quality_table)} reçues"))
    results.append((error.shape == expected_error.shape and np.array_equal(error.astype(int), expected_error),
                    f"la colonne error marque les {int(expected_error.sum())} image(s) mal classée(s)",
                    "error = 1 là où la classe prédite (au seuil 0,5) diffère de la vraie classe : "
                    "(val_predictions != y_val).astype(int)"))
    # Les mesures du tableau doivent être celles de image_quality sur les images originales (pas sur X_val) ;
    # la justesse de image_quality elle-même est vérifiée plus haut, image par image.
    own = [call_answer(image_quality, gray, name="image_quality") for gray in images]
    for measure in QUALITY_MEASURES:
        values = np.asarray(quality_table[measure], dtype=float)
        on_originals = [item.get(measure, np.nan) if isinstance(item, dict) else np.nan for item in own]
        measured = len(values) == len(on_originals) and np.allclose(values, on_originals, rtol=1e-3)
        results.append((measured, f"la colonne « {measure} » mesure les images originales",
                        "appliquez image_quality aux images originales en niveaux de gris (val_gray), "
                        "pas aux images prétraitées (X_val : redimensionnées, CLAHE, entre 0 et 1)"))
        groups = quality_table[f"{measure}_group"].astype(str).to_numpy()
        counts = pd.Series(groups).value_counts()
        balanced = len(counts) == 3 and counts.max() - counts.min() <= 1
        # Les groupes doivent suivre la mesure : « faible » = le tiers des plus petites valeurs.
        try:
            expected = pd.qcut(pd.Series(values), 3, labels=list(QUALITY_GROUPS)).astype(str).to_numpy()
        except ValueError:  # valeurs trop souvent égales : pas de tiers possibles
            expected = np.array([])
        ordered = len(expected) == len(groups) and np.array_equal(groups, expected)
        results.append((balanced and ordered, f"« {measure} » coupé en trois groupes de même taille, dans l'ordre",
                        f"pd.qcut(quality_table[\"{measure}\"], 3, labels=[\"faible\", \"moyen\", \"élevé\"])"))
    return report("Exercice 4 — erreurs selon la qualité d'image", results)


@exercise_check
def check_error_cases(error_cases, val_df, probabilities, threshold: float = 0.5) -> bool:
    """Exercice 5 : le tableau des erreurs de validation (faux négatifs d'abord), avec la probabilité prédite.

    Les lignes sont reconnues par leur `image_path` (l'index peut avoir été renuméroté).
    """
    ensure_done(error_cases, "error_cases")
    probabilities = np.asarray(probabilities, dtype=float).ravel()
    target = val_df["target"].to_numpy().astype(int)
    predicted = (probabilities >= threshold).astype(int)
    by_path = {path: (t, p, q) for path, t, p, q in zip(val_df["image_path"], target, predicted, probabilities)}
    wrong = {path for path, (t, p, _) in by_path.items() if t != p}
    is_frame = isinstance(error_cases, pd.DataFrame) and "image_path" in error_cases
    paths = list(error_cases["image_path"]) if is_frame else []
    known = all(path in by_path for path in paths)
    rows_ok = is_frame and known and len(paths) == len(set(paths)) and set(paths) == wrong
    false_negatives = [by_path[path][0] == 1 for path in paths] if known else []
    order_ok = rows_ok and false_negatives == sorted(false_negatives, reverse=True)
    has_probability = is_frame and "probability" in error_cases
    probability_ok = has_probability and known and np.allclose(
        np.asarray(error_cases["probability"], dtype=float), [by_path[path][2] for path in paths])
    return report("Exercice 5 — analyse qualitative des erreurs", [
        (is_frame, "un tableau tiré de val_df (avec sa colonne image_path)",
         "partez de val_df : val_df.assign(probability=..., predicted=...), puis filtrez ses lignes"),
        (rows_ok, f"toutes les erreurs de validation au seuil {threshold:g} sont là ({len(wrong)}), et seulement elles",
         f"gardez les lignes où la classe prédite (probabilité ≥ {threshold:g}) diffère de la vraie classe (target)"),
        (order_ok, "les faux négatifs (cancers manqués) viennent en premier",
         "triez pour mettre en tête les malins prédits bénins : ce sont les erreurs les plus graves"),
        (probability_ok, "une colonne probability avec la probabilité prédite de chaque image",
         "ajoutez la colonne : val_df.assign(probability=val_probabilities, ...) avant de filtrer"),
    ])
