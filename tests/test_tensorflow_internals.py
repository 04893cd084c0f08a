"""Test de contrat : ce que `utils/federated/tensorflow_internals.py` suppose de TensorFlow et de Keras.

S'il échoue après une mise à jour de TensorFlow ou de Keras, c'est ce module (et lui seul) qu'il faut adapter :
lisez sa docstring.
"""
import inspect
import random

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

from utils.federated.tensorflow_internals import set_seeds_keeping_kernels  # noqa: E402


def test_keras_set_random_seed_is_still_the_sequence_the_module_copies():
    from keras.src.utils import rng_utils
    from tensorflow.python.eager import context

    keras_steps = inspect.getsource(rng_utils.set_random_seed)
    for step in ("set_global_attribute(GLOBAL_RANDOM_SEED, seed)", "seed_generator.GLOBAL_SEED_GENERATOR, None",
                 "random.seed(seed)", "np.random.seed(seed)", "tf.random.set_seed(seed)"):
        assert step in keras_steps, f"keras.utils.set_random_seed ne fait plus « {step} »"
    tensorflow_steps = inspect.getsource(context.Context._set_global_seed)
    for step in ("self._seed = seed", "self._rng = random.Random(seed)", "TFE_ContextClearCaches"):
        assert step in tensorflow_steps, f"tf.random.set_seed ne fait plus « {step} »"


def _draws():
    """Tout ce qu'un client tire au hasard : Python, NumPy, Keras, tf.data, un fit mélangé, une graine d'opération."""
    from tensorflow.python.framework import random_seed

    layer = keras.layers.Dense(3)
    layer.build((None, 4))
    shuffled = [int(v) for v in tf.data.Dataset.range(20).shuffle(20)]
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, kernel_initializer="ones"),
                              keras.layers.Dropout(0.5), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.arange(80, dtype="float32").reshape(20, 4) / 80
    model.fit(x, x[:, :1], batch_size=4, epochs=2, shuffle=True, verbose=0)
    return {"python": random.random(), "numpy": np.random.random(), "keras": keras.random.normal((3,)).numpy().tolist(),
            "operation seed": random_seed.get_seed(None), "dense": layer.kernel.numpy().tolist(),
            "tf.data": shuffled, "fit": [w.tolist() for w in model.get_weights()]}


def test_same_draws_as_keras_set_random_seed():
    from keras.src.utils import rng_utils

    keras.utils.set_random_seed(123)
    expected = _draws()
    keras.utils.set_random_seed(5)  # un autre état, pour que chaque graine oubliée se voie
    _draws()
    set_seeds_keeping_kernels(123)
    assert _draws() == expected
    assert rng_utils.get_random_seed() == 123


def test_the_kernel_cache_is_kept_so_an_eager_stateful_draw_goes_on():
    """La contrepartie, écrite dans la docstring du module : pas de tirage eager à état dans le code des clients."""
    def eager_draw():
        return float(tf.random.uniform([], seed=7))

    keras.utils.set_random_seed(1)
    first = eager_draw()
    keras.utils.set_random_seed(1)
    assert eager_draw() == first  # cache vidé : la suite recommence
    set_seeds_keeping_kernels(1)
    assert eager_draw() != first  # cache gardé : la suite continue
