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
    """Exercice 3 : un histogramme ε-différentiellement privé (voisins : ajout ou retrait d'une personne).

    Le bruit est mesuré sur un histogramme de grands comptages (les catégories de `counts`, chacune
    augmentée de 1000) : un post-traitement légitime (arrondir, ramener à 0 les comptages négatifs) n'y
    change presque rien, et la réponse est acceptée qu'elle publie les comptages bruts ou post-traités.
    """
    rng = np.random.default_rng(2024)
    first = call_answer(dp_histogram, counts, epsilon, rng, name="dp_histogram")
    same_index = isinstance(first, pd.Series) and first.index.equals(counts.index)
    large = counts.astype(float) + 1000.0  # loin de 0 : un ramené-à-0 ne touche pas ces cases

    def noise_of(eps: float, n: int) -> np.ndarray:
        draws = []
        for _ in range(n):
            published = np.asarray(dp_histogram(large, eps, rng), dtype=float)
            if published.shape != large.shape:
                return np.full((1, len(large)), np.nan)
            draws.append(published)
        return np.array(draws) - large.to_numpy()

    noise = noise_of(epsilon, repeats)
    theory = 2 / epsilon ** 2
    valid = bool(np.isfinite(noise).all())
    variance = float(noise.var(axis=0).mean()) if valid else float("nan")
    unbiased = valid and np.abs(noise.mean(axis=0)).max() < 5 * np.sqrt(theory / repeats) + 0.05
    independent = valid and (abs(np.corrcoef(noise[:, 0], noise[:, 1])[0, 1]) < 0.1 if noise.shape[1] > 1 else True)
    small = noise_of(epsilon / 4, 500)
    grows = valid and bool(np.isfinite(small).all()) and small.var(axis=0).mean() > 8 * variance
    # Arrondir ajoute au plus 1/12 à la variance : la tolérance de 10 % l'absorbe.
    right_scale = valid and abs(variance / theory - 1) < 0.1
    return report("Exercice 3 — histogramme différentiellement privé", [
        (same_index, "une série pandas avec les mêmes catégories que counts",
         "renvoyez counts + bruit : les opérations pandas gardent l'index"),
        (unbiased, "le bruit est centré (pas de biais)", "bruit de Laplace de moyenne 0, ajouté à chaque case"),
        (right_scale, f"variance du bruit ≈ 2/ε² = {theory:.0f} (mesurée : {variance:.0f})",
         "composition parallèle : ajouter ou retirer une personne change une seule case, de 1 ; chaque case "
         "reçoit donc un bruit Laplace d'échelle 1/ε avec le budget ε entier (pas ε divisé par le nombre de cases)"),
        (independent, "un bruit indépendant par case", "tirez un bruit par case (size=len(counts)), pas un seul pour tout"),
        (grows, "plus ε est petit, plus le bruit est fort (ε/4 : variance × 16)", "l'échelle du bruit est 1/ε"),
    ])
