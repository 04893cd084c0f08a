"""Chargeur BUSI : arborescence Kaggle (imbriquée), masques, fichiers corrompus, quasi-doublons, erreurs claires."""
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pytest

from utils.data import DataSourceError, group_leaks, load_busi, make_busi_mirror, split_by_group
from utils.data.busi_mirror import synthesize_ultrasound
from utils.data.splits import split_train_val_test


def write_image(path: Path, label: str, seed: int, size=(200, 240), masks=1):
    image, lesion_masks = synthesize_ultrasound(label, *size, np.random.default_rng(seed))
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_GRAY2BGR))
    for index in range(masks):
        suffix = "_mask" if index == 0 else f"_mask_{index}"
        cv2.imwrite(str(path.with_name(path.stem + suffix + ".png")), lesion_masks[0])
    return image


@pytest.fixture
def kaggle_tree(tmp_path):
    """Arborescence Kaggle imbriquée deux fois, avec masques, un PNG tronqué, un fichier vide et un masque orphelin."""
    base = tmp_path / "download" / "Dataset_BUSI_with_GT" / "Dataset_BUSI_with_GT"
    for label in ("benign", "malignant", "normal"):
        (base / label).mkdir(parents=True)
    for k in range(1, 5):
        write_image(base / "benign" / f"benign ({k}).png", "benign", k, masks=2 if k == 1 else 1)
        write_image(base / "malignant" / f"malignant ({k}).png", "malignant", 10 + k)
    write_image(base / "normal" / "normal (1).png", "normal", 99)
    good = (base / "benign" / "benign (1).png").read_bytes()
    (base / "benign" / "benign (9).png").write_bytes(good[: len(good) // 3])  # PNG tronqué
    (base / "malignant" / "malignant (9).png").write_bytes(b"")               # fichier vide
    write_image(base / "malignant" / "orphan.png", "malignant", 5)
    (base / "malignant" / "orphan.png").unlink()                               # ne laisse que orphan_mask.png
    (base / "benign" / "notes.txt").write_text("pas une image")
    return tmp_path / "download"


def test_kaggle_layout_returns_exactly_the_images_with_their_masks(kaggle_tree, capsys):
    frame = load_busi(root=kaggle_tree)
    names = sorted(Path(p).name for p in frame.image_path)
    assert names == sorted([f"benign ({k}).png" for k in range(1, 5)] + [f"malignant ({k}).png" for k in range(1, 5)])
    assert not any("_mask" in name for name in names), "un masque a été renvoyé comme image"
    masks = dict(zip(frame.image_path.map(lambda p: Path(p).name), frame.mask_paths))
    assert [Path(m).name for m in masks["benign (1).png"]] == ["benign (1)_mask.png", "benign (1)_mask_1.png"]
    assert all(len(paths) >= 1 for paths in frame.mask_paths)
    assert frame.groupby("label").target.first().to_dict() == {"benign": 0, "malignant": 1}
    assert sorted(Path(p).name for p in frame.attrs["skipped"]) == ["benign (9).png", "malignant (9).png"]
    assert [Path(p).name for p in frame.attrs["orphan_masks"]] == ["orphan_mask.png"]
    output = capsys.readouterr().out
    assert "2 fichier(s) illisible(s) ignoré(s)" in output
    assert "1 masque(s) sans image" in output


def test_three_classes_and_order_of_targets(kaggle_tree):
    frame = load_busi(root=kaggle_tree, classes=("normal", "benign", "malignant"))
    assert frame.groupby("label").target.first().to_dict() == {"normal": 0, "benign": 1, "malignant": 2}
    assert (frame.label == "normal").sum() == 1


def test_near_duplicates_share_a_group(tmp_path):
    base = tmp_path / "Dataset_BUSI_with_GT"
    (base / "benign").mkdir(parents=True)
    (base / "malignant").mkdir()
    original = write_image(base / "benign" / "benign (1).png", "benign", 1, size=(300, 300))
    for k in range(2, 6):
        write_image(base / "benign" / f"benign ({k}).png", "benign", k, size=(300, 300))
        write_image(base / "malignant" / f"malignant ({k}).png", "malignant", 20 + k, size=(300, 300))
    near_copy = np.clip(original[4:-5, 3:-4].astype(float) * 1.05 + 3, 0, 255).astype(np.uint8)
    cv2.imwrite(str(base / "benign" / "benign (7).png"), near_copy)
    frame = load_busi(root=tmp_path).set_index("image_path")
    groups = {Path(p).name: g for p, g in frame["group"].items()}
    assert groups["benign (1).png"] == groups["benign (7).png"]
    assert len(set(groups.values())) == len(groups) - 1


@pytest.mark.parametrize("make_tree, message", [
    (lambda root: root / "absent", "Dossier introuvable"),
    (lambda root: (root / "images").mkdir() or root, "Aucun dossier de classe"),
])
def test_bad_layouts_get_french_messages(tmp_path, make_tree, message):
    with pytest.raises(DataSourceError, match=message) as error:
        load_busi(root=make_tree(tmp_path))
    assert "Dataset_BUSI_with_GT/{benign,malignant,normal}" in str(error.value)


def test_empty_class_is_reported(tmp_path):
    base = tmp_path / "Dataset_BUSI_with_GT"
    (base / "benign").mkdir(parents=True)
    (base / "malignant").mkdir()
    write_image(base / "benign" / "benign (1).png", "benign", 1)
    with pytest.raises(DataSourceError, match="« malignant » ne contient aucune image"):
        load_busi(root=tmp_path)


def test_unknown_source_and_class(tmp_path):
    with pytest.raises(DataSourceError, match="source="):
        load_busi(source="internet")
    with pytest.raises(DataSourceError, match="inconnue"):
        load_busi(root=tmp_path, classes=("benign", "cyst"))


def test_auto_falls_back_to_mirror_when_kaggle_is_unreachable(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr("utils.data.sources.host_reachable", lambda *args, **kwargs: False)
    monkeypatch.setattr("utils.data.busi.make_busi_mirror",
                        lambda: make_busi_mirror(tmp_path, counts={"benign": 6, "malignant": 5, "normal": 2}))
    frame = load_busi(source="auto")
    printed = capsys.readouterr().out
    assert "injoignable" in printed and "miroir hors ligne" in printed
    assert frame.attrs["source"].startswith("miroir")
    assert len(frame) == 11


def test_kaggle_failure_gives_a_french_message(monkeypatch):
    import kagglehub

    def refuse(handle, **kwargs):
        raise ConnectionError("réseau coupé")

    monkeypatch.setattr(kagglehub, "dataset_download", refuse)
    with pytest.raises(DataSourceError, match="Téléchargement Kaggle .* impossible"):
        load_busi(source="kaggle")


def test_mirror_has_the_real_layout_and_is_deterministic(tmp_path):
    counts = {"benign": 12, "malignant": 8, "normal": 3}
    first = make_busi_mirror(tmp_path / "a", counts=counts, seed=3)
    second = make_busi_mirror(tmp_path / "b", counts=counts, seed=3)
    folder = first / "Dataset_BUSI_with_GT"
    assert sorted(p.name for p in folder.iterdir()) == ["benign", "malignant", "normal"]
    images = sorted(p.name for p in (folder / "benign").glob("*.png") if "_mask" not in p.name)
    assert images == sorted(f"benign ({k}).png" for k in range(1, 13))
    for name in images:
        assert (folder / "benign" / name.replace(".png", "_mask.png")).exists()
        assert (folder / "benign" / name).read_bytes() == (second / "Dataset_BUSI_with_GT" / "benign" / name).read_bytes()
    frame = load_busi(root=first, classes=("benign", "malignant", "normal"))
    assert frame.label.value_counts().to_dict() == counts
    assert frame.height.nunique() > 1, "les tailles d'image doivent varier comme dans BUSI"
    normal_mask = cv2.imread(frame[frame.label == "normal"].mask_paths.iloc[0][0], cv2.IMREAD_GRAYSCALE)
    assert normal_mask.max() == 0, "le masque d'une image normale est vide"


def test_split_is_stratified_and_keeps_groups_together(tmp_path):
    frame = load_busi(root=make_busi_mirror(tmp_path, counts={"benign": 40, "malignant": 30, "normal": 1}, seed=1))
    assert frame.duplicated("group").sum() > 0, "le miroir doit contenir des quasi-doublons"
    train, test = split_by_group(frame, test_size=0.25, seed=0)
    assert group_leaks(train, test) == 0
    assert len(train) + len(test) == len(frame)
    assert abs(test.target.mean() - frame.target.mean()) < 0.12
    again_train, _ = split_by_group(frame, test_size=0.25, seed=0)
    assert list(again_train.image_path) == list(train.image_path)


def test_three_way_split_shares_no_group_and_keeps_proportions(tmp_path):
    frame = load_busi(root=make_busi_mirror(tmp_path, counts={"benign": 60, "malignant": 40, "normal": 1}, seed=2))
    assert frame.duplicated("group").sum() > 0, "le miroir doit contenir des quasi-doublons"
    train, val, test = split_train_val_test(frame, val_size=0.2, test_size=0.2, seed=0)
    for first, second in ((train, val), (train, test), (val, test)):
        assert not set(first.group) & set(second.group), "un groupe de quasi-doublons est dans deux parts"
        assert group_leaks(first, second) == 0
    assert sorted(pd.concat([train, val, test]).image_path) == sorted(frame.image_path)
    assert abs(len(test) / len(frame) - 0.2) < 0.06 and abs(len(val) / len(frame) - 0.2) < 0.06
    for part in (train, val, test):
        assert abs(part.target.mean() - frame.target.mean()) < 0.12
    again = split_train_val_test(frame, val_size=0.2, test_size=0.2, seed=0)
    assert [list(p.image_path) for p in again] == [list(p.image_path) for p in (train, val, test)]


def test_three_way_split_rejects_impossible_sizes(tmp_path):
    frame = load_busi(root=make_busi_mirror(tmp_path, counts={"benign": 10, "malignant": 8, "normal": 1}, seed=2))
    with pytest.raises(ValueError, match="somme < 1"):
        split_train_val_test(frame, val_size=0.5, test_size=0.5)
