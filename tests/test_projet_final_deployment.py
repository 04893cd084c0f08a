"""Le projet final en déploiement local : une SuperLink et trois SuperNodes (une par hôpital), chacune dans son
processus, sur des ports libres ; `flwr run . hopitaux --stream`. Tout doit s'arrêter à la fin, même après une erreur."""
import importlib.util
import threading
import time

import pytest

from utils.data import load_medmnist
from utils.federated.flower_app import FlowerRunError, LocalDeployment, find_app, port_open

APP = find_app()


def _generate_certificates(folder):
    spec = importlib.util.spec_from_file_location("generate_certificates",
                                                  APP / "certificates" / "generate_certificates.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate(folder)


@pytest.fixture(scope="module", autouse=True)
def mirror():
    load_medmnist("breastmnist", source="offline")  # généré une fois ici, pas par trois hôpitaux à la fois


def test_three_hospitals_with_tls_run_two_rounds_and_everything_stops(tmp_path):
    certificates = _generate_certificates(tmp_path / "certificates")
    assert {path.name for path in certificates.values()} == {"ca.crt", "ca.key", "server.pem", "server.key"}
    deployment = LocalDeployment(APP, tmp_path / "deploiement", num_hospitals=3, certificates=tmp_path / "certificates")
    with deployment:
        results = deployment.run({"num-server-rounds": 2, "local-epochs": 1, "data-source": "offline",
                                  "results-dir": str(tmp_path / "resultats"), "run-name": "tls"}, timeout=500)
        assert all(port_open(port) for port in deployment.ports.values())
    assert [row["round"] for row in results["rounds"]] == [1, 2]
    assert all({"train_loss", "evaluate_loss", "evaluate_auc"} <= set(row) for row in results["rounds"])
    assert results["model_path"].exists()
    log = (deployment.logs / "flwr_run_tls.log").read_text(encoding="utf-8")
    assert log.count("entraînement : 3/3 hôpitaux ont répondu") == 2  # les trois hôpitaux, à chaque tour
    assert deployment.leftovers() == {"processes": {}, "ports": {}}  # ni processus orphelin, ni port ouvert


def test_a_hospital_killed_mid_run_stops_the_run_with_a_clear_message(tmp_path):
    deployment = LocalDeployment(APP, tmp_path / "deploiement", num_hospitals=3)
    started = time.monotonic()

    def kill_when_training():  # l'hôpital 2 tombe pendant son premier entraînement
        log = deployment.logs / "supernode-2.log"
        while time.monotonic() - started < 300:
            if "Receiving: train message" in log.read_text(encoding="utf-8", errors="replace"):
                deployment.kill_hospital(2)
                return
            time.sleep(0.2)

    with pytest.raises(FlowerRunError) as failure:
        with deployment:
            threading.Thread(target=kill_when_training, daemon=True).start()
            deployment.run({"num-server-rounds": 3, "local-epochs": 1, "data-source": "offline",
                            "results-dir": str(tmp_path / "resultats"), "run-name": "panne",
                            "wait-for-hospitals": 10.0}, timeout=400)
    message = str(failure.value)
    assert "Seulement 2 hôpital(aux) connecté(s)" in message and "le run s'arrête" in message
    log = (deployment.logs / "flwr_run_panne.log").read_text(encoding="utf-8")
    assert "entraînement : 2/3 hôpitaux ont répondu" in log  # le tour en cours a fini sans l'hôpital tombé
    assert time.monotonic() - started < 300  # échec franc, pas d'attente sans fin
    assert deployment.leftovers() == {"processes": {}, "ports": {}}  # arrêt complet, même après l'échec
