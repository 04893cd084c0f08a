"""Vérifications des exercices de semaine_2/02 (dossiers patients : pseudonymisation, k-anonymat, Laplace)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import call_answer, ensure_done, report


def check_dictionary_attack(recovered, released: pd.DataFrame, true_ids: pd.Series) -> bool:
    """Exercice 1 : retrouver les SUBJECT_ID derrière leur hachage SHA-256 sans clé."""
    ensure_done(recovered, "recovered")
    recovered = pd.Series(recovered)
    same_index = recovered.index.equals(released.index)
    aligned = recovered.reindex(true_ids.index)
    found = pd.to_numeric(aligned, errors="coerce") == true_ids.astype(float)
    rate = float(found.mean())
    return report("Exercice 1 — attaque par dictionnaire", [
        (same_index, "une valeur par ligne de la table publiée (même index)",
         "construisez recovered = released[\"SUBJECT_ID\"].map(dictionnaire)"),
        (rate == 1.0, f"tous les SUBJECT_ID sont retrouvés ({rate:.0%})",
         "hachez tous les identifiants possibles (1 à 99 999) avec plain_hash et inversez le dictionnaire "
         "{hachage: identifiant}"),
    ])


def check_k_anonymous_release(release, cohort: pd.DataFrame, quasi_identifiers, sensitive: str = "DIAGNOSIS",
                              k: int = 5, max_loss: float = 0.10, min_age_groups: int = 4) -> bool:
    """Exercice 2 : une table k-anonyme par généralisation et suppression, qui reste utile."""
    from ..privacy import k_anonymity

    ensure_done(release, "release")
    if not isinstance(release, pd.DataFrame):
        return report("Exercice 2 — publier une table k-anonyme", [
            (False, "release est une table pandas", "release doit être un DataFrame (la cohorte transformée)")])
    has_columns = all(c in release.columns for c in [*quasi_identifiers, sensitive])
    k_value = k_anonymity(release, quasi_identifiers) if has_columns and len(release) else 0
    loss = 1 - len(release) / len(cohort)
    subset = release.index.isin(cohort.index).all()
    sensitive_kept = has_columns and subset and release[sensitive].astype(str).equals(
        cohort.loc[release.index, sensitive].astype(str))
    age_groups = release["AGE"].nunique() if "AGE" in release.columns else 0
    return report("Exercice 2 — publier une table k-anonyme", [
        (has_columns, "les quasi-identifiants et l'attribut sensible sont toujours là",
         f"gardez les colonnes {', '.join(quasi_identifiers)} et {sensitive} (généralisées, pas supprimées)"),
        (k_value >= k, f"la table est {k}-anonyme (k obtenu : {k_value})",
         f"généralisez davantage, puis supprimez les classes de moins de {k} lignes (suppress_small_classes)"),
        (loss <= max_loss, f"au plus {max_loss:.0%} des patients supprimés ({loss:.1%} ici)",
         "moins de suppression : généralisez d'abord (tranches d'âge plus larges, catégories regroupées)"),
        (age_groups >= min_age_groups, f"l'âge garde au moins {min_age_groups} catégories ({age_groups} ici)",
         "une table sans information ne sert à rien : ne réduisez pas l'âge à une seule tranche"),
        (bool(sensitive_kept), f"les lignes gardées sont celles de la cohorte, avec leur {sensitive} inchangé",
         "partez de cohort.assign(...) : ne mélangez pas les lignes et ne touchez pas à l'attribut sensible"),
    ])


def check_dp_histogram(dp_histogram, counts: pd.Series, epsilon: float = 0.5, repeats: int = 2000) -> bool:
    """Exercice 3 : un histogramme ε-différentiellement privé (composition parallèle)."""
    ensure_done(dp_histogram, "dp_histogram")
    rng = np.random.default_rng(2024)
    first = call_answer(dp_histogram, counts, epsilon, rng, name="dp_histogram")
    same_index = isinstance(first, pd.Series) and first.index.equals(counts.index)
    draws = np.array([np.asarray(dp_histogram(counts, epsilon, rng), dtype=float) for _ in range(repeats)])
    noise = draws - counts.to_numpy(dtype=float)
    variance, theory = noise.var(axis=0).mean(), 2 / epsilon ** 2
    unbiased = np.abs(noise.mean(axis=0)).max() < 5 * np.sqrt(theory / repeats)
    independent = abs(np.corrcoef(noise[:, 0], noise[:, 1])[0, 1]) < 0.1 if noise.shape[1] > 1 else True
    small = np.array([np.asarray(dp_histogram(counts, epsilon / 4, rng), dtype=float) for _ in range(500)])
    grows = (small - counts.to_numpy(dtype=float)).var(axis=0).mean() > 8 * variance
    return report("Exercice 3 — histogramme différentiellement privé", [
        (same_index, "une série pandas avec les mêmes catégories que counts",
         "renvoyez counts + bruit : les opérations pandas gardent l'index"),
        (unbiased, "le bruit est centré (pas de biais)", "bruit de Laplace de moyenne 0"),
        (abs(variance / theory - 1) < 0.1, f"variance du bruit ≈ 2/ε² = {theory:.0f} (mesurée : {variance:.0f})",
         "composition parallèle : chaque patient n'est compté que dans une case, donc chaque case reçoit "
         "un bruit Laplace(1/ε) avec le budget ε entier (pas ε divisé par le nombre de cases)"),
        (independent, "un bruit indépendant par case", "tirez un bruit par case (size=len(counts)), pas un seul pour tout"),
        (grows, "plus ε est petit, plus le bruit est fort (ε/4 : variance × 16)", "l'échelle du bruit est 1/ε"),
    ])
