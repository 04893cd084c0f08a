"""Cohorte synthétique au format MIMIC-III : génération, relecture par le même code, entrées invalides."""
import pandas as pd
import pytest

from utils.data import DataSourceError
from utils.data.ehr import (TABLE_COLUMNS, age_in_years, load_mimic_like_cohort, make_mimic_like_cohort,
                            read_mimic_tables, synthesize_cohort)
from utils.privacy import k_anonymity


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    folder = make_mimic_like_cohort(tmp_path_factory.mktemp("mimic"), n_patients=200, seed=3)
    return folder, read_mimic_tables(folder)


def test_tables_have_mimic_columns_and_keys(cohort):
    folder, tables = cohort
    for name, columns in TABLE_COLUMNS.items():
        assert (folder / f"{name}.csv").is_file()
        assert list(tables[name].columns) == columns
    patients, admissions = tables["PATIENTS"], tables["ADMISSIONS"]
    assert len(patients) == 200 and patients["SUBJECT_ID"].is_unique
    assert admissions["HADM_ID"].is_unique and set(admissions["SUBJECT_ID"]) <= set(patients["SUBJECT_ID"])
    assert set(tables["DIAGNOSES_ICD"]["HADM_ID"]) <= set(admissions["HADM_ID"])
    assert set(tables["LABEVENTS"]["ITEMID"]) <= set(tables["D_LABITEMS"]["ITEMID"])
    assert set(tables["DIAGNOSES_ICD"]["ICD9_CODE"]) <= set(tables["D_ICD_DIAGNOSES"]["ICD9_CODE"])
    assert "0389" in set(tables["DIAGNOSES_ICD"]["ICD9_CODE"])  # codes lus comme du texte (zéro initial gardé)
    assert pd.api.types.is_datetime64_any_dtype(admissions["ADMITTIME"])
    assert (admissions["DISCHTIME"] > admissions["ADMITTIME"]).all()
    assert admissions["ADMITTIME"].dt.year.between(2100, 2210).all()  # dates décalées comme dans MIMIC-III


def test_ages_follow_mimic_rules(cohort):
    _, tables = cohort
    merged = tables["ADMISSIONS"].merge(tables["PATIENTS"], on="SUBJECT_ID")
    age = age_in_years(merged["DOB"], merged["ADMITTIME"])
    assert age.min() >= 18
    assert ((age >= 300) | (age <= 89)).all()  # plus de 89 ans : âge apparent d'environ 300 ans
    assert (age >= 300).any()
    assert list(age_in_years(pd.Series(["2000-06-15", "1850-01-01"]), pd.Series(["2010-06-14", "2150-01-01"]))) == [9, 300]


def test_generation_is_deterministic():
    a, b = synthesize_cohort(50, seed=1), synthesize_cohort(50, seed=1)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert not synthesize_cohort(50, seed=2)["PATIENTS"].equals(a["PATIENTS"])


def test_loader_says_it_is_synthetic(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    tables = load_mimic_like_cohort(n_patients=40, seed=0)
    assert "SYNTHÉTIQUE" in capsys.readouterr().out
    assert len(tables["PATIENTS"]) == 40
    again = load_mimic_like_cohort(n_patients=40, seed=0, verbose=False)  # réutilise les fichiers
    pd.testing.assert_frame_equal(tables["ADMISSIONS"], again["ADMISSIONS"])


def test_reads_lowercase_gzip_tables_like_the_physionet_demo(tmp_path, cohort):
    folder, tables = cohort
    for name in ("PATIENTS", "ADMISSIONS"):
        frame = pd.read_csv(folder / f"{name}.csv")
        frame.columns = [c.lower() for c in frame.columns]
        frame.to_csv(tmp_path / f"{name}.csv.gz", index=False)
    read = read_mimic_tables(tmp_path, tables=("PATIENTS", "ADMISSIONS"))
    assert list(read["PATIENTS"].columns) == TABLE_COLUMNS["PATIENTS"]
    assert len(read["ADMISSIONS"]) == len(tables["ADMISSIONS"])


def test_bad_inputs_have_french_messages(tmp_path, cohort):
    folder, _ = cohort
    with pytest.raises(DataSourceError, match="Dossier introuvable"):
        read_mimic_tables(tmp_path / "absent")
    with pytest.raises(DataSourceError, match="Table PATIENTS absente"):
        read_mimic_tables(tmp_path)
    broken = pd.read_csv(folder / "PATIENTS.csv").drop(columns=["GENDER"])
    broken.to_csv(tmp_path / "PATIENTS.csv", index=False)
    with pytest.raises(DataSourceError, match="colonne\\(s\\) absente\\(s\\) : GENDER"):
        read_mimic_tables(tmp_path, tables=("PATIENTS",))
    with pytest.raises(DataSourceError, match="Table inconnue"):
        read_mimic_tables(folder, tables=("CHARTEVENTS",))


def test_cohort_missing_quasi_identifier(cohort):
    _, tables = cohort
    with pytest.raises(ValueError, match="absente de la cohorte : ZIP"):
        k_anonymity(tables["ADMISSIONS"], ["ETHNICITY", "ZIP"])
