"""Pseudonymisation et anonymisation de tables (dossiers patients) : HMAC, k-anonymat, l-diversité, risque.

- `plain_hash` : SHA-256 d'un identifiant, SANS clé. Ce n'est pas une protection : quiconque peut
  recalculer le hachage de tous les identifiants possibles (attaque par dictionnaire).
- `pseudonymize` : HMAC-SHA-256 avec une clé secrète. Sans la clé, impossible de recalculer la
  correspondance ; avec la clé, le responsable du traitement peut relier les tables (pseudonymisation au
  sens du RGPD, art. 4(5) : les données restent personnelles).
- `k_anonymity`, `l_diversity`, `reidentification_risk` : mesurent ce qu'un attaquant qui connaît les
  quasi-identifiants d'une personne (âge, sexe, origine...) peut en déduire.
- `generalize_age`, `suppress_small_classes` : deux outils classiques pour atteindre un k donné.
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Iterable

import numpy as np
import pandas as pd


class MissingColumnsError(ValueError):
    """Colonne attendue absente de la table ; le message nomme les colonnes manquantes et disponibles."""


def _key_bytes(secret) -> bytes:
    if isinstance(secret, str):
        secret = secret.encode()
    if not isinstance(secret, (bytes, bytearray)) or not secret:
        raise ValueError("La clé secrète doit être un texte ou des octets non vides "
                         "(par exemple secrets.token_hex(32)), conservée hors des données.")
    return bytes(secret)


def _apply(value, function):
    if isinstance(value, (pd.Series, pd.Index)):
        return value.map(function)
    if isinstance(value, (list, tuple, np.ndarray)):
        return [function(v) for v in value]
    return function(value)


def plain_hash(value):
    """SHA-256 (hexadécimal) de ``str(value)``, sans clé. Accepte une valeur, une liste ou une série pandas."""
    return _apply(value, lambda v: hashlib.sha256(str(v).encode()).hexdigest())


def pseudonymize(value, secret, *, prefix: str = "", length: int = 16):
    """Pseudonyme HMAC-SHA-256 de ``str(value)`` avec la clé `secret`, tronqué à `length` caractères hexadécimaux.

    Même valeur et même clé -> même pseudonyme (les tables restent reliables) ; sans la clé, on ne peut
    pas le recalculer. Accepte une valeur, une liste ou une série pandas (renvoie le même genre d'objet).
    """
    key = _key_bytes(secret)
    if not 8 <= int(length) <= 64:
        raise ValueError("length doit être compris entre 8 et 64 caractères hexadécimaux.")
    return _apply(value, lambda v: prefix + hmac.new(key, str(v).encode(), hashlib.sha256).hexdigest()[:length])


def check_columns(df: pd.DataFrame, columns: Iterable[str], role: str = "quasi-identifiant") -> list[str]:
    """Vérifie que `df` contient `columns` ; sinon lève `MissingColumnsError` avec un message clair."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"Une table pandas (DataFrame) est attendue, pas {type(df).__name__}.")
    if isinstance(columns, str):
        columns = [columns]
    columns = list(columns)
    if not columns:
        raise ValueError(f"Donnez au moins une colonne de type {role}.")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise MissingColumnsError(
            f"Colonne{plural} {role}{plural} absente{plural} de la cohorte : {', '.join(map(str, missing))}. "
            f"Colonnes disponibles : {', '.join(map(str, df.columns))}. "
            "Vérifiez l'orthographe (les noms MIMIC-III sont en majuscules) ou créez la colonne avant l'analyse.")
    return columns


def equivalence_class_sizes(df: pd.DataFrame, quasi_identifiers) -> pd.Series:
    """Pour chaque ligne, la taille de sa classe d'équivalence (lignes aux mêmes quasi-identifiants)."""
    columns = check_columns(df, quasi_identifiers)
    if df.empty:
        return pd.Series([], index=df.index, dtype="int64")
    return df.groupby(columns, dropna=False, observed=True)[columns[0]].transform("size").astype("int64")


def k_anonymity(df: pd.DataFrame, quasi_identifiers) -> int:
    """k du k-anonymat : la taille de la plus petite classe d'équivalence (0 pour une table vide).

    Une table est k-anonyme si chaque combinaison de quasi-identifiants y est partagée par au moins k lignes.
    Les valeurs manquantes forment une valeur comme une autre.
    """
    sizes = equivalence_class_sizes(df, quasi_identifiers)
    return int(sizes.min()) if len(sizes) else 0


def l_diversity(df: pd.DataFrame, quasi_identifiers, sensitive: str) -> int:
    """l de la l-diversité (distincte) : le plus petit nombre de valeurs sensibles différentes dans une classe.

    l = 1 : dans au moins une classe, tout le monde a la même valeur sensible, que l'attaquant apprend
    sans savoir quelle ligne est celle de sa cible (attaque par homogénéité).
    """
    columns = check_columns(df, quasi_identifiers)
    check_columns(df, [sensitive], role="attribut sensible")
    if df.empty:
        return 0
    counts = df.groupby(columns, dropna=False, observed=True)[sensitive].nunique(dropna=False)
    return int(counts.min())


def reidentification_risk(df: pd.DataFrame, quasi_identifiers) -> pd.Series:
    """Mesures du risque de ré-identification par les quasi-identifiants (modèle du « procureur »).

    - taux d'unicité : part des lignes seules dans leur classe (ré-identifiables à coup sûr par qui
      connaît les quasi-identifiants de la personne et la sait dans la table) ;
    - risque moyen : moyenne de 1 / taille de la classe ; risque maximal : 1 / k.
    """
    sizes = equivalence_class_sizes(df, quasi_identifiers)
    n = len(sizes)
    if n == 0:
        raise ValueError("La table est vide : aucun risque à mesurer.")
    columns = check_columns(df, quasi_identifiers)
    return pd.Series({
        "lignes": n,
        "classes d'équivalence": int(df.groupby(columns, dropna=False, observed=True).ngroups),
        "k (plus petite classe)": int(sizes.min()),
        "lignes uniques": int((sizes == 1).sum()),
        "taux d'unicité": float((sizes == 1).mean()),
        "risque moyen": float((1.0 / sizes).mean()),
        "risque maximal": float(1.0 / sizes.min()),
    }, dtype="object")


def generalize_age(age, width: int = 10, top: int = 90) -> pd.Series:
    """Généralise des âges en tranches de `width` ans (« 40-49 »), et « 90+ » au-delà de `top`.

    Safe Harbor (HIPAA) regroupe déjà tous les âges de 90 ans et plus. Les âges manquants restent manquants.
    """
    if width < 1:
        raise ValueError("width doit valoir au moins 1 an.")
    ages = pd.Series(age, dtype="float64")

    def label(value):
        if np.isnan(value):
            return np.nan
        if value >= top:
            return f"{top}+"
        low = int(value // width * width)
        return f"{low}-{min(low + width - 1, top - 1)}"

    return ages.map(label).astype("object")


def suppress_small_classes(df: pd.DataFrame, quasi_identifiers, k: int) -> pd.DataFrame:
    """Supprime les lignes des classes d'équivalence de moins de `k` lignes (suppression locale)."""
    if int(k) < 1:
        raise ValueError("k doit valoir au moins 1.")
    sizes = equivalence_class_sizes(df, quasi_identifiers)
    return df.loc[sizes >= int(k)].copy()
