"""Vérifications des exercices du notebook semaine_5/01 (apprentissage par transfert, Grad-CAM, calibration)."""
from __future__ import annotations

import numpy as np

from . import call_answer, ensure_done, exercise_check, report

# Noms de fichiers du vrai jeu Kaggle (Kermany et al. 2018) et patient attendu.
PATIENT_CASES = {
    "person1_bacteria_1.jpeg": "person1",
    "person1_bacteria_2.jpeg": "person1",
    "person1000_virus_1681.jpeg": "person1000",
    "person22_virus_55.jpeg": "person22",
    "IM-0115-0001.jpeg": "IM-0115",
    "IM-0115-0002.jpeg": "IM-0115",
    "NORMAL2-IM-0927-0001.jpeg": "NORMAL2-IM-0927",
}
SHORTCUT_CHOICES = ("A", "B", "C", "D")
_SHORTCUT_ANSWER = "C"
_SHORTCUT_HINTS = {
    "A": "Une AUC excellente sur les images marquées ne dit pas ce que le modèle regarde : un modèle honnête "
         "pourrait l'avoir aussi. Ce n'est pas une intervention.",
    "B": "La carte Grad-CAM est un indice, pas une preuve : elle montre où le gradient est fort, pas que la "
         "décision en dépend. Cherchez l'observation où l'on CHANGE l'image et mesure l'effet.",
    "D": "La durée d'entraînement ne dit rien de ce que le modèle a appris ; ce n'est pas une intervention.",
}


@exercise_check
def check_patient_id(patient_from_name) -> bool:
    """Exercice 1 : tirer l'identifiant du patient du nom de fichier."""
    answers = {name: call_answer(patient_from_name, name, name="patient_from_name") for name in PATIENT_CASES}
    persons = [n for n in PATIENT_CASES if n.startswith("person")]
    studies = [n for n in PATIENT_CASES if not n.startswith("person")]
    persons_ok = all(answers[n] == PATIENT_CASES[n] for n in persons)
    studies_ok = all(answers[n] == PATIENT_CASES[n] for n in studies)
    kept_extension = any(str(answers[n]).endswith(".jpeg") for n in PATIENT_CASES)
    kept_image_number = any(answers[n] == n.rsplit(".", 1)[0] for n in PATIENT_CASES)
    same_patient = answers["person1_bacteria_1.jpeg"] == answers["person1_bacteria_2.jpeg"] \
        and answers["IM-0115-0001.jpeg"] == answers["IM-0115-0002.jpeg"]
    return report("Exercice 1 — l'identifiant du patient", [
        (isinstance(answers["person1_bacteria_1.jpeg"], str) and not kept_extension,
         "une chaîne, sans l'extension .jpeg", "Partez de `Path(file_name).stem` (le nom sans l'extension)."),
        (same_patient, "deux clichés d'un même patient ont le même identifiant",
         "Le dernier nombre du nom est le numéro de l'image : retirez-le."
         + (" Vous renvoyez le nom entier de l'image." if kept_image_number else "")),
        (persons_ok, "person1_bacteria_1.jpeg → person1 (patients atteints de pneumonie)",
         "Pour les noms en `person…`, l'identifiant est ce qui précède le premier « _ »."),
        (studies_ok, "IM-0115-0001.jpeg → IM-0115 et NORMAL2-IM-0927-0001.jpeg → NORMAL2-IM-0927",
         "Pour les radios normales, retirez le dernier morceau après le dernier « - » (`rsplit('-', 1)`)."),
    ])


def reference_cam(maps, gradients) -> np.ndarray:
    """Grad-CAM à partir des cartes (H, W, K) et des gradients (H, W, K) d'une image."""
    maps, gradients = np.asarray(maps, dtype=np.float64), np.asarray(gradients, dtype=np.float64)
    cam = np.maximum((maps * gradients.mean(axis=(0, 1))).sum(axis=-1), 0)
    return cam / (cam.max() + 1e-8)


@exercise_check
def check_cam_from_maps(cam_from_maps) -> bool:
    """Exercice 2 : la combinaison des cartes pondérées par la moyenne de leurs gradients."""
    rng = np.random.default_rng(5)
    maps = np.maximum(rng.normal(size=(7, 7, 6)), 0)
    gradients = rng.normal(size=(7, 7, 6)) + np.linspace(-1, 1, 6)
    answer = call_answer(cam_from_maps, maps.copy(), gradients.copy(), name="cam_from_maps")
    expected = reference_cam(maps, gradients)
    shape_ok = np.shape(answer) == (7, 7)
    answer = np.asarray(answer, dtype=np.float64) if shape_ok else np.zeros((7, 7))
    raw = (maps * gradients.mean(axis=(0, 1))).sum(axis=-1)
    no_relu = shape_ok and (np.allclose(answer, raw / (np.abs(raw).max() + 1e-8), atol=1e-6)
                            or np.allclose(answer, raw / (raw.max() + 1e-8), atol=1e-6))
    pixelwise = (maps * gradients).sum(axis=-1)
    is_pixelwise = shape_ok and np.allclose(answer / (answer.max() + 1e-12),
                                            np.maximum(pixelwise, 0) / (np.maximum(pixelwise, 0).max() + 1e-8), atol=1e-6)
    positive = shape_ok and answer.min() >= -1e-9
    normalised = shape_ok and abs(answer.max() - 1) < 1e-6
    values = shape_ok and np.allclose(answer, expected, atol=1e-6)
    return report("Exercice 2 — Grad-CAM : pondérer et combiner les cartes", [
        (shape_ok, "une carte de forme (H, W) : une valeur par pixel", "Sommez sur le dernier axe (les K cartes)."),
        (positive, "pas de valeurs négatives (ReLU)",
         "Appliquez `np.maximum(..., 0)` : on ne garde que ce qui pousse le score vers la classe."
         + (" Votre carte garde les valeurs négatives." if no_relu else "")),
        (normalised, "maximum ramené à 1", "Divisez par le maximum (plus un petit epsilon)."),
        (values, "α_k = moyenne du gradient de la carte k, puis Σ α_k · A_k",
         "Le poids α_k est UN nombre par carte : `gradients.mean(axis=(0, 1))`."
         + (" Vous multipliez pixel par pixel sans moyenner les gradients." if is_pixelwise else "")),
    ])


def top_label_calibration_error(y_true, y_prob, n_bins: int = 10) -> float:
    """L'ECE « top-label » de Guo et al. (2017) : confiance max(p, 1 − p) contre exactitude, par tranche de confiance."""
    y_true, y_prob = np.asarray(y_true, dtype=float), np.asarray(y_prob, dtype=float)
    confidence = np.maximum(y_prob, 1 - y_prob)
    correct = ((y_prob >= 0.5) == (y_true == 1)).astype(float)
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    return float(sum((bins == b).mean() * abs(correct[bins == b].mean() - confidence[bins == b].mean())
                     for b in np.unique(bins)))


def _class_one_calibration_error(y_true, y_prob, n_bins: int) -> float:
    """L'ECE demandée : probabilité de la classe 1 contre fréquence observée de la classe 1, tranches de même largeur."""
    y_true, y_prob = np.asarray(y_true, dtype=float), np.asarray(y_prob, dtype=float)
    bins = np.minimum((y_prob * n_bins).astype(int), n_bins - 1)
    return float(sum((bins == b).mean() * abs(y_true[bins == b].mean() - y_prob[bins == b].mean())
                     for b in np.unique(bins)))


@exercise_check
def check_calibration_error(calibration_error) -> bool:
    """Exercice 4 : l'erreur de calibration attendue (ECE) de la classe 1, pour tout nombre de tranches.

    L'ECE « top-label » de Guo et al. (confiance contre exactitude) est une autre définition, correcte : elle est
    acceptée, avec un message qui dit en quoi elle diffère de celle que l'exercice demande.
    """
    rng = np.random.default_rng(11)
    p = rng.beta(0.7, 0.7, 500)
    # Un modèle tantôt trop sûr, tantôt pas assez (les écarts changent de signe) : l'ECE dépend du nombre de tranches.
    y = (rng.uniform(size=500) < np.clip(p + 0.2 * np.sin(2 * np.pi * 2.5 * p), 0, 1)).astype(int)
    answers = {n: call_answer(calibration_error, y, p, n, name="calibration_error") for n in (10, 5, 15)}
    ensure_done(answers[10], "calibration_error(...)")
    number = all(isinstance(a, (float, int, np.floating)) and np.isfinite(float(a)) for a in answers.values())
    values = {n: float(a) if number else float("nan") for n, a in answers.items()}
    class_one = {n: _class_one_calibration_error(y, p, n) for n in answers}
    top_label = {n: top_label_calibration_error(y, p, n) for n in answers}
    matches_class_one = {n: abs(values[n] - class_one[n]) < 1e-6 for n in answers}
    matches_top_label = {n: abs(values[n] - top_label[n]) < 1e-6 for n in answers}
    is_top_label = number and all(matches_top_label.values())
    right_at_10 = matches_class_one[10] or matches_top_label[10]
    ignores_n_bins = number and right_at_10 and all(
        abs(values[n] - values[10]) < 1e-9 for n in (5, 15))
    gaps = [abs(y[np.minimum((p * 10).astype(int), 9) == b].mean() - p[np.minimum((p * 10).astype(int), 9) == b].mean())
            for b in np.unique(np.minimum((p * 10).astype(int), 9))]
    unweighted = number and abs(values[10] - float(np.mean(gaps))) < 1e-6
    maximum = number and abs(values[10] - float(np.max(gaps))) < 1e-6
    perfect = call_answer(calibration_error, np.array([0, 1, 0, 1]), np.array([0.0, 1.0, 0.0, 1.0]), 10,
                          name="calibration_error")
    perfect_ok = perfect is not None and abs(float(perfect)) < 1e-9
    if is_top_label:
        print("ℹ️ Vous calculez l'ECE « top-label » de Guo et al. (2017) : la confiance max(p, 1 − p) comparée à "
              "l'exactitude, par tranche de confiance. C'est une définition correcte, acceptée. L'exercice demandait "
              "celle de la classe 1 (la probabilité de pneumonie comparée à la fréquence des pneumonies), celle du "
              "diagramme de fiabilité et de `expected_calibration_error` : les deux nombres diffèrent.")
    return report("Exercice 4 — l'erreur de calibration attendue (ECE)", [
        (number, "un nombre", "Renvoyez un float : la somme pondérée des écarts."),
        (perfect_ok, "un modèle parfait (probabilités 0 et 1 justes) a une ECE nulle",
         "Dans chaque tranche, comparez la moyenne des probabilités à la moyenne des étiquettes."),
        (number and right_at_10, "ECE = Σ (n_tranche / n) · |observé − prédit| (10 tranches)",
         "Pondérez chaque tranche par sa part des exemples."
         + (" Vous faites une moyenne simple des tranches, sans pondération." if unweighted else "")
         + (" Vous renvoyez le plus grand écart (c'est la MCE, pas l'ECE)." if maximum else "")),
        (number and (all(matches_class_one.values()) or is_top_label), "le nombre de tranches `n_bins` est respecté (5, 10, 15)",
         "Utilisez le paramètre `n_bins` pour couper les tranches : `np.minimum((y_prob * n_bins).astype(int), n_bins - 1)`."
         + (" Votre fonction renvoie le même nombre quel que soit `n_bins` : le 10 est-il écrit en dur ?"
            if ignores_n_bins else "")),
    ])


@exercise_check
def check_shortcut(shortcut_answer) -> bool:
    """Exercice 3 : quelle observation est une intervention qui établit le raccourci (marqueur dans le coin) ?"""
    ensure_done(shortcut_answer, "shortcut_answer")
    answer = str(shortcut_answer).strip().upper()
    return report("Exercice 3 — le raccourci du marqueur", [
        (answer in SHORTCUT_CHOICES, "une réponse parmi A, B, C, D", "Répondez par une lettre entre guillemets, par exemple \"A\"."),
        (answer == _SHORTCUT_ANSWER, "l'intervention : retirer le marqueur et mesurer la chute",
         _SHORTCUT_HINTS.get(answer, "Relisez les deux AUC de la cellule d'entraînement du modèle au marqueur.")),
    ])
