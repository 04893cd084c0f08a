"""Les versions étudiantes tournent comme dans Colab : « Tout exécuter » va jusqu'à la dernière cellule (issue 21).

Colab ne lit pas les étiquettes de cellule : chaque notebook étudiant est exécuté par nbclient en mode FAST, sur
cette machine hors ligne (les chargeurs prennent leur miroir), sans `allow_errors` et sans aucune étiquette
`raises-exception`. Il doit atteindre sa dernière cellule, et chaque cellule `check` doit dire que l'exercice
n'est pas encore fait (« ⏳ Exercice pas encore fait »), ni ✅ ni ❌.

Lent (13 notebooks) et redondant avec nbval, qui exécute déjà les mêmes notebooks dans la CI avec les mêmes
exigences (conftest.py) : marqué `colab` et exclu par défaut (`addopts`), on le lance avec `pytest -m colab`.
"""
from pathlib import Path

import nbformat
import pytest

from utils.checks import NOT_DONE_MARK
from utils.notebooks import ROOT, solution_notebooks, student_path, tags

pytestmark = pytest.mark.colab

STUDENTS = [student_path(solution) for solution in solution_notebooks()]


def _stdout(cell) -> str:
    return "".join(out.get("text", "") for out in cell.get("outputs", [])
                   if out.get("output_type") == "stream" and out.get("name") == "stdout")


@pytest.mark.parametrize("path", STUDENTS, ids=[p.relative_to(ROOT).as_posix() for p in STUDENTS])
def test_student_notebook_runs_to_its_last_cell_like_colab(path: Path):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if "raises-exception" in tags(cell):
            cell.metadata["tags"] = [t for t in tags(cell) if t != "raises-exception"]
    client = NotebookClient(nb, timeout=900, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError as error:
        pytest.fail(f"{path.relative_to(ROOT)} s'arrête avant la fin (comme « Tout exécuter » dans Colab) :\n{error}")
    code_cells = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code_cells and code_cells[-1].execution_count is not None, "la dernière cellule n'a pas été exécutée"
    for index, cell in enumerate(nb.cells):
        if "check" in tags(cell):
            printed = _stdout(cell)
            assert NOT_DONE_MARK in printed and "✅" not in printed and "❌" not in printed, \
                f"cellule {index} : une vérification d'exercice laissé vide doit dire « pas encore fait » :\n{printed}"
