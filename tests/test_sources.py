"""Le kit des sources de données : choix de la source, dossier trouvé, miroir en cache écrit d'un coup."""
import json
import multiprocessing
from pathlib import Path

import pytest

from utils.data import sources
from utils.data.sources import DataSourceError, RealSource, cached_mirror, find_folder, resolve


def _real(tmp_path, fetched, fail=False, cached=None):
    def fetch():
        fetched.append(True)
        if fail:
            raise DataSourceError("serveur en panne")
        return tmp_path / "vrai"
    return RealSource(key="uci", label="dépôt UCI", host="archive.ics.uci.edu", fetch=fetch, cached=lambda: cached)


def test_resolve_offline_auto_unreachable_failure_and_cache(tmp_path, monkeypatch, capsys):
    mirror = lambda: tmp_path / "miroir"  # noqa: E731
    fetched = []
    assert resolve("offline", _real(tmp_path, fetched), mirror, "miroir hors ligne (synthétique)") == (
        tmp_path / "miroir", "miroir hors ligne (synthétique)")
    monkeypatch.setattr(sources, "host_reachable", lambda host, **_: False)
    path, text = resolve("auto", _real(tmp_path, fetched), mirror, "miroir hors ligne (synthétique)")
    assert path == tmp_path / "miroir" and "injoignable" in text and not fetched
    monkeypatch.setattr(sources, "host_reachable", lambda host, **_: True)
    path, text = resolve("auto", _real(tmp_path, fetched, fail=True), mirror, "miroir hors ligne (synthétique)")
    assert path == tmp_path / "miroir" and "échec du téléchargement" in text and "serveur en panne" in capsys.readouterr().out
    assert resolve("uci", _real(tmp_path, [], cached=tmp_path / "déjà"), mirror, "m")[0] == tmp_path / "déjà"
    with pytest.raises(DataSourceError, match="serveur en panne"):
        resolve("uci", _real(tmp_path, [], fail=True), mirror, "m")
    with pytest.raises(DataSourceError, match="inconnue.*auto, uci, offline"):
        resolve("kaggle", _real(tmp_path, []), mirror, "m")


def test_find_folder_skips_macos_copies_and_explains_the_layout(tmp_path):
    (tmp_path / "__MACOSX" / "data" / "train").mkdir(parents=True)
    (tmp_path / "a" / "data" / "train").mkdir(parents=True)
    found = find_folder(tmp_path, lambda f: (f / "train").is_dir(), "data/train/", what="dossier train/")
    assert found == tmp_path / "a" / "data"
    with pytest.raises(DataSourceError, match="(?s)Aucun dossier test/.*Arborescence attendue : data/test/"):
        find_folder(tmp_path, lambda f: (f / "test").is_dir(), "data/test/", what="dossier test/")
    with pytest.raises(DataSourceError, match="introuvable"):
        find_folder(tmp_path / "absent", lambda f: True, "x", what="x")


def _write_two_files(folder: Path) -> None:
    (folder / "a.csv").write_text("1")
    (folder / "sous").mkdir()
    (folder / "sous" / "b.csv").write_text("2")


def test_cached_mirror_reuses_regenerates_on_new_params_and_on_missing_files(tmp_path):
    calls = []

    def write(folder):
        calls.append(folder)
        _write_two_files(folder)

    folder = tmp_path / "miroir"
    assert cached_mirror(folder, {"n": 1}, write, ["a.csv", "sous/b.csv"]) == folder
    assert cached_mirror(folder, {"n": 1}, write, ["a.csv", "sous/b.csv"]) == folder and len(calls) == 1
    cached_mirror(folder, {"n": 2}, write, ["a.csv"])
    assert len(calls) == 2 and json.loads((folder / sources.MIRROR_MARKER).read_text()) == {"n": 2}
    (folder / "sous" / "b.csv").unlink()
    cached_mirror(folder, {"n": 2}, write, ["a.csv", "sous/b.csv"])
    assert len(calls) == 3 and (folder / "sous" / "b.csv").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "aucun dossier temporaire ne reste"


def test_cached_mirror_refuses_a_generator_that_forgets_a_file(tmp_path):
    with pytest.raises(RuntimeError, match="b.csv"):
        cached_mirror(tmp_path / "m", {}, lambda folder: (folder / "a.csv").write_text("1"), ["a.csv", "b.csv"])
    assert not (tmp_path / "m").exists()


def _build_in_another_process(folder):
    cached_mirror(Path(folder), {"n": 1}, _write_two_files, ["a.csv", "sous/b.csv"])


def test_cached_mirror_written_by_several_processes_at_once(tmp_path):
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_build_in_another_process, args=(str(tmp_path / "m"),)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert all(worker.exitcode == 0 for worker in workers)
    assert (tmp_path / "m" / "sous" / "b.csv").read_text() == "2"
