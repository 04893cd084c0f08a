"""FedBN comme publié (Li et al., 2021) : le client ne renvoie que les couches partagées, le serveur n'agrège qu'elles."""
import numpy as np
import pytest


from test_federated import _bn_model
from test_federated import _shifted_clients as _shifted_training_clients


def _shifted_clients():
    """Les trois hôpitaux décalés de test_federated, chacun avec ses 12 premiers patients en validation."""
    return [(x, y, x[:12], y[:12]) for x, y in _shifted_training_clients()]


def test_fedbn_client_sends_only_shared_arrays_and_server_averages_only_those():
    import keras

    from utils.federated import run_flower_simulation
    from utils.federated.apps import local_weight_positions

    sent = []

    def spy(msg, context, call_next):  # un « mod » de Flower : voit la réponse du client avant son départ
        reply = call_next(msg, context)
        if reply.has_content() and "arrays" in reply.content:
            sent.append(sorted(int(k) for k in reply.content["arrays"].keys()))
        return reply

    is_bn = lambda layer: isinstance(layer, keras.layers.BatchNormalization)  # noqa: E731
    model = _bn_model()
    local = local_weight_positions(model, is_bn)
    n = len(model.get_weights())
    initial = model.get_weights()
    history, final = run_flower_simulation(_bn_model, _shifted_clients(), num_rounds=2, batch_size=16,
                                           initial_weights=initial, val_data=(np.ones((8, 4), "float32"),
                                                                              np.ones(8, "float32")),
                                           verbose=False, local_layers=is_bn, client_mods=[spy])
    assert len(sent) == 6
    assert all(keys == sorted(set(range(n)) - set(local)) for keys in sent)  # jamais la normalisation
    assert len(final) == n
    for position in local:  # le serveur n'a jamais rien reçu pour ces positions : valeurs initiales
        np.testing.assert_array_equal(final[position], initial[position])
    assert history.loc[history["client"] == "global", "round"].max() == 2


def test_fedavg_client_still_sends_everything():
    from utils.federated import run_flower_simulation

    sent = []

    def spy(msg, context, call_next):
        reply = call_next(msg, context)
        if reply.has_content() and "arrays" in reply.content:
            sent.append(len(reply.content["arrays"]))
        return reply

    n = len(_bn_model().get_weights())
    run_flower_simulation(_bn_model, _shifted_clients(), num_rounds=1, batch_size=16, verbose=False,
                          client_mods=[spy])
    assert sent == [n, n, n]


def test_personal_weights_and_batch_norm_reestimation():
    import keras

    from utils.federated.apps import local_weight_positions, personal_weights, reestimate_batch_norm

    model = _bn_model()
    positions = local_weight_positions(model, ("bn",))
    global_w = [np.zeros_like(w) for w in model.get_weights()]
    mine = [np.full_like(w, 7.0) for w in model.get_weights()]
    personal = personal_weights(global_w, mine, positions)
    assert all((personal[p] == 7).all() for p in positions)
    assert all((personal[p] == 0).all() for p in range(len(personal)) if p not in positions)
    assert personal_weights(global_w, [mine[p] for p in positions], positions)[positions[0]][0] == 7

    x = np.random.default_rng(0).normal(5.0, 2.0, size=(256, 4)).astype("float32")
    kernel = model.get_layer("dense_in").kernel.numpy().copy()
    reestimate_batch_norm(model, x, batch_size=32)
    bn = model.get_layer("bn")
    np.testing.assert_allclose(bn.moving_mean.numpy(), x.mean(axis=0), atol=1e-4)
    assert bn.momentum == 0.5  # l'élan d'origine est rendu
    np.testing.assert_array_equal(model.get_layer("dense_in").kernel.numpy(), kernel)  # aucun poids appris ne bouge
    assert isinstance(bn, keras.layers.BatchNormalization)
