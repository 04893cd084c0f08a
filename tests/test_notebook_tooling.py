"""Outillage des notebooks : versions étudiantes, sorties, liens Colab, et état du dépôt."""
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from utils import notebooks as tooling

PYPROJECT = '[tool.cours]\nrepository = "{repo}"\nbranch = "main"\n'
OLD_BADGE = "[![Ouvrir dans Colab](https://colab.research.google.com/assets/colab-badge.svg)](https://colab.research.google.com/github/ancien/depot/blob/main/x.ipynb)"


def make_solution():
    cells = [
        new_markdown_cell(f"# Titre\n\n{OLD_BADGE}"),
        new_code_cell('import subprocess, sys\nif "google.colab" in sys.modules:\n'
                      '    subprocess.run(["pip", "install", "cours-fl-sante @ git+https://github.com/ancien/depot.git"])',
                      metadata={"tags": ["setup"]}),
        new_code_cell("x = 1\nprint(x)", outputs=[new_output("stream", name="stdout", text="1\n")], execution_count=3),
        new_code_cell("print('AUC ok')", metadata={"tags": ["nbval-check-output"]},
                      outputs=[new_output("stream", name="stdout", text="AUC ok\n")], execution_count=4),
        new_code_cell("def f(a):\n    ### BEGIN SOLUTION\n    return a + 1\n    ### END SOLUTION\n\n\n"
                      "answer = None\n### BEGIN SOLUTION\nanswer = f(1)\n### END SOLUTION",
                      metadata={"tags": ["exercise"]}),
        new_code_cell("check(answer)", metadata={"tags": ["check"]},
                      outputs=[new_output("stream", name="stdout", text="🎉 Bravo\n")], execution_count=5),
        new_markdown_cell("Vos idées :\n### BEGIN SOLUTION\nune idée\n### END SOLUTION", metadata={"tags": ["exercise"]}),
        new_markdown_cell("Suite : [atelier 2](https://colab.research.google.com/github/ancien/depot/blob/main/semaine_2/01_x.ipynb)"),
    ]
    return new_notebook(cells=cells)


@pytest.fixture
def course(tmp_path):
    (tmp_path / "pyproject.toml").write_text(PYPROJECT.format(repo="moi/cours"))
    (tmp_path / "semaine_1" / "solutions").mkdir(parents=True)
    nbformat.write(make_solution(), tmp_path / "semaine_1" / "solutions" / "01_test.ipynb")
    (tmp_path / "README.md").write_text(
        "[![Ouvrir dans Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        "(https://colab.research.google.com/github/ancien/depot/blob/main/semaine_1/01_test.ipynb)\n")
    return tmp_path


def test_replace_solutions_keeps_indentation_and_text_outside():
    source = "a = 1\ndef f():\n    ### BEGIN SOLUTION\n    return 2\n    ### END SOLUTION\nb = 3"
    assert tooling.replace_solutions(source) == \
        "a = 1\ndef f():\n    # VOTRE CODE ICI\n    raise NotImplementedError()\nb = 3"
    assert tooling.replace_solutions("### BEGIN SOLUTION\ntexte\n### END SOLUTION", "markdown") == tooling.MARKDOWN_PLACEHOLDER


FUNCTION_EXERCISE = (
    "def to_hounsfield(ds):\n"
    '    """Image de `ds` en unités Hounsfield (flottants)."""\n'
    "    ### BEGIN SOLUTION\n"
    "    slope = float(ds.RescaleSlope)\n"
    "    return ds.pixel_array * slope + float(ds.RescaleIntercept)\n"
    "    ### END SOLUTION\n"
    "\n\n"
    "to_hounsfield(ds).max()"
)


def test_function_exercise_keeps_signature_and_docstring():
    """Forme unique d'un exercice de fonction : la version étudiante garde `def` et docstring, pas le corps."""
    student = tooling.replace_solutions(FUNCTION_EXERCISE)
    assert student.splitlines()[:4] == [
        "def to_hounsfield(ds):",
        '    """Image de `ds` en unités Hounsfield (flottants)."""',
        "    # VOTRE CODE ICI",
        "    raise NotImplementedError()",
    ]
    assert "RescaleSlope" not in student and student.endswith("to_hounsfield(ds).max()")
    namespace = {}
    exec(student.rsplit("\n", 1)[0], namespace)  # la cellule étudiante définit bien la fonction...
    with pytest.raises(NotImplementedError):  # ... dont l'appel dit « pas encore écrite »
        namespace["to_hounsfield"](None)
    assert tooling.definitions_in_solutions(FUNCTION_EXERCISE) == []


@pytest.mark.parametrize("source", [
    "to_hounsfield = None\n### BEGIN SOLUTION\ndef to_hounsfield(ds):\n    return ds\n### END SOLUTION",
    "def f(x):\n    ### BEGIN SOLUTION\n    def helper(y):\n        return y\n    return helper(x)\n    ### END SOLUTION",
    "### BEGIN SOLUTION\nasync def f():\n    pass\n### END SOLUTION",
])
def test_definition_inside_a_solution_block_is_found(source):
    assert len(tooling.definitions_in_solutions(source)) == 1


@pytest.mark.parametrize("source, runs", [
    (FUNCTION_EXERCISE, True),
    (FUNCTION_EXERCISE.rsplit("\n", 3)[0], False),  # la fonction seule, jamais appelée
    ("answer = None\n### BEGIN SOLUTION\nanswer = 1\n### END SOLUTION", True),
    ("def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n\n\n# un essai :\n", False),
])
def test_student_function_exercise_must_be_called(source, runs):
    """La version étudiante d'un exercice doit lever NotImplementedError : la cellule appelle sa fonction."""
    assert tooling.runs_student_code(source) is runs


def test_check_refuses_a_def_line_inside_a_solution_block(course):
    solution_path = course / "semaine_1" / "solutions" / "01_test.ipynb"
    solution = nbformat.read(solution_path, 4)
    solution.cells[4].source = "f = None\n### BEGIN SOLUTION\ndef f(a):\n    return a + 1\n### END SOLUTION\nanswer = f(1)"
    nbformat.write(solution, solution_path)
    tooling.build(course)
    found = [p for p in tooling.problems(course) if "def f(a):" in p]
    assert len(found) == 1 and "cellule 4" in found[0] and "seul le corps" in found[0]
    solution.cells[4].source = "def f(a):\n    \"\"\"Ajoute 1.\"\"\"\n    ### BEGIN SOLUTION\n    return a + 1\n" \
                               "    ### END SOLUTION\n\n\nanswer = f(1)"
    nbformat.write(solution, solution_path)
    tooling.build(course)
    assert tooling.problems(course) == []
    student = nbformat.read(course / "semaine_1" / "01_test.ipynb", 4).cells[4].source
    assert student.startswith('def f(a):\n    """Ajoute 1."""\n    # VOTRE CODE ICI\n    raise NotImplementedError()')
    solution.cells[4].source = solution.cells[4].source.rsplit("\n", 3)[0]  # la fonction n'est plus appelée
    nbformat.write(solution, solution_path)
    tooling.build(course)
    assert any("cellule 4 : exercice de fonction que la cellule n'appelle pas" in p for p in tooling.problems(course))


@pytest.mark.parametrize("source", ["### BEGIN SOLUTION\nx", "x\n### END SOLUTION",
                                    "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION"])
def test_unbalanced_markers_are_refused(source):
    with pytest.raises(ValueError, match="SOLUTION"):
        tooling.replace_solutions(source)


def test_build_makes_clean_solution_and_student(course):
    tooling.build(course)
    solution = nbformat.read(course / "semaine_1" / "solutions" / "01_test.ipynb", 4)
    student = nbformat.read(course / "semaine_1" / "01_test.ipynb", 4)
    plain, result, exercise, check = solution.cells[2], solution.cells[3], solution.cells[4], solution.cells[5]
    assert plain.outputs == [] and plain.execution_count is None
    assert result.outputs and check.outputs and check.execution_count == 1
    assert "nbval-check-output" in check.metadata.tags
    assert "https://colab.research.google.com/github/moi/cours/blob/main/semaine_1/solutions/01_test.ipynb" in solution.cells[0].source
    assert "git+https://github.com/moi/cours.git" in solution.cells[1].source

    s_result, s_exercise, s_check, s_markdown = student.cells[3], student.cells[4], student.cells[5], student.cells[6]
    assert "https://colab.research.google.com/github/moi/cours/blob/main/semaine_1/01_test.ipynb" in student.cells[0].source
    assert s_result.outputs, "un résultat comparé du déroulé principal reste dans la version étudiante"
    assert "return a + 1" not in s_exercise.source and "answer = None" in s_exercise.source
    assert s_exercise.source.count("raise NotImplementedError()") == 2
    assert set(s_exercise.metadata.tags) == {"exercise", "raises-exception"}
    assert set(s_check.metadata.tags) == {"check", "raises-exception"} and s_check.outputs == []
    assert "github/moi/cours/blob/main/semaine_2/01_x.ipynb" in student.cells[7].source, "un lien vers un autre notebook garde sa cible"
    assert "une idée" not in s_markdown.source and tooling.MARKDOWN_PLACEHOLDER in s_markdown.source
    assert "github/moi/cours/blob/main/semaine_1/01_test.ipynb" in (course / "README.md").read_text()
    assert tooling.problems(course) == []


def test_check_finds_stale_students_stray_outputs_and_other_repositories(course):
    tooling.build(course)
    student_path = course / "semaine_1" / "01_test.ipynb"
    student = nbformat.read(student_path, 4)
    student.cells[4].source += "\n# modifié à la main"
    nbformat.write(student, student_path)
    solution_path = course / "semaine_1" / "solutions" / "01_test.ipynb"
    solution = nbformat.read(solution_path, 4)
    solution.cells[2].outputs = [new_output("stream", name="stdout", text="parasite\n")]
    nbformat.write(solution, solution_path)
    found = "\n".join(tooling.problems(course))
    assert "01_test.ipynb : n'est pas la version générée" in found
    assert "sorties parasites" in found

    tooling.build(course)
    assert tooling.problems(course) == []
    (course / "pyproject.toml").write_text(PYPROJECT.format(repo="autre/depot"))
    found = "\n".join(tooling.problems(course))
    assert "badge Colab" in found and "README.md" in found
    tooling.build(course)
    assert tooling.problems(course) == []


def test_check_output_must_be_recorded(course):
    solution_path = course / "semaine_1" / "solutions" / "01_test.ipynb"
    solution = nbformat.read(solution_path, 4)
    solution.cells[5].outputs = []
    nbformat.write(solution, solution_path)
    tooling.build(course)
    assert any("vérification sans sortie enregistrée" in p for p in tooling.problems(course))


def test_repository_notebooks_are_in_sync():
    """Ce que la CI exige : versions étudiantes générées, pas de sortie parasite, liens vers le dépôt configuré."""
    found = tooling.problems()
    assert found == [], "\n".join(found)
