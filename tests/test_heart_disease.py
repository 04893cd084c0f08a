"""Chargeur UCI Heart Disease et son miroir : format, effectifs, manquants, messages d'erreur."""
import io
import zipfile

import numpy as np
import pytest

from utils.data import sources

from utils.data import heart_disease as hd
from utils.data import load_heart_disease
from utils.data.heart_disease_mirror import COLUMNS, HOSPITAL_FILES, ROW_COUNTS, make_heart_disease_mirror
from utils.data.sources import DataSourceError


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    return make_heart_disease_mirror(tmp_path_factory.mktemp("heart") / "uci")


@pytest.fixture(scope="module")
def data(mirror):
    return load_heart_disease(root=mirror)


def copy_mirror(mirror, destination):
    destination.mkdir(parents=True, exist_ok=True)
    for name in HOSPITAL_FILES.values():
        (destination / name).write_bytes((mirror / name).read_bytes())
    return destination


def test_mirror_writes_the_official_files(mirror):
    for hospital, name in HOSPITAL_FILES.items():
        lines = (mirror / name).read_text().splitlines()
        assert len(lines) == ROW_COUNTS[hospital]
        assert all(len(line.split(",")) == 14 for line in lines)
        assert not any(line.startswith(tuple("abcdefghijklmnopqrstuvwxyz")) for line in lines), "pas d'en-tête"
    assert "?" in (mirror / "processed.va.data").read_text()
    assert (mirror / "processed.cleveland.data").read_text().split(",")[0].endswith(".0")  # style « 63.0 »


def test_rows_columns_and_target(data):
    assert len(data) == 920
    assert data["hospital"].value_counts().to_dict() == ROW_COUNTS
    assert list(data.columns) == list(COLUMNS) + ["hospital", "target"]
    assert (data["target"] == (data["num"] > 0)).all()
    assert set(data["num"]) == {0, 1, 2, 3, 4}
    # comme processed.hungarian.data : num ne vaut que 0 ou 1 en Hongrie (0-4 : reprocessed.hungarian.data)
    assert set(data.loc[data["hospital"] == "hungarian", "num"]) == {0, 1}


def test_value_codes_are_the_uci_ones(data):
    assert set(data["cp"].dropna()) == {1, 2, 3, 4}
    assert set(data["restecg"].dropna()) <= {0, 1, 2}
    assert set(data["slope"].dropna()) <= {1, 2, 3}
    assert set(data["ca"].dropna()) <= {0, 1, 2, 3}
    assert set(data["thal"].dropna()) == {3, 6, 7}
    assert set(data["sex"]) == {0, 1} and set(data["fbs"].dropna()) == {0, 1}


def test_prevalence_per_hospital(data):
    prevalence = data.groupby("hospital")["target"].mean()
    expected = {"cleveland": 139 / 303, "hungarian": 106 / 294, "switzerland": 115 / 123, "va": 149 / 200}
    for hospital, value in expected.items():
        assert prevalence[hospital] == pytest.approx(value), hospital  # les effectifs des vrais fichiers


def test_missingness_per_hospital_like_the_real_files(data):
    missing = data.drop(columns=["hospital", "target"]).isna().groupby(data["hospital"]).mean()
    assert missing.loc["cleveland"].max() < 0.02
    for column in ("ca", "thal"):
        assert missing.loc["hungarian", column] > 0.8
    for hospital in ("switzerland", "va"):
        assert missing.loc[hospital, "ca"] > 0.9
        assert missing.loc[hospital, ["slope", "thal"]].min() > 0.1
    assert missing.loc["va", "thalach"] > 0.2
    chol_zero = (data["chol"] == 0).groupby(data["hospital"]).mean()
    assert chol_zero["switzerland"] == 1.0  # la particularité du vrai fichier suisse
    assert 0.1 < chol_zero["va"] < 0.4 and chol_zero["cleveland"] == 0
    assert data.attrs["chol_zero"] == int((data["chol"] == 0).sum())


def test_flamby_selection_leaves_740_patients(data):
    complete = data.drop(columns=["slope", "ca", "thal"]).dropna()
    assert complete["hospital"].value_counts().to_dict() == {"cleveland": 303, "hungarian": 261,
                                                            "switzerland": 46, "va": 130}


def test_mirror_is_deterministic_and_reused(tmp_path, mirror):
    other = make_heart_disease_mirror(tmp_path / "again")
    for name in HOSPITAL_FILES.values():
        assert (other / name).read_bytes() == (mirror / name).read_bytes()
    stamp = (other / "processed.va.data").stat().st_mtime_ns
    make_heart_disease_mirror(tmp_path / "again")
    assert (other / "processed.va.data").stat().st_mtime_ns == stamp


def test_mirror_is_learnable_and_hospitals_differ(data):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    frame = data[data["hospital"].isin(["cleveland", "hungarian"])]
    features = ["age", "sex", "cp", "thalach", "exang", "oldpeak"]
    X, y = frame[features].fillna(frame[features].median()).to_numpy(), frame["target"].to_numpy()
    rng = np.random.default_rng(0)
    test = rng.random(len(y)) < 0.3
    model = LogisticRegression(max_iter=1000).fit(X[~test], y[~test])
    assert roc_auc_score(y[test], model.predict_proba(X[test])[:, 1]) > 0.8
    ages = data.groupby("hospital")["age"].mean()
    assert ages["va"] - ages["hungarian"] > 8


def test_question_mark_is_missing_and_numbers_in_any_style(tmp_path, mirror):
    folder = copy_mirror(mirror, tmp_path / "files")
    (folder / "processed.switzerland.data").write_text(
        "32,1,1,95,0,?,0,127,0,.7,1,?,?,1\n34,1,4,115,0,?,?,154,0,-.5,1,?,?,1\n"
        "35,1,4,?,0,?,0,130,1,?,?,?,7,3\n", encoding="ascii")
    data = load_heart_disease(root=folder)
    swiss = data[data["hospital"] == "switzerland"].reset_index(drop=True)
    assert len(swiss) == 3 and len(data) == 920 - 123 + 3
    assert swiss.loc[0, "oldpeak"] == pytest.approx(0.7) and swiss.loc[1, "oldpeak"] == pytest.approx(-0.5)
    assert swiss["fbs"].isna().all() and np.isnan(swiss.loc[2, "trestbps"])
    assert swiss["target"].tolist() == [1, 1, 1]


def test_files_in_a_subfolder_are_found(tmp_path, mirror):
    copy_mirror(mirror, tmp_path / "heart+disease")
    (tmp_path / "heart+disease" / "reprocessed.hungarian.data").write_text("1 2 3\n")  # présent dans l'archive UCI
    assert len(load_heart_disease(root=tmp_path)) == 920


def test_wrong_column_count_gives_a_french_message(tmp_path, mirror):
    folder = copy_mirror(mirror, tmp_path / "files")
    lines = (folder / "processed.va.data").read_text().splitlines()
    lines[4] += ",1"
    (folder / "processed.va.data").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataSourceError, match=r"processed\.va\.data, ligne 5 : 15 colonne\(s\) au lieu de 14"):
        load_heart_disease(root=folder)


def test_unknown_hospital_file_gives_a_french_message(tmp_path, mirror):
    folder = copy_mirror(mirror, tmp_path / "files")
    (folder / "processed.lyon.data").write_text((folder / "processed.va.data").read_text())
    with pytest.raises(DataSourceError, match=r"Fichier d'hôpital inconnu .*processed\.lyon\.data"):
        load_heart_disease(root=folder)


def test_missing_folder_and_missing_file(tmp_path, mirror):
    with pytest.raises(DataSourceError, match="Dossier introuvable"):
        load_heart_disease(root=tmp_path / "nulle_part")
    (tmp_path / "vide").mkdir()
    with pytest.raises(DataSourceError, match=r"Aucun fichier processed\.\*\.data"):
        load_heart_disease(root=tmp_path / "vide")
    folder = copy_mirror(mirror, tmp_path / "files")
    (folder / "processed.hungarian.data").unlink()
    with pytest.raises(DataSourceError, match=r"manquant.*processed\.hungarian\.data"):
        load_heart_disease(root=folder)


def test_unreadable_value_and_bad_target(tmp_path, mirror):
    folder = copy_mirror(mirror, tmp_path / "files")
    text = (folder / "processed.hungarian.data").read_text()
    (folder / "processed.hungarian.data").write_text(text.replace("\n", "\nabc,1,2,130,132,0,2,185,0,0,?,?,?,0\n", 1))
    with pytest.raises(DataSourceError, match=r"ligne 2, colonne age : valeur « abc » illisible"):
        load_heart_disease(root=folder)
    (folder / "processed.hungarian.data").write_text(text.replace("\n", "\n28,1,2,130,132,0,2,185,0,0,?,?,?,7\n", 1))
    with pytest.raises(DataSourceError, match="num"):
        load_heart_disease(root=folder)


def test_unknown_source(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    with pytest.raises(DataSourceError, match="source='kaggle' inconnue"):
        load_heart_disease(source="kaggle")


def test_auto_falls_back_to_the_mirror_when_uci_is_unreachable(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(sources, "host_reachable", lambda host, **kwargs: False)
    data = load_heart_disease()
    output = capsys.readouterr().out
    assert "Dépôt UCI injoignable" in output and "miroir hors ligne" in output
    assert len(data) == 920 and "miroir" in data.attrs["source"]


def test_download_reads_the_uci_archive(tmp_path, monkeypatch, mirror, capsys):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in HOSPITAL_FILES.values():
            archive.write(mirror / name, name)
        archive.writestr("heart-disease.names", "description")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(sources, "host_reachable", lambda host, **kwargs: True)
    monkeypatch.setattr(hd, "_fetch", lambda url, timeout: buffer.getvalue())
    data = load_heart_disease(source="uci")
    assert len(data) == 920 and "dépôt UCI" in data.attrs["source"]
    assert (tmp_path / "heart_disease_uci" / "processed.va.data").exists()
    # Au second appel, le cache suffit : pas de réseau.
    monkeypatch.setattr(hd, "_fetch", lambda url, timeout: (_ for _ in ()).throw(AssertionError("réseau")))
    assert "déjà téléchargé" in load_heart_disease(source="auto").attrs["source"]


def test_failed_download_is_explained_and_auto_falls_back(tmp_path, monkeypatch, capsys):
    def refuse(url, timeout):
        raise TimeoutError("délai dépassé")

    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(sources, "host_reachable", lambda host, **kwargs: True)
    monkeypatch.setattr(hd, "_fetch", refuse)
    with pytest.raises(DataSourceError, match="Téléchargement UCI impossible"):
        load_heart_disease(source="uci")
    data = load_heart_disease(source="auto")
    assert "échec du téléchargement" in data.attrs["source"]
    assert "Repli sur le miroir" in capsys.readouterr().out
    assert not (tmp_path / "heart_disease_uci").exists()


def test_federated_mean_std_equals_pooled_statistics():
    import pandas as pd

    rng = np.random.default_rng(3)
    tables = [pd.DataFrame(rng.normal(50, 10, size=(n, 2)), columns=["age", "chol"]) for n in (40, 7, 25)]
    tables[1]["chol"] = np.nan  # un hôpital qui n'a jamais mesuré chol (comme la Suisse)
    tables[2].loc[3, "age"] = np.nan
    mean, std = hd.federated_mean_std([hd.local_sums(table) for table in tables])
    pooled = pd.concat(tables)
    np.testing.assert_allclose(mean, pooled.mean(), rtol=1e-12)
    np.testing.assert_allclose(std, pooled.std(ddof=1), rtol=1e-9)
    sums = hd.local_sums(tables[1])
    assert sums["count"]["chol"] == 0 and sums["total"]["chol"] == 0
