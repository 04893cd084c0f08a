"""Outils des notebooks : version étudiante générée, sorties nettoyées, liens Colab.

Les notebooks de `semaine_N/solutions/` sont la source. Conventions (étiquettes de cellule) :

- ``setup``    : cellule d'installation et d'imports ; son `pip install` pointe vers le dépôt configuré ;
- ``exercise`` : cellule d'exercice ; la réponse est entre ``### BEGIN SOLUTION`` et ``### END SOLUTION``.
  Un exercice « écrire une fonction » garde sa ligne ``def`` et sa docstring HORS du bloc : seul le corps
  est à écrire (la version étudiante garde la signature ; `check` refuse un bloc qui contient un ``def``) ;
- ``check``    : cellule de vérification d'un exercice ; sa sortie est enregistrée dans la solution
  et comparée par nbval (``nbval-check-output``) ; dans la version étudiante, sa sortie enregistrée est
  « ⏳ Exercice pas encore fait » et le conftest exige qu'elle l'affiche (aucune cellule étudiante ne lève) ;
- ``nbval-check-output`` seul : un résultat du déroulé principal (une AUC atteinte, un accord entre deux
  méthodes) dont la sortie est enregistrée et comparée dans les deux versions ;
- ``lecture-du-test`` (la lecture finale du test), ``test-mis-de-cote`` (le découpage qui met le test de côté),
  ``exception-test`` (une autre cellule qui doit nommer le test ; le texte juste avant dit pourquoi) : toute autre
  cellule de code qui nomme le test est refusée par `check` (le test se lit une fois).

Version étudiante (« Tout exécuter » va jusqu'au bout, même dans Colab qui ignore les étiquettes) : le bloc d'un
exercice de valeur devient ``nom = None  # VOTRE CODE ICI`` (la vérification dit alors « pas encore fait ») ; le
corps d'une fonction à écrire devient ``# VOTRE CODE ICI`` puis un ``raise NotImplementedError("…")`` en français,
que `try_example` (essai dans la cellule) et `call_answer` (vérification) transforment en « pas encore écrite ».

Usage en ligne de commande (depuis la racine du dépôt) ::

    python -m utils.notebooks build [NB ...]   # sorties nettoyées, liens, versions étudiantes
    python -m utils.notebooks record [NB ...]  # exécute les solutions en mode FAST et enregistre les vérifications
    python -m utils.notebooks check            # ce que la CI vérifie : tout est à jour et propre
"""
from __future__ import annotations

import argparse
import ast
import copy
import os
import re
import sys
import textwrap
from pathlib import Path

import nbformat

from utils.checks import NOT_DONE_MARK

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
CODE_PLACEHOLDER = "# VOTRE CODE ICI"
MARKDOWN_PLACEHOLDER = "_Votre réponse ici._"
# Sortie enregistrée d'une cellule `check` de la version étudiante ; le conftest exige que la vérification l'affiche.
STUDENT_CHECK_OUTPUT = NOT_DONE_MARK
COLAB_BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
_COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/[^/\s)]+/[^/\s)]+/blob/[^/\s)]+/(?P<path>[^)\s\"']+)")
_GIT_URL = re.compile(r"git\+https://github\.com/[^/\s\"']+/[^\s\"'@]+?\.git(?:@[^\s\"'#]+)?")
_DEF_LINE = re.compile(r"^\s*(async\s+)?def\s+\w+")
# Le test se lit une fois : seules les cellules qui portent l'une de ces étiquettes peuvent le nommer.
TEST_TAGS = ("lecture-du-test", "test-mis-de-cote", "exception-test")
# Vocabulaire de scikit-learn pour un découpage quelconque (validation comprise) : ne nomme pas le test du cours.
_NOT_THE_TEST = frozenset({"train_test_split", "test_size"})
# La version de Flower : écrite une fois ([tool.cours] flower), recopiée par `build` dans ces fichiers.
_FLOWER_PINS = {
    "pyproject.toml": [(r"(flwr\[simulation\]==)[0-9][0-9A-Za-z.]*", r"\g<1>{version}")],
    "requirements.txt": [(r"(flwr\[simulation\]==)[0-9][0-9A-Za-z.]*", r"\g<1>{version}")],
    "semaine_6_a_8/projet_final/pyproject.toml": [(r"(flwr\[simulation\]==)[0-9][0-9A-Za-z.]*", r"\g<1>{version}")],
    "semaine_6_a_8/projet_final/docker/Dockerfile": [(r"(ARG FLWR_VERSION=)[0-9][0-9A-Za-z.]*", r"\g<1>{version}")],
    "semaine_6_a_8/projet_final/docker/compose.yml": [(r"(\$\{FLWR_VERSION:-)[0-9][0-9A-Za-z.]*(\})", r"\g<1>{version}\g<2>"),
                                                      (r"(FLWR_VERSION \()[0-9][0-9A-Za-z.]*( par défaut\))", r"\g<1>{version}\g<2>")],
}
_FLOWER_MENTION = re.compile(r"\bFlower (\d+\.\d+)(?:\.\d+)?\b")


# --------------------------------------------------------------------------- configuration
def course_config(root: Path = ROOT) -> dict:
    """Lit `[tool.cours]` dans pyproject.toml : dépôt GitHub (`owner/name`) et branche."""
    import tomllib

    with open(root / "pyproject.toml", "rb") as handle:
        config = tomllib.load(handle)["tool"]["cours"]
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", config.get("repository", "")):
        raise ValueError("pyproject.toml : [tool.cours] repository doit être de la forme 'propriétaire/depot'.")
    config.setdefault("branch", "main")
    if not re.fullmatch(r"\d+\.\d+\.\d+", config.get("flower", "")):
        raise ValueError("pyproject.toml : [tool.cours] flower doit être la version exacte de Flower, par exemple '1.41.0'.")
    return config


def colab_url(relative_path: str, config: dict) -> str:
    return f"https://colab.research.google.com/github/{config['repository']}/blob/{config['branch']}/{relative_path}"


def colab_badge(relative_path: str, config: dict) -> str:
    return f"[![Ouvrir dans Colab]({COLAB_BADGE_IMAGE})]({colab_url(relative_path, config)})"


def install_url(config: dict) -> str:
    """L'URL que `pip install` lit dans Colab : le dépôt et la branche configurés, comme les badges."""
    return f"git+https://github.com/{config['repository']}.git@{config['branch']}"


def flower_minor(config: dict) -> str:
    """« 1.41 » pour Flower 1.41.0 : la forme que citent les textes et les cellules `setup`."""
    return ".".join(config["flower"].split(".")[:2])


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


def _python_lines(source: str) -> str:
    """Le code d'une cellule sans ses lignes IPython (`!pip`, `%matplotlib`) : lignes vidées, numéros gardés."""
    return "\n".join("" if line.lstrip().startswith(("!", "%")) else line for line in source.splitlines())


def _parse(source: str) -> ast.Module:
    try:
        return ast.parse(_python_lines(source))
    except SyntaxError as error:
        raise ValueError(f"code Python invalide (ligne {error.lineno}) : {error.msg}") from None


def _solution_blocks(lines: list[str]) -> list[tuple[int, int]]:
    """(ligne BEGIN, ligne END) de chaque bloc de solution, indices à partir de 0 ; refuse les marqueurs mal appariés."""
    blocks, begin = [], None
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            if begin is not None:
                raise ValueError(f"'{BEGIN}' imbriqué dans une cellule : fermez le bloc précédent.")
            begin = index
        elif stripped.startswith(END):
            if begin is None:
                raise ValueError(f"'{END}' sans '{BEGIN}' correspondant.")
            blocks.append((begin, index))
            begin = None
    if begin is not None:
        raise ValueError(f"'{BEGIN}' sans '{END}' : le bloc de solution n'est pas fermé.")
    return blocks


def assigned_names(nodes) -> list[str]:
    """Les noms que ces instructions lient dans la portée où elles s'exécutent (dans l'ordre, sans doublon).

    Affectations (y compris dans un `if`, un `for`, un `with`), imports, définitions ; pas ce qui vit dans une
    fonction ou une compréhension (une autre portée).
    """
    names: list[str] = []

    def add(name: str) -> None:
        if name not in names:
            names.append(name)

    def visit(node) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            add(node.name)
            return
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                add(alias.asname or alias.name.split(".")[0])
        for child in ast.iter_child_nodes(node):
            visit(child)

    for node in nodes:
        visit(node)
    return names


def _enclosing_function(tree: ast.Module, line_number: int) -> str | None:
    """Le nom de la fonction (la plus intérieure) dont le corps contient cette ligne (numérotée à partir de 1)."""
    inside = [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
              and node.lineno < line_number <= node.end_lineno]
    return max(inside, key=lambda node: node.lineno).name if inside else None


def _read_before_written(name: str, chunks: list[str]) -> bool:
    """Vrai si, dans le code qui suit (morceaux dans l'ordre), `name` est lu avant d'être de nouveau affecté.

    C'est alors qu'il faut le poser à None dans la version étudiante (sinon : NameError). Un morceau qui n'est pas du
    Python valide compte comme une lecture dès qu'il contient le nom (prudence).
    """
    for chunk in chunks:
        try:
            tree = _parse(chunk)
        except ValueError:
            if re.search(rf"(?<![\w.]){re.escape(name)}\b", chunk):
                return True
            continue
        uses = sorted((node.lineno, node.col_offset, isinstance(node.ctx, ast.Load)) for node in ast.walk(tree)
                      if isinstance(node, ast.Name) and node.id == name)
        if uses:
            return uses[0][2]
    return False


def not_written_error(function: str) -> str:
    """La ligne qui remplace le corps d'une fonction à écrire : son appel dit, en français, ce qu'il reste à faire."""
    return (f'raise NotImplementedError("La fonction « {function} » n\'est pas encore écrite : remplacez '
            f'`# VOTRE CODE ICI` et cette ligne par votre code, puis exécutez la cellule.")')


def replace_solutions(source: str, cell_type: str = "code", later_code: list[str] | None = None) -> str:
    """Remplace chaque bloc BEGIN/END SOLUTION par le texte à compléter, à la même indentation.

    - Markdown : `_Votre réponse ici._`.
    - Corps d'une fonction à écrire : `# VOTRE CODE ICI` puis `raise NotImplementedError("…")` (message en français).
    - Bloc au niveau du notebook (exercice de valeur) : chaque nom que la solution y affecte et que la cellule n'a
      pas déjà posé avant le bloc devient `nom = None  # VOTRE CODE ICI` (trouvé avec `ast`) ; rien ne lève, et la
      vérification dit « pas encore fait ». `later_code` (le code des cellules suivantes, dans l'ordre) restreint ces
      noms à ceux que la suite lit avant de les réaffecter ; sans lui, tous les noms affectés sont posés.
    """
    lines = source.splitlines()
    blocks = _solution_blocks(lines)
    if not blocks:
        return "\n".join(lines)
    tree = _parse(source) if cell_type == "code" else None
    out, previous_end = [], -1
    for begin, end in blocks:
        out.extend(lines[previous_end + 1:begin])
        indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
        out.extend(indent + text for text in _placeholder(tree, lines, begin, end, later_code))
        previous_end = end
    out.extend(lines[previous_end + 1:])
    return "\n".join(out)


def _placeholder(tree, lines: list[str], begin: int, end: int, later_code: str | None) -> list[str]:
    if tree is None:
        return [MARKDOWN_PLACEHOLDER]
    function = _enclosing_function(tree, begin + 1)
    if function is not None:
        return [CODE_PLACEHOLDER, not_written_error(function)]
    block = _parse(textwrap.dedent("\n".join(lines[begin + 1:end])))
    before = assigned_names([node for node in tree.body if node.end_lineno <= begin])
    chunks = ["\n".join(lines[end + 1:]), *(later_code or [])]
    wanted = [name for name in assigned_names(block.body) if name not in before
              and (later_code is None or _read_before_written(name, chunks))]
    if wanted:
        return [f"{name} = None  {CODE_PLACEHOLDER}" for name in wanted]
    indented = bool(lines[begin][:1].isspace())  # dans un `if`, un `for`… : il faut une instruction
    return [f"pass  {CODE_PLACEHOLDER}"] if indented else [CODE_PLACEHOLDER]


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


def exercise_functions(source: str) -> list[str]:
    """Les fonctions à écrire d'une cellule : celles dont le corps contient un bloc de solution."""
    lines = source.splitlines()
    tree = _parse(source)
    return sorted({name for begin, _ in _solution_blocks(lines)
                   if (name := _enclosing_function(tree, begin + 1)) is not None})


def unguarded_calls(source: str, functions) -> list[str]:
    """Appels directs de ces fonctions à écrire, exécutés par la cellule hors des blocs de solution.

    Dans la version étudiante, un tel appel lèverait `NotImplementedError` et arrêterait « Tout exécuter » :
    un essai passe par `try_example(fonction, ...)`, qui dit que la fonction reste à écrire ; un appel direct est
    admis dans le corps d'un `if try_example(fonction, ...) is not None:` (il ne tourne qu'une fois la fonction écrite).
    """
    functions = set(functions)
    if not functions:
        return []
    lines = source.splitlines()
    tree = _parse(source)
    in_solution = {number + 1 for begin, end in _solution_blocks(lines) for number in range(begin, end + 1)}
    found = []

    def tried(test) -> set[str]:
        """Les fonctions qu'un test `if try_example(f, ...) ...:` essaie : son corps ne tourne que si elles sont écrites."""
        return {call.args[0].id for call in ast.walk(test) if isinstance(call, ast.Call)
                and isinstance(call.func, ast.Name) and call.func.id == "try_example"
                and call.args and isinstance(call.args[0], ast.Name)}

    def visit(node, watched: set[str]) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            return  # le corps ne s'exécute pas ici
        if isinstance(node, ast.If) and tried(node.test) & watched:
            visit(node.test, watched)
            for child in node.body:
                visit(child, watched - tried(node.test))
            for child in node.orelse:
                visit(child, watched)
            return
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in watched \
                and node.lineno not in in_solution:
            found.append(f"{node.func.id}(…) ligne {node.lineno}")
        for child in ast.iter_child_nodes(node):
            visit(child, watched)

    for node in tree.body:
        visit(node, functions)
    return found


def _names_the_test(identifier: str) -> bool:
    return identifier not in _NOT_THE_TEST and "test" in (part.lower() for part in identifier.split("_"))


def _is_test_key(text: str) -> bool:
    lowered = text.lower()
    return lowered == "test" or lowered.startswith("test_") or lowered.endswith("_test")


def mentions_of_test(source: str) -> list[str]:
    """Ce qui, dans le code d'une cellule, nomme le jeu de test (triés, sans doublon).

    Identifiants (variables, attributs, arguments nommés, paramètres, noms de fonction ; pas un import) dont une des
    parties séparées par `_` est `test` (`x_test`, `X_TEST`, `test_df`, `pooled_test`, `test_data=`), et chaînes
    `"test"`, `"test_…"`, `"…_test"` (clés des chargeurs). Pas les commentaires, ni `pytest`, ni un mot « test »
    dans une phrase (`"AUC de test"`), ni `train_test_split`/`test_size` (scikit-learn, découpage quelconque).
    """
    found = set()
    for node in ast.walk(_parse(source)):
        if isinstance(node, ast.Name):
            candidates = [node.id]
        elif isinstance(node, ast.Attribute):
            candidates = [node.attr]
        elif isinstance(node, (ast.keyword, ast.arg)):
            candidates = [node.arg] if node.arg else []
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            candidates = [node.name]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _is_test_key(node.value):
                found.add(repr(node.value))
            continue
        else:
            continue
        found.update(name for name in candidates if _names_the_test(name))
    return sorted(found)


def single_test_read_problems(nb) -> list[str]:
    """La règle « le test se lit une fois », vérifiable : seules les cellules étiquetées nomment le test.

    `lecture-du-test` : la lecture finale ; `test-mis-de-cote` : le découpage qui met le test de côté ;
    `exception-test` : une autre cellule qui doit le nommer, et la cellule de texte juste avant dit pourquoi.
    """
    found = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        cell_tags = tags(cell)
        if "exception-test" in cell_tags:
            before = nb.cells[index - 1] if index else None
            if before is None or before.cell_type != "markdown" or not re.search(r"\btests?\b", before.source, re.I):
                found.append(f"cellule {index} : étiquette `exception-test` sans cellule de texte juste avant qui dit "
                             "pourquoi elle nomme le test")
        if any(tag in cell_tags for tag in TEST_TAGS):
            continue
        try:
            mentions = mentions_of_test(cell.source)
        except ValueError as error:
            found.append(f"cellule {index} : {error}")
            continue
        if mentions:
            found.append(f"cellule {index} : nomme le test ({', '.join(mentions)}) sans étiquette "
                         "`lecture-du-test`, `test-mis-de-cote` ou `exception-test` ; le test se lit une fois, "
                         "les choix se font sur la validation")
    return found


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
        if "setup" in cell_tags:
            cell.source = stamp_flower_mentions(cell.source, config)
    _point_to_repository(nb, config, relative_path)
    nb.metadata = _clean_metadata(nb.metadata)
    return nb


def stamp_flower_mentions(text: str, config: dict) -> str:
    """« Flower 1.41 » → la version configurée (cellules `setup` : leur commentaire cite les exigences de Flower)."""
    return _FLOWER_MENTION.sub(f"Flower {flower_minor(config)}", text)


def stamp_flower_pins(root: Path, config: dict) -> list[Path]:
    """Recopie la version de Flower de `[tool.cours]` dans les épinglages (`_FLOWER_PINS`) ; renvoie les fichiers réécrits."""
    changed = []
    for relative, rules in _FLOWER_PINS.items():
        path = root / relative
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        new = text
        for pattern, template in rules:
            new = re.sub(pattern, template.format(version=config["flower"]), new)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed


def flower_version_problems(root: Path, config: dict) -> list[str]:
    """Épinglages de Flower différents de `[tool.cours] flower`, et textes qui citent une autre version (à relire)."""
    found = []
    for relative, rules in _FLOWER_PINS.items():
        path = root / relative
        if path.exists():
            text = path.read_text(encoding="utf-8")
            if any(re.sub(pattern, template.format(version=config["flower"]), text) != text for pattern, template in rules):
                found.append(f"{relative} : version de Flower différente de [tool.cours] flower "
                             f"= {config['flower']} (lancez `python -m utils.notebooks build`)")
    texts = [*root.glob("*.md"), *root.glob("semaine_*/solutions/*.ipynb"), *root.glob("semaine_6_a_8/projet_final/**/*.md"),
             *root.glob("semaine_6_a_8/projet_final/**/*.py"), *root.glob("utils/**/*.py")]
    for path in sorted(texts):
        versions = {match.group(1) for match in _FLOWER_MENTION.finditer(path.read_text(encoding="utf-8"))}
        for version in sorted(versions - {flower_minor(config)}):
            found.append(f"{_relative(path, root)} : cite Flower {version}, le cours installe Flower {config['flower']} : "
                         "relisez ce passage (il peut ne plus être vrai) et mettez la version à jour")
    return found


def make_student(solution_nb, config: dict, relative_path: str):
    """Version étudiante : réponses remplacées, sorties vidées ; « Tout exécuter » va jusqu'à la dernière cellule.

    Aucune cellule ne porte `raises-exception` (Colab ignore les étiquettes) : un exercice de valeur laisse ses noms
    à None, une fonction à écrire lève `NotImplementedError` seulement quand on l'appelle (`try_example`,
    `call_answer` le disent) ; chaque cellule `check` garde comme sortie enregistrée « ⏳ Exercice pas encore fait »,
    que le conftest compare à ce qu'elle affiche.
    """
    nb = copy.deepcopy(solution_nb)
    code = [cell.source if cell.cell_type == "code" else "" for cell in nb.cells]
    for index, cell in enumerate(nb.cells):
        cell_tags = [t for t in tags(cell) if t != "raises-exception"]
        if "exercise" in cell_tags or BEGIN in cell.source:
            cell.source = replace_solutions(cell.source, cell.cell_type, later_code=code[index + 1:])
        if cell.cell_type == "code" and ("exercise" in cell_tags or "check" in cell_tags):
            cell_tags = [t for t in cell_tags if t != "nbval-check-output"]
        _set_tags(cell, cell_tags)
        if "nbval-check-output" not in cell_tags:  # le déroulé principal garde ses résultats comparés
            _clear_outputs(cell)
        if cell.cell_type == "code" and "check" in cell_tags:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=STUDENT_CHECK_OUTPUT + "\n")]
            cell.execution_count = 1  # nbval refuse une sortie enregistrée sans numéro d'exécution
    _point_to_repository(nb, config, relative_path)
    nb.metadata = _clean_metadata(nb.metadata)
    return nb


def student_check_output(cell) -> str:
    """Ce qu'une cellule `check` de la version étudiante doit afficher (sa sortie enregistrée), ou '' pour une autre."""
    if "check" not in tags(cell) or cell.get("cell_type") != "code":
        return ""
    return "".join(out.get("text", "") for out in cell.get("outputs", []) if out.get("name") == "stdout").strip()


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
    """Nettoie les solutions données (par défaut : toutes), régénère leur version étudiante et les liens du README.

    Recopie aussi la version de Flower (`[tool.cours] flower`) dans les épinglages et les cellules `setup`.
    """
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
    return changed + stamp_flower_pins(root, config)


def _rewrite_links(text: str, config: dict) -> str:
    text = _COLAB_LINK.sub(lambda m: colab_url(m.group("path"), config), text)
    return _GIT_URL.sub(install_url(config), text)


# L'environnement des exécutions de test (CI, `record`, `run_twice`) : mode FAST, et NumPy/SciPy sur un seul fil
# (OpenBLAS), car plusieurs processus de test se partagent deux cœurs : chacun lancerait sinon deux fils par calcul,
# qui se disputent les cœurs (mesuré avec deux processus : −12 % sur deux notebooks fédérés, sorties identiques).
# TensorFlow garde ses fils : les réduire change ses sommes, donc des chiffres enregistrés.
TEST_ENVIRONMENT = {"COURSE_FAST": "1", "OPENBLAS_NUM_THREADS": "1"}


def use_test_environment(*, override: bool = False) -> None:
    """Fixe l'environnement des exécutions de test ; sans `override`, une valeur déjà choisie (`COURSE_FAST=0`) reste."""
    for name, value in TEST_ENVIRONMENT.items():
        if override or name not in os.environ:
            os.environ[name] = value


def record(paths: list[Path], root: Path = ROOT, timeout: int = 900) -> None:
    """Exécute des solutions en mode FAST et y enregistre les sorties des cellules `check`.

    Les miroirs sont régénérés dans un dossier neuf, comme en CI : un miroir resté en cache d'une version
    antérieure du générateur donnerait des sorties enregistrées que la CI ne retrouverait pas.
    """
    import tempfile
    from unittest import mock

    from nbclient import NotebookClient

    use_test_environment(override=True)  # les sorties enregistrées sont celles du mode FAST
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

    use_test_environment(override=True)  # comme en CI
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
    return found + flower_version_problems(root, config)


def _anatomy_problems(nb, config: dict, relative_path: str) -> list[str]:
    found = []
    if not nb.cells or colab_badge(relative_path, config) not in nb.cells[0].source:
        found.append("la première cellule doit porter le badge Colab de ce notebook")
    setup = [cell for cell in nb.cells if "setup" in tags(cell)]
    if len(setup) != 1 or install_url(config) not in setup[0].source:
        found.append("il faut exactement une cellule `setup` qui installe le cours depuis le dépôt et la branche "
                     f"configurés ({install_url(config)} ; lancez `python -m utils.notebooks build`)")
    for index, cell in enumerate(nb.cells):
        cell_tags = tags(cell)
        if "exercise" in cell_tags and BEGIN not in cell.source:
            found.append(f"cellule {index} : exercice sans bloc '{BEGIN}'")
        for definition in definitions_in_solutions(cell.source):
            found.append(f"cellule {index} : ligne `{definition}` dans un bloc de solution ; la ligne `def` et "
                         f"la docstring restent hors du bloc, seul le corps de la fonction est la réponse")
        if ("check" in cell_tags or "nbval-check-output" in cell_tags) and not cell.get("outputs"):
            found.append(f"cellule {index} : vérification sans sortie enregistrée (lancez `python -m utils.notebooks record`)")
        if "raises-exception" in cell_tags:
            found.append(f"cellule {index} : étiquette `raises-exception` ; aucune cellule ne doit lever (Colab ignore "
                         "les étiquettes et s'arrêterait là)")
    found += _unguarded_call_problems(nb)
    found += single_test_read_problems(nb)
    return found


def _unguarded_call_problems(nb) -> list[str]:
    """Les essais d'une fonction à écrire qui, dans la version étudiante, lèveraient au lieu de passer par `try_example`."""
    found, functions = [], set()
    for cell in nb.cells:
        if cell.cell_type == "code" and BEGIN in cell.source:
            try:
                functions.update(exercise_functions(cell.source))
            except ValueError:
                pass  # déjà signalé (marqueurs ou code invalide)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not functions:
            continue
        try:
            calls = unguarded_calls(cell.source, functions)
        except ValueError:
            continue
        for call in calls:
            name = call.split("(")[0]
            found.append(f"cellule {index} : {call} appelle une fonction à écrire ; dans la version étudiante elle "
                         f"lèverait NotImplementedError : écrivez `try_example({name}, ...)`")
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
