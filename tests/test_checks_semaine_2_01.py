"""Tests des vérifications d'exercices de semaine_2/01 (DICOM) : la réponse de référence passe, les erreurs
typiques échouent avec leur indice, un exercice non fait dit « pas encore » en français (verdict faux, `not_done`,
sans lever d'erreur)."""
import copy

import numpy as np
import pydicom
import pytest
from pydicom.pixels import apply_modality_lut

from utils.checks import semaine_2_01 as checks
from utils.privacy import pseudonymize, remap_uid
from check_helpers import not_written as _not_written, failed_with as _failed_with

SECRET = "cle-de-test"


def _assert_not_done(check, *args):
    import contextlib
    import io

    for answer in (None, _not_written):
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            verdict = check(answer, *args)
        assert not verdict and verdict.not_done, buffer.getvalue()
        assert "pas encore" in buffer.getvalue()


@pytest.fixture
def ct():
    return pydicom.examples.ct


# --------------------------------------------------------------------------- exercice 1 : unités Hounsfield
def to_hounsfield(ds):
    slope, intercept = float(ds.RescaleSlope), float(ds.RescaleIntercept)
    return ds.pixel_array.astype(np.float64) * slope + intercept


def test_hounsfield_reference_passes(ct, capsys):
    assert checks.check_hounsfield(to_hounsfield, ct)
    assert "🎉" in capsys.readouterr().out


def test_hounsfield_without_intercept_fails(ct, capsys):
    verdict = checks.check_hounsfield(lambda ds: ds.pixel_array.astype(float) * float(ds.RescaleSlope), ct)
    _failed_with(capsys, verdict, "RescaleIntercept")


def test_hounsfield_with_hard_coded_values_fails(ct, capsys):
    intercept = float(ct.RescaleIntercept)
    verdict = checks.check_hounsfield(lambda ds: ds.pixel_array.astype(float) + intercept, ct)
    _failed_with(capsys, verdict, "plutôt que des nombres écrits en dur")


def test_hounsfield_in_place_on_the_file_pixels_fails(ct, capsys):
    def in_place(ds):
        pixels = ds.pixel_array  # le tableau que pydicom garde en cache : le modifier modifie le fichier lu
        pixels += int(ds.RescaleIntercept)
        return pixels
    verdict = checks.check_hounsfield(in_place, ct)
    _failed_with(capsys, verdict, "travaillez sur une copie")


def test_hounsfield_in_integers_fails(ct, capsys):
    """L'énoncé demande des flottants : un calcul en entiers (int16) est refusé, même s'il tombe juste ici."""
    verdict = checks.check_hounsfield(
        lambda ds: ds.pixel_array * int(ds.RescaleSlope) + int(ds.RescaleIntercept), ct)
    _failed_with(capsys, verdict, "tableau de flottants", "astype(np.float64)")


def test_hounsfield_with_a_truncated_slope_fails(ct, capsys):
    half = copy.deepcopy(ct)
    half.RescaleSlope = 0.5  # int(0.5) = 0 : la pente disparaît
    verdict = checks.check_hounsfield(
        lambda ds: ds.pixel_array.astype(np.float64) * int(ds.RescaleSlope) + float(ds.RescaleIntercept), half)
    _failed_with(capsys, verdict, "mêmes valeurs que pydicom")
    assert checks.check_hounsfield(to_hounsfield, half)


def test_hounsfield_near_the_int16_limit_needs_floats(ct, capsys):
    big = copy.deepcopy(ct)
    pixels = big.pixel_array.astype(np.int16)
    pixels[0, 0] = 32000
    big.set_pixel_data(pixels, photometric_interpretation="MONOCHROME2", bits_stored=16)
    big.RescaleSlope, big.RescaleIntercept = 1, 1000  # 32000 + 1000 déborde en int16
    assert checks.check_hounsfield(to_hounsfield, big)
    capsys.readouterr()
    overflow = lambda ds: ds.pixel_array + np.int16(int(ds.RescaleIntercept))
    _failed_with(capsys, checks.check_hounsfield(overflow, big), "tableau de flottants")


def test_hounsfield_not_done(ct):
    _assert_not_done(checks.check_hounsfield, ct)


# --------------------------------------------------------------------------- exercice 2 : fenêtrage
def apply_window(hu, center, width):
    low = center - width / 2
    scaled = np.clip((np.asarray(hu, dtype=float) - low) / width, 0.0, 1.0)
    return np.round(scaled * 255).astype(np.uint8)


@pytest.fixture
def hu(ct):
    return apply_modality_lut(ct.pixel_array, ct)


def test_window_reference_passes(hu):
    assert checks.check_window(apply_window, hu)


def test_window_without_clipping_fails(hu, capsys):
    def no_clip(hu, center, width):  # les valeurs hors fenêtre « font le tour » des 8 bits
        return np.round((np.asarray(hu, dtype=float) - (center - width / 2)) / width * 255).astype(np.uint8)
    _failed_with(capsys, checks.check_window(no_clip, hu), "np.clip")


def test_window_with_the_whole_width_below_the_center_fails(hu, capsys):
    def wrong_low(hu, center, width):
        low = center - width
        return np.round(np.clip((np.asarray(hu, float) - low) / width, 0, 1) * 255).astype(np.uint8)
    _failed_with(capsys, checks.check_window(wrong_low, hu), "bas = centre − largeur/2")


def test_window_returning_floats_fails(hu, capsys):
    def floats(hu, center, width):
        return np.clip((np.asarray(hu, float) - (center - width / 2)) / width, 0, 1) * 255
    _failed_with(capsys, checks.check_window(floats, hu), "np.uint8")


def test_window_not_done(hu):
    _assert_not_done(checks.check_window, hu)


# --------------------------------------------------------------------------- exercice 3 : dé-identifier à la main
def minimal_deidentify(ds, secret):
    out = copy.deepcopy(ds)
    out.PatientName = ""
    out.PatientID = pseudonymize(ds.PatientID, secret, prefix="PAT-", length=12)
    out.InstitutionName = "ANONYME"
    if "InstitutionAddress" in out:
        del out.InstitutionAddress
    out.StudyInstanceUID = remap_uid(ds.StudyInstanceUID, secret)
    out.remove_private_tags()
    return out


@pytest.fixture
def overlay():
    ds = pydicom.examples.overlay
    assert "InstitutionAddress" in ds and any(e.tag.is_private for e in ds)
    return ds


def test_minimal_deidentify_reference_passes(overlay):
    assert checks.check_minimal_deidentify(minimal_deidentify, overlay, SECRET)


def test_minimal_deidentify_that_modifies_the_original_fails(overlay, capsys):
    def no_copy(ds, secret):
        ds.PatientName = ""
        ds.PatientID = pseudonymize(ds.PatientID, secret, prefix="PAT-", length=12)
        ds.InstitutionName = "ANONYME"
        del ds.InstitutionAddress
        ds.StudyInstanceUID = remap_uid(ds.StudyInstanceUID, secret)
        ds.remove_private_tags()
        return ds
    _failed_with(capsys, checks.check_minimal_deidentify(no_copy, overlay, SECRET), "copy.deepcopy(ds)")


def test_minimal_deidentify_that_deletes_the_institution_name_passes(overlay, capsys):
    """InstitutionName est de type 3 (General Equipment, PS3.3 C.7.5.1) : X est la réponse de la norme."""
    def deletes(ds, secret):
        out = minimal_deidentify(ds, secret)
        del out.InstitutionName
        return out
    assert checks.check_minimal_deidentify(deletes, overlay, SECRET)
    out = capsys.readouterr().out
    assert "X : ce que la norme demande ici" in out
    assert checks.check_minimal_deidentify(minimal_deidentify, overlay, SECRET)
    assert "D : la lecture prudente du cours" in capsys.readouterr().out


def test_minimal_deidentify_that_keeps_or_blanks_the_institution_name_fails(overlay, capsys):
    def keeps(ds, secret):
        out = minimal_deidentify(ds, secret)
        out.InstitutionName = ds.InstitutionName
        return out
    _failed_with(capsys, checks.check_minimal_deidentify(keeps, overlay, SECRET), "del out.InstitutionName")


def test_minimal_deidentify_with_a_plain_hash_or_kept_private_tags_fails(overlay, capsys):
    def weak(ds, secret):
        out = minimal_deidentify(ds, secret)
        out.PatientID = "PAT-" + ds.PatientID  # un préfixe n'est pas un pseudonyme
        for elem in ds:
            if elem.tag.is_private:
                out.add(copy.deepcopy(elem))
        return out
    _failed_with(capsys, checks.check_minimal_deidentify(weak, overlay, SECRET),
                 "pseudonymize(ds.PatientID, secret", "out.remove_private_tags()")


def test_minimal_deidentify_returning_nothing_fails(overlay, capsys):
    _failed_with(capsys, checks.check_minimal_deidentify(lambda ds, secret: None, overlay, SECRET), "return out")


def test_minimal_deidentify_not_done(overlay):
    _assert_not_done(checks.check_minimal_deidentify, overlay, SECRET)


# --------------------------------------------------------------------------- exercice 4 : masquer le texte incrusté
def mask_region(image, box):
    row_start, row_stop, col_start, col_stop = box
    masked = np.array(image, copy=True)
    masked[row_start:row_stop, col_start:col_stop, ...] = 0
    return masked


@pytest.fixture
def ultrasound():
    return pydicom.examples.rgb_color.pixel_array


def test_mask_reference_passes(ultrasound):
    assert checks.check_mask(mask_region, ultrasound)


def test_mask_in_place_fails(ultrasound, capsys):
    def in_place(image, box):
        image[box[0]:box[1], box[2]:box[3]] = 0
        return image
    _failed_with(capsys, checks.check_mask(in_place, ultrasound), "masked = image.copy()")


def test_mask_with_rows_and_columns_swapped_fails(ultrasound, capsys):
    def swapped(image, box):
        masked = np.array(image, copy=True)
        masked[box[2]:box[3], box[0]:box[1]] = 0
        return masked
    _failed_with(capsys, checks.check_mask(swapped, ultrasound), "box = (ligne_début, ligne_fin")


def test_mask_not_done(ultrasound):
    _assert_not_done(checks.check_mask, ultrasound)


def test_hounsfield_with_int_conversions_fails_even_on_an_integer_slope_file(ct, capsys):
    """Sur le scanner du notebook (pente 1), int() tombe juste : la vérification essaie aussi une pente de 0,5."""
    assert float(ct.RescaleSlope) == 1.0
    truncating = lambda ds: ds.pixel_array.astype(np.float64) * int(ds.RescaleSlope) + int(ds.RescaleIntercept)
    _failed_with(capsys, checks.check_hounsfield(truncating, ct), "pente 0,5", "int() tronque")
