"""Lancer l'application Flower du projet final (`semaine_6_a_8/projet_final`) : trois façons.

- `run_app_in_process` : le `ServerApp` et le `ClientApp` de l'application, exécutés dans ce processus
  par le moteur de simulation de Flower (hôpitaux simulés sans Ray) : le mode FAST du notebook ;
- `run_app_simulation` : la vraie commande `flwr run <app>` sur une SuperLink locale de simulation
  (`:local:`), comme dans un terminal ; la SuperLink que Flower laisse tourner en arrière-plan est arrêtée ;
- le déploiement local (une SuperLink et une SuperNode par hôpital, chacune dans son processus) se lance
  dans un terminal, comme le dit le README de l'application ; les tests et le banc d'essai l'automatisent
  (`tests/flower_deployment.py`, hors du paquet du cours).

Les deux lisent la configuration du run de `pyproject.toml`, complétée par `overrides`, et l'application
écrit ses résultats dans `results-dir/run-name/` (`config.json`, `metrics.json`, `model.keras`).
"""
from __future__ import annotations

import copy
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
from contextlib import closing
from pathlib import Path

# Ce que Flower fait par défaut et qu'un cours hors ligne ne veut pas : télémétrie, recherche de mise à
# jour, installation des dépendances de l'application à chaque run (`uv sync` dans un nouvel
# environnement : TensorFlow retéléchargé). Tout est déjà installé dans l'environnement du cours.
QUIET_FLOWER = {"FLWR_TELEMETRY_ENABLED": "0", "FLWR_DISABLE_UPDATE_CHECK": "1",
                "FLWR_DISABLE_RUNTIME_DEPENDENCY_INSTALLATION": "1"}


class FlowerRunError(RuntimeError):
    """Un run de l'application Flower a échoué, ou n'a pas fini à temps ; le message cite la fin du journal."""


APP_IN_REPOSITORY = Path("semaine_6_a_8") / "projet_final"


# ============================================================================ où est l'application
def find_app(repository_url: str | None = None, destination: str | Path | None = None) -> Path:
    """Le dossier de l'application Flower du projet final.

    Dans le dépôt du cours (installation locale, CI) : `semaine_6_a_8/projet_final`. Dans Colab, le paquet
    du cours est installé sans les notebooks ni l'application : on clone alors le dépôt (`repository_url`,
    par exemple « https://github.com/<propriétaire>/<dépôt>.git ») dans `destination`.
    """
    here = Path(__file__).resolve().parents[2] / APP_IN_REPOSITORY
    if (here / "pyproject.toml").exists():
        return here
    if repository_url is None:
        raise FileNotFoundError(f"Application introuvable ({here}) : donnez l'adresse du dépôt du cours "
                                "(`repository_url`) pour la cloner.")
    destination = Path(destination or Path.cwd() / "cours-fl-sante")
    if not (destination / APP_IN_REPOSITORY / "pyproject.toml").exists():
        print(f"Clonage du dépôt du cours dans {destination} (pour son dossier {APP_IN_REPOSITORY})...")
        completed = subprocess.run(["git", "clone", "--depth", "1", repository_url.removeprefix("git+"),
                                    str(destination)], capture_output=True, text=True)
        if completed.returncode != 0:
            raise FlowerRunError(f"Clonage impossible ({repository_url}) : {completed.stderr.strip()[-500:]}")
    return destination / APP_IN_REPOSITORY


# ============================================================================ configuration du run
def app_run_config(app_dir: str | Path, overrides: dict | None = None) -> dict:
    """La configuration du run : `[tool.flwr.app.config]` de `pyproject.toml`, remplacée par `overrides`."""
    with open(Path(app_dir) / "pyproject.toml", "rb") as file:
        config = dict(tomllib.load(file)["tool"]["flwr"]["app"]["config"])
    unknown = sorted(set(overrides or {}) - set(config))
    if unknown:
        raise KeyError(f"clés inconnues de la configuration du run : {', '.join(unknown)} ; "
                       f"clés possibles : {', '.join(sorted(config))}.")
    config.update(overrides or {})
    return config


def toml_overrides(overrides: dict) -> str:
    """`--run-config` de `flwr run` : `clé=valeur` séparés par des espaces, valeurs écrites en TOML."""
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return json.dumps(v)  # une chaîne TOML entre guillemets
        return repr(v)
    return " ".join(f"{key}={value(v)}" for key, v in overrides.items())


def read_results(folder: str | Path) -> dict:
    """Les résultats d'un run : `config` (dict), `rounds` (une ligne par tour), `seconds`, `model_path`."""
    folder = Path(folder)
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    return {"config": json.loads((folder / "config.json").read_text(encoding="utf-8")),
            "rounds": metrics["rounds"], "seconds": metrics["seconds"], "model_path": folder / "model.keras",
            "folder": folder}


def _results_folder(config: dict) -> Path:
    if not config.get("run-name"):
        raise ValueError("donnez un `run-name` : c'est le nom du dossier de résultats à relire.")
    return Path(str(config["results-dir"])).expanduser() / str(config["run-name"])


# ============================================================================ 1. dans ce processus
def run_app_in_process(app_dir: str | Path, overrides: dict, *, num_hospitals: int | None = None) -> dict:
    """Exécute l'application dans ce processus (simulation de Flower sans Ray) ; renvoie `read_results`.

    Le `ServerApp` et le `ClientApp` sont ceux de `pyproject.toml`, importés tels quels ; seule la
    configuration du run leur est donnée ici, comme `flwr run` le ferait.
    """
    from flwr.app import Context
    from flwr.clientapp import ClientApp
    from flwr.serverapp import ServerApp
    from flwr.simulation import run_simulation

    from .flower_internals import in_process_backend, quiet

    config = app_run_config(app_dir, overrides)
    server_app, client_app = _load_components(app_dir)
    num_hospitals = int(num_hospitals or config["num-hospitals"])

    def with_run_config(context: Context) -> Context:
        """Le même contexte, avec la configuration du run que `flwr run` y aurait mise."""
        return Context(run_id=context.run_id, node_id=context.node_id, node_config=context.node_config,
                       state=context.state, run_config=dict(config))

    server = ServerApp()
    client = ClientApp()

    @server.main()
    def main(grid, context):
        server_app(grid, with_run_config(context))

    @client.train()
    def train(msg, context):
        # Dans ce processus, les hôpitaux reçoivent le même objet message, que `secaggplus_mod` modifie :
        # chacun travaille sur sa copie, comme après un vrai passage par le réseau.
        msg.content = copy.deepcopy(msg.content)
        return client_app(msg, with_run_config(context))

    @client.evaluate()
    def evaluate(msg, context):
        return client_app(msg, with_run_config(context))

    # Ici, un modèle neuf par message dans un même processus : TensorFlow retrace ses fonctions et le signale.
    # C'est attendu (dans un déploiement, chaque message a son processus) : on ne garde que ses erreurs.
    tf_logger = logging.getLogger("tensorflow")
    level = tf_logger.level
    tf_logger.setLevel(logging.ERROR)
    try:
        with quiet(), in_process_backend():
            run_simulation(server_app=server, client_app=client, num_supernodes=num_hospitals)
    finally:
        tf_logger.setLevel(level)
    return read_results(_results_folder(config))


def _load_components(app_dir: str | Path):
    """Le `ServerApp` et le `ClientApp` nommés dans `[tool.flwr.app.components]` (importés depuis `app_dir`)."""
    import importlib

    with open(Path(app_dir) / "pyproject.toml", "rb") as file:
        components = tomllib.load(file)["tool"]["flwr"]["app"]["components"]
    if str(Path(app_dir).resolve()) not in sys.path:
        sys.path.insert(0, str(Path(app_dir).resolve()))  # ce que fait Flower avec le dossier de l'application
    loaded = []
    for key in ("serverapp", "clientapp"):
        module, attribute = components[key].split(":")
        loaded.append(getattr(importlib.import_module(module), attribute))
    return loaded


# ============================================================================ processus et ports
def free_port() -> int:
    """Un port TCP libre de cette machine (choisi par le système)."""
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: Path, lines: int = 25) -> str:
    """Les dernières lignes d'un journal (pour les messages d'erreur), précédées de ses lignes d'exception."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "(pas de journal)"
    causes = list(dict.fromkeys(line for line in text if re.match(r"^\w*(Error|Exception)\b.*: ", line)))
    return "\n".join([*(f"cause : {line}" for line in causes[:5]), *text[-lines:]])


def stop_process_group(process: subprocess.Popen, grace: float = 10.0) -> None:
    """Arrête `process` et ses enfants (démarrés dans leur propre groupe) : SIGTERM, puis SIGKILL."""
    if process.poll() is not None:
        _kill_group(process.pid, signal.SIGKILL)  # des enfants ont pu survivre au parent
        return
    _kill_group(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    _kill_group(process.pid, signal.SIGKILL)
    process.wait(timeout=grace)


def _kill_group(pgid: int, sig) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _processes():
    """Les processus de cette machine, lus dans /proc (Linux) : (pid, état, groupe, ligne de commande en octets)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # parti entre-temps
        yield int(entry.name), fields[0], int(fields[2]), argv  # fields[0] : état (Z = zombie, déjà mort)


def group_members(pgid: int) -> list[int]:
    """Les processus encore vivants du groupe `pgid`."""
    return [pid for pid, state, group, _ in _processes() if group == pgid and state != "Z"]


def flower_environment(flwr_home: Path, extra: dict | None = None) -> dict:
    """Les variables d'environnement des commandes Flower : `FLWR_HOME` à part, `QUIET_FLOWER`, et `PATH`.

    Le dossier des exécutables de ce Python passe en tête de `PATH` : `flwr run` démarre lui-même
    `flower-superlink`, et un noyau Jupyter (JupyterLab, VS Code) tourne souvent dans un environnement
    virtuel qui n'est pas « activé » ; sans cela, `flower-superlink` serait introuvable.
    """
    env = {**os.environ, **QUIET_FLOWER, "FLWR_HOME": str(flwr_home), **(extra or {})}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["PYTHONUNBUFFERED"] = "1"
    return env


def flower_command(name: str) -> str:
    """Le chemin d'une commande de Flower (`flwr`, `flower-superlink`...), à côté de `sys.executable`.

    C'est là que pip installe les commandes du paquet `flwr` de ce Python (environnement virtuel activé ou
    non) ; à défaut, on la cherche dans `PATH`. Introuvable : `FlowerRunError`, qui dit quoi installer.
    """
    candidate = Path(sys.executable).parent / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found:
        return found
    raise FlowerRunError(
        f"Commande « {name} » introuvable : ni à côté de ce Python ({Path(sys.executable).parent}), ni dans le PATH. "
        "Les commandes de Flower (flwr, flower-superlink, flower-supernode) sont installées avec le paquet flwr, "
        f"dans le même environnement que Python. Installez-le pour ce noyau : {sys.executable} -m pip install "
        "\"flwr[simulation]==1.41.0\", puis redémarrez le noyau.")


def run_flwr(app_dir: str | Path, connection: str | None, overrides: dict, *, env: dict, log: Path,
             timeout: float) -> subprocess.CompletedProcess:
    """`flwr run <app_dir> [connection] --stream --run-config ...`, journal dans `log`, au plus `timeout` s."""
    command = [flower_command("flwr"), "run", str(app_dir), *([connection] if connection else []), "--stream",
               "--run-config", toml_overrides(overrides)]
    with open(log, "w", encoding="utf-8") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop_process_group(process)
            raise FlowerRunError(f"`flwr run` n'a pas fini en {timeout:.0f} s : arrêté.\n{tail(log)}") from None
        finally:
            stop_process_group(process)
    return subprocess.CompletedProcess(command, process.returncode)


# ============================================================================ 2. `flwr run .` en simulation
def run_app_simulation(app_dir: str | Path, overrides: dict, *, workdir: str | Path, timeout: float = 600) -> dict:
    """`flwr run <app_dir>` sur la SuperLink locale de simulation (`:local:`), puis l'arrête ; renvoie `read_results`.

    `workdir` : un dossier à soi, qui devient `FLWR_HOME` (connexions, applications installées, journaux).
    La connexion « simulation » y est écrite : `num-hospitals` SuperNodes simulées, qui passent à tour de rôle
    dans un seul processus Ray (il réserve tous les cœurs) : sur 2 cœurs (Colab, CI), c'est plus rapide que
    trois processus qui importent chacun TensorFlow.
    """
    config = app_run_config(app_dir, overrides)
    flower_command("flower-superlink")  # `flwr run` la démarre : introuvable, on le dit tout de suite, en français
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    (workdir / "config.toml").write_text(
        '[superlink]\ndefault = "simulation"\n\n[superlink.simulation]\naddress = ":local:"\n'
        f"options.num-supernodes = {int(config['num-hospitals'])}\n"
        f"options.backend.init-args.num-cpus = {cores}\noptions.backend.client-resources.num-cpus = {cores}\n",
        encoding="utf-8")
    env = flower_environment(workdir, {"FLWR_LOCAL_SUPERLINK_HTTP_API_PORT": str(port),
                                       "FLWR_LOCAL_CONTROL_API_PORT": str(port)})
    log = workdir / "flwr_run.log"
    try:
        start_local_superlink(port, workdir, env)
        completed = run_flwr(app_dir, None, overrides, env=env, log=log, timeout=timeout)
    finally:
        stop_local_superlink(port)
    return finished_run(completed, config, log)


def _superlink_ready(port: int) -> bool:
    """Vrai si la SuperLink locale répond sur http://127.0.0.1:`port`/health (la sonde de `flwr run`)."""
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=0.5) as response:
            return response.status == 200
    except OSError:
        return False


def start_local_superlink(port: int, flwr_home: Path, env: dict, timeout: float = 180) -> None:
    """La SuperLink locale de simulation que `flwr run` démarrerait lui-même, avec `timeout` s pour démarrer.

    `flwr run` (adresse `:local:`) ne lui laisse que 15 s, puis l'arrête ; sur une machine chargée (Colab gratuit,
    CI), démarrer Flower peut prendre plus. Déjà prête sur ce port, `flwr run` l'utilise telle quelle. Mêmes
    options que celles de `flwr run` (voir `flower-superlink --help`) ; journal dans `flwr_home/local-superlink/`.
    """
    folder = Path(flwr_home) / "local-superlink"
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "superlink.log"
    command = [flower_command("flower-superlink"), "--insecure", "--simulation", "--isolation", "subprocess",
               "--host", "127.0.0.1", "--port", str(port), "--database", str(folder / "state.db"),
               "--log-file", str(log)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise FlowerRunError(f"La SuperLink locale s'est arrêtée au démarrage (code {process.returncode}).\n{tail(log)}")
        if _superlink_ready(port):
            return
        time.sleep(0.3)
    stop_process_group(process)
    raise FlowerRunError(f"La SuperLink locale ne répond toujours pas après {timeout:.0f} s : arrêtée.\n{tail(log)}")


def finished_run(completed: subprocess.CompletedProcess, config: dict, log: Path, context: str = "") -> dict:
    """Les résultats d'un `flwr run` terminé ; `FlowerRunError` (fin du journal, puis `context`) s'il a échoué.

    `flwr run --stream` peut rendre 0 même quand le run échoue : on juge aussi sur les résultats écrits.
    """
    folder = _results_folder(config)
    if completed.returncode != 0 or not (folder / "metrics.json").exists():
        raise FlowerRunError(f"`flwr run` a échoué (code {completed.returncode}).\n{tail(log)}{context}")
    return read_results(folder)


def stop_local_superlink(port: int) -> None:
    """Arrête la SuperLink `--simulation` démarrée sur `port`, ses enfants, et les `flwr-simulation` qu'elle a lancés.

    Ces derniers tournent dans leur propre session (hors du groupe de la SuperLink) et ne mentionnent que
    son adresse (`--runtime-api-address 127.0.0.1:<port>`) : un run interrompu les laisserait sinon derrière lui.
    """
    address = f"127.0.0.1:{port}".encode()
    for pid, state, group, argv in _processes():
        if state == "Z":
            continue
        superlink = any(b"flower-superlink" in arg for arg in argv) and str(port).encode() in argv
        simulation = any(b"flwr-simulation" in arg for arg in argv) and address in argv
        if superlink or simulation:
            _kill_group(group, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while pid in group_members(group) and time.monotonic() < deadline:
                time.sleep(0.2)
            _kill_group(group, signal.SIGKILL)  # sans effet si tout le groupe est déjà parti
