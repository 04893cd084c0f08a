"""Banc d'essai du projet final : l'application Flower lancée de chacune de ses trois façons.

Usage (depuis la racine du dépôt, hors ligne : miroir de BreastMNIST) ::

    python -m benchmarks.flower_app --way in-process     # le mode FAST du notebook (run_app_in_process)
    python -m benchmarks.flower_app --way simulation     # `flwr run <app>` sur la SuperLink locale de simulation
    python -m benchmarks.flower_app --way deployment     # SuperLink + 3 SuperNodes, TLS, puis `flwr run`
    python -m benchmarks.flower_app --way deployment --insecure --rounds 5

Chaque appel fait un run complet (2 tours, 1 époque locale par défaut) dans un dossier temporaire et
affiche sa durée de bout en bout (démarrage des processus compris) et l'AUC de validation du dernier tour.
Pour une médiane, lancez-le plusieurs fois (`/usr/bin/time -v`, ou votre outil de mesure) : la durée dépend
de la machine et de sa charge. Les SuperNodes démarrent un processus `ClientApp` par message : c'est
l'import de TensorFlow, répété, qui domine la durée d'un déploiement.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from tests.flower_deployment import LocalDeployment, generate_certificates  # le déploiement automatisé des tests
from utils.data import load_medmnist
from utils.federated.flower_app import find_app, run_app_in_process, run_app_simulation


def run(way: str, rounds: int, epochs: int, tls: bool, workdir: Path) -> dict:
    app = find_app()
    overrides = {"num-server-rounds": rounds, "local-epochs": epochs, "data-source": "offline",
                 "results-dir": str(workdir / "resultats"), "run-name": way}
    if way == "in-process":
        return run_app_in_process(app, overrides)
    if way == "simulation":
        return run_app_simulation(app, overrides, workdir=workdir / "flwr_home")
    certificates = None
    if tls:
        certificates = workdir / "certificates"
        generate_certificates(app, certificates)
    with LocalDeployment(app, workdir / "deploiement", num_hospitals=3, certificates=certificates) as deployment:
        results = deployment.run(overrides)
    leftovers = deployment.leftovers()
    if leftovers != {"processes": {}, "ports": {}}:
        raise RuntimeError(f"processus ou ports restants : {leftovers}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--way", choices=("in-process", "simulation", "deployment"), required=True)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--insecure", action="store_true", help="déploiement sans TLS (par défaut : avec TLS)")
    args = parser.parse_args()
    load_medmnist("breastmnist", source="offline")  # le miroir, généré avant de chronométrer
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        results = run(args.way, args.rounds, args.epochs, not args.insecure, Path(folder))
        seconds = time.perf_counter() - start
    print(f"{args.way}{'' if args.way != 'deployment' else (' sans TLS' if args.insecure else ' avec TLS')} : "
          f"{args.rounds} tours en {seconds:.1f} s ; AUC de validation au dernier tour "
          f"{results['rounds'][-1]['evaluate_auc']:.3f}")


if __name__ == "__main__":
    main()
