"""Miroir hors ligne de MTSamples (comptes rendus médicaux transcrits, jeu Kaggle `tboyle10/medicaltranscriptions`).

Écrit un fichier `mtsamples.csv` **synthétique** dans le format exact du fichier Kaggle ::

    ,description,medical_specialty,sample_name,transcription,keywords
    0, A 23-year-old white female presents with ..., Allergy / Immunology, Allergic Rhinitis ,"SUBJECTIVE:,  This ...",...

avec les particularités du vrai fichier, pour que le même chargeur lise les deux :

- une première colonne d'index sans nom ; des espaces en tête de `description`, `medical_specialty`
  et `sample_name` ; les artefacts `,  ` laissés par l'aspiration du site (`"SUBJECTIVE:,  This..."`) ;
- les 40 catégories du site, avec leurs tailles réelles approximatives (Surgery ~1103, Consult ~516,
  Cardiovascular / Pulmonary ~372...) ; des catégories qui sont des **types de documents** (Surgery,
  Consult - History and Phy., SOAP / Chart / Progress Notes, Discharge Summary, Letters, Office Notes...)
  et qui contiennent surtout des **copies** de comptes rendus rangés aussi sous une spécialité ;
- des transcriptions identiques sous deux spécialités voisines (Neurology et Radiology, par exemple) ;
- environ 33 lignes sans transcription (proportionnellement moins en mode FAST), des mots-clés
  parfois absents, qui commencent par le nom de la spécialité quand ils existent ;
- des en-têtes et des titres qui **nomment la spécialité** (« CARDIOLOGY CONSULTATION ») dans une partie
  des comptes rendus : un raccourci qu'un modèle apprend volontiers (leçon du notebook semaine_4/01) ;
- un vocabulaire propre à chaque spécialité, mais partagé en partie avec les spécialités voisines
  (lombalgie et radiculopathie chez le neurologue comme chez l'orthopédiste, douleur thoracique ou
  abdominale...) : un modèle apprend, sans atteindre la perfection ;
- quelques dates, numéros de téléphone et numéros de dossier dans le texte libre (pour l'outil de dé-identification).

Les textes sont générés par des gabarits : ce ne sont pas de vrais comptes rendus, et le notebook le dit.
"""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ..runtime import data_dir, is_fast
from .sources import cached_mirror

MIRROR_VERSION = 1
FILE_NAME = "mtsamples.csv"
COLUMNS = ("description", "medical_specialty", "sample_name", "transcription", "keywords")

# Tailles approximatives des 40 catégories du vrai fichier (4 999 lignes).
FULL_COUNTS = {
    "Surgery": 1103, "Consult - History and Phy.": 516, "Cardiovascular / Pulmonary": 372, "Orthopedic": 355,
    "Radiology": 273, "General Medicine": 259, "Gastroenterology": 230, "Neurology": 223,
    "SOAP / Chart / Progress Notes": 166, "Obstetrics / Gynecology": 160, "Urology": 158,
    "Discharge Summary": 108, "ENT - Otolaryngology": 98, "Neurosurgery": 94, "Hematology - Oncology": 90,
    "Ophthalmology": 83, "Nephrology": 81, "Emergency Room Reports": 75, "Pediatrics - Neonatal": 70,
    "Pain Management": 62, "Psychiatry / Psychology": 53, "Office Notes": 51, "Podiatry": 47, "Dermatology": 29,
    "Cosmetic / Plastic Surgery": 27, "Dentistry": 27, "Letters": 23, "Physical Medicine - Rehab": 21,
    "Sleep Medicine": 20, "Endocrinology": 19, "Bariatrics": 18, "IME-QME-Work Comp etc.": 16, "Chiropractic": 14,
    "Diets and Nutritions": 10, "Rheumatology": 10, "Speech - Language": 9, "Autopsy": 8,
    "Lab Medicine - Pathology": 8, "Allergy / Immunology": 7, "Hospice - Palliative Care": 6,
}
FAST_SCALE = 0.6
FULL_EMPTY = 33
# Catégories qui sont des types de documents : leurs lignes sont surtout des copies de comptes rendus de spécialité.
DOCUMENT_TYPES = {
    "Surgery": "operative", "Consult - History and Phy.": "consult", "SOAP / Chart / Progress Notes": "soap",
    "Discharge Summary": "discharge", "Letters": "letter", "Office Notes": "office",
    "Emergency Room Reports": "consult", "IME-QME-Work Comp etc.": "consult",
}
COPY_FRACTION = 0.85          # part des lignes d'un type de document copiées d'une spécialité
CROSS_COPY_FRACTION = 0.10    # part des lignes d'une spécialité copiées d'une spécialité voisine
HEADER_FRACTION = 0.6        # part des comptes rendus dont un titre ou un en-tête nomme la spécialité
OFF_TOPIC_FRACTION = 0.7     # part des termes cliniques tirés d'une spécialité voisine (ou du fonds commun)
PHI_FRACTION = 0.12           # part des comptes rendus qui portent une date, un téléphone ou un n° de dossier

# Vocabulaire par spécialité : termes cliniques, titres qui nomment la spécialité, gestes (pour Surgery).
LEXICON = {
    "Cardiovascular / Pulmonary": dict(
        terms="chest pain,dyspnea on exertion,atrial fibrillation,coronary artery disease,ejection fraction,"
              "echocardiogram,left ventricular hypertrophy,mitral regurgitation,troponin,palpitations,"
              "congestive heart failure,shortness of breath,COPD exacerbation,pulmonary embolism,wheezing,"
              "bronchoscopy,pleural effusion,beta blocker,stress test,murmur,orthopnea,pedal edema",
        titles="CARDIOLOGY CONSULTATION,CARDIAC CATHETERIZATION,PULMONARY CONSULTATION,ECHOCARDIOGRAM REPORT",
        procedures="cardiac catheterization,coronary angiography,pacemaker insertion,bronchoscopy with lavage"),
    "Orthopedic": dict(
        terms="knee pain,torn meniscus,anterior cruciate ligament,rotator cuff tear,range of motion,"
              "osteoarthritis,fracture,carpal tunnel syndrome,lumbar strain,low back pain,effusion of the knee,"
              "tenderness over the joint,weightbearing,cast,ankle sprain,hip replacement,shoulder impingement,"
              "radiculopathy,MRI of the lumbar spine,physical therapy",
        titles="ORTHOPEDIC CONSULTATION,ORTHOPAEDIC SURGERY FOLLOWUP,SPORTS MEDICINE EVALUATION",
        procedures="arthroscopy of the knee,total knee arthroplasty,open reduction and internal fixation,"
                   "carpal tunnel release,rotator cuff repair"),
    "Gastroenterology": dict(
        terms="abdominal pain,dysphagia,gastroesophageal reflux,melena,hematochezia,colonic polyp,"
              "Helicobacter pylori,cirrhosis,elevated liver enzymes,nausea and vomiting,diarrhea,constipation,"
              "hepatitis C,Barrett esophagus,diverticulosis,epigastric tenderness,bowel sounds,ascites",
        titles="GASTROENTEROLOGY CONSULTATION,GI CLINIC NOTE,HEPATOLOGY FOLLOWUP",
        procedures="colonoscopy with polypectomy,esophagogastroduodenoscopy,laparoscopic cholecystectomy,"
                   "ERCP with stent placement"),
    "Neurology": dict(
        terms="headache,seizure,numbness and tingling,weakness of the left arm,multiple sclerosis,"
              "EEG,migraine,cranial nerves II through XII,deep tendon reflexes,gait,tremor,memory loss,"
              "stroke,transient ischemic attack,neuropathy,low back pain,radiculopathy,MRI of the brain,"
              "dizziness,Babinski sign",
        titles="NEUROLOGY CONSULTATION,NEUROLOGIC EVALUATION,EEG REPORT,NEUROLOGY CLINIC NOTE",
        procedures="lumbar puncture,EMG and nerve conduction study,electroencephalogram"),
    "Urology": dict(
        terms="hematuria,prostate-specific antigen,benign prostatic hyperplasia,urinary frequency,nocturia,"
              "kidney stone,flank pain,urinary retention,erectile dysfunction,bladder,dysuria,"
              "urinary tract infection,hydronephrosis,incontinence,elevated PSA,testicular pain,abdominal pain",
        titles="UROLOGY CONSULTATION,UROLOGIC EVALUATION,UROLOGY CLINIC NOTE",
        procedures="cystoscopy,transurethral resection of the prostate,ureteroscopy with laser lithotripsy,"
                   "vasectomy,prostate biopsy"),
    "Radiology": dict(
        terms="no acute findings,impression,contrast,CT of the abdomen,MRI of the brain,MRI of the lumbar spine,"
              "chest x-ray,ultrasound,disc protrusion,mass,nodule,comparison is made",
        titles="RADIOLOGY REPORT,CT SCAN REPORT,MRI REPORT",
        procedures="CT-guided biopsy,ultrasound-guided aspiration"),
    "General Medicine": dict(
        terms="hypertension,diabetes mellitus,hyperlipidemia,annual physical,fatigue,cough,fever,"
              "medication refill,blood pressure,weight gain,chest pain,abdominal pain,headache",
        titles="GENERAL MEDICINE CLINIC,INTERNAL MEDICINE NOTE",
        procedures="joint injection"),
    "Obstetrics / Gynecology": dict(
        terms="pelvic pain,vaginal bleeding,gestational age,fetal heart tones,cesarean section,menorrhagia,"
              "uterine fibroids,Pap smear,gravida 2 para 1,ovarian cyst,pregnancy,postpartum",
        titles="OBSTETRICS CONSULTATION,GYNECOLOGY CLINIC NOTE",
        procedures="total abdominal hysterectomy,cesarean section,dilation and curettage,tubal ligation"),
    "ENT - Otolaryngology": dict(
        terms="hearing loss,tonsillitis,sinusitis,tympanic membrane,nasal obstruction,otitis media,hoarseness,"
              "vertigo,neck mass,epistaxis",
        titles="ENT CONSULTATION,OTOLARYNGOLOGY EVALUATION",
        procedures="tonsillectomy and adenoidectomy,septoplasty,myringotomy with tubes"),
    "Neurosurgery": dict(
        terms="cervical myelopathy,herniated disc,spinal stenosis,radiculopathy,low back pain,subdural hematoma,"
              "MRI of the lumbar spine,weakness,glioblastoma,laminectomy",
        titles="NEUROSURGERY CONSULTATION,NEUROSURGICAL EVALUATION",
        procedures="lumbar laminectomy,anterior cervical discectomy and fusion,craniotomy"),
    "Hematology - Oncology": dict(
        terms="anemia,chemotherapy,lymphoma,breast cancer,metastatic disease,neutropenia,platelets,"
              "bone marrow biopsy,tumor markers",
        titles="HEMATOLOGY ONCOLOGY CONSULTATION,ONCOLOGY FOLLOWUP",
        procedures="port-a-cath placement,bone marrow biopsy"),
    "Ophthalmology": dict(
        terms="visual acuity,cataract,intraocular pressure,glaucoma,retina,diabetic retinopathy,blurred vision",
        titles="OPHTHALMOLOGY CONSULTATION,EYE CLINIC NOTE",
        procedures="phacoemulsification with intraocular lens,trabeculectomy"),
    "Nephrology": dict(
        terms="chronic kidney disease,creatinine,dialysis,proteinuria,hyperkalemia,renal failure,edema",
        titles="NEPHROLOGY CONSULTATION,RENAL CLINIC NOTE",
        procedures="arteriovenous fistula creation,renal biopsy"),
    "Pediatrics - Neonatal": dict(
        terms="well child check,immunizations,otitis media,fever,growth chart,newborn,developmental milestones",
        titles="PEDIATRIC CONSULTATION,NEWBORN EXAMINATION",
        procedures="circumcision"),
    "Pain Management": dict(
        terms="chronic pain,low back pain,opioid,radiculopathy,epidural steroid injection,neuropathic pain",
        titles="PAIN MANAGEMENT CONSULTATION,PAIN CLINIC NOTE",
        procedures="lumbar epidural steroid injection,facet joint injection"),
    "Psychiatry / Psychology": dict(
        terms="depression,anxiety,suicidal ideation,bipolar disorder,insomnia,mental status examination",
        titles="PSYCHIATRIC EVALUATION,PSYCHOLOGY NOTE",
        procedures="electroconvulsive therapy"),
}
GENERIC = dict(
    terms="hypertension,diabetes,pain,follow-up,laboratory results,medication,fatigue,fever,allergies",
    titles="CONSULTATION,CLINIC NOTE", procedures="excision of lesion,incision and drainage")
# Spécialités voisines (vocabulaire et copies partagés).
NEIGHBOURS = {
    "Cardiovascular / Pulmonary": ["General Medicine", "Radiology", "Gastroenterology"],
    "Orthopedic": ["Neurosurgery", "Neurology", "Pain Management", "Radiology"],
    "Gastroenterology": ["General Medicine", "Urology", "Cardiovascular / Pulmonary"],
    "Neurology": ["Neurosurgery", "Orthopedic", "Radiology", "Pain Management"],
    "Urology": ["Nephrology", "Gastroenterology", "Obstetrics / Gynecology"],
    "Radiology": ["Neurology", "Orthopedic", "Cardiovascular / Pulmonary", "Gastroenterology"],
    "Neurosurgery": ["Orthopedic", "Neurology", "Pain Management"],
}
SURGICAL = ["Orthopedic", "Urology", "Gastroenterology", "Neurosurgery", "Obstetrics / Gynecology",
            "ENT - Otolaryngology", "Ophthalmology", "Cardiovascular / Pulmonary", "Hematology - Oncology"]

AGES = range(18, 90)
SEXES = (("male", "He", "his"), ("female", "She", "her"))
COMMON_HISTORY = ("hypertension", "diabetes mellitus type 2", "hyperlipidemia", "hypothyroidism",
                  "obesity", "asthma", "depression", "gastroesophageal reflux disease", "osteoarthritis")
MEDICATIONS = ("lisinopril", "metformin", "aspirin", "atorvastatin", "levothyroxine", "omeprazole",
               "metoprolol", "ibuprofen", "hydrochlorothiazide", "albuterol", "gabapentin", "tamsulosin")
SOCIAL = ("She denies tobacco use.", "He smokes one pack per day.", "Occasional alcohol use.",
          "The patient is retired.", "Works as a teacher.", "Lives with spouse.", "Denies illicit drug use.")
NEGATIONS = ("denies", "no evidence of", "negative for", "without")
SURNAMES = ("Smith", "Johnson", "Brown", "Miller", "Davis", "Garcia", "Wilson", "Moore", "Taylor", "Thomas")
CITIES = ("Springfield", "Riverside", "Fairview", "Madison", "Georgetown", "Clinton")


def make_mtsamples_mirror(root: Path | str | None = None, scale: float | None = None, seed: int = 0) -> Path:
    """Génère (ou réutilise) le miroir et renvoie le dossier qui contient `mtsamples.csv`.

    `scale` : fraction des tailles réelles (1 en mode complet, FAST_SCALE = 0,6 en mode FAST).
    """
    fast = is_fast()
    scale = float(scale if scale is not None else (FAST_SCALE if fast else 1.0))
    root = Path(root) if root else data_dir() / f"mtsamples_mirror_{'fast' if fast else 'full'}"
    params = {"version": MIRROR_VERSION, "scale": scale, "seed": seed}
    return cached_mirror(root, params, lambda folder: write_mtsamples_csv(
        folder / FILE_NAME, generate_rows(scale, np.random.default_rng(seed))), required=[FILE_NAME])


def write_mtsamples_csv(path: Path | str, rows: list[dict]) -> None:
    """Écrit des lignes au format du fichier Kaggle (index sans nom, puis les cinq colonnes)."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["", *COLUMNS])
        for index, row in enumerate(rows):
            writer.writerow([index, *(row.get(column, "") for column in COLUMNS)])


def generate_rows(scale: float, rng: np.random.Generator) -> list[dict]:
    """Toutes les lignes du fichier : comptes rendus de spécialité, copies, types de documents, lignes vides."""
    counts = {name: max(3, int(round(count * scale))) for name, count in FULL_COUNTS.items()}
    originals: dict[str, list[dict]] = {}
    rows = []
    specialties = [name for name in FULL_COUNTS if name not in DOCUMENT_TYPES]
    for name in specialties:
        originals[name] = [_note(name, _kind_for(name, rng), rng) for _ in range(counts[name])]
    # Copies entre spécialités voisines (même texte, deux catégories), comme sur le site.
    for name in specialties:
        neighbours = [n for n in NEIGHBOURS.get(name, []) if n in originals]
        for position in range(len(originals[name])):
            if neighbours and rng.random() < CROSS_COPY_FRACTION:
                source = originals[str(rng.choice(neighbours))]
                originals[name][position] = dict(source[int(rng.integers(len(source)))], medical_specialty=name)
        rows += [dict(note, medical_specialty=name) for note in originals[name]]
    for name, kind in DOCUMENT_TYPES.items():
        pool = SURGICAL if kind == "operative" else specialties
        for _ in range(counts[name]):
            if rng.random() < COPY_FRACTION:
                source_name = str(rng.choice(pool))
                note = _note(source_name, kind, rng) if kind in ("letter", "soap", "discharge") else None
                if note is None:  # copie exacte d'un compte rendu déjà rangé sous sa spécialité
                    candidates = originals[source_name]
                    note = candidates[int(rng.integers(len(candidates)))]
                rows.append(dict(note, medical_specialty=name))
            else:
                rows.append(dict(_note(None, kind, rng), medical_specialty=name))
    order = rng.permutation(len(rows))
    rows = [rows[i] for i in order]
    # Le site range les catégories par ordre alphabétique : le fichier Kaggle aussi.
    rows.sort(key=lambda row: row["medical_specialty"])
    n_empty = max(2, int(round(FULL_EMPTY * scale)))
    for position in rng.choice(len(rows), size=n_empty, replace=False):
        rows[int(position)] = dict(rows[int(position)], transcription="", keywords="")
    for row in rows:  # espaces en tête, comme dans le vrai fichier
        row["medical_specialty"] = " " + row["medical_specialty"]
    return rows


def _kind_for(name: str, rng) -> str:
    if name in SURGICAL and rng.random() < 0.4:
        return "operative"
    if name == "Radiology":
        return "radiology"
    return str(rng.choice(["consult", "consult", "office", "soap"]))


def _lexicon(name: str | None) -> dict:
    entry = LEXICON.get(name, GENERIC) if name else GENERIC
    return {key: [item.strip() for item in value.split(",")] for key, value in entry.items()}


def _terms(name: str | None, k: int, rng) -> list[str]:
    """k termes cliniques : surtout ceux de la spécialité, une part de voisins ou du fonds commun."""
    own = _lexicon(name)["terms"]
    neighbours = NEIGHBOURS.get(name, ["General Medicine"]) if name else ["General Medicine"]
    chosen = []
    for _ in range(k):
        if rng.random() < OFF_TOPIC_FRACTION:
            pool = _lexicon(str(rng.choice(neighbours)))["terms"] + _lexicon(None)["terms"]
        else:
            pool = own
        chosen.append(str(rng.choice(pool)))
    return chosen


def _note(name: str | None, kind: str, rng) -> dict:
    """Un compte rendu synthétique : description, nom d'exemple, transcription (avec artefacts), mots-clés."""
    lex = _lexicon(name)
    age = int(rng.choice(AGES))
    sex, pronoun, possessive = SEXES[int(rng.integers(2))]
    terms = _terms(name, int(rng.integers(2, 6)), rng)
    main = terms[0]
    sections: list[tuple[str, str]] = []
    if rng.random() < HEADER_FRACTION:
        sections.append((str(rng.choice(lex["titles"])), ""))  # titre qui nomme la spécialité : le raccourci
    history = ", ".join(str(h) for h in rng.choice(COMMON_HISTORY, size=int(rng.integers(1, 4)), replace=False))
    medications = ", ".join(str(m) for m in rng.choice(MEDICATIONS, size=int(rng.integers(1, 4)), replace=False))
    negated = f"{pronoun} {rng.choice(NEGATIONS)} {terms[-1]}."
    if kind == "operative":
        procedure = str(rng.choice(lex["procedures"]))
        sections += [("PREOPERATIVE DIAGNOSIS", main.capitalize() + "."),
                     ("POSTOPERATIVE DIAGNOSIS", main.capitalize() + "."),
                     ("PROCEDURE PERFORMED", procedure.capitalize() + "."),
                     ("ANESTHESIA", str(rng.choice(["General endotracheal.", "Spinal.", "Local with sedation."]))),
                     ("INDICATIONS", f"This {age}-year-old {sex} with {', '.join(terms[1:3])} was brought for {procedure}."),
                     ("DESCRIPTION OF PROCEDURE", f"The patient was taken to the operating room and prepped and draped "
                      f"in the usual sterile fashion. {procedure.capitalize()} was performed without complication. "
                      f"Findings were consistent with {main}. Estimated blood loss was minimal.")]
        description = f" {procedure.capitalize()}."
        sample = f" {procedure.title()} "
    elif kind == "radiology":
        sections += [("EXAM", str(rng.choice(lex["terms"][3:8])).capitalize() + "."),
                     ("HISTORY", f"{', '.join(terms[1:3]).capitalize()}."),
                     ("FINDINGS", f"{' '.join(t.capitalize() + '.' for t in terms)} {negated}"),
                     ("IMPRESSION", f"{main.capitalize()}.")]
        description = f" {main.capitalize()}."
        sample = f" {main.title()} "
    elif kind == "letter":
        sections += [("", f"Dear Dr. {rng.choice(SURNAMES)}:,  Thank you for referring this {age}-year-old {sex} "
                          f"seen for {main}. {' '.join(t.capitalize() + '.' for t in terms[1:])} {negated} "
                          "I will see the patient back in follow-up. Sincerely,")]
        description = f" Letter regarding {main}."
        sample = f" {main.title()} - Letter "
    else:
        first = {"consult": "HISTORY OF PRESENT ILLNESS", "office": "SUBJECTIVE", "soap": "SUBJECTIVE",
                 "discharge": "HOSPITAL COURSE"}[kind]
        sections += [("CHIEF COMPLAINT", main.capitalize() + "."),
                     (first, f"This is a {age}-year-old {sex} who presents with {main}. "
                             f"{' '.join(t.capitalize() + '.' for t in terms[1:])} {negated}"),
                     ("PAST MEDICAL HISTORY", history.capitalize() + "."),
                     ("MEDICATIONS", medications.capitalize() + "."),
                     ("SOCIAL HISTORY", str(rng.choice(SOCIAL))),
                     ("PHYSICAL EXAMINATION" if kind != "soap" else "OBJECTIVE",
                      f"Vitals:  Blood pressure {int(rng.integers(100, 170))}/{int(rng.integers(60, 100))}. "
                      f"{str(rng.choice(terms)).capitalize()} noted."),
                     ("ASSESSMENT" if kind != "discharge" else "DISCHARGE DIAGNOSES", f"{main.capitalize()}."),
                     ("PLAN", f"Follow up in {int(rng.integers(1, 8))} weeks.")]
        description = f" {age}-year-old {sex} with {main}."
        sample = f" {main.title()} - {kind.title()} "
    if rng.random() < PHI_FRACTION:
        sections.append(("", _phi(rng)))
    transcription = ",".join(f"{header}:,  {body}" if header and body else (header or body)
                             for header, body in sections)
    keywords = "" if rng.random() < 0.2 else ", ".join(
        [(name or "general medicine").lower(), *dict.fromkeys(t.lower() for t in terms)])
    return dict(description=description, sample_name=sample, transcription=transcription, keywords=keywords)


def _phi(rng) -> str:
    """Une phrase avec des identifiants (date, téléphone, n° de dossier, nom, ville) : matière de l'outil de dé-identification."""
    date = f"{int(rng.integers(1, 13)):02d}/{int(rng.integers(1, 29)):02d}/{int(rng.integers(2005, 2013))}"
    choice = int(rng.integers(3))
    if choice == 0:
        return f"Seen on {date} by Dr. {rng.choice(SURNAMES)} at {rng.choice(CITIES)} Medical Center."
    if choice == 1:
        return (f"Call ({int(rng.integers(200, 999))}) {int(rng.integers(200, 999))}-{int(rng.integers(1000, 9999))} "
                f"to reschedule; next visit {date}.")
    return f"MRN: {int(rng.integers(1000000, 9999999))}. Date of service: {date}."
