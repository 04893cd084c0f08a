"""Outils partagés du cours « Apprentissage fédéré et IA en santé ».

Modules : `runtime` (mode FAST/complet, graines), `data` (sources de données et miroirs hors ligne),
`preprocessing`, `models`, `evaluation`, `plots`, `federated` (partitions, FedAvg, simulations Flower),
`privacy` (dé-identification, k-anonymat, confidentialité différentielle), `checks` (vérification des
exercices) et `notebooks` (outillage des notebooks).
"""
__version__ = "0.1.0"
