"""Outils des notebooks : version étudiante générée, sorties nettoyées, liens Colab.

Les notebooks de `semaine_N/solutions/` sont la source. Conventions (étiquettes de cellule) :

- ``setup``    : cellule d'installation et d'imports ; son `pip install` pointe vers le dépôt configuré ;
- ``exercise`` : cellule d'exercice ; la réponse est entre ``### BEGIN SOLUTION`` et ``### END SOLUTION``.
  Un exercice « écrire une fonction » garde sa ligne ``def`` et sa docstring HORS du bloc : seul le corps
  est à écrire (la version étudiante garde la signature ; `check` refuse un bloc qui contient un ``def``) ;
- ``check``    : cellule de vérification d'un exercice ; sa sortie est enregistrée dans la solution
  et comparée par nbval (``nbval-check-output``) ; dans la version étudiante elle doit lever une erreur ;
- ``nbval-check-output`` seul : un résultat du déroulé principal (une AUC atteinte, un accord entre deux
  méthodes) dont la sortie est enregistrée et comparée dans les deux versions.

Usage en ligne de commande (depuis la racine du dépôt) ::

    python -m utils.notebooks build [NB ...]   # sorties nettoyées, liens, versions étudiantes
    python -m utils.notebooks record [NB ...]  # exécute les solutions en mode FAST et enregistre les vérifications
    python -m utils.notebooks check            # ce que la CI vérifie : tout est à jour et propre
"""
from __future__ import annotations

import argparse
import copy
import os
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
CODE_PLACEHOLDER = ("# VOTRE CODE ICI", "raise NotImplementedError()")
MARKDOWN_PLACEHOLDER = "_Votre réponse ici._"
COLAB_BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
_COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/[^/\s)]+/[^/\s)]+/blob/[^/\s)]+/(?P<path>[^)\s\"']+)")
_GIT_URL = re.compile(r"git\+https://github\.com/[^/\s\"']+/[^\s\"'@]+?\.git")
# Erreur attendue de chaque type de cellule dans la version étudiante (vérifiée par le conftest).
STUDENT_EXPECTED_ERRORS = {"exercise": "NotImplementedError", "check": "ExerciseNotDone"}
_DEF_LINE = re.compile(r"^\s*(async\s+)?def\s+\w+")


# --------------------------------------------------------------------------- configuration
def course_config(root: Path = ROOT) -> dict:
    """Lit `[tool.cours]` dans pyproject.toml : dépôt GitHub (`owner/name`) et branche."""
    import tomllib

    with open(root / "pyproject.toml", "rb") as handle:
        config = tomllib.load(handle)["tool"]["cours"]
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", config.get("repository", "")):
        raise ValueError("pyproject.toml : [tool.cours] repository doit être de la forme 'propriétaire/depot'.")
    config.setdefault("branch", "main")
    return config


def colab_url(relative_path: str, config: dict) -> str:
    return f"https://colab.research.google.com/github/{config['repository']}/blob/{config['branch']}/{relative_path}"


def colab_badge(relative_path: str, config: dict) -> str:
    return f"[![Ouvrir dans Colab]({COLAB_BADGE_IMAGE})]({colab_url(relative_path, config)})"


def install_url(config: dict) -> str:
    return f"git+https://github.com/{config['repository']}.git"


# --------------------------------------------------------------------------- paths
def solution_notebooks(root: Path = ROOT) -> list[Path]:
    return sorted(root.glob("semaine_*/solutions/*.ipynb"))


def student_path(solution: Path) -> Path:
    return solution.parent.parent / solution.name


def _relative(path: Path, root: Path) -> str:
    return path.resolve().relative_to(root.resolve()).as_posix()


# --------------------------------------------------------------------------- transformations
def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _set_tags(cell, new_tags) -> None:
    ordered = sorted(set(new_tags))
    if ordered:
        cell.metadata["tags"] = ordered
    else:
        cell.metadata.pop("tags", None)


def replace_solutions(source: str, cell_type: str = "code") -> str:
    """Remplace chaque bloc BEGIN/END SOLUTION par le texte à compléter, à la même indentation."""
    lines, out, inside = source.splitlines(), [], False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            if inside:
                raise ValueError(f"'{BEGIN}' imbriqué dans une cellule : fermez le bloc précédent.")
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            placeholder = CODE_PLACEHOLDER if cell_type == "code" else (MARKDOWN_PLACEHOLDER,)
            out.extend(indent + text for text in placeholder)
        elif stripped.startswith(END):
            if not inside:
                raise ValueError(f"'{END}' sans '{BEGIN}' correspondant.")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"'{BEGIN}' sans '{END}' : le bloc de solution n'est pas fermé.")
    return "\n".join(out)


def definitions_in_solutions(source: str) -> list[str]:
    """Lignes ``def`` écrites À L'INTÉRIEUR d'un bloc de solution (interdit : la signature reste visible).

    Un exercice de fonction s'écrit ``def f(...):`` + docstring, puis le bloc de solution avec le corps
    seul : la version étudiante garde ainsi la signature et la docstring, et il ne reste que le corps à écrire.
    """
    found, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            inside = True
        elif stripped.startswith(END):
            inside = False
        elif inside and _DEF_LINE.match(line):
            found.append(stripped)
    return found


def runs_student_code(source: str) -> bool:
    """Vrai si la version étudiante de cette cellule d'exercice exécute un `raise NotImplementedError()`.

    C'est le cas d'un bloc de solution au niveau du module, ou d'une fonction à compléter que la cellule appelle
    ensuite (une ligne de code non indentée après sa définition). Une cellule qui ne fait que définir la fonction
    ne lèverait rien : la version étudiante ne dirait pas à l'apprenant que l'exercice reste à faire.
    """
    lines = source.splitlines()
    if any(line.strip().startswith(BEGIN) and not line[:1].isspace() for line in lines):
        return True
    last_block = max((i for i, line in enumerate(lines) if line.strip().startswith(END)), default=-1)
    return any(line.strip() and not line[:1].isspace() and not line.lstrip().startswith(("#", "def ", "@", "class "))
               for line in lines[last_block + 1:])


def _clear_outputs(cell) -> None:
    if cell.cell_type == "code":
        cell.outputs = []
        cell.execution_count = None
    cell.metadata.pop("execution", None)
    cell.metadata.pop("collapsed", None)
    cell.metadata.pop("scrolled", None)


def clean_solution(nb, config: dict, relative_path: str):
    """Solution propre : sorties vidées sauf celles des vérifications, liens vers le dépôt configuré."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        cell_tags = tags(cell)
        if "check" in cell_tags or "nbval-check-output" in cell_tags:
            _set_tags(cell, cell_tags + ["nbval-check-output"])
            # nbval refuse une sortie sans numéro d'exécution : un numéro fixe garde les diffs stables.
            # stderr (journaux de TensorFlow, avertissements) dépend du moment : jamais comparé.
            cell.outputs = [out for out in cell.outputs if out.get("name") != "stderr"]
            cell.execution_count = 1 if cell.outputs else None
            cell.metadata.pop("execution", None)
            for output in cell.outputs:
                if "execution_count" in output:
                    output["execution_count"] = 1
        else:
            _clear_outputs(cell)
    _point_to_repository(nb, config, relative_path)
    nb.metadata = _clean_metadata(nb.metadata)
    return nb


def make_student(solution_nb, config: dict, relative_path: str):
    """Version étudiante : réponses remplacées, sorties vidées, exercices et vérifications marqués pour lever."""
    nb = copy.deepcopy(solution_nb)
    for cell in nb.cells:
        cell_tags = tags(cell)
        if "exercise" in cell_tags or BEGIN in cell.source:
            cell.source = replace_solutions(cell.source, cell.cell_type)
        if cell.cell_type == "code" and ("exercise" in cell_tags or "check" in cell_tags):
            cell_tags = [t for t in cell_tags if t != "nbval-check-output"] + ["raises-exception"]
        _set_tags(cell, cell_tags)
        if "nbval-check-output" not in cell_tags:  # le déroulé principal garde ses résultats comparés
            _clear_outputs(cell)
    _point_to_repository(nb, config, relative_path)
    nb.metadata = _clean_metadata(nb.metadata)
    return nb


def _point_to_repository(nb, config: dict, relative_path: str) -> None:
    """Liens vers le dépôt configuré : le badge du titre vise ce notebook, les autres liens gardent leur cible."""
    for index, cell in enumerate(nb.cells):
        if index == 0:
            cell.source = _COLAB_LINK.sub(colab_url(relative_path, config), cell.source)
        cell.source = _rewrite_links(cell.source, config)


def _clean_metadata(metadata) -> dict:
    return nbformat.from_dict({
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        **({"colab": {"provenance": []}} if "colab" in metadata else {}),
    })


def dumps(nb) -> str:
    return nbformat.writes(nb) + "\n"


def write(nb, path: Path) -> bool:
    """Écrit le notebook s'il a changé ; renvoie True s'il a été réécrit."""
    text = dumps(nb)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def read(path: Path):
    return nbformat.read(path, as_version=4)


# --------------------------------------------------------------------------- commands
def build(root: Path = ROOT, solutions: list[Path] | None = None) -> list[Path]:
    """Nettoie les solutions données (par défaut : toutes), régénère leur version étudiante et les liens du README."""
    config, changed = course_config(root), []
    for solution in solutions or solution_notebooks(root):
        clean = clean_solution(read(solution), config, _relative(solution, root))
        student = student_path(solution)
        pairs = ((clean, solution), (make_student(clean, config, _relative(student, root)), student))
        changed += [path for nb, path in pairs if write(nb, path)]
    readme = root / "README.md"
    if readme.exists():
        text = readme.read_text(encoding="utf-8")
        new = _rewrite_links(text, config)
        if new != text:
            readme.write_text(new, encoding="utf-8")
            changed.append(readme)
    return changed


def _rewrite_links(text: str, config: dict) -> str:
    text = _COLAB_LINK.sub(lambda m: colab_url(m.group("path"), config), text)
    return _GIT_URL.sub(install_url(config), text)


def record(paths: list[Path], root: Path = ROOT, timeout: int = 900) -> None:
    """Exécute des solutions en mode FAST et y enregistre les sorties des cellules `check`.

    Les miroirs sont régénérés dans un dossier neuf, comme en CI : un miroir resté en cache d'une version
    antérieure du générateur donnerait des sorties enregistrées que la CI ne retrouverait pas.
    """
    import tempfile
    from unittest import mock

    from nbclient import NotebookClient

    os.environ["COURSE_FAST"] = "1"
    with tempfile.TemporaryDirectory(prefix="cours-record-") as fresh_data, \
            mock.patch.dict(os.environ, {"COURSE_DATA_DIR": fresh_data}):
        for path in paths:
            nb = read(path)
            NotebookClient(nb, timeout=timeout, kernel_name="python3",
                           resources={"metadata": {"path": str(path.parent)}}).execute()
            write(clean_solution(nb, course_config(root), _relative(path, root)), path)
            print(f"enregistré : {_relative(path, root)}")


def run_twice(path: Path, timeout: int = 900) -> tuple[list[str], list[str]]:
    """Exécute un notebook deux fois de suite dans le même noyau (mode FAST) ; renvoie les textes affichés.

    Sert à vérifier qu'un notebook se relance sans erreur et donne les mêmes résultats. Les lignes de
    progression de Keras (durées par pas) sont retirées : elles changent d'une exécution à l'autre.
    """
    from nbclient import NotebookClient

    os.environ["COURSE_FAST"] = "1"
    nb = read(path)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(Path(path).parent)}})
    runs = []
    with client.setup_kernel():
        for _ in range(2):
            texts = []
            for index, cell in enumerate(nb.cells):
                if cell.cell_type == "code":
                    client.execute_cell(cell, index)
                    texts.append(_printed_text(cell))
            runs.append(texts)
    return runs[0], runs[1]


def _printed_text(cell) -> str:
    text = "".join(out.get("text", "") or out.get("data", {}).get("text/plain", "") for out in cell.outputs)
    return "\n".join(line for line in text.splitlines() if "/step" not in line and "Epoch " not in line)


def problems(root: Path = ROOT) -> list[str]:
    """Tout ce qui n'est pas à jour : versions étudiantes, sorties parasites, liens, marqueurs."""
    config, found = course_config(root), []
    solutions = solution_notebooks(root)
    for solution in solutions:
        rel = _relative(solution, root)
        nb = read(solution)
        try:
            expected_solution = clean_solution(nb, config, rel)
            expected_student = make_student(expected_solution, config, _relative(student_path(solution), root))
        except ValueError as error:
            found.append(f"{rel} : {error}")
            continue
        if dumps(nb) != dumps(expected_solution):
            found.append(f"{rel} : sorties parasites, liens ou étiquettes à nettoyer (lancez `python -m utils.notebooks build`)")
        student = student_path(solution)
        if not student.exists() or student.read_text(encoding="utf-8") != dumps(expected_student):
            found.append(f"{_relative(student, root)} : n'est pas la version générée depuis {rel} (lancez `python -m utils.notebooks build`)")
        found += [f"{rel} : {issue}" for issue in _anatomy_problems(nb, config, rel)]
    known = {student_path(s) for s in solutions}
    for notebook in sorted(root.glob("semaine_*/*.ipynb")):
        if notebook not in known:
            found.append(f"{_relative(notebook, root)} : notebook étudiant sans solution correspondante")
    readme = root / "README.md"
    if readme.exists():
        text = readme.read_text(encoding="utf-8")
        if _rewrite_links(text, config) != text:
            found.append("README.md : liens Colab ou d'installation différents du dépôt configuré")
        for solution in solutions:
            if colab_url(_relative(student_path(solution), root), config) not in text:
                found.append(f"README.md : pas de badge Colab pour {_relative(student_path(solution), root)}")
    return found


def _anatomy_problems(nb, config: dict, relative_path: str) -> list[str]:
    found = []
    if not nb.cells or colab_badge(relative_path, config) not in nb.cells[0].source:
        found.append("la première cellule doit porter le badge Colab de ce notebook")
    setup = [cell for cell in nb.cells if "setup" in tags(cell)]
    if len(setup) != 1 or install_url(config) not in setup[0].source:
        found.append("il faut exactement une cellule `setup` qui installe le cours depuis le dépôt configuré")
    for index, cell in enumerate(nb.cells):
        cell_tags = tags(cell)
        if "exercise" in cell_tags and BEGIN not in cell.source:
            found.append(f"cellule {index} : exercice sans bloc '{BEGIN}'")
        if "exercise" in cell_tags and cell.cell_type == "code" and BEGIN in cell.source \
                and not runs_student_code(cell.source):
            found.append(f"cellule {index} : exercice de fonction que la cellule n'appelle pas ; terminez-la par un "
                         "essai de la fonction, pour que la version étudiante lève NotImplementedError")
        for definition in definitions_in_solutions(cell.source):
            found.append(f"cellule {index} : ligne `{definition}` dans un bloc de solution ; la ligne `def` et "
                         f"la docstring restent hors du bloc, seul le corps de la fonction est la réponse")
        if ("check" in cell_tags or "nbval-check-output" in cell_tags) and not cell.get("outputs"):
            found.append(f"cellule {index} : vérification sans sortie enregistrée (lancez `python -m utils.notebooks record`)")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.notebooks", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("build", "record", "check"))
    parser.add_argument("notebooks", nargs="*", type=Path, help="solutions à traiter (par défaut : toutes)")
    args = parser.parse_args(argv)
    chosen = [path.resolve() for path in args.notebooks] or None
    if args.command == "record":
        record(chosen or solution_notebooks())
        args.command = "build"
    if args.command == "build":
        for path in build(solutions=chosen):
            print(f"mis à jour : {_relative(path, ROOT)}")
        return 0
    found = problems()
    for problem in found:
        print(problem)
    print("Tout est à jour." if not found else f"{len(found)} problème(s).")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
