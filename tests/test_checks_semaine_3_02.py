"""Tests des vérifications d'exercices de semaine_3/02 : la bonne réponse passe, les erreurs typiques échouent
avec leur indice, un exercice non fait dit « pas encore » en français."""
import numpy as np
import pandas as pd
import pytest

from utils.checks import semaine_3_02 as checks
from utils.data import heart_disease as hd
from utils.data.heart_disease_mirror import make_heart_disease_mirror
from check_helpers import not_written as _not_written


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    data = hd.load_heart_disease(root=make_heart_disease_mirror(tmp_path_factory.mktemp("heart") / "uci"))
    return [data[data["hospital"] == h][["age", "chol", "thalach"]].replace(0, np.nan)
            for h in ("cleveland", "hungarian", "switzerland", "va")]


def test_federated_mean_std(tables, capsys):
    assert checks.check_federated_mean_std(hd.federated_mean_std, tables)
    capsys.readouterr()
    # faux : divisé par le plus grand effectif au lieu du total des valeurs présentes
    naive = lambda sums: (sum(s["total"] for s in sums) / sum(s["count"] for s in sums).max(),  # noqa: E731
                          hd.federated_mean_std(sums)[1])
    assert not checks.check_federated_mean_std(naive, tables)
    # faux : moyenne des moyennes des hôpitaux (ignore leurs tailles)
    def mean_of_means(sums):
        means = [s["total"] / s["count"] for s in sums]
        return sum(m.fillna(0) for m in means) / len(means), hd.federated_mean_std(sums)[1]
    assert not checks.check_federated_mean_std(mean_of_means, tables)
    # faux : écart-type sans soustraire N × moyenne²
    def raw_std(sums):
        mean, _ = hd.federated_mean_std(sums)
        count = sum(s["count"] for s in sums)
        return mean, np.sqrt(sum(s["squares"] for s in sums) / (count - 1))
    assert not checks.check_federated_mean_std(raw_std, tables)
    assert "somme des carrés − N × moyenne²" in capsys.readouterr().out
    # faux : divisé par N au lieu de N − 1
    def divided_by_n(sums):
        mean, _ = hd.federated_mean_std(sums)
        count = sum(s["count"] for s in sums)
        return mean, np.sqrt(sum(s["squares"] for s in sums) / count - mean ** 2)
    assert not checks.check_federated_mean_std(divided_by_n, tables)
    assert "l'énoncé demande N − 1" in capsys.readouterr().out
    _assert_not_done(checks.check_federated_mean_std(_not_written, tables), capsys)


def _assert_not_done(verdict, capsys):
    """Un exercice pas encore fait : verdict faux, marqué « pas fait », message « pas encore » (sans lever)."""
    assert not verdict and verdict.not_done
    assert "pas encore" in capsys.readouterr().out


RESULTS = pd.DataFrame({"validation commune": [0.80, 0.53, 0.81], "switzerland": [0.70, 0.94, 0.70]},
                       index=["local_cleveland", "local_switzerland", "fedavg"])


def test_best_on_switzerland(capsys):
    assert checks.check_best_on_switzerland("local_switzerland", RESULTS)
    assert not checks.check_best_on_switzerland("fedavg", RESULTS)  # le meilleur au test commun, pas en Suisse
    assert not checks.check_best_on_switzerland("suisse", RESULTS)  # pas un nom de ligne
    assert "Choisissez parmi" in capsys.readouterr().out
    _assert_not_done(checks.check_best_on_switzerland(None, RESULTS), capsys)


def test_worst_local(capsys):
    assert checks.check_worst_local("local_switzerland", RESULTS)
    assert "FedAvg − local_switzerland = +28 points" in capsys.readouterr().out
    assert not checks.check_worst_local("local_cleveland", RESULTS)  # le meilleur local, pas le pire
    assert not checks.check_worst_local("fedavg", RESULTS)  # pas un modèle local
    assert "Les modèles locaux" in capsys.readouterr().out
    _assert_not_done(checks.check_worst_local(None, RESULTS), capsys)


def _proximal_step(model, x_batch, y_batch, global_weights, mu):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        prediction = model(x_batch, training=True)
        loss = model.compute_loss(x=x_batch, y=y_batch, y_pred=prediction, training=True)
        distance = tf.add_n([tf.reduce_sum(tf.square(w - g)) for w, g in zip(model.trainable_variables, global_weights)])
        total = loss + mu / 2 * distance
    gradients = tape.gradient(total, model.trainable_variables)
    model.optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    return loss


def _variant(kernel_factor=1.0, bias_factor=1.0, norm=False, return_total=False):
    """Un pas de FedProx avec une erreur typique : facteur du terme par variable, norme non élevée au carré..."""
    import tensorflow as tf

    def step(model, x_batch, y_batch, global_weights, mu):
        with tf.GradientTape() as tape:
            loss = model.compute_loss(x=x_batch, y=y_batch, y_pred=model(x_batch, training=True), training=True)
            terms = []
            for w, g, factor in zip(model.trainable_variables, global_weights, (kernel_factor, bias_factor)):
                terms.append(factor * (tf.norm(w - g) if norm else tf.reduce_sum(tf.square(w - g))))
            total = loss + mu / 2 * tf.add_n(terms)
        gradients = tape.gradient(total, model.trainable_variables)
        model.optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return total if return_total else loss
    return step


def test_proximal_train_step(capsys):
    assert checks.check_proximal_train_step(_proximal_step)
    out = capsys.readouterr().out
    assert "un pas exact de FedProx" in out and "Bravo" in out
    assert checks.ensure_proximal_step_written(_proximal_step)  # vrai, ne lève rien
    # faux : μ ignoré (c'est FedAvg)
    assert not checks.check_proximal_train_step(lambda m, x, y, g, mu: _proximal_step(m, x, y, g, 0.0))
    assert "Le terme n'a eu aucun effet" in capsys.readouterr().out
    # faux : signe du terme inversé (pousse loin du modèle global)
    assert not checks.check_proximal_train_step(lambda m, x, y, g, mu: _proximal_step(m, x, y, g, -mu))
    assert "Le signe" in capsys.readouterr().out
    # faux : μ au lieu de μ/2 (loss + mu * distance)
    assert not checks.check_proximal_train_step(lambda m, x, y, g, mu: _proximal_step(m, x, y, g, 2 * mu))
    assert "μ au lieu de μ/2" in capsys.readouterr().out
    # faux : le terme sur le noyau seulement, biais oublié
    assert not checks.check_proximal_train_step(_variant(bias_factor=0.0))
    assert "biais compris" in capsys.readouterr().out
    # faux : la norme, pas son carré (la forme de la docstring de FedProx dans Flower)
    assert not checks.check_proximal_train_step(_variant(norm=True))
    assert "carré de la norme" in capsys.readouterr().out
    # faux : la perte renvoyée contient le terme
    assert not checks.check_proximal_train_step(_variant(return_total=True))
    assert "Vous renvoyez la perte avec le terme" in capsys.readouterr().out
    # faux : gradients jamais appliqués
    def no_update(model, x, y, g, mu):
        return model.compute_loss(x=x, y=y, y_pred=model(x), training=True)
    assert not checks.check_proximal_train_step(no_update)
    assert "appliquez les gradients" in capsys.readouterr().out
    _assert_not_done(checks.check_proximal_train_step(_not_written), capsys)
    _assert_not_done(checks.ensure_proximal_step_written(_not_written), capsys)
