"""Chargeur MedMNIST : format officiel, sommes MD5, miroir apprenable, messages clairs sur un mauvais fichier."""
import hashlib
import warnings

import numpy as np
import pytest

from utils.data import DataSourceError, load_medmnist
from utils.data import medmnist as medmnist_module
from utils.data.medmnist import KEYS, OFFICIAL_FILES, md5sum, read_npz
from utils.data.medmnist_mirror import make_medmnist_mirror

SMALL = {"train": 300, "val": 80, "test": 100}


@pytest.fixture(scope="module")
def mirror_file(tmp_path_factory):
    return make_medmnist_mirror("pneumoniamnist", root=tmp_path_factory.mktemp("medmnist"), counts=SMALL)


def test_mirror_has_the_official_layout(mirror_file):
    with np.load(mirror_file) as archive:
        assert sorted(archive.files) == sorted(KEYS)
        for split, n in SMALL.items():
            assert archive[f"{split}_images"].shape == (n, 28, 28)
            assert archive[f"{split}_images"].dtype == np.uint8
            assert archive[f"{split}_labels"].shape == (n, 1)
            assert set(np.unique(archive[f"{split}_labels"])) == {0, 1}
        # Comme le vrai fichier : 74 % de pneumonies à l'entraînement, 62,5 % au test.
        assert archive["train_labels"].mean() == pytest.approx(0.742, abs=0.01)
        assert archive["test_labels"].mean() == pytest.approx(0.625, abs=0.01)


def test_mirror_is_deterministic_and_cached(tmp_path, mirror_file):
    again = make_medmnist_mirror("pneumoniamnist", root=tmp_path, counts=SMALL)
    assert md5sum(again) != ""
    with np.load(again) as a, np.load(mirror_file) as b:
        assert all(np.array_equal(a[key], b[key]) for key in KEYS)
    stamp = again.stat().st_mtime_ns
    make_medmnist_mirror("pneumoniamnist", root=tmp_path, counts=SMALL)
    assert again.stat().st_mtime_ns == stamp  # réutilisé, pas régénéré


def test_mirror_is_learnable_but_not_trivial(mirror_file):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    with np.load(mirror_file) as data:
        x_train = data["train_images"].reshape(len(data["train_images"]), -1) / 255.0
        x_test = data["test_images"].reshape(len(data["test_images"]), -1) / 255.0
        model = LogisticRegression(C=0.1, max_iter=2000).fit(x_train, data["train_labels"].ravel())
        auc = roc_auc_score(data["test_labels"].ravel(), model.predict_proba(x_test)[:, 1])
    assert 0.7 < auc < 0.99


def test_breastmnist_mirror_label_zero_is_malignant(tmp_path, capsys):
    path = make_medmnist_mirror("breastmnist", root=tmp_path, counts={"train": 40, "val": 10, "test": 20})
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        data = load_medmnist("breastmnist", root=path)
    assert data["label_names"][0] == "malin"
    assert data["train_labels"].mean() == pytest.approx(0.73, abs=0.05)  # 1 = normal ou bénin, la majorité
    assert "0 = malin" in capsys.readouterr().out


def test_offline_source_uses_the_mirror(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_FAST", "1")
    data = load_medmnist("pneumoniamnist", source="offline")
    assert "miroir" in data["source"]
    assert data["train_images"].shape[1:] == (28, 28)


def test_local_file_with_wrong_md5_is_used_with_a_warning(mirror_file):
    with pytest.warns(UserWarning, match="MD5"):
        data = load_medmnist("pneumoniamnist", root=mirror_file.parent)
    assert data["train_images"].shape == (SMALL["train"], 28, 28)


def test_local_file_with_official_md5_gives_no_warning(mirror_file, monkeypatch):
    monkeypatch.setitem(OFFICIAL_FILES["pneumoniamnist"], "md5", md5sum(mirror_file))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_medmnist("pneumoniamnist", root=mirror_file)


def test_md5sum_matches_hashlib(mirror_file):
    assert md5sum(mirror_file) == hashlib.md5(mirror_file.read_bytes()).hexdigest()


def test_truncated_file_is_a_clear_error(tmp_path, mirror_file):
    broken = tmp_path / "pneumoniamnist.npz"
    broken.write_bytes(mirror_file.read_bytes()[: mirror_file.stat().st_size // 2])
    with pytest.raises(DataSourceError, match="tronqué"):
        read_npz(broken, "pneumoniamnist")


def test_missing_key_and_wrong_shape_are_clear_errors(tmp_path):
    good = {key: np.zeros((4, 28, 28), np.uint8) if key.endswith("images") else np.zeros((4, 1), np.uint8) for key in KEYS}
    missing = dict(good)
    del missing["val_labels"]
    np.savez(tmp_path / "missing.npz", **missing)
    with pytest.raises(DataSourceError, match="val_labels"):
        read_npz(tmp_path / "missing.npz")
    wrong = dict(good, train_images=np.zeros((4, 32, 32), np.uint8))
    np.savez(tmp_path / "wrong.npz", **wrong)
    with pytest.raises(DataSourceError, match=r"\(4, 32, 32\)"):
        read_npz(tmp_path / "wrong.npz")
    flat = dict(good, test_labels=np.zeros(4, np.uint8))
    np.savez(tmp_path / "flat.npz", **flat)
    with pytest.raises(DataSourceError, match="test_labels"):
        read_npz(tmp_path / "flat.npz")


def test_bad_arguments_are_clear_errors(tmp_path):
    with pytest.raises(DataSourceError, match="non pris en charge"):
        load_medmnist("chestmnist_inconnu", source="offline")
    with pytest.raises(DataSourceError, match="introuvable"):
        load_medmnist("pneumoniamnist", root=tmp_path)
    with pytest.raises(DataSourceError, match="inconnue"):
        load_medmnist("pneumoniamnist", source="internet")


def test_download_with_wrong_md5_is_refused_and_not_kept(tmp_path, monkeypatch, mirror_file):
    payload = mirror_file.read_bytes()

    class FakeResponse:
        def __init__(self):
            self.chunks = [payload]

        def read(self, size=-1):
            return self.chunks.pop() if self.chunks else b""

        def __enter__(self):
            return self

        def __exit__(self, *args):
            return False

    monkeypatch.setattr(medmnist_module.urllib.request, "urlopen", lambda request, timeout: FakeResponse())
    with pytest.raises(DataSourceError, match="MD5"):
        medmnist_module.download_medmnist("pneumoniamnist", destination=tmp_path)
    assert not list(tmp_path.glob("pneumoniamnist.npz*"))
    monkeypatch.setitem(OFFICIAL_FILES["pneumoniamnist"], "md5", md5sum(mirror_file))
    path = medmnist_module.download_medmnist("pneumoniamnist", destination=tmp_path)
    assert md5sum(path) == md5sum(mirror_file)
