"""Vérifications des exercices de semaine_3/02_flower_tabulaire.ipynb."""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import call_answer, ensure_done, report


def client_sums(table: pd.DataFrame) -> dict:
    """Ce qu'un hôpital envoie : effectif (valeurs présentes), somme et somme des carrés, par colonne."""
    return {"count": table.notna().sum(), "total": table.sum(), "squares": (table ** 2).sum()}


def check_federated_mean_std(federated_mean_std, client_tables: list[pd.DataFrame]) -> bool:
    """Exercice 1 : moyenne et écart-type globaux à partir des seules sommes de chaque hôpital."""
    sums = [client_sums(table) for table in client_tables]
    answer = call_answer(federated_mean_std, sums, name="federated_mean_std")
    results = [(isinstance(answer, (tuple, list)) and len(answer) == 2,
                "la fonction renvoie (moyenne, écart-type)", "Terminez par `return mean, std`.")]
    if not results[0][0]:
        return report("Exercice 1 : statistiques fédérées", results)
    pooled = pd.concat(client_tables)
    mean, std = (pd.Series(np.asarray(value, dtype=float).ravel(), index=pooled.columns) for value in answer)
    results.append((np.allclose(mean, pooled.mean(), rtol=1e-6), "la moyenne est celle des données réunies",
                    "Moyenne globale = (somme des `total`) / (somme des `count`), colonne par colonne."))
    std_ok = np.allclose(std, pooled.std(ddof=1), rtol=1e-2)
    results.append((std_ok, "l'écart-type est celui des données réunies",
                    "Variance = (somme des carrés − N × moyenne²) / (N − 1), puis racine carrée." if not std_ok else ""))
    # Un hôpital qui n'a aucune valeur pour une colonne (chol en Suisse) ne doit rien fausser.
    tiny = [pd.DataFrame({"a": [1.0, 3.0], "b": [np.nan, np.nan]}), pd.DataFrame({"a": [5.0], "b": [2.0]}),
            pd.DataFrame({"a": [7.0, np.nan], "b": [4.0, 6.0]})]
    small = call_answer(federated_mean_std, [client_sums(t) for t in tiny], name="federated_mean_std")
    small_mean = np.asarray(small[0], dtype=float).ravel()
    results.append((np.allclose(small_mean, [4.0, 4.0]),
                    "un hôpital sans aucune valeur pour une colonne ne fausse rien",
                    "Divisez par le nombre de valeurs *présentes* (`count`), pas par le nombre de patients."))
    success = report("Exercice 1 : statistiques fédérées", results)
    if success:
        print(f"Moyennes globales : âge {mean['age']:.1f} ans, fréquence maximale {mean['thalach']:.0f}/min ; "
              "calculées sans qu'aucun patient ne quitte son hôpital.")
    return success


def check_best_on_switzerland(best_on_switzerland, results_table: pd.DataFrame, column: str = "switzerland") -> bool:
    """Exercice 2 : le modèle le plus exact sur le test suisse, et ce que cela veut (ou ne veut pas) dire."""
    ensure_done(best_on_switzerland, "best_on_switzerland")
    scores = results_table[column].astype(float)
    best = set(scores.index[np.isclose(scores, scores.max())])
    checks = [(best_on_switzerland in scores.index, "c'est le nom d'une ligne du tableau `results`",
               f"Choisissez parmi : {', '.join(scores.index)}."),
              (best_on_switzerland in best, "c'est (l'un des) modèle(s) le(s) plus exact(s) sur le test suisse",
               "Regardez la colonne de l'hôpital suisse, ou utilisez `results[...].idxmax()`.")]
    success = report("Exercice 2 : le plus petit hôpital", checks)
    if success:
        print("À retenir : en Suisse, presque tous les patients sont malades. Un modèle qui répond « malade » à "
              "tout le monde y obtient une très bonne exactitude, sans rien savoir reconnaître : sur un hôpital "
              "aussi déséquilibré, regardez la spécificité, et le comportement du modèle sur les autres hôpitaux.")
    return success


def check_worst_local(worst_local, results_table: pd.DataFrame, column: str = "test poolé") -> bool:
    """Exercice 3 : le pire modèle local sur le test poolé, et la comparaison avec FedAvg (sortie comparée par nbval)."""
    ensure_done(worst_local, "worst_local")
    scores = results_table[column].astype(float)
    local = scores[[name for name in scores.index if str(name).startswith("local_")]]
    worst = local.idxmin()
    checks = [(worst_local in local.index, "c'est le nom d'un modèle local (local_...)",
               f"Les modèles locaux : {', '.join(local.index)}."),
              (worst_local == worst, "c'est le modèle local le moins exact sur le test poolé",
               "Gardez les lignes qui commencent par « local_ », puis `idxmin()` sur la colonne du test poolé.")]
    success = report("Exercice 3 : FedAvg contre le pire hôpital seul", checks)
    if success:
        gap = scores["fedavg"] - local.min()
        verdict = "oui" if gap > 0 else "non"
        size = "plus de 10 points" if abs(gap) > 0.10 else ("plus de 5 points" if abs(gap) > 0.05 else "moins de 5 points")
        print(f"FedAvg fait mieux que le pire modèle local ({worst}) sur le test poolé : {verdict} (écart : {size}).")
    return success
