"""Attaques et défenses de l'apprentissage fédéré (semaines 6 à 8 et projet final), rangées par sujet.

Tout ce qui est ici sert aux notebooks `semaine_6_a_8/01_attaques` et `02_defenses` et au banc d'essai
`benchmarks/robustness.py`. Les clients simulés restent des clients Flower : les attaques passent par les données
d'un hôpital (empoisonnement, porte dérobée) ou par un *mod* Flower du `ClientApp` (empoisonnement du modèle) ;
les défenses sont les stratégies et les mods de Flower eux-mêmes (`Krum`, `FedMedian`, `FedTrimmedAvg`, `Bulyan`,
`DifferentialPrivacyServerSideFixedClipping`, `LocalDpMod`, `secaggplus_mod`...). Rien ici ne recopie une
stratégie de Flower.

- `poisoning` (données piégées) : `flip_labels`, `add_trigger`, `poison_backdoor`, `backdoor_dataset`,
  `attack_success_rate`, `clean_accuracy`, `predict_labels` ;
- `model_poisoning` (empoisonnement du modèle) : `ModelPoisoningMod`, un mod Flower ;
- `task` (la tâche BreastMNIST à 28 px) : `load_breast_federation`, `model_factory`, `auc_score` ; son CNN est
  `utils.models.build_breast_cnn` ;
- `scenarios` (attaque × défense dans Flower) : `make_strategy`, `run_scenario`, `evaluate_weights`,
  `pretrained_weights`, `dp_training`, `update_norm` ;
- `membership` (inférence d'appartenance) : `example_losses`, `membership_inference` ;
- `inversion` (inversion de gradient DLG / iDLG) : `build_inversion_model`, `client_gradients`,
  `local_update_as_gradient`, `idlg_label`, `invert_gradients`, `image_similarity`, `noisy_gradients` ;
- `accounting` (comptabilité DP) : `dp_epsilon` (borne haute du comptable PRV, `prv-accountant`), et ce que ε
  borne : `gaussian_mu`, `max_attack_auc`, `max_true_positive_rate` ;
- `secagg` (agrégation sécurisée) : `run_secagg_demo` (un petit ServerApp `SecAggPlusWorkflow` de Flower).

`import utils.security as security` donne accès à tout, comme avant le découpage.
"""
from .. import runtime as _runtime  # noqa: F401  (à importer avant TensorFlow : le rend silencieux)
from ..models import build_breast_cnn
from .accounting import dp_epsilon, gaussian_mu, max_attack_auc, max_true_positive_rate
from .inversion import (best_match_similarity, build_inversion_model, client_gradients, idlg_label, image_similarity,
                        invert_gradients, local_update_as_gradient, noisy_gradients)
from .membership import example_losses, membership_inference
from .model_poisoning import ModelPoisoningMod
from .poisoning import (add_trigger, attack_success_rate, backdoor_dataset, clean_accuracy, flip_labels,
                        poison_backdoor, predict_labels)
from .scenarios import (ATTACKS, DEFENCES, attacked_clients, dp_training, evaluate_weights, make_strategy,
                        pretrained_weights, run_scenario, update_norm)
from .secagg import run_secagg_demo
from .task import auc_score, load_breast_federation, model_factory

__all__ = [
    "ATTACKS", "DEFENCES", "ModelPoisoningMod", "add_trigger", "attack_success_rate", "attacked_clients", "auc_score",
    "backdoor_dataset", "best_match_similarity", "build_breast_cnn", "build_inversion_model", "clean_accuracy",
    "client_gradients", "dp_epsilon", "dp_training", "evaluate_weights", "example_losses", "flip_labels",
    "gaussian_mu", "idlg_label", "image_similarity", "invert_gradients", "load_breast_federation",
    "local_update_as_gradient", "make_strategy", "max_attack_auc", "max_true_positive_rate", "membership_inference",
    "model_factory", "noisy_gradients", "poison_backdoor", "predict_labels", "pretrained_weights", "run_scenario",
    "run_secagg_demo", "update_norm",
]
