"""Le projet final lancé comme dans un terminal : `flwr run .` sur la SuperLink locale de simulation de Flower."""
from pathlib import Path

from utils.data import load_medmnist
from utils.federated.flower_app import find_app, run_app_simulation


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def test_flwr_run_in_simulation_completes_and_leaves_no_superlink_behind(tmp_path):
    load_medmnist("breastmnist", source="offline")  # le miroir, généré ici une fois plutôt que par chaque hôpital
    workdir = tmp_path / "flwr_home"
    results = run_app_simulation(find_app(), {"num-server-rounds": 1, "local-epochs": 1, "data-source": "offline",
                                              "results-dir": str(tmp_path / "resultats"), "run-name": "simulation"},
                                 workdir=workdir, timeout=400)
    assert [row["round"] for row in results["rounds"]] == [1]
    assert {"train_loss", "evaluate_auc"} <= set(results["rounds"][0])
    assert results["model_path"].exists() and results["config"]["num-server-rounds"] == 1
    assert _processes_mentioning(str(workdir)) == []  # la SuperLink d'arrière-plan de `flwr run` est arrêtée
