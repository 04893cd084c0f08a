"""Chargeur des radiographies Kaggle : arborescence réelle (copie en double, __MACOSX), patients, re-séparation."""
import shutil

import cv2
import numpy as np
import pytest

from utils.data import DataSourceError, load_chest_xray, split_by_patient
from utils.data.chest_xray import find_chest_xray_dir, patient_id
from utils.data.chest_xray_mirror import make_chest_xray_mirror

TINY = {"train": {"NORMAL": 6, "PNEUMONIA": 8}, "val": {"NORMAL": 8, "PNEUMONIA": 6}, "test": {"NORMAL": 4, "PNEUMONIA": 5}}


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    return make_chest_xray_mirror(tmp_path_factory.mktemp("xray"), patients=TINY, size_range=(40, 56))


def test_mirror_has_the_kaggle_layout(mirror):
    base = mirror / "chest_xray"
    for split in ("train", "val", "test"):
        for label in ("NORMAL", "PNEUMONIA"):
            assert list((base / split / label).glob("*.jpeg"))
            assert list((base / "chest_xray" / split / label).glob("*.jpeg"))  # la copie en double
    macos = list((base / "__MACOSX").rglob("._*"))
    assert macos and cv2.imread(str(macos[0])) is None  # pas des images
    assert len(list((base / "val").rglob("*.jpeg"))) == 16  # comme le vrai dossier val


def test_loader_ignores_duplicate_tree_and_macos_files(mirror, capsys):
    frame = load_chest_xray(mirror)
    assert list(frame.columns) == ["image_path", "label", "split", "patient_id"]
    assert not frame.image_path.str.contains("__MACOSX").any()
    assert not frame.image_path.str.contains("chest_xray/chest_xray").any()
    assert not frame.image_path.str.contains("/._").any()
    assert frame.image_path.is_unique
    assert set(frame.label) == {0, 1}
    assert (frame.split == "val").sum() == 16
    assert "radiographies" in capsys.readouterr().out
    # Le dossier chest_xray/ lui-même convient aussi.
    assert len(load_chest_xray(mirror / "chest_xray")) == len(frame)
    assert find_chest_xray_dir(mirror) == mirror / "chest_xray"


def test_patient_ids_from_real_file_names():
    assert patient_id("person1_bacteria_1.jpeg") == "person1"
    assert patient_id("person1_bacteria_2.jpeg") == "person1"
    assert patient_id("person1000_virus_1681.jpeg") == "person1000"
    assert patient_id("IM-0115-0001.jpeg") == "IM-0115"
    assert patient_id("NORMAL2-IM-0927-0001.jpeg") == "NORMAL2-IM-0927"
    assert patient_id("autre_nom.jpeg") == "autre_nom"


def test_mirror_patients_have_several_images(mirror):
    frame = load_chest_xray(mirror)
    per_patient = frame[frame.label == 1].groupby("patient_id").size()
    assert per_patient.max() > 1  # sinon la séparation par patient ne servirait à rien


def test_split_by_patient_keeps_patients_on_one_side_and_test_intact(mirror):
    frame = load_chest_xray(mirror)
    result = split_by_patient(frame, val_size=0.25, seed=0)
    assert set(result.subset) == {"train", "val", "test"}
    assert (result[result.split == "test"].subset == "test").all()
    train = set(result[result.subset == "train"].patient_id)
    val = set(result[result.subset == "val"].patient_id)
    assert train and val and not train & val
    assert set(result[result.subset == "val"].label) == {0, 1}
    with pytest.raises(ValueError):
        split_by_patient(frame, val_size=1.5)


def test_bad_trees_are_clear_errors(tmp_path, mirror):
    with pytest.raises(DataSourceError, match="introuvable"):
        load_chest_xray(tmp_path / "absent")
    (tmp_path / "vide").mkdir()
    with pytest.raises(DataSourceError, match="train/, val/ et test/"):
        load_chest_xray(tmp_path / "vide")
    copy = tmp_path / "copie"
    shutil.copytree(mirror, copy)
    for path in (copy / "chest_xray" / "test" / "NORMAL").glob("*.jpeg"):
        path.unlink()
    with pytest.raises(DataSourceError, match="Aucune image NORMAL"):
        load_chest_xray(copy)
    shutil.rmtree(copy / "chest_xray" / "val" / "PNEUMONIA")
    with pytest.raises(DataSourceError, match="Dossier absent"):
        load_chest_xray(copy)


def test_mirror_images_are_readable_grayscale_jpegs(mirror):
    frame = load_chest_xray(mirror)
    image = cv2.imread(frame.image_path.iloc[0], cv2.IMREAD_GRAYSCALE)
    assert image is not None and image.dtype == np.uint8 and image.shape[1] > image.shape[0]
