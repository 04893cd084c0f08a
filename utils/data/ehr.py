"""Dossiers patients « façon MIMIC-III » : une cohorte SYNTHÉTIQUE avec les tables et colonnes de MIMIC-III.

MIMIC-III (Johnson et al. 2016) exige un accès accrédité sur PhysioNet (formation aux données humaines et
accord d'utilisation) : on ne peut ni le télécharger automatiquement ni le redistribuer. Le cours génère
donc une petite cohorte inventée, écrite en CSV avec exactement les noms de tables et de colonnes de
MIMIC-III (v1.4), et la relit avec le même code que les vraies tables ::

    PATIENTS.csv        ROW_ID, SUBJECT_ID, GENDER, DOB, DOD, DOD_HOSP, DOD_SSN, EXPIRE_FLAG
    ADMISSIONS.csv      ROW_ID, SUBJECT_ID, HADM_ID, ADMITTIME, DISCHTIME, DEATHTIME, ADMISSION_TYPE, ...
    DIAGNOSES_ICD.csv   ROW_ID, SUBJECT_ID, HADM_ID, SEQ_NUM, ICD9_CODE
    D_ICD_DIAGNOSES.csv ROW_ID, ICD9_CODE, SHORT_TITLE, LONG_TITLE          (sous-ensemble de codes)
    LABEVENTS.csv       ROW_ID, SUBJECT_ID, HADM_ID, ITEMID, CHARTTIME, VALUE, VALUENUM, VALUEUOM, FLAG
    D_LABITEMS.csv      ROW_ID, ITEMID, LABEL, FLUID, CATEGORY, LOINC_CODE  (sous-ensemble d'analyses)

Comme dans MIMIC-III, les dates sont décalées par patient dans le futur (années 2100 à 2200) et les patients
de plus de 89 ans ont une date de naissance reculée de 300 ans (âge apparent ≈ 300) : c'est ainsi que
MIMIC-III applique la règle Safe Harbor de HIPAA. Avec un accès accrédité (ou la démo en libre accès de
PhysioNet, 100 patients), `load_mimic_like_cohort(path=...)` lit les vraies tables.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..runtime import data_dir, is_fast
from .sources import DataSourceError, cached_mirror

MIRROR_VERSION = 2  # à augmenter à chaque changement du générateur : les caches périmés sont alors régénérés
FAST_PATIENTS, FULL_PATIENTS = 600, 3000

# Colonnes de MIMIC-III v1.4, table par table (documentation : https://mimic.mit.edu/docs/iii/tables/).
TABLE_COLUMNS = {
    "PATIENTS": ["ROW_ID", "SUBJECT_ID", "GENDER", "DOB", "DOD", "DOD_HOSP", "DOD_SSN", "EXPIRE_FLAG"],
    "ADMISSIONS": ["ROW_ID", "SUBJECT_ID", "HADM_ID", "ADMITTIME", "DISCHTIME", "DEATHTIME", "ADMISSION_TYPE",
                   "ADMISSION_LOCATION", "DISCHARGE_LOCATION", "INSURANCE", "LANGUAGE", "RELIGION",
                   "MARITAL_STATUS", "ETHNICITY", "EDREGTIME", "EDOUTTIME", "DIAGNOSIS", "HOSPITAL_EXPIRE_FLAG",
                   "HAS_CHARTEVENTS_DATA"],
    "DIAGNOSES_ICD": ["ROW_ID", "SUBJECT_ID", "HADM_ID", "SEQ_NUM", "ICD9_CODE"],
    "D_ICD_DIAGNOSES": ["ROW_ID", "ICD9_CODE", "SHORT_TITLE", "LONG_TITLE"],
    "LABEVENTS": ["ROW_ID", "SUBJECT_ID", "HADM_ID", "ITEMID", "CHARTTIME", "VALUE", "VALUENUM", "VALUEUOM", "FLAG"],
    "D_LABITEMS": ["ROW_ID", "ITEMID", "LABEL", "FLUID", "CATEGORY", "LOINC_CODE"],
}
DATE_COLUMNS = {
    "PATIENTS": ["DOB", "DOD", "DOD_HOSP", "DOD_SSN"],
    "ADMISSIONS": ["ADMITTIME", "DISCHTIME", "DEATHTIME", "EDREGTIME", "EDOUTTIME"],
    "LABEVENTS": ["CHARTTIME"],
}
# Codes lus comme du texte : « 0389 » n'est pas le nombre 389.
TEXT_COLUMNS = {"ICD9_CODE", "VALUE", "LOINC_CODE", "SHORT_TITLE", "LONG_TITLE"}

# Sous-ensemble de codes CIM-9-MC (ICD-9-CM) fréquents en réanimation, et quelques codes « sensibles ».
ICD9 = {
    "4019": ("Hypertension NOS", "Unspecified essential hypertension"),
    "4280": ("CHF NOS", "Congestive heart failure, unspecified"),
    "42731": ("Atrial fibrillation", "Atrial fibrillation"),
    "41401": ("Crnry athrscl natve vssl", "Coronary atherosclerosis of native coronary artery"),
    "5849": ("Acute kidney failure NOS", "Acute kidney failure, unspecified"),
    "25000": ("DMII wo cmp nt st uncntr", "Diabetes mellitus without mention of complication, type II"),
    "2724": ("Hyperlipidemia NEC/NOS", "Other and unspecified hyperlipidemia"),
    "51881": ("Acute respiratry failure", "Acute respiratory failure"),
    "5990": ("Urin tract infection NOS", "Urinary tract infection, site not specified"),
    "486": ("Pneumonia, organism NOS", "Pneumonia, organism unspecified"),
    "0389": ("Septicemia NOS", "Unspecified septicemia"),
    "99592": ("Severe sepsis", "Severe sepsis"),
    "2859": ("Anemia NOS", "Anemia, unspecified"),
    "496": ("Chr airway obstruct NEC", "Chronic airway obstruction, not elsewhere classified"),
    "41071": ("Subendo infarct, initial", "Subendocardial infarction, initial episode of care"),
    "431": ("Intracerebral hemorrhage", "Intracerebral hemorrhage"),
    "5715": ("Cirrhosis of liver NOS", "Cirrhosis of liver without mention of alcohol"),
    "042": ("Human immuno virus dis", "Human immunodeficiency virus [HIV] disease"),
    "30390": ("Alcoh dep NEC/NOS-unspec", "Other and unspecified alcohol dependence, unspecified"),
    "311": ("Depressive disorder NEC", "Depressive disorder, not elsewhere classified"),
}
# Motif d'admission (texte libre de ADMISSIONS.DIAGNOSIS) -> code principal, et poids dans la cohorte.
PRIMARY = {
    "SEPSIS": ("0389", 0.16), "PNEUMONIA": ("486", 0.14), "CONGESTIVE HEART FAILURE": ("4280", 0.14),
    "CORONARY ARTERY DISEASE": ("41401", 0.14), "ACUTE RENAL FAILURE": ("5849", 0.08),
    "RESPIRATORY FAILURE": ("51881", 0.08), "INTRACRANIAL HEMORRHAGE": ("431", 0.06),
    "MYOCARDIAL INFARCTION": ("41071", 0.08), "GI BLEED": ("2859", 0.06), "LIVER FAILURE": ("5715", 0.06),
}
SECONDARY = {"4019": 0.45, "42731": 0.28, "25000": 0.22, "2724": 0.25, "5990": 0.12, "2859": 0.18, "496": 0.10,
             "5849": 0.15, "99592": 0.06, "042": 0.02, "30390": 0.05, "311": 0.08}
# Analyses de laboratoire (ITEMID de MIMIC-III) : libellé, liquide, catégorie, LOINC, unité, normale, dispersion.
LAB_ITEMS = {
    50912: ("Creatinine", "Blood", "Chemistry", "2160-0", "mg/dL", (0.5, 1.2), 1.0, 0.35),
    50971: ("Potassium", "Blood", "Chemistry", "2823-3", "mEq/L", (3.3, 5.1), 4.2, 0.45),
    50983: ("Sodium", "Blood", "Chemistry", "2951-2", "mEq/L", (133.0, 145.0), 139.0, 4.0),
    50931: ("Glucose", "Blood", "Chemistry", "2345-7", "mg/dL", (70.0, 105.0), 125.0, 0.3),
    51222: ("Hemoglobin", "Blood", "Hematology", "718-7", "g/dL", (12.0, 16.0), 10.8, 1.8),
    51301: ("White Blood Cells", "Blood", "Hematology", "804-5", "K/uL", (4.0, 11.0), 9.5, 0.4),
    50813: ("Lactate", "Blood", "Blood Gas", "32693-4", "mmol/L", (0.5, 2.0), 1.6, 0.45),
}
ETHNICITY = {"WHITE": 0.70, "BLACK/AFRICAN AMERICAN": 0.09, "HISPANIC OR LATINO": 0.04, "ASIAN": 0.04,
             "UNKNOWN/NOT SPECIFIED": 0.08, "OTHER": 0.03, "UNABLE TO OBTAIN": 0.02}
MARITAL = {"MARRIED": 0.46, "SINGLE": 0.28, "WIDOWED": 0.13, "DIVORCED": 0.07, "SEPARATED": 0.01, "": 0.05}
RELIGION = {"CATHOLIC": 0.35, "NOT SPECIFIED": 0.22, "PROTESTANT QUAKER": 0.13, "UNOBTAINABLE": 0.10,
            "JEWISH": 0.09, "OTHER": 0.05, "EPISCOPALIAN": 0.02, "CHRISTIAN SCIENTIST": 0.02, "BUDDHIST": 0.01,
            "MUSLIM": 0.01}
LANGUAGE = {"ENGL": 0.80, "SPAN": 0.05, "RUSS": 0.03, "PTUN": 0.03, "CANT": 0.02, "HAIT": 0.02, "": 0.05}


def load_mimic_like_cohort(path: str | Path | None = None, *, n_patients: int | None = None,
                           seed: int = 0, verbose: bool = True) -> dict[str, pd.DataFrame]:
    """Charge les tables MIMIC-III : le dossier `path` (vraies tables) ou, par défaut, la cohorte synthétique.

    - `path` : dossier contenant PATIENTS.csv, ADMISSIONS.csv... (ou .csv.gz), par exemple une copie
      accréditée de MIMIC-III ou la démo en libre accès de PhysioNet ;
    - `n_patients` : taille de la cohorte synthétique (par défaut 600 en mode FAST, 3000 sinon) ;
    - `seed` : graine de la cohorte synthétique (même graine -> mêmes tables).

    Renvoie un dictionnaire {nom de table: DataFrame}. Les noms de colonnes sont ceux de MIMIC-III
    (en majuscules), les dates sont des `datetime64`, les codes CIM-9 du texte.
    """
    if path is None:
        folder = make_mimic_like_cohort(n_patients=n_patients, seed=seed)
        description = ("cohorte SYNTHÉTIQUE au format MIMIC-III (MIMIC-III exige un accès accrédité sur "
                       "PhysioNet : ces patients sont inventés, seuls les noms de tables et de colonnes sont réels)")
    else:
        folder, description = Path(path), f"tables MIMIC-III du dossier {path}"
    tables = read_mimic_tables(folder)
    if verbose:
        print(f"Source des données : {description}")
        print("  " + ", ".join(f"{name} : {len(frame)} lignes" for name, frame in tables.items()))
    return tables


def read_mimic_tables(folder: str | Path, tables=("PATIENTS", "ADMISSIONS", "DIAGNOSES_ICD", "D_ICD_DIAGNOSES",
                                                  "LABEVENTS", "D_LABITEMS")) -> dict[str, pd.DataFrame]:
    """Lit des tables MIMIC-III (`NOM.csv` ou `NOM.csv.gz`) et vérifie leurs colonnes.

    Les noms de colonnes sont mis en majuscules (la démo de PhysioNet les écrit en minuscules).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataSourceError(f"Dossier introuvable : {folder}. Attendu : un dossier avec les fichiers "
                              f"{', '.join(t + '.csv' for t in tables)} (ou .csv.gz) de MIMIC-III.")
    result = {}
    for name in tables:
        if name not in TABLE_COLUMNS:
            raise DataSourceError(f"Table inconnue : {name}. Tables lues par le cours : {', '.join(TABLE_COLUMNS)}.")
        file = next((folder / f"{stem}{suffix}" for stem in (name, name.lower()) for suffix in (".csv", ".csv.gz")
                     if (folder / f"{stem}{suffix}").is_file()), None)
        if file is None:
            raise DataSourceError(f"Table {name} absente de {folder} : fichier {name}.csv (ou {name}.csv.gz) attendu.")
        text_columns = {c: str for c in TEXT_COLUMNS} | {c.lower(): str for c in TEXT_COLUMNS}
        frame = pd.read_csv(file, dtype=text_columns,
                            keep_default_na=True, low_memory=False)
        frame.columns = [str(c).upper() for c in frame.columns]
        missing = [c for c in TABLE_COLUMNS[name] if c not in frame.columns]
        if missing:
            raise DataSourceError(
                f"{file.name} : colonne(s) absente(s) : {', '.join(missing)}. Colonnes attendues (MIMIC-III v1.4) : "
                f"{', '.join(TABLE_COLUMNS[name])}. Colonnes trouvées : {', '.join(frame.columns)}.")
        for column in DATE_COLUMNS.get(name, []):
            frame[column] = pd.to_datetime(frame[column], errors="coerce")
        result[name] = frame
    return result


def age_in_years(start, end) -> pd.Series:
    """Âge en années révolues entre deux colonnes de dates (naissance, admission).

    Calcul sur les années, mois et jours : soustraire deux dates de pandas déborde au-delà de 292 ans,
    ce qui arrive dans MIMIC-III pour les plus de 89 ans (date de naissance reculée de 300 ans).
    """
    start, end = pd.to_datetime(pd.Series(start)), pd.to_datetime(pd.Series(end))
    before_birthday = (end.dt.month < start.dt.month) | ((end.dt.month == start.dt.month) & (end.dt.day < start.dt.day))
    return (end.dt.year - start.dt.year - before_birthday.astype(int)).astype("Int64")


# --------------------------------------------------------------------------- génération
def make_mimic_like_cohort(root: str | Path | None = None, n_patients: int | None = None, seed: int = 0) -> Path:
    """Génère (ou réutilise) la cohorte synthétique et renvoie le dossier des fichiers CSV."""
    n_patients = int(n_patients or (FAST_PATIENTS if is_fast() else FULL_PATIENTS))
    if n_patients < 1:
        raise ValueError("n_patients doit valoir au moins 1.")
    root = Path(root) if root else data_dir() / f"mimic_like_{n_patients}_{seed}"
    params = {"version": MIRROR_VERSION, "n_patients": n_patients, "seed": seed}
    tables = list(TABLE_COLUMNS)

    def write(folder: Path) -> None:
        for name, frame in synthesize_cohort(n_patients, seed).items():
            frame.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d %H:%M:%S")
        (folder / "LISEZMOI.txt").write_text(
            "Cohorte SYNTHÉTIQUE générée par utils.data.ehr (cours « Apprentissage fédéré et IA en santé »).\n"
            "Les noms de tables et de colonnes sont ceux de MIMIC-III v1.4 ; aucun patient n'est réel.\n",
            encoding="utf-8")

    return cached_mirror(root, params, write, required=[f"{name}.csv" for name in tables])


def _choice(rng, table: dict, size: int) -> np.ndarray:
    keys = list(table)
    weights = np.array(list(table.values()), dtype=float)
    return np.array(keys, dtype=object)[rng.choice(len(keys), size=size, p=weights / weights.sum())]


def synthesize_cohort(n_patients: int, seed: int = 0) -> dict[str, pd.DataFrame]:
    """Les tables de la cohorte synthétique, en mémoire (DataFrames aux colonnes MIMIC-III)."""
    rng = np.random.default_rng(seed)
    subject_ids = np.sort(rng.choice(np.arange(1, 100_000), size=n_patients, replace=False))
    gender = np.where(rng.random(n_patients) < 0.56, "M", "F")
    age = np.clip(rng.normal(64, 17, n_patients), 18, 98).round().astype(int)
    # Décalage par patient dans le futur, comme MIMIC-III : première admission entre 2100 et 2200.
    first_admit = pd.to_datetime("2100-01-01") + pd.to_timedelta(rng.integers(0, 365 * 100, n_patients), unit="D") \
        + pd.to_timedelta(rng.integers(0, 24 * 60, n_patients), unit="min")
    ethnicity = _choice(rng, ETHNICITY, n_patients)
    religion = _choice(rng, RELIGION, n_patients)
    language = _choice(rng, LANGUAGE, n_patients)
    marital = _choice(rng, MARITAL, n_patients)
    marital[(age < 25) & (rng.random(n_patients) < 0.8)] = "SINGLE"
    widow = (age > 75) & (rng.random(n_patients) < 0.35)
    marital[widow] = "WIDOWED"

    admissions, diagnoses, labs = [], [], []
    died = np.zeros(n_patients, dtype=bool)
    dod = [pd.NaT] * n_patients
    dod_hosp = [pd.NaT] * n_patients
    last_admit = [pd.NaT] * n_patients
    hadm_ids = iter(rng.permutation(np.arange(100_000, 200_000)))
    primary_names = list(PRIMARY)
    primary_weights = np.array([w for _, w in PRIMARY.values()])
    for i in range(n_patients):
        n_adm = 1 + min(rng.geometric(0.7) - 1, 4)
        admit = first_admit[i]
        for j in range(n_adm):
            if j:
                admit = admit + pd.Timedelta(days=int(rng.integers(30, 900)), minutes=int(rng.integers(0, 1440)))
            hadm = int(next(hadm_ids))
            reason = primary_names[rng.choice(len(primary_names), p=primary_weights / primary_weights.sum())]
            emergency = reason not in ("CORONARY ARTERY DISEASE",) or rng.random() < 0.3
            adm_type = "EMERGENCY" if emergency and rng.random() < 0.9 else ("URGENT" if emergency else "ELECTIVE")
            stay_days = float(np.clip(rng.lognormal(1.9, 0.6), 1, 90))
            disch = admit + pd.Timedelta(hours=stay_days * 24)
            # Mortalité hospitalière : plus fréquente avec l'âge, le sepsis, l'hémorragie, le lactate élevé.
            severity = rng.normal(0, 1)
            logit = -3.2 + 0.035 * (age[i] - 60) + 1.1 * (reason in ("SEPSIS", "INTRACRANIAL HEMORRHAGE",
                                                                        "LIVER FAILURE")) + 0.9 * severity
            expire = bool(rng.random() < 1 / (1 + np.exp(-logit)))
            age_now = age[i] + (admit - first_admit[i]).days / 365.25
            insurance = ("Medicare" if age_now >= 65 and rng.random() < 0.9 else
                         str(_choice(rng, {"Private": 0.6, "Medicaid": 0.25, "Government": 0.08, "Self Pay": 0.07}, 1)[0]))
            ed_in = admit - pd.Timedelta(minutes=int(rng.integers(60, 600))) if adm_type == "EMERGENCY" else pd.NaT
            admissions.append({
                "SUBJECT_ID": subject_ids[i], "HADM_ID": hadm, "ADMITTIME": admit, "DISCHTIME": disch,
                "DEATHTIME": disch if expire else pd.NaT, "ADMISSION_TYPE": adm_type,
                "ADMISSION_LOCATION": ("EMERGENCY ROOM ADMIT" if adm_type == "EMERGENCY" else
                                       str(_choice(rng, {"PHYS REFERRAL/NORMAL DELI": 0.6, "CLINIC REFERRAL/PREMATURE": 0.25,
                                                         "TRANSFER FROM HOSP/EXTRAM": 0.15}, 1)[0])),
                "DISCHARGE_LOCATION": "DEAD/EXPIRED" if expire else str(_choice(
                    rng, {"HOME": 0.35, "HOME HEALTH CARE": 0.25, "SNF": 0.2, "REHAB/DISTINCT PART HOSP": 0.12,
                          "LONG TERM CARE HOSPITAL": 0.08}, 1)[0]),
                "INSURANCE": insurance, "LANGUAGE": language[i] or np.nan, "RELIGION": religion[i],
                "MARITAL_STATUS": marital[i] or np.nan, "ETHNICITY": ethnicity[i],
                "EDREGTIME": ed_in, "EDOUTTIME": admit if adm_type == "EMERGENCY" else pd.NaT,
                "DIAGNOSIS": reason, "HOSPITAL_EXPIRE_FLAG": int(expire), "HAS_CHARTEVENTS_DATA": 1,
            })
            codes = [PRIMARY[reason][0]] + [code for code, p in SECONDARY.items()
                                            if code != PRIMARY[reason][0] and rng.random() < p]
            if reason == "SEPSIS" and "99592" not in codes and rng.random() < 0.5:
                codes.append("99592")
            diagnoses += [{"SUBJECT_ID": subject_ids[i], "HADM_ID": hadm, "SEQ_NUM": k + 1, "ICD9_CODE": code}
                          for k, code in enumerate(codes)]
            labs += _lab_events(rng, subject_ids[i], hadm, admit, disch, codes, severity)
            if expire:
                died[i], dod[i], dod_hosp[i] = True, disch.normalize(), disch.normalize()
                break
        last_admit[i] = admit
        if not died[i] and rng.random() < 0.12:  # décès après la sortie (registre de la sécurité sociale)
            died[i] = True
            dod[i] = (admit + pd.Timedelta(days=int(rng.integers(30, 1500)))).normalize()

    # Plus de 89 ans à une admission quelconque : MIMIC-III recule la naissance pour un âge apparent de 300 ans.
    age_at_last = age + (pd.DatetimeIndex(last_admit) - first_admit).days.to_numpy() / 365.25
    dob = pd.Series([_birth_date(300 if last > 89 else a, t, rng)
                     for a, last, t in zip(age, age_at_last, first_admit)])
    patients = pd.DataFrame({
        "SUBJECT_ID": subject_ids, "GENDER": gender, "DOB": dob, "DOD": pd.to_datetime(pd.Series(dod)),
        "DOD_HOSP": pd.to_datetime(pd.Series(dod_hosp)),
        "DOD_SSN": pd.to_datetime(pd.Series([d if (pd.notna(d) and rng.random() < 0.8) else pd.NaT for d in dod])),
        "EXPIRE_FLAG": died.astype(int),
    })
    admissions = pd.DataFrame(admissions).sort_values(["SUBJECT_ID", "ADMITTIME"], kind="stable")
    diagnoses = pd.DataFrame(diagnoses)
    labevents = pd.DataFrame(labs).sort_values(["SUBJECT_ID", "CHARTTIME", "ITEMID"], kind="stable")
    d_icd = pd.DataFrame([{"ICD9_CODE": code, "SHORT_TITLE": short, "LONG_TITLE": long}
                          for code, (short, long) in ICD9.items()])
    d_lab = pd.DataFrame([{"ITEMID": item, "LABEL": spec[0], "FLUID": spec[1], "CATEGORY": spec[2],
                           "LOINC_CODE": spec[3]} for item, spec in LAB_ITEMS.items()])
    tables = {"PATIENTS": patients, "ADMISSIONS": admissions, "DIAGNOSES_ICD": diagnoses,
              "D_ICD_DIAGNOSES": d_icd, "LABEVENTS": labevents, "D_LABITEMS": d_lab}
    for name, frame in tables.items():
        frame.insert(0, "ROW_ID", np.arange(1, len(frame) + 1))
        tables[name] = frame[TABLE_COLUMNS[name]].reset_index(drop=True)
    return tables


def _birth_date(age: int, admit: pd.Timestamp, rng) -> pd.Timestamp:
    """Date de naissance telle que l'âge (révolu) à `admit` vaille `age`."""
    days_before_admit = int(rng.integers(1, 365))  # anniversaire 1 à 364 jours avant l'admission
    birthday = admit.normalize() - pd.Timedelta(days=days_before_admit)
    year = birthday.year - age
    return pd.Timestamp(year=year, month=birthday.month, day=min(birthday.day, 28 if birthday.month == 2 else 31))


def _lab_events(rng, subject_id, hadm, admit, disch, codes, severity) -> list[dict]:
    rows = []
    hours = max((disch - admit).total_seconds() / 3600, 6)
    for item, (label, _, _, _, unit, (low, high), center, spread) in LAB_ITEMS.items():
        shift = 0.0
        if item == 50912 and "5849" in codes:
            shift = 1.2
        if item == 50813 and ("0389" in codes or "99592" in codes):
            shift = 0.8 + 0.6 * max(severity, 0)
        if item == 51301 and ("0389" in codes or "486" in codes):
            shift = 0.5
        if item == 51222 and "2859" in codes:
            shift = -2.0
        for _ in range(int(rng.integers(1, 4))):
            if label in ("Potassium", "Sodium", "Hemoglobin"):
                value = rng.normal(center + shift, spread)
            else:  # grandeurs positives et asymétriques
                value = center * np.exp(rng.normal(0, spread)) + shift * center
            value = float(max(value, 0.1))
            decimals = 0 if label in ("Sodium", "Glucose") else 1
            value = round(value, decimals)
            rows.append({"SUBJECT_ID": subject_id, "HADM_ID": hadm, "ITEMID": item,
                         "CHARTTIME": admit + pd.Timedelta(hours=float(rng.uniform(0, hours))),
                         "VALUE": f"{value:.{decimals}f}", "VALUENUM": value, "VALUEUOM": unit,
                         "FLAG": "abnormal" if not low <= value <= high else np.nan})
    return rows
