"""Vérifications des exercices de semaine_2/02 (dossiers patients : pseudonymisation, k-anonymat, Laplace)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import call_answer, ensure_done, exercise_check, report


@exercise_check
def check_dictionary_attack(dictionary_attack, released: pd.DataFrame, true_ids: pd.Series) -> bool:
    """Exercice 1 : `dictionary_attack(hashes)` retrouve les SUBJECT_ID derrière leur hachage SHA-256 sans clé.

    La fonction est essayée sur la table publiée, puis sur des empreintes neuves (identifiants absents de la
    cohorte, dans un autre ordre, avec un autre index) : recopier `cohort["SUBJECT_ID"]` n'est pas une attaque.
    """
    from ..privacy import plain_hash

    def attack(hashes: pd.Series) -> pd.Series:
        got = call_answer(dictionary_attack, hashes, name="dictionary_attack")
        ensure_done(got, "le résultat de dictionary_attack")
        if not isinstance(got, pd.Series) and len(got) == len(hashes):
            got = pd.Series(list(got), index=hashes.index)
        return pd.Series(got)

    def rate(got: pd.Series, truth: pd.Series) -> float:
        found = pd.to_numeric(got.reindex(truth.index), errors="coerce") == truth.astype(float)
        return float(found.mean())

    recovered = attack(released["SUBJECT_ID"])
    same_index = recovered.index.equals(released.index)
    found_rate = rate(recovered, true_ids)
    rng = np.random.default_rng(7)
    pool = np.setdiff1d(np.arange(1, 100_000), np.asarray(true_ids, dtype=int))
    fresh_ids = pd.Series(rng.choice(pool, size=50, replace=False), index=np.arange(9000, 9050)[::-1])
    fresh_rate = rate(attack(pd.Series(plain_hash(fresh_ids), index=fresh_ids.index)), fresh_ids)
    return report("Exercice 1 — attaque par dictionnaire", [
        (same_index, "une valeur par empreinte reçue (même index)",
         "renvoyez hashes.map(dictionnaire) : map garde l'index"),
        (found_rate == 1.0, f"tous les SUBJECT_ID de la table publiée sont retrouvés ({found_rate:.0%})",
         "hachez tous les identifiants possibles (1 à 99 999) avec plain_hash et inversez le dictionnaire "
         "{hachage: identifiant}"),
        (fresh_rate == 1.0,
         f"des empreintes neuves (50 identifiants absents de la cohorte) sont retrouvées ({fresh_rate:.0%})",
         "l'attaque ne doit lire que les empreintes reçues (hashes) : un attaquant n'a pas la cohorte, il "
         "hache tous les identifiants possibles (1 à 99 999) et compare"),
    ])


@exercise_check
def check_k_anonymous_release(release, cohort: pd.DataFrame, quasi_identifiers, sensitive: str = "DIAGNOSIS",
                              k: int = 5, max_loss: float = 0.10, min_age_groups: int = 4) -> bool:
    """Exercice 2 : une table k-anonyme par généralisation et suppression, qui reste utile."""
    from ..privacy import k_anonymity

    ensure_done(release, "release")
    if not isinstance(release, pd.DataFrame):
        return report("Exercice 2 — publier une table k-anonyme", [
            (False, "release est une table pandas", "release doit être un DataFrame (la cohorte transformée)")])
    has_columns = all(c in release.columns for c in [*quasi_identifiers, sensitive])
    extra = [str(c) for c in release.columns if c not in [*quasi_identifiers, sensitive]]
    k_value = k_anonymity(release, quasi_identifiers) if has_columns and len(release) else 0
    loss = 1 - len(release) / len(cohort)
    subset = release.index.isin(cohort.index).all()
    sensitive_kept = has_columns and subset and release[sensitive].astype(str).equals(
        cohort.loc[release.index, sensitive].astype(str))
    age_groups = release["AGE"].nunique() if "AGE" in release.columns else 0
    return report("Exercice 2 — publier une table k-anonyme", [
        (has_columns, "les quasi-identifiants et l'attribut sensible sont toujours là",
         f"gardez les colonnes {', '.join(quasi_identifiers)} et {sensitive} (généralisées, pas supprimées)"),
        (not extra, "rien d'autre n'est publié que les quasi-identifiants et l'attribut sensible",
         f"retirez {', '.join(extra)} : un identifiant, une date ou un autre quasi-identifiant publié à côté "
         f"rend la table 1-anonyme (partez de cohort[QUASI_IDENTIFIERS + [SENSITIVE]])"),
        (k_value >= k, f"la table est {k}-anonyme (k obtenu : {k_value})",
         f"généralisez davantage, puis supprimez les classes de moins de {k} lignes (suppress_small_classes)"),
        (loss <= max_loss, f"au plus {max_loss:.0%} des patients supprimés ({loss:.1%} ici)",
         "moins de suppression : généralisez d'abord (tranches d'âge plus larges, catégories regroupées)"),
        (age_groups >= min_age_groups, f"l'âge garde au moins {min_age_groups} catégories ({age_groups} ici)",
         "une table sans information ne sert à rien : ne réduisez pas l'âge à une seule tranche"),
        (bool(sensitive_kept), f"les lignes gardées sont celles de la cohorte, avec leur {sensitive} inchangé",
         "partez de cohort[QUASI_IDENTIFIERS + [SENSITIVE]].assign(...) : ne mélangez pas les lignes et ne touchez pas à l'attribut sensible"),
    ])


@exercise_check
def check_dp_histogram(dp_histogram, counts: pd.Series, epsilon: float = 0.5, repeats: int = 2000) -> bool:
    """Exercice 3 : un histogramme ε-différentiellement privé (voisins : ajout ou retrait d'une personne).

    Le bruit est mesuré sur un histogramme de grands comptages (les catégories de `counts`, chacune
    augmentée de 1000) : un post-traitement légitime (arrondir, ramener à 0 les comptages négatifs) n'y
    change presque rien, et la réponse est acceptée qu'elle publie les comptages bruts ou post-traités.

    Sa **loi** est comparée à celle de Laplace(1/ε) : écart de Kolmogorov (le plus grand écart entre les
    fonctions de répartition) calculé aux demi-entiers. Arrondir le bruit ne change pas la fonction de
    répartition en ces points (P(arrondi ≤ k) = P(bruit < k + 1/2)) : le post-traitement passe, un bruit
    gaussien ou uniforme de même variance (qui ne donne pas l'ε-DP pur) est refusé.
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
    distance = laplace_distance(noise.ravel(), 1 / epsilon) if valid else float("nan")
    # 20 000 tirages de Laplace : écart ≤ 0,010 (200 essais) ; Laplace discret d'OpenDP ≈ 0,012 ;
    # gaussienne de même variance 0,062 ; uniforme 0,111.
    laplace_shaped = valid and distance < 0.03
    return report("Exercice 3 — histogramme différentiellement privé", [
        (same_index, "une série pandas avec les mêmes catégories que counts",
         "renvoyez counts + bruit : les opérations pandas gardent l'index"),
        (unbiased, "le bruit est centré (pas de biais)", "bruit de Laplace de moyenne 0, ajouté à chaque case"),
        (right_scale, f"variance du bruit ≈ 2/ε² = {theory:.0f} (mesurée : {variance:.0f})",
         "composition parallèle : ajouter ou retirer une personne change une seule case, de 1 ; chaque case "
         "reçoit donc un bruit Laplace d'échelle 1/ε avec le budget ε entier (pas ε divisé par le nombre de cases)"),
        (laplace_shaped, f"le bruit suit une loi de Laplace d'échelle 1/ε (écart de Kolmogorov {distance:.3f}, "
         "seuil 0,03)",
         "un bruit gaussien ou uniforme de même variance ne donne pas l'ε-DP pur : tirez un bruit de Laplace "
         "(laplace_mechanism ou rng.laplace(0, 1/ε, size=len(counts)))"),
        (independent, "un bruit indépendant par case", "tirez un bruit par case (size=len(counts)), pas un seul pour tout"),
        (grows, "plus ε est petit, plus le bruit est fort (ε/4 : variance × 16)", "l'échelle du bruit est 1/ε"),
    ])


def laplace_distance(noise, scale: float) -> float:
    """Plus grand écart entre la fonction de répartition empirique de `noise` et celle de Laplace(0, scale),
    mesuré aux demi-entiers (où un bruit arrondi à l'entier a la même fonction de répartition)."""
    points = np.arange(-np.ceil(20 * scale), np.ceil(20 * scale)) + 0.5
    laplace_cdf = np.where(points < 0, 0.5 * np.exp(points / scale), 1 - 0.5 * np.exp(-points / scale))
    empirical = np.searchsorted(np.sort(np.asarray(noise, dtype=float)), points, side="right") / len(noise)
    return float(np.abs(empirical - laplace_cdf).max())
