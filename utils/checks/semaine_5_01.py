"""Vérifications des exercices du notebook semaine_5/01 (apprentissage par transfert, Grad-CAM, calibration)."""
from __future__ import annotations

import numpy as np

from . import call_answer, ensure_done, report

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
    "A": "L'AUC de validation marquée est excellente : c'est justement le piège. Elle mesure ici la présence du marqueur.",
    "B": "Plus d'époques apprendraient encore mieux le marqueur : le problème n'est pas la durée d'entraînement.",
    "D": "Le marqueur est ajouté aux images de pneumonie seulement : ce n'est pas du bruit, c'est une réponse écrite sur l'image.",
}


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


def check_calibration_error(calibration_error) -> bool:
    """Exercice 3 : l'erreur de calibration attendue (ECE)."""
    from utils.calibration import expected_calibration_error, reliability_table

    rng = np.random.default_rng(11)
    p = rng.beta(0.7, 0.7, 500)
    y = (rng.uniform(size=500) < p ** 2).astype(int)   # un modèle trop confiant vers le haut
    answer = call_answer(calibration_error, y, p, 10, name="calibration_error")
    ensure_done(answer, "calibration_error(...)")
    expected = expected_calibration_error(y, p, 10)
    number = isinstance(answer, (float, int, np.floating)) and np.isfinite(float(answer))
    answer = float(answer) if number else float("nan")
    table_gaps = reliability_table(y, p, 10)["gap"].to_numpy()
    unweighted = number and abs(answer - table_gaps.mean()) < 1e-6
    maximum = number and abs(answer - table_gaps.max()) < 1e-6
    perfect = call_answer(calibration_error, np.array([0, 1, 0, 1]), np.array([0.0, 1.0, 0.0, 1.0]), 10,
                          name="calibration_error")
    perfect_ok = perfect is not None and abs(float(perfect)) < 1e-9
    return report("Exercice 3 — l'erreur de calibration attendue (ECE)", [
        (number, "un nombre", "Renvoyez un float : la somme pondérée des écarts."),
        (perfect_ok, "un modèle parfait (probabilités 0 et 1 justes) a une ECE nulle",
         "Dans chaque tranche, comparez la moyenne des probabilités à la moyenne des étiquettes."),
        (number and abs(answer - expected) < 1e-6, "ECE = Σ (n_tranche / n) · |observé − prédit|",
         "Pondérez chaque tranche par sa part des exemples."
         + (" Vous faites une moyenne simple des tranches, sans pondération." if unweighted else "")
         + (" Vous renvoyez le plus grand écart (c'est la MCE, pas l'ECE)." if maximum else "")),
    ])


def check_shortcut(shortcut_answer) -> bool:
    """Exercice 4 : reconnaître un raccourci (marqueur dans le coin)."""
    ensure_done(shortcut_answer, "shortcut_answer")
    answer = str(shortcut_answer).strip().upper()
    return report("Exercice 4 — le raccourci du marqueur", [
        (answer in SHORTCUT_CHOICES, "une réponse parmi A, B, C, D", "Répondez par une lettre entre guillemets, par exemple \"A\"."),
        (answer == _SHORTCUT_ANSWER, "ce qui prouve que le modèle triche",
         _SHORTCUT_HINTS.get(answer, "Relisez les deux AUC et la carte Grad-CAM.")),
    ])
