"""Chargeur MTSamples : format réel (index sans nom, espaces, artefacts `,  `, textes vides, doublons), erreurs claires."""
import pandas as pd
import pytest

from utils.data import DataSourceError, load_mtsamples
from utils.data.mtsamples import DOCUMENT_TYPE_LABELS, read_mtsamples_csv
from utils.data.mtsamples_mirror import FULL_COUNTS, make_mtsamples_mirror
from utils.federated import weights_nbytes
from utils.text import clean_transcription, macro_f1_metric, mask_headers, scrub_identifiers

# Quatre lignes au format exact du fichier Kaggle (extraits raccourcis de vraies lignes de MTSamples).
REAL_FORMAT = (
    ",description,medical_specialty,sample_name,transcription,keywords\n"
    '0, A 23-year-old white female presents with complaint of allergies., Allergy / Immunology, Allergic Rhinitis ,'
    '"SUBJECTIVE:,  This 23-year-old white female presents with complaint of allergies.,OBJECTIVE: ,Vitals:  Weight was 130 pounds.",'
    '"allergy / immunology, allergic rhinitis, allergies, asthma"\n'
    '1, Consult for laparoscopic gastric bypass., Bariatrics, Laparoscopic Gastric Bypass Consult - 2 ,'
    '"PAST MEDICAL HISTORY:, He has difficulty climbing stairs.",\n'
    '2, Laparoscopic gastric bypass., Surgery, Laparoscopic Gastric Bypass ,'
    '"PAST MEDICAL HISTORY:, He has difficulty climbing stairs.","surgery, gastric bypass"\n'
    '3, Sample without text., Surgery, Empty Note ,,\n'
)


@pytest.fixture
def real_file(tmp_path):
    folder = tmp_path / "download" / "versions" / "1"
    folder.mkdir(parents=True)
    (folder / "mtsamples.csv").write_text(REAL_FORMAT, encoding="utf-8")
    return tmp_path / "download"


def test_real_format_is_read_exactly(real_file, capsys):
    frame = load_mtsamples(root=real_file)
    assert list(frame.index) == [0, 1, 2], "l'index du fichier doit être gardé, la ligne vide retirée"
    assert list(frame.columns[:5]) == ["description", "medical_specialty", "sample_name", "transcription", "keywords"]
    assert frame.loc[0, "medical_specialty"] == "Allergy / Immunology"
    assert frame.loc[0, "sample_name"] == "Allergic Rhinitis"
    assert frame.loc[0, "transcription"].startswith("SUBJECTIVE:,  This 23-year-old")  # texte brut conservé
    assert frame.loc[1, "keywords"] == ""
    assert frame.attrs["empty_transcriptions"] == 1 and frame.attrs["rows_in_file"] == 4
    assert frame.loc[1, "duplicate_group"] == frame.loc[2, "duplicate_group"] != frame.loc[0, "duplicate_group"]
    assert frame["n_categories"].tolist() == [1, 2, 2]
    output = capsys.readouterr().out
    assert "3 comptes rendus chargés" in output and "1 ligne(s) sans transcription" in output
    assert "2 lignes partagent leur transcription" in output


def test_file_path_accepted(real_file):
    frame = load_mtsamples(root=real_file / "versions" / "1" / "mtsamples.csv")
    assert len(frame) == 3


@pytest.mark.parametrize("content, message", [
    ("", "vide"),
    (",description,medical_specialty,sample_name,transcription,keywords\n", "aucun compte rendu"),
    ("description,medical_specialty,sample_name,transcription,keywords\n a, b, c,d,e\n", "index sans nom"),
    (",description,specialty,text\n0,a,b,c\n", r"colonne\(s\) manquante\(s\)"),
])
def test_bad_files_get_a_clear_french_message(tmp_path, content, message):
    (tmp_path / "mtsamples.csv").write_text(content, encoding="utf-8")
    with pytest.raises(DataSourceError, match=message):
        load_mtsamples(root=tmp_path)


def test_missing_file_or_folder(tmp_path):
    with pytest.raises(DataSourceError, match="Aucun fichier mtsamples.csv"):
        load_mtsamples(root=tmp_path)
    with pytest.raises(DataSourceError, match="Dossier introuvable"):
        load_mtsamples(root=tmp_path / "absent")


def test_mirror_has_the_real_layout_and_quirks(tmp_path):
    root = make_mtsamples_mirror(tmp_path / "mirror", scale=0.3, seed=1)
    header = (root / "mtsamples.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == ",description,medical_specialty,sample_name,transcription,keywords"
    raw = read_mtsamples_csv(root / "mtsamples.csv")
    assert raw["medical_specialty"].str.startswith(" ").all(), "espaces en tête, comme dans le vrai fichier"
    assert raw["transcription"].fillna("").str.contains(":,  ").mean() > 0.8, "artefacts `,  ` attendus"
    assert raw["transcription"].isna().sum() >= 2
    frame = load_mtsamples(root=root)
    assert set(frame["medical_specialty"]) == set(FULL_COUNTS)
    counts = frame["medical_specialty"].value_counts()
    assert counts.index[0] == "Surgery" and counts["Cardiovascular / Pulmonary"] > counts["Urology"]
    documents = frame[frame["medical_specialty"].isin(DOCUMENT_TYPE_LABELS)]
    assert (documents["n_categories"] > 1).mean() > 0.5, "les types de documents sont surtout des copies"
    assert frame["transcription"].str.contains("CARDIOLOGY CONSULTATION").any()
    again = make_mtsamples_mirror(tmp_path / "mirror2", scale=0.3, seed=1)
    assert (again / "mtsamples.csv").read_bytes() == (root / "mtsamples.csv").read_bytes(), "miroir déterministe"


def test_mirror_is_learnable_and_headers_are_a_shortcut(tmp_path):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.pipeline import make_pipeline

    from utils.data import split_by_group

    frame = load_mtsamples(root=make_mtsamples_mirror(tmp_path / "m", scale=0.45, seed=0))
    keep = ["Cardiovascular / Pulmonary", "Orthopedic", "Gastroenterology", "Neurology", "Urology"]
    notes = frame[frame["medical_specialty"].isin(keep)].drop_duplicates("duplicate_group")
    notes = notes.assign(text=notes["transcription"].map(clean_transcription))
    scores = []
    for seed in range(3):
        train, test = split_by_group(notes, 0.25, label_col="medical_specialty", group_col="duplicate_group", seed=seed)
        pair = []
        for transform in (lambda s: s, mask_headers):
            model = make_pipeline(TfidfVectorizer(sublinear_tf=True, min_df=2), LogisticRegression(max_iter=2000, C=10))
            model.fit(train["text"].map(transform), train["medical_specialty"])
            pair.append(f1_score(test["medical_specialty"], model.predict(test["text"].map(transform)), average="macro"))
        scores.append(pair)
    raw, masked = pd.DataFrame(scores).mean()
    assert 0.6 < raw < 0.92, f"macro-F1 hors de la zone réaliste : {raw:.2f}"
    assert raw - masked > 0.04, f"masquer les en-têtes devrait coûter des points ({raw:.2f} → {masked:.2f})"


def test_text_helpers():
    text = "CARDIOLOGY CONSULTATION,CHIEF COMPLAINT:,  Chest pain.,HISTORY:,  EKG normal. Seen by Dr. Smith on 03/14/2011."
    assert clean_transcription(text).startswith("CARDIOLOGY CONSULTATION,CHIEF COMPLAINT: Chest pain. HISTORY: EKG")
    masked = mask_headers(text)
    assert "CARDIOLOGY" not in masked and "COMPLAINT" not in masked and "HISTORY" not in masked
    assert "EKG normal" in masked, "une abréviation seule n'est pas un en-tête"
    scrubbed = scrub_identifiers("Seen by Dr. Smith on 03/14/2011, call (555) 123-4567, MRN: 1234567.")
    assert scrubbed == "Seen by [NOM] on [DATE], call [TELEPHONE], [DOSSIER]."
    import numpy as np
    assert weights_nbytes([np.zeros((10, 5), dtype="float32"), np.zeros(5, dtype="float32")]) == 220


def test_macro_f1_metric_matches_scikit_learn():
    import numpy as np
    from sklearn.metrics import f1_score
    rng = np.random.default_rng(0)
    for labels in ([0, 1, 2, 3, 4], [1, 3]):
        for _ in range(20):
            y_true, y_pred = rng.integers(0, 5, 40), rng.integers(0, 5, 40)
            expected = f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)
            assert np.isclose(macro_f1_metric(labels)(y_true, y_pred), expected)
    assert macro_f1_metric([0, 1, 4])(np.array([0, 0, 1]), np.array([0, 0, 1])) == 2 / 3  # classe 4 absente : 0


def test_split_class_counts_names_a_too_small_class(capsys):
    from sklearn.metrics import classification_report
    from utils.data.mtsamples import split_class_counts
    names = ["A", "B", "C"]
    train = pd.DataFrame({"target": [0] * 8 + [1] * 6 + [2] * 5})
    val = pd.DataFrame({"target": [0] * 6 + [1] * 5})  # aucune note de « C » en validation
    counts = split_class_counts({"entraînement": train, "validation": val}, names)
    out = capsys.readouterr().out
    assert counts.loc["C", "validation"] == 0 and "« C » : 5 en entraînement, 0 en validation" in out
    assert "« A »" not in out and "« B »" not in out
    report = classification_report(val["target"], val["target"], labels=[0, 1, 2], target_names=names, zero_division=0)
    assert "C" in report  # labels= : les trois classes, sans l'erreur « Number of classes ... does not match »
    split_class_counts({"entraînement": train, "validation": train}, names)
    assert "⚠️" not in capsys.readouterr().out
