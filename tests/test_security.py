"""Tests du paquet utils.security : données piégées, mod Flower d'empoisonnement, attaques, comptable DP et ce que ε borne."""
import numpy as np
import pytest
from scipy.stats import norm

from utils import security


def test_flip_labels_binary_and_multiclass():
    y = np.array([[0], [1], [1]], dtype=np.uint8)
    flipped = security.flip_labels(y)
    assert flipped.shape == y.shape and flipped.dtype == y.dtype
    assert flipped.ravel().tolist() == [1, 0, 0]
    assert security.flip_labels(np.array([0, 1, 2]), num_classes=3).tolist() == [1, 2, 0]


def test_add_trigger_only_touches_the_corner():
    x = np.full((2, 28, 28, 1), 0.3, dtype=np.float32)
    x[0, 0, 0, 0] = 0.9
    triggered = security.add_trigger(x, size=4)
    assert np.array_equal(x[:, :-4, :, :], triggered[:, :-4, :, :])  # l'image d'origine est intacte
    corner = triggered[0, -4:, -4:, 0]
    assert set(np.unique(corner)) == {0.0, np.float32(0.9)}  # damier : maximum des images et 0
    assert x[0, -1, -1, 0] == np.float32(0.3)  # copie : x n'est pas modifié
    assert security.add_trigger(x[0, :, :, 0], size=4).shape == (28, 28)


def test_poison_backdoor_and_dataset():
    rng = np.random.default_rng(0)
    x = rng.random((40, 28, 28, 1)).astype(np.float32)
    y = np.array([0, 1] * 20)
    x_p, y_p = security.poison_backdoor(x, y, target=0, fraction=0.5, seed=1)
    changed = np.flatnonzero(np.any(x_p != x, axis=(1, 2, 3)))
    assert len(changed) == 20 and np.all(y_p[changed] == 0)
    x_b, y_b = security.backdoor_dataset(x, y, target=0, copies=3)
    assert len(x_b) == 4 * len(x) and np.array_equal(x_b[:40], x) and np.all(y_b[40:] == 0)


class _ThresholdModel:
    """Un « modèle » minimal au sens de Keras (`predict`) : classe 0 si le coin bas-droit est clair."""

    def predict(self, x, batch_size=None, verbose=0):
        p0 = (np.asarray(x)[:, -1, -1, 0] > 0.5).astype(float)
        return np.stack([p0, 1 - p0], axis=1)


def test_attack_success_rate_counts_only_other_classes():
    x = np.zeros((6, 28, 28, 1), dtype=np.float32)
    x[:, 5, 5, 0] = 1.0  # maximum 1 : le damier vaut 1 dans le coin
    y = np.array([0, 0, 1, 1, 1, 1])
    model = _ThresholdModel()
    assert security.attack_success_rate(model, x, y, target=0) == 1.0
    assert security.clean_accuracy(model, x, y) == pytest.approx(4 / 6)


@pytest.mark.parametrize("mode", ["sign-flip", "scale", "noise"])
def test_model_poisoning_arithmetic(mode):
    global_w = [np.zeros((2, 2), dtype=np.float32), np.ones(3, dtype=np.float32)]
    local_w = [w + 0.1 for w in global_w]
    attacked = security.ModelPoisoningMod([0], mode=mode, factor=3.0).poison(global_w, local_w)
    assert all(a.dtype == np.float32 and a.shape == g.shape for a, g in zip(attacked, global_w))
    update = np.concatenate([(a - g).ravel() for a, g in zip(attacked, global_w)])
    if mode == "sign-flip":
        assert np.allclose(update, -0.3, atol=1e-6)
    elif mode == "scale":
        assert np.allclose(update, 0.3, atol=1e-6)
    else:
        assert np.linalg.norm(update) == pytest.approx(3.0 * np.sqrt(7 * 0.01), rel=1e-4)
    with pytest.raises(ValueError):
        security.ModelPoisoningMod([0], mode="bidon")


def test_model_poisoning_mod_in_a_flower_simulation():
    """Deux hôpitaux aux données identiques ; l'un renverse sa mise à jour (k = 1) : FedAvg les annule exactement."""
    import keras

    from utils.federated import run_flower_simulation

    def build():
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        return model

    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 3)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    start = [np.zeros((3, 1), np.float32), np.zeros(1, np.float32)]
    kwargs = dict(num_rounds=1, local_epochs=1, batch_size=8, initial_weights=start, shuffle=False,
                  verbose=False)
    _, honest = run_flower_simulation(build, [(x, y), (x, y)], **kwargs)
    mod = security.ModelPoisoningMod([1], mode="sign-flip", factor=1.0)
    _, attacked = run_flower_simulation(build, [(x, y), (x, y)], client_mods=[mod], **kwargs)
    assert np.abs(honest[0]).max() > 0.05  # sans attaque, le modèle apprend
    assert all(np.allclose(w, 0.0, atol=1e-6) for w in attacked)  # avec, w_global + (Δ − Δ)/2 = w_global


def test_dp_epsilon_matches_the_analytic_gaussian_composition():
    # k mécanismes gaussiens de multiplicateur σ = un mécanisme gaussien de paramètre μ = √k / σ (Dong et al., 2019) ;
    # δ(ε) = Φ(−ε/μ + μ/2) − e^ε Φ(−ε/μ − μ/2) (Balle et Wang, 2018) : calcul exact indépendant du comptable.
    sigma, rounds, delta = 2.0, 10, 1e-5
    epsilon = security.dp_epsilon(sigma, rounds=rounds, delta=delta)
    mu = np.sqrt(rounds) / sigma
    exact_delta = norm.cdf(-epsilon / mu + mu / 2) - np.exp(epsilon) * norm.cdf(-epsilon / mu - mu / 2)
    assert exact_delta == pytest.approx(delta, rel=0.05)
    assert security.dp_epsilon(4.0, rounds=rounds) < epsilon < security.dp_epsilon(1.0, rounds=rounds)
    assert security.dp_epsilon(2.0, rounds=rounds, sampling_rate=0.1) < epsilon  # l'échantillonnage amplifie
    assert security.dp_epsilon(0.0, rounds=3) == float("inf")


def test_dp_epsilon_is_the_upper_bound_and_groups():
    from prv_accountant import GaussianMechanism, PRVAccountant

    accountant = PRVAccountant(prvs=[GaussianMechanism(noise_multiplier=1.0)], max_self_compositions=[2],
                               eps_error=0.01, delta_error=1e-8)
    low, estimate, upper = accountant.compute_epsilon(delta=1e-5, num_self_compositions=[2])
    assert security.dp_epsilon(1.0, rounds=2) == pytest.approx(upper) and upper >= estimate
    # une patiente (sensibilité 2C sous « un hôpital ajouté ou retiré ») : la garantie de σ/2
    assert security.dp_epsilon(1.0, rounds=2, group_size=2) == pytest.approx(security.dp_epsilon(0.5, rounds=2))
    assert security.dp_epsilon(1.0, rounds=2, group_size=2) > security.dp_epsilon(1.0, rounds=2)


def test_what_epsilon_bounds():
    # μ-GDP : μ = √k/σ ; la meilleure attaque d'appartenance a une AUC ≤ Φ(μ/√2) (chiffres de l'issue 19)
    assert security.gaussian_mu(1.0, rounds=2) == pytest.approx(np.sqrt(2))
    assert security.max_attack_auc(1.0, rounds=2) == pytest.approx(0.841, abs=1e-3)
    assert security.max_attack_auc(0.5, rounds=2) == pytest.approx(0.977, abs=1e-3)
    assert security.max_attack_auc(1.0, rounds=2, group_size=2) == pytest.approx(security.max_attack_auc(0.5, rounds=2))
    assert security.max_attack_auc(100.0, rounds=1) == pytest.approx(0.5, abs=0.01)
    assert security.max_attack_auc(0.0, rounds=1) == 1.0
    # l'aire sous la courbe TPR = Φ(Φ⁻¹(FPR) + μ), calculée numériquement
    mu = security.gaussian_mu(1.0, rounds=2)
    fpr = np.linspace(0, 1, 20001)
    assert np.trapezoid(norm.cdf(norm.ppf(fpr) + mu), fpr) == pytest.approx(security.max_attack_auc(1.0, rounds=2),
                                                                             abs=1e-3)
    assert security.max_true_positive_rate(1.0, 0.1, delta=1e-5) == pytest.approx(np.e * 0.1 + 1e-5)
    assert security.max_true_positive_rate(50.0, 0.1) == 1.0


def test_the_package_is_split_by_concern_and_keeps_its_names():
    import importlib

    for module in ("poisoning", "model_poisoning", "task", "scenarios", "membership", "inversion", "accounting",
                   "secagg"):
        importlib.import_module(f"utils.security.{module}")
    from utils.models import build_breast_cnn
    from utils.security import dp_epsilon  # noqa: F401  (le nom qu'importe le projet final)

    assert security.build_breast_cnn is build_breast_cnn
    assert all(hasattr(security, name) for name in security.__all__)


def test_backdoor_attackers_keep_their_dataset_size():
    rng = np.random.default_rng(0)
    federation = {"clients": [(rng.random((10, 28, 28, 1)).astype(np.float32), np.array([0, 1] * 5)) for _ in range(3)]}
    clients, mods = security.attacked_clients(federation, "backdoor", [0, 1], target=0)
    assert mods is None and [len(y) for _, y in clients] == [10, 10, 10]  # même num-examples : même poids FedAvg
    assert np.sum(clients[0][1] != federation["clients"][0][1]) > 0  # des étiquettes changées en « malin »
    assert np.array_equal(clients[2][0], federation["clients"][2][0])  # l'hôpital honnête est intact


def test_membership_inference_on_a_memorising_model():
    import keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=(120, 20)).astype(np.float32)
    y = rng.integers(0, 2, 120)  # étiquettes au hasard : seul le par-cœur les prédit
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    model.fit(x[:60], y[:60], epochs=150, verbose=0)
    attack = security.membership_inference(model, (x[:60], y[:60]), (x[60:], y[60:]))
    assert attack["auc"] > 0.8 and attack["gap"] > 0
    from utils.statistics import bootstrap_interval

    interval = bootstrap_interval(attack["is_member"], attack["scores"], "auc", n_boot=200)
    assert interval.low <= attack["auc"] <= interval.high and interval.value == pytest.approx(attack["auc"])


def test_gradient_inversion_recovers_a_single_image():
    rng = np.random.default_rng(0)
    image = rng.random((1, 8, 8, 1)).astype(np.float32)
    model = security.build_inversion_model(input_shape=(8, 8, 1), num_classes=3, seed=0)
    gradients = security.client_gradients(model, image, np.array([2]), num_classes=3)
    assert security.idlg_label(gradients) == 2
    reconstruction, distances = security.invert_gradients(model, gradients, shape=image.shape, labels=[2],
                                                          steps=150, num_classes=3)
    assert distances[-1] < distances[0] / 100
    assert security.image_similarity(image[0], reconstruction[0])["mse"] < 0.01
    noisy = security.noisy_gradients(gradients, clipping_norm=0.1, noise_multiplier=1.0)
    assert all(n.shape == g.shape for n, g in zip(noisy, gradients))


def test_make_strategy_uses_flower_strategies():
    from flwr.serverapp import strategy as flower

    assert isinstance(security.make_strategy("fedmedian", 7, 2), flower.FedMedian)
    assert isinstance(security.make_strategy("krum", 7, 2), flower.Krum)
    assert security.make_strategy("bulyan", 7, 2).num_malicious_nodes == 1  # n ≥ 4f + 3
    assert isinstance(security.make_strategy("dp", 7, noise_multiplier=0.5, clipping_norm=1.0),
                      flower.DifferentialPrivacyServerSideFixedClipping)
    with pytest.raises(ValueError):
        security.make_strategy("moyenne", 7)


def test_secagg_plus_hides_updates_but_keeps_the_sum():
    clear = security.run_secagg_demo(4, dimension=50, secure=False)
    assert np.allclose(clear["seen"], clear["true_update"])  # sans SecAgg+ : le serveur lit la mise à jour
    assert np.allclose(clear["aggregate"], clear["expected_mean"], atol=1e-6)
    secure = security.run_secagg_demo(4, dimension=50, secure=True, attackers=[1])
    assert secure["seen"].dtype.kind in "iu" and not np.allclose(secure["seen"], secure["true_update"])  # masqué
    assert np.allclose(secure["aggregate"], secure["expected_mean"], atol=1e-3)  # somme exacte (quantification)
    assert secure["messages"] > clear["messages"]  # plusieurs étapes de protocole par client
