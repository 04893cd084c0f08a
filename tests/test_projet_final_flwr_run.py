"""Le projet final lancé comme dans un terminal, avec `flwr run` : en simulation (`flwr run .` sur la SuperLink
locale de simulation) et en déploiement local (une SuperLink et trois SuperNodes, une par hôpital, chacune dans
son processus, sur des ports libres ; `flwr run . hopitaux --stream`). Tout doit s'arrêter à la fin, même après
une erreur.

Trois scénarios, lancés par la fixture : la simulation, puis les deux déploiements en même temps (chacun passe
l'essentiel de son temps à attendre : démarrage des processus, battements de cœur de Flower) ; chaque test
vérifie le sien :
- `flwr run .` en simulation, un tour ;
- déploiement avec TLS, un tour complet (entraînement et évaluation chez les trois hôpitaux : chaque message lance
  un processus `flwr-clientapp` qui importe TensorFlow ; un second tour ne teste rien de plus et coûtait six
  processus) ;
- déploiement sans TLS, un hôpital tué pendant son premier entraînement.
"""
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from flower_deployment import LocalDeployment, generate_certificates, port_open, processes_mentioning
from utils.data import load_medmnist
from utils.federated.flower_app import FlowerRunError, find_app, run_app_simulation

APP = find_app()
COMMON = {"local-epochs": 1, "data-source": "offline", "round-timeout": 300.0}  # CI lente : personne compté absent à tort


def _simulation(folder):
    workdir = folder / "flwr_home"
    results = run_app_simulation(APP, {**COMMON, "num-server-rounds": 1, "results-dir": str(folder / "resultats"),
                                       "run-name": "simulation"}, workdir=workdir, timeout=600)
    return {"results": results, "workdir": workdir}


def _one_round_with_tls(folder):
    certificates = generate_certificates(APP, folder / "certificates")
    deployment = LocalDeployment(APP, folder / "deploiement", num_hospitals=3, certificates=folder / "certificates")
    with deployment:
        results = deployment.run({**COMMON, "num-server-rounds": 1, "results-dir": str(folder / "resultats"),
                                  "run-name": "tls"}, timeout=600)
        ports_open_during_run = all(port_open(port) for port in deployment.ports.values())
    return {"deployment": deployment, "results": results, "certificates": certificates,
            "ports_open_during_run": ports_open_during_run}


def _one_hospital_killed(folder):
    deployment = LocalDeployment(APP, folder / "deploiement", num_hospitals=3)
    started = time.monotonic()

    def kill_when_training():  # l'hôpital 2 tombe pendant son premier entraînement
        log = deployment.logs / "supernode-2.log"
        while time.monotonic() - started < 400:
            if log.exists() and "Receiving: train message" in log.read_text(encoding="utf-8", errors="replace"):
                deployment.kill_hospital(2)
                return
            time.sleep(0.2)

    failure = None
    try:
        with deployment:
            threading.Thread(target=kill_when_training, daemon=True).start()
            deployment.run({**COMMON, "num-server-rounds": 3, "results-dir": str(folder / "resultats"),
                            "run-name": "panne", "wait-for-hospitals": 10.0}, timeout=600)
    except FlowerRunError as error:
        failure = error
    return {"deployment": deployment, "failure": failure, "seconds": time.monotonic() - started}


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory):
    load_medmnist("breastmnist", source="offline")  # généré une fois ici, pas par chaque hôpital
    # La simulation d'abord, seule : Ray démarre mal sur une machine saturée (« node timed out during startup »).
    simulation = _simulation(tmp_path_factory.mktemp("simulation"))
    with ThreadPoolExecutor(max_workers=2) as pool:
        tls = pool.submit(_one_round_with_tls, tmp_path_factory.mktemp("tls"))
        killed = pool.submit(_one_hospital_killed, tmp_path_factory.mktemp("panne"))
        return {"simulation": simulation, "tls": tls.result(), "killed": killed.result()}


def test_flwr_run_in_simulation_completes_and_leaves_no_superlink_behind(scenarios):
    outcome = scenarios["simulation"]
    results = outcome["results"]
    assert [row["round"] for row in results["rounds"]] == [1]
    assert {"train_loss", "evaluate_auc"} <= set(results["rounds"][0])
    assert results["model_path"].exists() and results["config"]["num-server-rounds"] == 1
    assert processes_mentioning(str(outcome["workdir"])) == []  # la SuperLink d'arrière-plan de `flwr run` est arrêtée


def test_three_hospitals_with_tls_run_a_round_and_everything_stops(scenarios):
    outcome = scenarios["tls"]
    assert {path.name for path in outcome["certificates"].values()} == {"ca.crt", "ca.key", "server.pem", "server.key"}
    assert outcome["ports_open_during_run"]
    results = outcome["results"]
    assert [row["round"] for row in results["rounds"]] == [1]
    assert all({"train_loss", "evaluate_loss", "evaluate_auc"} <= set(row) for row in results["rounds"])
    assert results["model_path"].exists() and results["config"]["num-server-rounds"] == 1
    deployment = outcome["deployment"]
    log = (deployment.logs / "flwr_run_tls.log").read_text(encoding="utf-8")
    assert log.count("entraînement : 3/3 hôpitaux ont répondu") == 1  # les trois hôpitaux
    assert deployment.leftovers() == {"processes": {}, "ports": {}}  # ni processus orphelin, ni port ouvert


def test_a_hospital_killed_mid_run_stops_the_run_with_a_clear_message(scenarios):
    outcome = scenarios["killed"]
    assert outcome["failure"] is not None, "le run aurait dû s'arrêter sans l'hôpital tombé"
    message = str(outcome["failure"])
    assert "Seulement 2 hôpital(aux) connecté(s)" in message and "le run s'arrête" in message
    deployment = outcome["deployment"]
    log = (deployment.logs / "flwr_run_panne.log").read_text(encoding="utf-8")
    assert "entraînement : 2/3 hôpitaux ont répondu" in log  # le tour en cours a fini sans l'hôpital tombé
    assert outcome["seconds"] < 400  # échec franc, pas d'attente sans fin
    assert deployment.leftovers() == {"processes": {}, "ports": {}}  # arrêt complet, même après l'échec
