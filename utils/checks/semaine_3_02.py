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
    """Exercice 3 : le modèle le plus exact sur le test suisse, et ce que cela veut (ou ne veut pas) dire."""
    ensure_done(best_on_switzerland, "best_on_switzerland")
    scores = results_table[column].astype(float)
    best = set(scores.index[np.isclose(scores, scores.max())])
    checks = [(best_on_switzerland in scores.index, "c'est le nom d'une ligne du tableau `results`",
               f"Choisissez parmi : {', '.join(scores.index)}."),
              (best_on_switzerland in best, "c'est (l'un des) modèle(s) le(s) plus exact(s) sur le test suisse",
               "Regardez la colonne de l'hôpital suisse, ou utilisez `results[...].idxmax()`.")]
    success = report("Exercice 3 : le plus petit hôpital", checks)
    if success:
        print("À retenir : en Suisse, presque tous les patients sont malades. Un modèle qui répond « malade » à "
              "tout le monde y obtient une très bonne exactitude, sans rien savoir reconnaître : sur un hôpital "
              "aussi déséquilibré, regardez la spécificité, et le comportement du modèle sur les autres hôpitaux.")
    return success


def check_worst_local(worst_local, results_table: pd.DataFrame, column: str = "test commun") -> bool:
    """Exercice 4 : le pire modèle local sur le test commun, et la comparaison avec FedAvg (sortie comparée par nbval)."""
    ensure_done(worst_local, "worst_local")
    scores = results_table[column].astype(float)
    local = scores[[name for name in scores.index if str(name).startswith("local_")]]
    worst = local.idxmin()
    checks = [(worst_local in local.index, "c'est le nom d'un modèle local (local_...)",
               f"Les modèles locaux : {', '.join(local.index)}."),
              (worst_local == worst, "c'est le modèle local le moins exact sur le test commun",
               "Gardez les lignes qui commencent par « local_ », puis `idxmin()` sur la colonne du test commun.")]
    success = report("Exercice 4 : FedAvg contre le pire hôpital seul", checks)
    if success:
        gap = scores["fedavg"] - local.min()
        verdict = "oui" if gap > 0 else "non"
        size = "plus de 10 points" if abs(gap) > 0.10 else ("plus de 5 points" if abs(gap) > 0.05 else "moins de 5 points")
        print(f"FedAvg fait mieux que le pire modèle local ({worst}) sur le test commun : {verdict} (écart : {size}).")
    return success


def _proximal_setup(seed: int = 0):
    """Une petite régression logistique Keras (SGD) et un lot de 16 patients synthétiques."""
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="binary_crossentropy")
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(16, 3)).astype("float32")
    y = (x[:, 0] + 0.5 * rng.normal(size=16) > 0).astype("float32").reshape(-1, 1)
    return model, x, y


def _plain_step(model, x, y):
    """Un pas d'entraînement ordinaire (sans terme proximal) : la référence quand μ = 0."""
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = model.compute_loss(x=x, y=y, y_pred=model(x, training=True), training=True)
    gradients = tape.gradient(loss, model.trainable_variables)
    model.optimizer.apply_gradients(zip(gradients, model.trainable_variables))


def check_proximal_train_step(proximal_train_step) -> bool:
    """Exercice 2 : le pas de FedProx. Avec μ = 0 : un pas ordinaire ; avec μ > 0 : les poids restent plus près
    des poids globaux."""
    import tensorflow as tf

    model, x, y = _proximal_setup()
    start = [w.copy() for w in model.get_weights()]
    global_weights = [tf.constant(w) for w in model.trainable_variables]
    loss = call_answer(proximal_train_step, model, x, y, global_weights, 0.0, name="proximal_train_step")
    results = []
    try:
        loss_ok = np.isfinite(float(loss))
    except (TypeError, ValueError):
        loss_ok = False
    results.append((loss_ok, "la fonction renvoie la perte du lot (un nombre)", "Terminez par `return loss`."))
    reference, _, _ = _proximal_setup()
    _plain_step(reference, x, y)
    moved = not all(np.allclose(a, b) for a, b in zip(model.get_weights(), start))
    same = all(np.allclose(a, b, atol=1e-6) for a, b in zip(model.get_weights(), reference.get_weights()))
    results.append((same, "avec μ = 0, c'est exactement un pas d'entraînement ordinaire",
                    "Les poids n'ont pas bougé : appliquez les gradients avec "
                    "`model.optimizer.apply_gradients(zip(gradients, model.trainable_variables))`." if not moved else
                    "Calculez la perte avec `model.compute_loss(x=..., y=..., y_pred=model(x_batch, training=True))`, "
                    "puis un seul pas de l'optimiseur."))

    def distance_after(mu: float) -> float:
        model, x, y = _proximal_setup(seed=1)
        global_weights = [tf.constant(w) for w in model.trainable_variables]
        for _ in range(30):
            call_answer(proximal_train_step, model, x, y, global_weights, mu, name="proximal_train_step")
        return float(sum(np.sum((w.numpy() - g.numpy()) ** 2) for w, g in zip(model.trainable_variables,
                                                                               global_weights)))

    free, held = distance_after(0.0), distance_after(1.0)
    results.append((held < 0.9 * free, "avec μ > 0, les poids locaux restent plus près des poids globaux",
                    "Ajoutez à la perte `mu / 2 * ‖w − w_global‖²` (somme des carrés des écarts, variable par "
                    "variable) *avant* de calculer les gradients, avec le signe + : le terme doit pénaliser "
                    "l'éloignement."))
    success = report("Exercice 2 : le pas d'entraînement de FedProx", results)
    if success:
        print(f"Après 30 pas : ‖w − w_global‖² ≈ {free:.1f} sans terme proximal, {held:.1f} avec μ = 1.")
    return success


def ensure_proximal_step_written(proximal_train_step) -> None:
    """Lève `ExerciseNotDone` si le pas de FedProx n'est pas encore écrit (avant de le lancer dans Flower)."""
    import tensorflow as tf

    model, x, y = _proximal_setup()
    call_answer(proximal_train_step, model, x, y, [tf.constant(w) for w in model.trainable_variables], 0.1,
                name="proximal_train_step")
