"""Le cœur fédéré du cours : découper les données entre hôpitaux, agréger, simuler avec Flower.

- découpages (une liste d'indices par client) : `partition_iid`, `partition_dirichlet`,
  `partition_by_site`, `partition_quantity_skew`, et `label_distribution` pour les décrire ;
- agrégation : `fedavg`, la moyenne pondérée écrite simplement ;
- simulation : `run_flower_simulation` (un modèle Keras, des clients, une stratégie de Flower ;
  crochets `local_train` pour l'entraînement local et `local_layers` pour FedBN) ; les clients tournent
  dans ce processus, ou dans le moteur Ray de Flower avec `engine="ray"` ;
- le code Flower à lire : `utils/federated/apps.py` (le `ClientApp` et le `ServerApp` que la simulation
  exécute, `fit_locally` et le pas de FedProx) ; l'intendance est ailleurs (`monitor.py` : progression
  et erreurs ; `clients.py` : le modèle de chaque client ; `model_reuse.py` : un modèle Keras repris d'une
  simulation à l'autre ; `flower_internals.py` : le seul module qui touche aux rouages internes de Flower) ;
- figures : `plot_label_distribution`, `plot_round_curves`.

L'import est léger : Flower et TensorFlow ne sont chargés qu'au lancement d'une simulation.
"""
from .aggregation import fedavg, weights_nbytes
from .partition import (label_distribution, partition_by_site, partition_dirichlet, partition_iid,
                        partition_quantity_skew)
from .plots import plot_label_distribution, plot_round_curves
from .simulation import GLOBAL, FederatedClientError, run_flower_simulation

__all__ = [
    "GLOBAL",
    "FederatedClientError",
    "fedavg",
    "label_distribution",
    "partition_by_site",
    "partition_dirichlet",
    "partition_iid",
    "partition_quantity_skew",
    "plot_label_distribution",
    "plot_round_curves",
    "run_flower_simulation",
    "weights_nbytes",
]
