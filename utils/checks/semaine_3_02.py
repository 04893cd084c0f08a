"""Vérifications des exercices de semaine_3/02_flower_tabulaire.ipynb."""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import Verdict, call_answer, ensure_done, exercise_check, report


def client_sums(table: pd.DataFrame) -> dict:
    """Ce qu'un hôpital envoie : effectif (valeurs présentes), somme et somme des carrés, par colonne."""
    return {"count": table.notna().sum(), "total": table.sum(), "squares": (table ** 2).sum()}


@exercise_check
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
    std_ok = np.allclose(std, pooled.std(ddof=1), rtol=1e-6)
    divided_by_n = np.allclose(std, pooled.std(ddof=0), rtol=1e-6)
    results.append((std_ok, "l'écart-type est celui des données réunies (N − 1 au dénominateur)",
                    "Vous divisez par N : l'énoncé demande N − 1 (écart-type de l'échantillon, comme pandas)."
                    if divided_by_n else
                    "Variance = (somme des carrés − N × moyenne²) / (N − 1), puis racine carrée."))
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


@exercise_check
def check_best_on_switzerland(best_on_switzerland, results_table: pd.DataFrame, column: str = "switzerland") -> bool:
    """Exercice 3 : le modèle le plus exact sur la validation suisse, et ce que cela veut (ou ne veut pas) dire."""
    ensure_done(best_on_switzerland, "best_on_switzerland")
    scores = results_table[column].astype(float)
    best = set(scores.index[np.isclose(scores, scores.max())])
    checks = [(best_on_switzerland in scores.index, "c'est le nom d'une ligne du tableau `results`",
               f"Choisissez parmi : {', '.join(scores.index)}."),
              (best_on_switzerland in best, "c'est (l'un des) modèle(s) le(s) plus exact(s) sur la validation suisse",
               "Regardez la colonne de l'hôpital suisse, ou utilisez `results[...].idxmax()`.")]
    success = report("Exercice 3 : le plus petit hôpital", checks)
    if success:
        swiss_healthy = results_table.attrs.get("healthy", {}).get(column)
        count = "" if swiss_healthy is None else f" (ici {swiss_healthy} patient(s) sain(s) en validation suisse)"
        print("À retenir : en Suisse, presque tous les patients sont malades" + count + ". Un modèle qui répond "
              "« malade » à tout le monde y obtient une très bonne exactitude, sans rien savoir reconnaître. "
              "La spécificité ne se lit pas sur si peu de sains : regardez-la sur la validation commune des "
              "quatre hôpitaux, où les sains se comptent par dizaines.")
    return success


@exercise_check
def check_worst_local(worst_local, results_table: pd.DataFrame, column: str = "validation commune") -> bool:
    """Exercice 4 : le pire modèle local sur la validation commune, et l'écart de FedAvg à ce modèle (sortie comparée
    par nbval)."""
    ensure_done(worst_local, "worst_local")
    scores = results_table[column].astype(float)
    local = scores[[name for name in scores.index if str(name).startswith("local_")]]
    worst = local.idxmin()
    checks = [(worst_local in local.index, "c'est le nom d'un modèle local (local_...)",
               f"Les modèles locaux : {', '.join(local.index)}."),
              (worst_local == worst, "c'est le modèle local le moins exact sur la validation commune",
               "Gardez les lignes qui commencent par « local_ », puis `idxmin()` sur la colonne de la validation commune.")]
    success = report("Exercice 4 : FedAvg contre le pire hôpital seul", checks)
    if success:
        gap = scores["fedavg"] - local.min()
        print(f"Sur la validation commune, FedAvg − {worst} = {100 * gap:+.0f} points d'exactitude. Un seul chiffre, "
              "sur une centaine de patients : son intervalle apparié sera calculé à la lecture du test (section 7).")
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


def _one_step_outcomes(x, y, start, global_weights, lr: float, mu: float) -> dict:
    """Les poids après UN pas, calculés à la main, pour la bonne réponse et les erreurs typiques.

    Gradient de perte + μ/2 ‖w − w_g‖² : ∇L(w) + μ (w − w_g), variable par variable (noyau et biais).
    """
    import tensorflow as tf

    model, _, _ = _proximal_setup()
    model.set_weights(start)
    with tf.GradientTape() as tape:
        loss = model.compute_loss(x=x, y=y, y_pred=model(x, training=True), training=True)
    gradients = [g.numpy() for g in tape.gradient(loss, model.trainable_variables)]
    pulls = [w - g for w, g in zip(start, global_weights)]  # w − w_g

    def step(factors):
        return [w - lr * (g + f * mu * pull) for w, g, pull, f in zip(start, gradients, pulls, factors)]

    n = len(start)
    distance = float(sum(np.sum(pull ** 2) for pull in pulls))
    return {"loss": float(loss), "distance": distance,
            "right": step([1.0] * n), "mu_not_halved": step([2.0] * n), "ignored": step([0.0] * n),
            "wrong_sign": step([-1.0] * n), "kernel_only": step([1.0] * (n - 1) + [0.0])}


@exercise_check
def check_proximal_train_step(proximal_train_step) -> bool:
    """Exercice 2 : le pas de FedProx. Avec μ = 0 : un pas ordinaire ; avec μ > 0 et des poids locaux différents
    des poids globaux (biais compris) : exactement w − lr (∇L(w) + μ (w − w_global)), et la perte renvoyée est
    celle du lot *sans* le terme."""
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

    # Un pas exact, poids locaux ≠ poids globaux (noyau ET biais) : le terme et son gradient ne s'annulent plus.
    lr, mu = 0.5, 0.4
    model, x, y = _proximal_setup()
    start = [w.copy() for w in model.get_weights()]
    global_arrays = [w - 0.5 for w in start]
    outcomes = _one_step_outcomes(x, y, start, global_arrays, lr, mu)
    returned = call_answer(proximal_train_step, model, x, y, [tf.constant(g) for g in global_arrays], mu,
                           name="proximal_train_step")
    after = [w.copy() for w in model.get_weights()]

    def equals(expected):
        return all(np.allclose(a, b, atol=1e-5) for a, b in zip(after, expected))

    exact = equals(outcomes["right"])
    hint = ("μ au lieu de μ/2 : le terme est `mu / 2 * distance` (son gradient est alors μ (w − w_global))."
            if equals(outcomes["mu_not_halved"]) else
            "Le terme n'a eu aucun effet : ajoutez `mu / 2 * distance` à la perte *dans* le `GradientTape`, "
            "avant `tape.gradient`." if equals(outcomes["ignored"]) else
            "Le signe : le terme s'ajoute à la perte (avec +), pour pénaliser l'éloignement des poids globaux."
            if equals(outcomes["wrong_sign"]) else
            "Le biais n'a pas reçu le terme : sommez sur toutes les variables, biais compris "
            "(`zip(model.trainable_variables, global_weights)`)." if equals(outcomes["kernel_only"]) else
            "Attendu : w − lr · (∇perte + μ (w − w_global)) pour chaque variable, c'est-à-dire la perte plus "
            "`mu / 2 * somme des tf.reduce_sum(tf.square(w - w_global))` (carré de la norme, pas la norme).")
    results.append((exact, "avec μ = 0,4 et des poids loin des poids globaux, un pas exact de FedProx "
                           "(gradient ∇perte + μ (w − w_global), biais compris)", hint))
    try:
        returned = float(returned)
    except (TypeError, ValueError):
        returned = float("nan")
    with_term = outcomes["loss"] + mu / 2 * outcomes["distance"]
    loss_right = np.isclose(returned, outcomes["loss"], rtol=1e-5, atol=1e-6)
    results.append((loss_right, "la perte renvoyée est celle du lot, sans le terme proximal",
                    "Vous renvoyez la perte avec le terme : renvoyez `loss`, pas le total (le terme n'est qu'un "
                    "rappel vers le modèle global, pas une mesure de l'ajustement)."
                    if np.isclose(returned, with_term, rtol=1e-5) else
                    "Renvoyez la perte calculée *avant* le pas (`loss`), sans le terme."))
    success = report("Exercice 2 : le pas d'entraînement de FedProx", results)
    if success:
        free, held = _distance_after(proximal_train_step, 0.0), _distance_after(proximal_train_step, 1.0)
        print(f"Après 30 pas : ‖w − w_global‖² ≈ {free:.1f} sans terme proximal, {held:.1f} avec μ = 1.")
    return success


def _distance_after(proximal_train_step, mu: float) -> float:
    """‖w − w_global‖² après 30 pas depuis les poids globaux."""
    import tensorflow as tf

    model, x, y = _proximal_setup(seed=1)
    global_weights = [tf.constant(w) for w in model.trainable_variables]
    for _ in range(30):
        call_answer(proximal_train_step, model, x, y, global_weights, mu, name="proximal_train_step")
    return float(sum(np.sum((w.numpy() - g.numpy()) ** 2) for w, g in zip(model.trainable_variables, global_weights)))


@exercise_check
def ensure_proximal_step_written(proximal_train_step) -> Verdict:
    """Vrai si le pas de FedProx est écrit (avant de le lancer dans Flower) ; sinon le dit (⏳), sans lever."""
    import tensorflow as tf

    model, x, y = _proximal_setup()
    call_answer(proximal_train_step, model, x, y, [tf.constant(w) for w in model.trainable_variables], 0.1,
                name="proximal_train_step")
    return Verdict(True)
