"""Tests des vérifications d'exercices de semaine_3/02 : la bonne réponse passe, les erreurs typiques échouent
avec leur indice, un exercice non fait dit « pas encore » en français."""
import numpy as np
import pandas as pd
import pytest

from utils.checks import ExerciseNotDone
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
    with pytest.raises(ExerciseNotDone, match="pas encore"):
        checks.check_federated_mean_std(_not_written, tables)


RESULTS = pd.DataFrame({"test commun": [0.80, 0.53, 0.81], "switzerland": [0.70, 0.94, 0.70]},
                       index=["local_cleveland", "local_switzerland", "fedavg"])


def test_best_on_switzerland(capsys):
    assert checks.check_best_on_switzerland("local_switzerland", RESULTS)
    assert not checks.check_best_on_switzerland("fedavg", RESULTS)  # le meilleur au test commun, pas en Suisse
    assert not checks.check_best_on_switzerland("suisse", RESULTS)  # pas un nom de ligne
    assert "Choisissez parmi" in capsys.readouterr().out
    with pytest.raises(ExerciseNotDone, match="pas encore"):
        checks.check_best_on_switzerland(None, RESULTS)


def test_worst_local(capsys):
    assert checks.check_worst_local("local_switzerland", RESULTS)
    assert ("FedAvg fait mieux que le pire modèle local (local_switzerland) sur le test commun : oui"
            in capsys.readouterr().out)
    assert not checks.check_worst_local("local_cleveland", RESULTS)  # le meilleur local, pas le pire
    assert not checks.check_worst_local("fedavg", RESULTS)  # pas un modèle local
    assert "Les modèles locaux" in capsys.readouterr().out
    with pytest.raises(ExerciseNotDone, match="pas encore"):
        checks.check_worst_local(None, RESULTS)


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


def test_proximal_train_step(capsys):
    assert checks.check_proximal_train_step(_proximal_step)
    assert "plus près des poids globaux" in capsys.readouterr().out
    checks.ensure_proximal_step_written(_proximal_step)  # ne lève rien
    # faux : μ ignoré (c'est FedAvg)
    assert not checks.check_proximal_train_step(lambda m, x, y, g, mu: _proximal_step(m, x, y, g, 0.0))
    assert "avec le signe +" in capsys.readouterr().out
    # faux : signe du terme inversé (pousse loin du modèle global)
    assert not checks.check_proximal_train_step(lambda m, x, y, g, mu: _proximal_step(m, x, y, g, -mu))
    # faux : gradients jamais appliqués
    def no_update(model, x, y, g, mu):
        return model.compute_loss(x=x, y=y, y_pred=model(x), training=True)
    assert not checks.check_proximal_train_step(no_update)
    assert "appliquez les gradients" in capsys.readouterr().out
    with pytest.raises(ExerciseNotDone, match="pas encore"):
        checks.check_proximal_train_step(_not_written)
    with pytest.raises(ExerciseNotDone, match="pas encore"):
        checks.ensure_proximal_step_written(_not_written)
