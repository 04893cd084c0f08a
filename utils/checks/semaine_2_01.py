"""Vérifications des exercices de semaine_2/01 (données DICOM : unités Hounsfield, fenêtrage, dé-identification)."""
from __future__ import annotations

import copy

import numpy as np

from . import call_answer, exercise_check, report


def reference_window(hu, center: float, width: float) -> np.ndarray:
    """Solution de référence de l'exercice 2 : image 8 bits (0 à 255) d'une fenêtre (centre, largeur)."""
    low = center - width / 2
    scaled = np.clip((np.asarray(hu, dtype=float) - low) / width, 0.0, 1.0)
    return np.round(scaled * 255).astype(np.uint8)


@exercise_check
def check_hounsfield(to_hounsfield, ds) -> bool:
    """Exercice 1 : valeurs brutes -> unités Hounsfield avec RescaleSlope et RescaleIntercept."""
    from pydicom.pixels import apply_modality_lut

    raw_before = ds.pixel_array.copy()
    got = np.asarray(call_answer(to_hounsfield, ds, name="to_hounsfield"))
    expected = apply_modality_lut(ds.pixel_array, ds)
    other = copy.deepcopy(ds)
    other.RescaleSlope, other.RescaleIntercept = 2, -1000
    got_other = np.asarray(call_answer(to_hounsfield, other, name="to_hounsfield"))
    expected_other = apply_modality_lut(other.pixel_array, other)
    half = copy.deepcopy(ds)  # pente non entière : int(0.5) vaudrait 0
    half.RescaleSlope, half.RescaleIntercept = 0.5, -1024.5
    got_half = np.asarray(call_answer(to_hounsfield, half, name="to_hounsfield"))
    expected_half = apply_modality_lut(half.pixel_array, half)
    return report("Exercice 1 — unités Hounsfield", [
        (got.shape == expected.shape, f"la forme de l'image est conservée {expected.shape}",
         "appliquez la formule à tout le tableau ds.pixel_array, sans le redimensionner"),
        (got.dtype.kind == "f", f"le résultat est un tableau de flottants (reçu : {got.dtype})",
         "convertissez d'abord en flottant : ds.pixel_array.astype(np.float64) ; un calcul en entiers peut "
         "déborder (16 bits) et int() tronquerait une pente non entière comme 0,5"),
        (got.shape == expected.shape and np.allclose(got, expected), "mêmes valeurs que pydicom (apply_modality_lut)",
         "UH = valeur brute × RescaleSlope + RescaleIntercept (convertissez les deux avec float())"),
        (got_other.shape == expected_other.shape and np.allclose(got_other, expected_other),
         "la pente et l'ordonnée sont lues dans le fichier (essai avec pente 2, ordonnée −1000)",
         "utilisez ds.RescaleSlope et ds.RescaleIntercept plutôt que des nombres écrits en dur"),
        (got_half.shape == expected_half.shape and np.allclose(got_half, expected_half),
         "une pente et une ordonnée non entières sont respectées (essai avec pente 0,5, ordonnée −1024,5)",
         "convertissez avec float(ds.RescaleSlope) et float(ds.RescaleIntercept) : int() tronque (int(0.5) vaut 0)"),
        (np.array_equal(ds.pixel_array, raw_before), "les pixels du fichier ne sont pas modifiés",
         "travaillez sur une copie (astype crée un nouveau tableau)"),
    ])


@exercise_check
def check_window(apply_window, hu) -> bool:
    """Exercice 2 : fenêtrage (centre, largeur) vers une image 8 bits."""
    results = []
    for name, center, width in (("poumon", -600, 1500), ("médiastin", 40, 400), ("os", 400, 1800)):
        got = np.asarray(call_answer(apply_window, hu, center, width, name="apply_window"))
        expected = reference_window(hu, center, width)
        close = got.shape == expected.shape and np.abs(got.astype(int) - expected.astype(int)).max() <= 1
        results.append((close, f"fenêtre {name} (centre {center}, largeur {width}) correcte",
                        "bas = centre − largeur/2 ; image = clip((UH − bas) / largeur, 0, 1) × 255, arrondie"))
    ramp = np.linspace(-2000, 2000, 401)
    got = np.asarray(call_answer(apply_window, ramp, 0, 1000, name="apply_window"))
    results += [
        (got.dtype == np.uint8, "le résultat est une image 8 bits (np.uint8)",
         "terminez par np.round(...).astype(np.uint8)"),
        (got.shape == ramp.shape and got[0] == 0 and got[-1] == 255,
         "noir sous la fenêtre, blanc au-dessus", "bornez avec np.clip(..., 0, 1) avant de multiplier par 255"),
        (got.shape == ramp.shape and bool(np.all(np.diff(got.astype(int)) >= 0)),
         "plus la densité est forte, plus le pixel est clair", "la fonction doit être croissante"),
    ]
    return report("Exercice 2 — fenêtrage", results)


@exercise_check
def check_minimal_deidentify(minimal_deidentify, ds, secret) -> bool:
    """Exercice 3 : quelques actions de l'annexe E écrites à la main avec pydicom.

    `PatientID` (Z/D) reçoit un pseudonyme. `InstitutionName` (X/Z/D) est de type 3 dans le module General
    Equipment (PS3.3 C.7.5.1) : la norme demande X (supprimer) pour ce fichier ; la lecture prudente du cours
    (`deidentify_dicom`) applique D (valeur factice). Les deux réponses sont acceptées.
    """
    from pydicom import Dataset

    from ..privacy import pseudonymize, remap_uid
    from ..privacy.dicom_deid import DUMMY_TEXT

    original = copy.deepcopy(ds)
    out = call_answer(minimal_deidentify, ds, secret, name="minimal_deidentify")
    title = "Exercice 3 — dé-identifier à la main"
    if not isinstance(out, Dataset):
        return report(title, [(False, "la fonction renvoie un jeu de données pydicom",
                               f"terminez par `return out` (reçu : {type(out).__name__})")])
    has_private = any(elem.tag.is_private for elem in out.iterall())
    institution_removed = "InstitutionName" not in out
    institution_ok = institution_removed or str(out.get("InstitutionName", "")) == DUMMY_TEXT
    institution_what = (
        "nom de l'établissement supprimé (X : ce que la norme demande ici, attribut de type 3 dans le module "
        "General Equipment, PS3.3 C.7.5.1)" if institution_removed else
        f"nom de l'établissement remplacé par {DUMMY_TEXT!r} (D : la lecture prudente du cours ; la norme "
        "demanderait X ici, attribut de type 3)" if institution_ok else
        "nom de l'établissement retiré (action X/Z/D)")
    return report(title, [
        (out is not ds and ds == original, "l'original n'est pas modifié (on travaille sur une copie)",
         "commencez par out = copy.deepcopy(ds), puis modifiez out (jamais ds)"),
        ("PatientName" in out and str(out.PatientName) == "", "nom du patient vidé (action Z)",
         "out.PatientName = \"\" : l'attribut reste présent, avec une valeur vide"),
        (out.get("PatientID") == pseudonymize(original.PatientID, secret, prefix="PAT-", length=12),
         "identifiant remplacé par le pseudonyme HMAC (action Z/D, lue D)",
         "pseudonymize(ds.PatientID, secret, prefix=\"PAT-\", length=12)"),
        (institution_ok, institution_what,
         f"supprimez-le (del out.InstitutionName : X, ce que la norme demande ici) ou remplacez-le par "
         f"\"{DUMMY_TEXT}\" (D, la lecture prudente du cours) ; ne gardez pas la vraie valeur"),
        ("InstitutionAddress" not in out, "adresse de l'établissement supprimée (action X)",
         "del out.InstitutionAddress"),
        ("StudyInstanceUID" in out and out.StudyInstanceUID == remap_uid(original.StudyInstanceUID, secret),
         "UID de l'étude remplacé de façon cohérente (action U)", "remap_uid(ds.StudyInstanceUID, secret)"),
        (not has_private, "plus aucun élément privé", "out.remove_private_tags()"),
        (out.get("PixelData") == original.get("PixelData"), "pixels intacts", "ne touchez pas à PixelData"),
    ])


@exercise_check
def check_mask(mask_region, image) -> bool:
    """Exercice 4 : masquer un rectangle de l'image (texte incrusté)."""
    results = []
    for label, array in (("image couleur", np.asarray(image)), ("image en niveaux de gris", np.asarray(image)[..., 0])):
        before = array.copy()
        box = (0, 52, 0, array.shape[1])
        got = call_answer(mask_region, array, box, name="mask_region")
        got = np.asarray(got) if got is not None else array
        inside = got[box[0]:box[1], box[2]:box[3]]
        outside_same = got.shape == array.shape and np.array_equal(got[box[1]:], before[box[1]:])
        results += [
            (got.shape == before.shape and got.dtype == before.dtype, f"{label} : même forme et même type",
             "renvoyez une copie de l'image (image.copy()), modifiée"),
            (inside.size > 0 and bool(np.all(inside == 0)), f"{label} : le rectangle est noir",
             "masked[r0:r1, c0:c1] = 0 (le « ... » des tableaux NumPy garde les canaux de couleur)"),
            (outside_same, f"{label} : le reste de l'image est intact", "ne modifiez que le rectangle demandé"),
            (np.array_equal(array, before), f"{label} : l'image d'origine n'est pas modifiée",
             "travaillez sur masked = image.copy()"),
        ]
    got = np.asarray(call_answer(mask_region, np.full((10, 10), 7, dtype=np.int16), (2, 4, 3, 8), name="mask_region"))
    expected = np.full((10, 10), 7, dtype=np.int16)
    expected[2:4, 3:8] = 0
    results.append((got.shape == expected.shape and np.array_equal(got, expected),
                    "rectangle quelconque (lignes 2 à 4, colonnes 3 à 8)",
                    "box = (ligne_début, ligne_fin, colonne_début, colonne_fin), fins exclues comme en Python"))
    return report("Exercice 4 — masquer le texte incrusté", results)
