"""Le déploiement local de l'application Flower du projet final, automatisé pour les tests et le banc d'essai.

Hors du paquet du cours (`utils`), que les apprenants installent : un apprenant lance ce déploiement dans
des terminaux, comme le dit le README de l'application. Ici, tout est automatisé :
- `LocalDeployment` : une SuperLink et une SuperNode par hôpital, chacune dans son processus, sur des ports
  libres de cette machine, avec ou sans TLS, puis `flwr run <app> hopitaux --stream` ; tous les processus
  sont arrêtés à la sortie du bloc `with`, même après une erreur ;
- `generate_certificates` : les certificats TLS, par le script de l'application ;
- `port_open`, `processes_mentioning` : de quoi vérifier qu'il ne reste rien après un run.

Utilisé par `tests/test_projet_final_flwr_run.py` et par `benchmarks/flower_app.py`.
"""
from __future__ import annotations

import signal
import subprocess
import socket
import time
from contextlib import closing
from pathlib import Path

from utils.federated.flower_app import (FlowerRunError, _kill_group, _processes, app_run_config, finished_run,
                                        flower_command, flower_environment, free_port, group_members, run_flwr,
                                        stop_process_group, tail)

def generate_certificates(app_dir: str | Path, folder: str | Path) -> dict:
    """Les certificats TLS d'un déploiement, par le script de l'application (`certificates/generate_certificates.py`)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate_certificates",
                                                  Path(app_dir) / "certificates" / "generate_certificates.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate(Path(folder))




def port_open(port: int) -> bool:
    """Vrai si un processus écoute sur 127.0.0.1:`port`."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_for_port(port: int, process: subprocess.Popen, name: str, log: Path, timeout: float = 60) -> None:
    """Attend que `process` écoute sur `port` ; erreur claire s'il meurt ou tarde."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise FlowerRunError(f"{name} s'est arrêté au démarrage (code {process.returncode}).\n{tail(log)}")
        if port_open(port):
            return
        time.sleep(0.2)
    raise FlowerRunError(f"{name} n'écoute toujours pas sur le port {port} après {timeout:.0f} s.\n{tail(log)}")




def processes_mentioning(text: str) -> list[int]:
    """Les processus dont la ligne de commande contient `text` (un dossier, un port...)."""
    return [pid for pid, _, _, argv in _processes() if text.encode() in b"\0".join(argv)]




# ============================================================================ le déploiement local
class LocalDeployment:
    """Une SuperLink et `num_hospitals` SuperNodes sur cette machine, chacune dans son processus.

    Exemple ::

        with LocalDeployment(app_dir, workdir, num_hospitals=3, certificates=None) as deployment:
            results = deployment.run({"num-server-rounds": 2, "run-name": "essai", ...})

    `certificates` : None (sans TLS, `--insecure`) ou le dossier de `generate_certificates.py`
    (`ca.crt`, `server.pem`, `server.key`). Chaque processus a son journal dans `workdir/logs/`.
    """

    def __init__(self, app_dir: str | Path, workdir: str | Path, *, num_hospitals: int = 3,
                 certificates: str | Path | None = None, startup_timeout: float = 60):
        self.app_dir = Path(app_dir)
        self.workdir = Path(workdir)
        self.num_hospitals = num_hospitals
        self.certificates = Path(certificates) if certificates else None
        self.startup_timeout = startup_timeout
        self.processes: dict[str, subprocess.Popen] = {}
        self.ports: dict[str, int] = {}
        self.logs = self.workdir / "logs"
        self.env = flower_environment(self.workdir)

    # ----------------------------------------------------------------- démarrage
    def __enter__(self) -> "LocalDeployment":
        self.logs.mkdir(parents=True, exist_ok=True)
        try:
            self._start_superlink()
            for hospital in range(self.num_hospitals):
                self._start_supernode(hospital)
            self._write_connection()
        except BaseException:
            self.stop()
            raise
        return self

    def _tls_arguments(self, role: str) -> list[str]:
        if self.certificates is None:
            return ["--insecure"]  # en clair : pour un premier essai sur sa machine seulement
        if role == "superlink":
            return ["--ssl-ca-certfile", str(self.certificates / "ca.crt"),
                    "--ssl-certfile", str(self.certificates / "server.pem"),
                    "--ssl-keyfile", str(self.certificates / "server.key")]
        return ["--root-certificates", str(self.certificates / "ca.crt")]

    def _spawn(self, name: str, command: list[str], port: int) -> None:
        log = self.logs / f"{name}.log"
        with open(log, "w", encoding="utf-8") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=self.env,
                                       cwd=self.workdir, start_new_session=True)
        self.processes[name], self.ports[name] = process, port
        wait_for_port(port, process, name, log, self.startup_timeout)

    def _start_superlink(self) -> None:
        port = free_port()
        self._spawn("superlink", [flower_command("flower-superlink"), *self._tls_arguments("superlink"),
                                  "--port", str(port), "--database", str(self.workdir / "state.db"),
                                  "--disable-runtime-dependency-installation"], port)

    def _start_supernode(self, hospital: int) -> None:
        port = free_port()  # l'API de la SuperNode pour son ClientApp (un port par hôpital)
        self._spawn(f"supernode-{hospital}", [
            flower_command("flower-supernode"), *self._tls_arguments("supernode"),
            "--superlink", f"127.0.0.1:{self.ports['superlink']}", "--port", str(port),
            "--node-config", f"partition-id={hospital} num-partitions={self.num_hospitals}"], port)

    def _write_connection(self) -> None:
        """La connexion « hopitaux » dans `FLWR_HOME/config.toml`, que `flwr run . hopitaux` utilise."""
        security = (f'root-certificates = "{self.certificates / "ca.crt"}"' if self.certificates
                    else "insecure = true")
        (self.workdir / "config.toml").write_text(
            '[superlink]\ndefault = "hopitaux"\n\n[superlink.hopitaux]\n'
            f'address = "127.0.0.1:{self.ports["superlink"]}"\n{security}\n', encoding="utf-8")

    # ----------------------------------------------------------------- run
    def run(self, overrides: dict, *, timeout: float = 600) -> dict:
        """`flwr run <app> hopitaux --stream` ; renvoie `read_results`, ou `FlowerRunError` avec la fin du journal."""
        config = app_run_config(self.app_dir, overrides)
        log = self.logs / f"flwr_run_{config.get('run-name') or 'run'}.log"
        completed = run_flwr(self.app_dir, "hopitaux", overrides, env=self.env, log=log, timeout=timeout)
        return finished_run(completed, config, log,
                            context=f"\n--- SuperLink ---\n{tail(self.logs / 'superlink.log', 15)}")

    def kill_hospital(self, hospital: int) -> None:
        """Arrête brutalement la SuperNode d'un hôpital (panne, coupure réseau) : SIGKILL de tout son groupe."""
        process = self.processes[f"supernode-{hospital}"]
        _kill_group(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    # ----------------------------------------------------------------- arrêt
    def stop(self) -> None:
        """Arrête les SuperNodes puis la SuperLink, avec leurs enfants (ClientApp, ServerApp)."""
        for name in sorted(self.processes, key=lambda n: n == "superlink"):  # la SuperLink en dernier
            stop_process_group(self.processes[name])

    def leftovers(self) -> dict:
        """Ce qui reste après `stop` : processus vivants (par groupe) et ports encore ouverts. Vide si tout est propre."""
        members = {name: group_members(process.pid) for name, process in self.processes.items()}
        alive = {name: pids for name, pids in members.items() if pids}
        ports = {name: port for name, port in self.ports.items() if port_open(port)}
        return {"processes": alive, "ports": ports}

    def __exit__(self, *exc) -> None:
        self.stop()
