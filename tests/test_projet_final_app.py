"""Le projet final : l'application Flower (`semaine_6_a_8/projet_final`) — disposition, stratégies, données,
DP à poids égaux, agrégation sécurisée, et une application qui se suffit à elle-même (mêmes modèle et pas de
FedProx que le cours, importable avec ses seules dépendances déclarées). Les runs passent par le moteur de
simulation de Flower dans ce processus."""
import re
import subprocess
import sys
import textwrap
import tomllib

import numpy as np
import pytest

from utils.data import load_medmnist
from utils.federated.flower_app import app_run_config, find_app, run_app_in_process, toml_overrides

APP = find_app()
sys.path.insert(0, str(APP))
load_medmnist("breastmnist", source="offline")  # le miroir, que l'application lit sans jamais l'écrire

from consortium import server_app, task  # noqa: E402


def test_the_app_has_flower_layout_and_every_consortium_choice_is_run_config():
    project = tomllib.loads((APP / "pyproject.toml").read_text(encoding="utf-8"))
    components = project["tool"]["flwr"]["app"]["components"]
    assert components == {"serverapp": "consortium.server_app:app", "clientapp": "consortium.client_app:app"}
    for module in ("client_app", "server_app", "task"):
        assert (APP / "consortium" / f"{module}.py").exists()
    config = project["tool"]["flwr"]["app"]["config"]
    for key in ("strategy", "num-server-rounds", "local-epochs", "differential-privacy", "secure-aggregation",
                "num-hospitals", "malicious-hospital", "results-dir"):
        assert key in config, key
    assert config["num-hospitals"] == 3
    assert (APP / "README.md").exists() and (APP / "docker" / "compose.yml").exists()


def test_every_strategy_name_builds_flower_s_own_strategy():
    from flwr.serverapp import strategy as flower

    base = app_run_config(APP)
    expected = {"fedavg": flower.FedAvg, "fedprox": flower.FedProx, "fedmedian": flower.FedMedian,
                "fedtrimmedavg": flower.FedTrimmedAvg, "krum": flower.Krum}
    assert set(expected) == set(server_app.STRATEGIES)
    for name, cls in expected.items():
        assert type(server_app.make_strategy({**base, "strategy": name})) is cls
    private = server_app.make_strategy({**base, "strategy": "fedprox", "differential-privacy": True})
    assert isinstance(private, flower.DifferentialPrivacyServerSideFixedClipping)
    assert private.noise_multiplier == base["dp-noise-multiplier"] and private.clipping_norm == base["dp-clipping-norm"]
    with pytest.raises(ValueError, match="robuste"):
        server_app.make_strategy({**base, "strategy": "krum", "differential-privacy": True})
    with pytest.raises(ValueError, match="stratégie inconnue"):
        server_app.make_strategy({**base, "strategy": "fedsgd"})


def test_run_config_overrides_are_checked_and_written_as_toml():
    with pytest.raises(KeyError, match="clés inconnues"):
        app_run_config(APP, {"num-rounds": 3})
    assert toml_overrides({"strategy": "fedprox", "secure-aggregation": True, "proximal-mu": 0.1,
                           "num-server-rounds": 2}) == \
        'strategy="fedprox" secure-aggregation=true proximal-mu=0.1 num-server-rounds=2'


def test_hospitals_split_train_and_validation_without_overlap_and_never_see_the_test():
    data = task.load_breastmnist("offline")
    proportions = task.hospital_proportions(3, alpha=1.0, seed=42)
    np.testing.assert_allclose(proportions.sum(axis=1), 1.0)
    for split, seed in (("train", 42), ("val", 43)):
        y = data[split][1]
        parts = [task.hospital_indices(y, proportions, h, seed) for h in range(3)]
        assert sum(len(p) for p in parts) == len(y)  # chaque exemple va à un hôpital...
        assert len(np.unique(np.concatenate(parts))) == len(y)  # ... et à un seul
    hospital = task.load_hospital_data(0, 3, source="offline")
    assert set(hospital) == {"x", "y", "x_val", "y_val"}  # le test commun n'est donné à personne
    assert set(np.unique(hospital["y"])) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="partition-id"):
        task.load_hospital_data(3, 3, source="offline")


def test_a_fresh_process_model_forgets_the_previous_hospital_s_optimizer_state():
    data = task.load_hospital_data(1, 3, source="offline")
    weights = task.build_model().get_weights()
    first = task.fresh_model(weights, seed=7)
    task.train(first, data["x"], data["y"], epochs=1, batch_size=32)
    after_first = [w.copy() for w in first.get_weights()]
    second = task.fresh_model(weights, seed=7)  # même modèle du processus, remis à neuf
    assert second is first and int(second.optimizer.iterations.numpy()) == 0
    task.train(second, data["x"], data["y"], epochs=1, batch_size=32)
    for a, b in zip(after_first, second.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-6)  # même départ, même graine : même résultat


def test_flip_update_pushes_the_average_away_from_learning():
    global_weights = [np.zeros(3)]
    local = [np.array([1.0, -2.0, 0.5])]
    np.testing.assert_allclose(task.flip_update(global_weights, local, factor=5.0)[0], [-5.0, 10.0, -2.5])


def test_secure_aggregation_gives_the_fedavg_model_and_refuses_robust_strategies(tmp_path):
    common = {"num-server-rounds": 1, "local-epochs": 1, "data-source": "offline", "results-dir": str(tmp_path)}
    plain = run_app_in_process(APP, {**common, "run-name": "fedavg"})
    secure = run_app_in_process(APP, {**common, "run-name": "secagg", "secure-aggregation": True})
    assert [row["round"] for row in secure["rounds"]] == [1]
    assert abs(secure["rounds"][0]["evaluate_auc"] - plain["rounds"][0]["evaluate_auc"]) < 0.02
    import keras

    for a, b in zip(keras.models.load_model(plain["model_path"]).get_weights(),
                    keras.models.load_model(secure["model_path"]).get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-3)  # SecAgg+ : la même moyenne, à la quantification près
    assert secure["config"]["secure-aggregation"] is True
    with pytest.raises(ValueError, match="secure-aggregation"):
        run_app_in_process(APP, {**common, "run-name": "refus", "secure-aggregation": True, "strategy": "fedmedian"})


# ============================================================================ une application qui se suffit à elle-même
def test_the_app_model_is_the_course_s_week_1_cnn():
    import keras

    from utils.models import build_cnn

    keras.utils.set_random_seed(3)
    mine = task.build_model(learning_rate=1e-3)
    keras.utils.set_random_seed(3)
    course = build_cnn(input_shape=task.IMAGE_SHAPE, learning_rate=1e-3)
    assert [layer.get_config() | {"name": ""} for layer in mine.layers] == \
        [layer.get_config() | {"name": ""} for layer in course.layers]
    assert [layer.name for layer in mine.layers] == [layer.name for layer in course.layers]
    for a, b in zip(mine.get_weights(), course.get_weights()):
        np.testing.assert_array_equal(a, b)  # même graine : mêmes poids initiaux
    assert mine.loss == course.loss and type(mine.optimizer) is type(course.optimizer)


def test_the_app_fedprox_step_is_the_course_s():
    import keras

    from utils.federated.apps import fit_proximal as course_fit_proximal
    from utils.models import build_cnn

    data = task.load_hospital_data(0, 3, source="offline")
    x, y = data["x"][:64], data["y"][:64]
    results = []
    for build, fit in ((task.build_model, task.fit_proximal),
                       (lambda: build_cnn(input_shape=task.IMAGE_SHAPE), course_fit_proximal)):
        keras.utils.set_random_seed(5)
        model = build()
        model.set_weights([w + 0.01 for w in model.get_weights()])  # loin de rien de particulier
        metrics = fit(model, x, y, epochs=2, batch_size=16, mu=0.5)
        results.append((model.get_weights(), metrics))
    (mine, mine_metrics), (course, course_metrics) = results
    for a, b in zip(mine, course):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert mine_metrics["loss"] == pytest.approx(course_metrics["loss"], abs=1e-6)


def test_the_app_reads_breastmnist_and_checks_the_official_md5(tmp_path):
    from utils.data.medmnist import OFFICIAL_FILES

    assert task.BREASTMNIST_MD5 == OFFICIAL_FILES["breastmnist"]["md5"]
    assert task.BREASTMNIST_URL == OFFICIAL_FILES["breastmnist"]["url"]
    mirror = load_medmnist("breastmnist", source="offline")
    data = task.load_breastmnist("offline")
    assert "miroir" in data["source"]
    np.testing.assert_array_equal(data["val"][1], (mirror["val_labels"].ravel() == 0).astype(np.float32))
    # un fichier « officiel » dont la somme MD5 n'est pas l'officielle est refusé
    fake = tmp_path / "medmnist" / "breastmnist.npz"
    fake.parent.mkdir()
    fake.write_bytes(b"pas le fichier de MedMNIST")
    with pytest.raises(ValueError, match="somme MD5"):
        task.find_breastmnist("official", tmp_path)
    with pytest.raises(FileNotFoundError, match="ne télécharge rien"):
        task.find_breastmnist("offline", tmp_path / "vide")
    with pytest.raises(ValueError, match="data-source"):
        task.find_breastmnist("zenodo", tmp_path)


DECLARED_ONLY = textwrap.dedent("""
    # Un Python où seules les dépendances déclarées de l'application (et la bibliothèque standard) s'importent.
    import importlib.abc, importlib.metadata as metadata, re, sys, tomllib
    from packaging.requirements import Requirement

    app = sys.argv[1]
    declared = tomllib.load(open(app + "/pyproject.toml", "rb"))["project"]["dependencies"]
    allowed, todo = set(), [(Requirement(text), set()) for text in declared]
    while todo:  # la fermeture des dépendances déclarées, marqueurs et extras compris
        requirement, extras = todo.pop()
        name = re.sub(r"[-_.]+", "-", requirement.name).lower()
        key = (name, tuple(sorted(requirement.extras)))
        if key in allowed:
            continue
        allowed.add(key)
        try:
            requires = metadata.requires(requirement.name) or []
        except metadata.PackageNotFoundError:
            continue
        for text in requires:
            sub = Requirement(text)
            environments = [{"extra": extra} for extra in requirement.extras] or [{"extra": ""}]
            if sub.marker is None or any(sub.marker.evaluate(env) for env in environments):
                todo.append((sub, set()))
    distributions = {name for name, _ in allowed}
    modules = {module for module, owners in metadata.packages_distributions().items()
               if any(re.sub(r"[-_.]+", "-", owner).lower() in distributions for owner in owners)}

    class DeclaredOnly(importlib.abc.MetaPathFinder):
        def find_spec(self, fullname, path=None, target=None):
            top = fullname.split(".")[0]
            if top in sys.stdlib_module_names or top in modules or top == "consortium" or top.startswith("_"):
                return None
            raise ModuleNotFoundError(f"{fullname} : hors des dépendances déclarées", name=fullname)

    sys.path[:] = [p for p in sys.path if p not in ("", ".")]
    sys.path.insert(0, app)
    sys.meta_path.insert(0, DeclaredOnly())
    import consortium.task, consortium.client_app, consortium.server_app, consortium.secure_aggregation  # noqa
    for forbidden in ("utils", "cv2", "pandas", "sklearn"):
        assert forbidden not in sys.modules, forbidden
        try:
            __import__(forbidden)
        except ModuleNotFoundError:
            pass
        else:
            raise AssertionError(forbidden + " aurait dû être refusé")
    print("importée :", sorted(m for m in sys.modules if m.startswith("consortium")))
""")


def test_the_app_imports_with_only_its_declared_dependencies(tmp_path):
    """Un sous-processus où un crochet d'import refuse tout module hors de la bibliothèque standard et des
    paquets de la fermeture de `[project] dependencies` (Flower, TensorFlow et leurs dépendances) : ni
    `utils`, ni OpenCV, ni pandas. Un vrai environnement virtuel neuf demanderait de retélécharger TensorFlow."""
    project = tomllib.loads((APP / "pyproject.toml").read_text(encoding="utf-8"))
    assert all(not dep.startswith("cours-fl-sante") for dep in project["project"]["dependencies"])
    assert {dep.split("[")[0].split("=")[0].split(">")[0] for dep in project["project"]["dependencies"]} == \
        {"flwr", "tensorflow"}
    for module in (APP / "consortium").glob("*.py"):
        assert not re.search(r"^\s*(from|import)\s+utils\b", module.read_text(encoding="utf-8"), re.M), module.name
    script = tmp_path / "declared_only.py"
    script.write_text(DECLARED_ONLY, encoding="utf-8")
    completed = subprocess.run([sys.executable, str(script), str(APP)], cwd=tmp_path, capture_output=True,
                               text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "consortium.server_app" in completed.stdout


# ============================================================================ la DP de l'application
@pytest.fixture
def message_identity(monkeypatch):
    """Flower 1.41 ne crée un `Message` que dans un processus qui a une identité de tâche : on lui en donne une."""
    from flwr.supercore.task_identity import TaskIdentity

    for name in ("_run_id", "_node_id", "_task_id"):
        monkeypatch.setattr(TaskIdentity, name, 1)


def _reply(value, num_examples):
    from flwr.app import ArrayRecord, Message, MessageType, MetricRecord, RecordDict

    content = RecordDict({"arrays": ArrayRecord([np.full(3, value, dtype=np.float32)]),
                          "metrics": MetricRecord({"num-examples": num_examples, "loss": value})})
    return Message(content=content, dst_node_id=1, message_type=MessageType.TRAIN)


def test_under_dp_every_hospital_weighs_the_same_and_an_incomplete_round_is_not_aggregated(message_identity, capsys):
    from flwr.app import ArrayRecord

    base = app_run_config(APP)
    for name in ("fedavg", "fedprox"):
        strategy = server_app.make_strategy({**base, "strategy": name, "differential-privacy": True,
                                             "dp-noise-multiplier": 0.0, "dp-clipping-norm": 100.0})
        assert isinstance(strategy, server_app.HospitalLevelDP)
        assert isinstance(strategy.strategy, server_app.EqualWeights)
        strategy.current_arrays = ArrayRecord([np.zeros(3, dtype=np.float32)])
        # num-examples très inégaux (déclarés par les hôpitaux) : la moyenne reste à poids égaux
        arrays, _ = strategy.aggregate_train(1, [_reply(0.1, 100), _reply(0.2, 10), _reply(0.6, 10)])
        np.testing.assert_allclose(arrays.to_numpy_ndarrays()[0], [0.3, 0.3, 0.3], atol=1e-6)
        assert strategy.aggregate_train(2, [_reply(0.1, 100), _reply(0.2, 10)]) == (None, None)
        assert "tour 2 non agrégé (2/3" in capsys.readouterr().out
    plain = server_app.make_strategy({**base, "strategy": "fedavg"})
    assert not isinstance(plain, server_app.EqualWeights)  # sans DP : FedAvg de Flower, pondéré par num-examples


def test_the_dp_noise_does_not_follow_the_public_seed_of_the_run(message_identity):
    """Le ServerApp fixe la graine publique du run (`seed`) ; le bruit de la DP ne doit pas s'en déduire."""
    import keras
    from flwr.app import ArrayRecord

    config = {**app_run_config(APP), "differential-privacy": True, "dp-noise-multiplier": 1.0,
              "dp-clipping-norm": 1.0}
    released = []
    for _ in range(2):  # deux runs qui partent de la même graine publique, comme `main`
        keras.utils.set_random_seed(int(config["seed"]))
        strategy = server_app.make_strategy(config)
        strategy.current_arrays = ArrayRecord([np.zeros(3, dtype=np.float32)])
        arrays, _ = strategy.aggregate_train(1, [_reply(0.1, 10), _reply(0.2, 10), _reply(0.3, 10)])
        released.append(arrays.to_numpy_ndarrays()[0])
    keras.utils.set_random_seed(int(config["seed"]))
    guessed = np.random.normal(0, 1.0 / 3, 3).astype(np.float32)  # le bruit qu'un hôpital recalculerait
    assert not np.allclose(released[0], released[1])
    assert not np.allclose(released[0] - guessed, 0.2, atol=1e-4)


# ============================================================================ README et Compose
def test_readme_and_compose_say_what_runs_where():
    import yaml

    readme = (APP / "README.md").read_text(encoding="utf-8")
    assert "[superlink.consortium]" in readme  # la connexion de `flwr run . consortium`
    for path in re.findall(r"`(tests/[\w/]+\.py)`", readme):
        assert (APP.parents[1] / path).exists(), path  # les tests cités existent
    from utils.federated.flower_app import QUIET_FLOWER, flower_command

    helps = " ".join(subprocess.run([flower_command(command), "--help"], capture_output=True, text=True, timeout=120,
                                    env={**__import__("os").environ, **QUIET_FLOWER}).stdout
                     for command in ("flower-superlink", "flower-supernode"))
    cited = set(re.findall(r"flower-super(?:link|node) [^`]*?(--[a-z][a-z-]+)", readme)) | \
        {"--trusted-entities", "--enable-supernode-auth", "--auth-supernode-private-key"}
    for flag in sorted(cited):
        assert flag in readme, flag
        assert flag in helps, f"{flag} : option absente de Flower 1.41"
    compose = yaml.safe_load((APP / "docker" / "compose.yml").read_text(encoding="utf-8"))
    for name, service in compose["services"].items():
        assert dict(service["environment"]).get("FLWR_TELEMETRY_ENABLED") == "0", name  # télémétrie coupée partout
    data_mount = [v for v in compose["services"]["superexec-clientapp"]["volumes"] if "/app/donnees" in v]
    assert data_mount and data_mount[0].endswith(":ro")  # l'application lit les données sans jamais y écrire


# ============================================================================ `flwr run` depuis un notebook
def test_flower_commands_are_found_beside_the_kernel_s_python_or_a_french_error_says_what_to_install(tmp_path,
                                                                                                   monkeypatch):
    from pathlib import Path

    from utils.federated import flower_app

    env = flower_app.flower_environment(tmp_path)  # `flwr run` démarre flower-superlink : il doit le trouver
    assert env["PATH"].split(__import__("os").pathsep)[0] == str(Path(sys.executable).parent)
    assert Path(flower_app.flower_command("flower-superlink")).parent == Path(sys.executable).parent
    # un noyau dont le Python n'a pas Flower à côté de lui, et un PATH sans Flower
    monkeypatch.setattr(flower_app.sys, "executable", str(tmp_path / "bin" / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "vide"))
    with pytest.raises(flower_app.FlowerRunError, match="introuvable.*Installez-le pour ce noyau"):
        flower_app.flower_command("flower-superlink")
