"""Miroir hors ligne de l'étude UCI Heart Disease (Janosi et al., 1988) : quatre hôpitaux.

Écrit quatre fichiers *synthétiques* dans le format exact du dépôt UCI ::

    processed.cleveland.data    303 lignes
    processed.hungarian.data    294 lignes
    processed.switzerland.data  123 lignes
    processed.va.data           200 lignes

(virgules, pas d'en-tête, ``?`` pour une valeur manquante, 14 colonnes dont la dernière, ``num``,
va de 0 à 4, sauf en Hongrie où ``processed.hungarian.data`` ne code que 0 ou 1), pour que le même code de chargement serve en classe (UCI) et en CI (miroir).

Ce que le miroir reproduit, hôpital par hôpital :

- la prévalence de la maladie (num > 0) : Cleveland 46 %, Hongrie 36 %, Suisse 93 %, Long Beach VA 74 % ;
- les codes des colonnes : cp 1-4, restecg 0-2, slope 1-3, ca 0-3, thal 3/6/7, num 0-4 (0/1 en Hongrie) ;
- les valeurs manquantes : presque rien à Cleveland ; en Hongrie, chol parfois et ca, thal, slope presque
  toujours ; en Suisse, fbs, slope, ca, thal souvent absents et chol **toujours égal à 0** (particularité du
  vrai fichier : 0 veut dire « non mesuré ») ; à Long Beach, chol parfois à 0, l'épreuve d'effort (trestbps,
  thalach, exang, oldpeak) souvent absente, slope, ca, thal presque toujours ;
- après la sélection de FLamby (colonnes slope, ca, thal retirées puis lignes incomplètes retirées), il reste
  303/261/46/130 = 740 patients, comme sur les vrais fichiers (dont un seul patient suisse sain) ;
- des populations décalées (âge, fréquence cardiaque maximale, ECG de repos...) et des signes cliniques qui
  pèsent dans le même sens que dans la vraie étude (douleur thoracique asymptomatique, angor d'effort,
  sous-décalage ST, fréquence maximale basse) : un modèle apprend, mais pas parfaitement ;
- la difficulté : trois réglages (SIGNAL_SCALE, SHIFT_SCALE et ATYPICAL_SHARE, ce dernier par hôpital) ont été
  choisis pour que le banc d'essai `python -m benchmarks.heart_disease --seeds 5` (protocole FLamby) donne sur
  le miroir les exactitudes au test commun que FLamby obtient sur les vrais fichiers (lignes « Pooled Test » de
  ses résultats, commit edacf54 ; `benchmarks.heart_disease.FLAMBY_REFERENCE`), à 0,02 près pour chaque recette.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..runtime import data_dir
from .sources import cached_mirror

COLUMNS = ("age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalach",
           "exang", "oldpeak", "slope", "ca", "thal", "num")
HOSPITAL_FILES = {
    "cleveland": "processed.cleveland.data",
    "hungarian": "processed.hungarian.data",
    "switzerland": "processed.switzerland.data",
    "va": "processed.va.data",
}
ROW_COUNTS = {"cleveland": 303, "hungarian": 294, "switzerland": 123, "va": 200}
MIRROR_VERSION = 4  # 4 : num hongrois 0/1 ; difficulté réglée sur les chiffres de FLamby (ATYPICAL_SHARE par hôpital)

# Effectifs de num = 0, 1, 2, 3, 4 par hôpital (ceux des vrais fichiers `processed.*.data`).
NUM_COUNTS = {
    "cleveland": (164, 55, 36, 35, 13),
    "hungarian": (188, 106, 0, 0, 0),  # processed.hungarian.data ne code que 0/1 (0-4 : reprocessed.hungarian.data)
    "switzerland": (8, 48, 32, 30, 5),
    "va": (51, 56, 41, 42, 10),
}

# Paramètres par hôpital : (sain, malade) pour chaque signe. Les ordres de grandeur suivent la vraie étude.
PROFILES = {
    "cleveland": {
        "age": ((52.6, 9.5), (56.6, 8.0)), "male": (0.56, 0.82),
        "cp": ((0.09, 0.24, 0.40, 0.27), (0.06, 0.09, 0.17, 0.68)),
        "trestbps": ((129, 16), (134, 19)), "chol": ((242, 50), (251, 50)), "chol_zero": 0.0,
        "fbs": (0.14, 0.16), "restecg": ((0.58, 0.01, 0.41), (0.42, 0.02, 0.56)),
        "thalach": ((156, 20), (142, 22)), "exang": (0.17, 0.50),
        "oldpeak": ((0.50, 1.2), (0.25, 1.7)),  # (part de zéros, moyenne des valeurs non nulles)
        "slope": ((0.70, 0.25, 0.05), (0.26, 0.64, 0.10)),
        "thal": ((0.79, 0.04, 0.17), (0.27, 0.09, 0.64)),
    },
    "hungarian": {
        "age": ((46.5, 7.8), (49.5, 7.2)), "male": (0.62, 0.90),
        "cp": ((0.04, 0.44, 0.24, 0.28), (0.03, 0.12, 0.12, 0.73)),
        "trestbps": ((130, 17), (136, 18)), "chol": ((238, 60), (266, 65)), "chol_zero": 0.0,
        "fbs": (0.05, 0.10), "restecg": ((0.82, 0.16, 0.02), (0.75, 0.21, 0.04)),
        "thalach": ((144, 22), (131, 22)), "exang": (0.15, 0.52),
        "oldpeak": ((0.75, 0.9), (0.35, 1.4)),
        "slope": ((0.30, 0.65, 0.05), (0.05, 0.90, 0.05)),
        "thal": ((0.40, 0.30, 0.30), (0.10, 0.35, 0.55)),
    },
    "switzerland": {
        "age": ((51.0, 9.0), (55.8, 9.0)), "male": (0.75, 0.93),
        "cp": ((0.12, 0.25, 0.38, 0.25), (0.02, 0.03, 0.12, 0.83)),
        "trestbps": ((125, 20), (131, 22)), "chol": ((0, 1), (0, 1)), "chol_zero": 1.0,
        "fbs": (0.05, 0.10), "restecg": ((0.72, 0.20, 0.08), (0.68, 0.25, 0.07)),
        "thalach": ((140, 22), (120, 25)), "exang": (0.15, 0.46),
        "oldpeak": ((0.60, 0.8), (0.35, 1.2)),
        "slope": ((0.40, 0.45, 0.15), (0.15, 0.60, 0.25)),
        "thal": ((0.55, 0.15, 0.30), (0.25, 0.15, 0.60)),
    },
    "va": {
        "age": ((57.0, 8.0), (60.2, 7.5)), "male": (0.94, 0.98),
        "cp": ((0.05, 0.07, 0.33, 0.55), (0.03, 0.03, 0.19, 0.75)),
        "trestbps": ((130, 18), (135, 21)), "chol": ((215, 55), (222, 60)), "chol_zero": 0.245,
        "fbs": (0.28, 0.37), "restecg": ((0.45, 0.42, 0.13), (0.38, 0.48, 0.14)),
        "thalach": ((130, 21), (119, 21)), "exang": (0.35, 0.60),
        "oldpeak": ((0.50, 1.3), (0.25, 1.9)),
        "slope": ((0.30, 0.60, 0.10), (0.10, 0.75, 0.15)),
        "thal": ((0.45, 0.20, 0.35), (0.20, 0.20, 0.60)),
    },
}

# Valeurs manquantes (« ? ») : nombre de lignes concernées, colonne par colonne, comme dans les vrais fichiers.
# Les blocs partagent des lignes quand c'est le cas dans la vraie étude (épreuve d'effort non faite à Long Beach).
_MISSING_SLOPE_CA_THAL = {
    "cleveland": {"slope": 0, "ca": 4, "thal": 2},
    "hungarian": {"slope": 190, "ca": 291, "thal": 266},
    "switzerland": {"slope": 17, "ca": 118, "thal": 52},
    "va": {"slope": 102, "ca": 198, "thal": 166},
}


# Réglage de la difficulté, choisi pour que le banc d'essai `python -m benchmarks.heart_disease` donne sur le
# miroir les exactitudes de FLamby sur les vrais fichiers, à 0,02 près (voir MIRROR_FIGURES et FLAMBY_REFERENCE
# dans benchmarks/heart_disease.py).
# SIGNAL_SCALE rapproche les profils « sain » et « malade » de leur milieu (1 = profils ci-dessus) ;
# SHIFT_SCALE rapproche le milieu de chaque hôpital de la moyenne des hôpitaux (1 = hôpitaux tels quels).
SIGNAL_SCALE = 1.8
SHIFT_SCALE = 0.8
# Part des patients dont les signes cliniques suivent le profil de l'autre classe (maladie silencieuse,
# douleur atypique...) : l'erreur irréductible d'un modèle, même entraîné sur tous les patients ; par hôpital.
# Long Beach et la Suisse en ont plus : sur les vrais fichiers, leurs modèles locaux sont les plus faibles.
ATYPICAL_SHARE = {"cleveland": 0.14, "hungarian": 0.10, "switzerland": 0.40, "va": 0.25}
_CONTINUOUS = ("age", "trestbps", "chol", "thalach")


def tuned_profile(hospital: str, signal: float | None = None, shift: float | None = None) -> dict:
    """Le profil de l'hôpital après les deux réglages de difficulté (SIGNAL_SCALE, SHIFT_SCALE)."""
    signal = SIGNAL_SCALE if signal is None else signal
    shift = SHIFT_SCALE if shift is None else shift
    profile = {key: value for key, value in PROFILES[hospital].items()}
    for name, value in PROFILES[hospital].items():
        if name in _CONTINUOUS:
            (mean0, sd0), (mean1, sd1) = value
            centre, half = (mean0 + mean1) / 2, (mean1 - mean0) / 2
            others = [(PROFILES[h][name][0][0] + PROFILES[h][name][1][0]) / 2 for h in PROFILES
                      if not (name == "chol" and PROFILES[h]["chol_zero"] == 1.0)]
            if not (name == "chol" and PROFILES[hospital]["chol_zero"] == 1.0):
                centre = np.mean(others) + shift * (centre - np.mean(others))
            profile[name] = ((centre - signal * half, sd0), (centre + signal * half, sd1))
        elif name in ("male", "fbs", "exang"):
            p0, p1 = value
            profile[name] = tuple(np.clip([(p0 + p1) / 2 - signal * (p1 - p0) / 2,
                                           (p0 + p1) / 2 + signal * (p1 - p0) / 2], 0.01, 0.99))
        elif name in ("cp", "restecg", "slope", "thal"):
            p0, p1 = np.array(value[0]), np.array(value[1])
            middle = (p0 + p1) / 2
            pair = [np.clip(middle + sign * signal * (p1 - p0) / 2, 0.01, None) for sign in (-1, 1)]
            profile[name] = tuple(tuple(p / p.sum()) for p in pair)  # des probabilités, de somme 1
        elif name == "oldpeak":
            (z0, m0), (z1, m1) = value
            profile[name] = (((z0 + z1) / 2 - signal * (z1 - z0) / 2, (m0 + m1) / 2 - signal * (m1 - m0) / 2),
                             ((z0 + z1) / 2 + signal * (z1 - z0) / 2, (m0 + m1) / 2 + signal * (m1 - m0) / 2))
    return profile


def make_heart_disease_mirror(root: Path | str | None = None, seed: int = 0) -> Path:
    """Génère (ou réutilise) le miroir et renvoie le dossier qui contient les quatre fichiers `processed.*.data`.

    Le miroir est petit (920 lignes) : il a la même taille en mode FAST et en mode complet.
    """
    root = Path(root) if root else data_dir() / "heart_disease_mirror"
    params = {"version": MIRROR_VERSION, "seed": seed}

    def write(folder: Path) -> None:
        for index, (hospital, file_name) in enumerate(HOSPITAL_FILES.items()):
            table = synthesize_hospital(hospital, np.random.default_rng([seed, index]))
            (folder / file_name).write_text(format_rows(table, hospital), encoding="ascii")

    return cached_mirror(root, params, write, required=HOSPITAL_FILES.values())


def synthesize_hospital(hospital: str, rng: np.random.Generator) -> np.ndarray:
    """Tableau (n, 14) en float, NaN pour « ? », des patients d'un hôpital (lignes mélangées)."""
    profile = tuned_profile(hospital)
    num = np.repeat(np.arange(5), NUM_COUNTS[hospital])
    num = num[rng.permutation(len(num))]
    n = len(num)
    atypical = rng.random(n) < ATYPICAL_SHARE[hospital]
    sick = ((num > 0) ^ atypical).astype(int)  # le profil dont les signes sont tirés

    def normal(name, low, high):
        means = np.array([profile[name][0][0], profile[name][1][0]])[sick]
        sds = np.array([profile[name][0][1], profile[name][1][1]])[sick]
        return np.clip(np.round(rng.normal(means, sds)), low, high)

    def bernoulli(name):
        return (rng.random(n) < np.array(profile[name])[sick]).astype(float)

    def categorical(name, codes):
        probabilities = np.array(profile[name])[sick]
        cumulative = probabilities.cumsum(axis=1)
        draws = (rng.random((n, 1)) > cumulative[:, :-1]).sum(axis=1)
        return np.asarray(codes, dtype=float)[draws]

    age = normal("age", 28, 77)
    sex = (rng.random(n) < np.array(profile["male"])[sick]).astype(float)
    cp = categorical("cp", (1, 2, 3, 4))
    trestbps = normal("trestbps", 80, 200) + np.round(0.3 * (age - age.mean()))
    chol = normal("chol", 85, 603)
    chol[rng.random(n) < profile["chol_zero"]] = 0.0
    fbs = bernoulli("fbs")
    restecg = categorical("restecg", (0, 1, 2))
    # La fréquence maximale baisse avec l'âge (≈ 220 - âge) : une corrélation réelle entre colonnes.
    thalach = np.clip(normal("thalach", 60, 202) - np.round(0.8 * (age - age.mean())), 60, 202)
    exang = bernoulli("exang")
    zero_share = np.array([profile["oldpeak"][0][0], profile["oldpeak"][1][0]])[sick]
    mean_nonzero = np.array([profile["oldpeak"][0][1], profile["oldpeak"][1][1]])[sick] + 0.25 * np.maximum(num - 1, 0)
    oldpeak = np.where(rng.random(n) < zero_share, 0.0, rng.gamma(2.0, mean_nonzero / 2.0))
    oldpeak = np.clip(np.round(oldpeak, 1), 0.0, 6.2)
    if hospital == "switzerland":  # quelques sous-décalages négatifs, comme dans le vrai fichier suisse
        negative = rng.random(n) < 0.08
        oldpeak[negative] = -np.round(rng.uniform(0.1, 2.6, negative.sum()), 1)
    slope = categorical("slope", (1, 2, 3))
    # Vaisseaux colorés à la fluoroscopie : d'autant plus que la maladie est sévère.
    ca = np.clip(rng.poisson(np.array([0.25, 0.75, 1.1, 1.4, 1.6])[num]), 0, 3).astype(float)
    thal = categorical("thal", (3, 6, 7))
    table = np.column_stack([age, sex, cp, trestbps, chol, fbs, restecg, thalach, exang, oldpeak,
                             slope, ca, thal, num.astype(float)])
    _add_missing(table, hospital, (num > 0).astype(int), rng)
    if hospital == "switzerland":  # le vrai fichier suisse est trié par âge
        table = table[np.argsort(table[:, 0], kind="stable")]
    return table


def _add_missing(table: np.ndarray, hospital: str, sick: np.ndarray, rng: np.random.Generator) -> None:
    """Place les « ? » : mêmes effectifs par colonne que les vrais fichiers, 740 lignes complètes au total."""
    n = len(table)
    col = {name: index for index, name in enumerate(COLUMNS)}

    def set_missing(rows, *names):
        for name in names:
            table[np.asarray(rows, dtype=int), col[name]] = np.nan

    order = rng.permutation(n)
    if hospital == "hungarian":  # 33 lignes incomplètes : chol (23), fbs (8), deux lignes à trous
        set_missing(order[:23], "chol")
        set_missing(order[23:31], "fbs")
        set_missing(order[31:32], "trestbps")
        set_missing(order[32:33], "restecg", "thalach", "exang")
    elif hospital == "switzerland":  # 77 lignes incomplètes (fbs surtout) ; comme dans le vrai fichier,
        healthy = np.flatnonzero(sick == 0)  # un seul des 8 patients sains a toutes ses valeurs
        others = np.setdiff1d(healthy, rng.choice(healthy, size=1))
        patients = rng.permutation(np.flatnonzero(sick == 1))
        incomplete = rng.permutation(np.concatenate([others, patients[:77 - len(others)]]))
        set_missing(incomplete[:75], "fbs")
        set_missing(incomplete[75:77], "oldpeak")
        set_missing(rng.choice(incomplete, 2, replace=False), "trestbps")
        set_missing(rng.choice(incomplete, 4, replace=False), "oldpeak")
        set_missing(rng.choice(incomplete, 1), "restecg")
        set_missing(rng.choice(incomplete, 1), "thalach", "exang")
    elif hospital == "va":  # épreuve d'effort absente (56 lignes), chol (7) et fbs (7) : 70 lignes incomplètes
        set_missing(order[:53], "trestbps", "thalach", "exang", "oldpeak")
        set_missing(order[53:56], "trestbps", "oldpeak")
        set_missing(order[56:63], "chol")
        set_missing(order[63:70], "fbs")
    for name, count in _MISSING_SLOPE_CA_THAL[hospital].items():
        set_missing(rng.choice(n, size=count, replace=False), name)


def format_rows(table: np.ndarray, hospital: str) -> str:
    """Texte du fichier, dans le style de chaque vrai fichier (Cleveland écrit « 63.0 », la Suisse « .7 »)."""
    lines = []
    for row in table:
        fields = []
        for name, value in zip(COLUMNS, row):
            if np.isnan(value):
                fields.append("?")
            elif name == "num":
                fields.append(str(int(value)))
            elif hospital == "cleveland":
                fields.append(f"{value:.1f}")
            elif name == "oldpeak":
                text = f"{value:.1f}".removesuffix(".0")
                fields.append(text.replace("0.", ".", 1) if hospital == "switzerland" and "0." in text else text)
            else:
                fields.append(str(int(value)))
        lines.append(",".join(fields))
    return "\n".join(lines) + "\n"
