"""Ce module touche aux rouages internes de TensorFlow et de Keras : c'est le seul ; `tests/test_tensorflow_internals.py` échoue s'ils changent.

Pourquoi : chaque client d'une simulation fixe sa graine à chaque message (`clients.ClientLoader`), pour que son
entraînement ne dépende que de (graine, tour, client), quel que soit l'ordre où Flower sert les clients.
`keras.utils.set_random_seed` le ferait, mais `tf.random.set_seed` vide au passage le cache des noyaux de TensorFlow :
chaque `fit` qui suit réinstancie alors ses fonctions, 0,2 à 0,45 s de calcul par message sur 2 cœurs, soit
plusieurs dizaines de secondes par notebook fédéré. `set_seeds_keeping_kernels` fixe les mêmes graines sans vider
ce cache.

Ce qu'on suppose (vérifié par le test de contrat) :
- `keras.utils.set_random_seed(seed)` fait exactement : l'attribut global `GLOBAL_RANDOM_SEED` de Keras, l'oubli du
  `SeedGenerator` global de Keras, `random.seed`, `np.random.seed`, puis `tf.random.set_seed` ;
- en mode eager, `tf.random.set_seed` appelle `context._set_global_seed`, qui fixe `_seed` et `_rng` du contexte
  puis vide le cache des noyaux.

La contrepartie : un noyau aléatoire **à état** exécuté en eager (`tf.random.uniform` hors d'une `tf.function`, avec
la graine globale) poursuit sa suite au lieu de la recommencer. Le code des clients n'en utilise donc pas : le mélange
de FedProx est tiré de NumPy (`apps.fit_proximal`) ; Keras tire ses nombres avec des opérations sans état.
"""
from __future__ import annotations

import random

import numpy as np


def set_seeds_keeping_kernels(seed: int) -> None:
    """Les graines de `keras.utils.set_random_seed(seed)` (Python, NumPy, Keras, TensorFlow), cache des noyaux gardé."""
    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator
    from keras.src.utils import rng_utils
    from tensorflow.python.eager import context

    seed = int(seed)
    global_state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, seed)
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    random.seed(seed)
    np.random.seed(seed)
    eager = context.context()
    eager._seed = seed  # ce que fait `context._set_global_seed`, sans `TFE_ContextClearCaches`
    eager._rng = random.Random(seed)
