"""Tests des vérifications d'exercices de semaine_5/01 : bonnes réponses acceptées, mauvaises signalées."""
from pathlib import Path

import numpy as np

from utils.calibration import expected_calibration_error, reliability_table
from utils.checks import semaine_5_01 as checks
from utils.data.chest_xray import patient_id
from check_helpers import failed_with, not_written as _not_written


def _not_done(capsys, verdict):
    out = capsys.readouterr().out
    assert not verdict and verdict.not_done, out
    assert "pas encore" in out


def test_patient_id_check(capsys):
    assert checks.check_patient_id(patient_id)
    assert not checks.check_patient_id(lambda name: Path(name).stem)  # le nom entier de l'image
    assert "nom entier" in capsys.readouterr().out
    assert not checks.check_patient_id(lambda name: Path(name).stem.split("_")[0])  # IM-0115-0001 non traité
    assert "rsplit" in capsys.readouterr().out
    assert not checks.check_patient_id(lambda name: name.split("_")[0])  # garde .jpeg pour les IM-
    _not_done(capsys, checks.check_patient_id(_not_written))


def test_cam_check(capsys):
    assert checks.check_cam_from_maps(checks.reference_cam)

    def no_relu(maps, gradients):
        cam = (maps * gradients.mean(axis=(0, 1))).sum(axis=-1)
        return cam / (cam.max() + 1e-8)

    def pixelwise(maps, gradients):
        cam = np.maximum((maps * gradients).sum(axis=-1), 0)
        return cam / (cam.max() + 1e-8)

    def not_normalised(maps, gradients):
        return np.maximum((maps * gradients.mean(axis=(0, 1))).sum(axis=-1), 0)

    assert not checks.check_cam_from_maps(no_relu)
    assert "négatives" in capsys.readouterr().out
    assert not checks.check_cam_from_maps(pixelwise)
    assert "pixel par pixel" in capsys.readouterr().out
    assert not checks.check_cam_from_maps(not_normalised)
    _not_done(capsys, checks.check_cam_from_maps(_not_written))


def test_calibration_error_check(capsys):
    assert checks.check_calibration_error(lambda y, p, n_bins: expected_calibration_error(y, p, n_bins))
    assert not checks.check_calibration_error(lambda y, p, n_bins: float(reliability_table(y, p, n_bins)["gap"].mean()))
    assert "moyenne simple" in capsys.readouterr().out
    assert not checks.check_calibration_error(lambda y, p, n_bins: float(reliability_table(y, p, n_bins)["gap"].max()))
    assert "MCE" in capsys.readouterr().out
    assert not checks.check_calibration_error(lambda y, p, n_bins: float(np.mean(np.abs(np.asarray(y) - p))))
    capsys.readouterr()
    # mauvaise réponse acceptée autrefois : 10 tranches écrites en dur, `n_bins` ignoré
    failed_with(capsys, checks.check_calibration_error(lambda y, p, n_bins: expected_calibration_error(y, p, 10)),
                "écrit en dur")
    # bonne réponse refusée autrefois : l'ECE « top-label » de Guo et al. (confiance contre exactitude)
    assert checks.check_calibration_error(checks.top_label_calibration_error)
    assert "top-label" in capsys.readouterr().out
    _not_done(capsys, checks.check_calibration_error(_not_written))


def test_shortcut_check(capsys):
    assert checks.check_shortcut("c")
    failed_with(capsys, checks.check_shortcut("A"), "intervention")
    failed_with(capsys, checks.check_shortcut("B"), "indice, pas une preuve")  # Grad-CAM ne prouve pas
    assert not checks.check_shortcut("Z")
    _not_done(capsys, checks.check_shortcut(None))
