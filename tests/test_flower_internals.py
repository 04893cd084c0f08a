"""Test de contrat : ce que `utils/federated/flower_internals.py` suppose des rouages internes de Flower.

S'il échoue après une mise à jour de Flower, c'est ce module (et lui seul) qu'il faut adapter : lisez sa docstring.
"""
import importlib
import inspect
import os

import pytest

flwr = pytest.importorskip("flwr")


def test_flower_version_is_the_one_the_contract_was_written_for():
    assert flwr.__version__.startswith("1.41."), (
        f"Flower {flwr.__version__} : vérifiez les suppositions de utils/federated/flower_internals.py, puis ce test.")


def test_start_vce_imports_ray_backend_late_from_its_module():
    from flwr.server.superlink.fleet.vce import vce_api

    from utils.federated.flower_internals import RAY_BACKEND_MODULE

    source = inspect.getsource(vce_api.start_vce)
    assert "from .backend.raybackend import RayBackend" in source, "Flower ne crée plus son moteur par cet import tardif"
    assert hasattr(importlib.import_module(RAY_BACKEND_MODULE), "RayBackend")


def test_without_ray_loaded_a_stand_in_module_serves_the_in_process_backend_and_leaves(monkeypatch):
    """Ray n'est pas importé par le moteur du cours : le module de Flower qui l'importe est remplacé le temps de l'appel."""
    import sys

    from utils.federated.flower_internals import RAY_BACKEND_MODULE, in_process_backend

    monkeypatch.delitem(sys.modules, RAY_BACKEND_MODULE, raising=False)  # comme dans un noyau neuf
    with in_process_backend():
        from flwr.server.superlink.fleet.vce.backend.raybackend import RayBackend  # l'import de start_vce

        assert RayBackend.__name__ == "InProcessBackend"
    assert RAY_BACKEND_MODULE not in sys.modules  # engine="ray", plus tard, chargera le vrai module


def test_backend_interface_is_the_one_in_process_backend_implements():
    from flwr.server.superlink.fleet.vce.backend.backend import Backend

    from utils.federated.flower_internals import _in_process_backend_class

    assert set(Backend.__abstractmethods__) == {"build", "is_worker_idle", "terminate", "process_message"}
    assert isinstance(inspect.getattr_static(Backend, "num_workers"), property)
    backend = _in_process_backend_class()({})  # s'instancie : rien d'abstrait n'est oublié
    assert backend.num_workers == 1 and backend.is_worker_idle()


def test_client_errors_are_wrapped_as_flower_expects():
    from flwr.clientapp.client_app import ClientAppException, LoadClientAppError  # noqa: F401

    from utils.federated.flower_internals import _in_process_backend_class

    backend = _in_process_backend_class()({})

    def failing_app():
        def app(message, context):
            raise ValueError("panne")
        return app

    backend.build(failing_app)
    with pytest.raises(ClientAppException, match="panne"):
        backend.process_message(None, None)


def test_the_swap_is_undone_and_clients_really_run_in_this_process():
    from utils.federated.flower_internals import RAY_BACKEND_MODULE, in_process_backend

    module = importlib.import_module(RAY_BACKEND_MODULE)
    original = module.RayBackend
    with in_process_backend():
        assert module.RayBackend is not original
        with pytest.raises(RuntimeError, match="tourne déjà"):
            with in_process_backend():
                pass
    assert module.RayBackend is original

    import numpy as np

    from utils.federated import run_flower_simulation

    def model_fn():
        import keras

        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer="sgd", loss="binary_crossentropy")
        return model

    pids = []

    def local_train(model, x, y, *, epochs, batch_size, config):
        pids.append(os.getpid())
        model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0)
        return {}

    data = [(np.ones((4, 2), "float32"), np.ones(4, "float32"))] * 2
    run_flower_simulation(model_fn, data, num_rounds=1, local_train=local_train, verbose=False)
    assert pids == [os.getpid()] * 2
