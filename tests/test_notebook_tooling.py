"""Outillage des notebooks : versions étudiantes, sorties, liens Colab, et état du dépôt."""
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from utils import notebooks as tooling

PYPROJECT = '[tool.cours]\nrepository = "{repo}"\nbranch = "main"\nflower = "1.41.0"\n'
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
        f"a = 1\ndef f():\n    # VOTRE CODE ICI\n    {tooling.not_written_error('f')}\nb = 3"
    assert tooling.replace_solutions("### BEGIN SOLUTION\ntexte\n### END SOLUTION", "markdown") == tooling.MARKDOWN_PLACEHOLDER


FUNCTION_EXERCISE = (
    "def to_hounsfield(ds):\n"
    '    """Image de `ds` en unités Hounsfield (flottants)."""\n'
    "    ### BEGIN SOLUTION\n"
    "    slope = float(ds.RescaleSlope)\n"
    "    return ds.pixel_array * slope + float(ds.RescaleIntercept)\n"
    "    ### END SOLUTION\n"
    "\n\n"
    "try_example(to_hounsfield, ds)"
)


def test_function_exercise_keeps_signature_docstring_and_says_in_french_what_to_write():
    """Forme unique d'un exercice de fonction : la version étudiante garde `def` et docstring, pas le corps."""
    student = tooling.replace_solutions(FUNCTION_EXERCISE)
    assert student.splitlines()[:3] == [
        "def to_hounsfield(ds):",
        '    """Image de `ds` en unités Hounsfield (flottants)."""',
        "    # VOTRE CODE ICI",
    ]
    assert student.splitlines()[3].startswith("    raise NotImplementedError(")
    assert "RescaleSlope" not in student and student.endswith("try_example(to_hounsfield, ds)")
    namespace = {}
    exec(student.rsplit("\n", 1)[0], namespace)  # la cellule étudiante définit bien la fonction...
    with pytest.raises(NotImplementedError, match="« to_hounsfield » n'est pas encore écrite"):
        namespace["to_hounsfield"](None)  # ... dont l'appel à la main dit, en français, quoi écrire
    assert tooling.definitions_in_solutions(FUNCTION_EXERCISE) == []


def test_student_function_cell_runs_and_its_check_says_not_done(capsys):
    """« Tout exécuter » : la cellule étudiante ne lève pas ; l'essai et la vérification disent « pas encore »."""
    from utils.checks import ExerciseNotDone, call_answer, exercise_check, report, try_example

    @exercise_check
    def check_hounsfield(function):
        return report("Exercice", [(call_answer(function, 1) == 2, "1 → 2", "")])

    namespace = {"try_example": try_example, "ds": 1}
    exec(tooling.replace_solutions(FUNCTION_EXERCISE), namespace)
    assert "pas encore écrite" in capsys.readouterr().out
    verdict = check_hounsfield(namespace["to_hounsfield"])
    assert not verdict and verdict.not_done and "⏳ Exercice pas encore fait" in capsys.readouterr().out
    with pytest.raises(ExerciseNotDone):
        call_answer(namespace["to_hounsfield"], 1)


def test_value_exercise_placeholder_leaves_names_at_none_and_never_raises():
    """Exercice de valeur : les noms que la solution affecte (trouvés avec `ast`) valent None, rien ne lève."""
    predeclared = "answer = None\n### BEGIN SOLUTION\nhelper = 2\nanswer = helper + 1\n### END SOLUTION\nprint(answer)"
    assert tooling.replace_solutions(predeclared, later_code=[]) == "answer = None\n# VOTRE CODE ICI\nprint(answer)"
    bare = "### BEGIN SOLUTION\nfirst, second = 1, 2\nfor k in range(2):\n    total = k\n### END SOLUTION"
    assert tooling.replace_solutions(bare) == \
        "first = None  # VOTRE CODE ICI\nsecond = None  # VOTRE CODE ICI\nk = None  # VOTRE CODE ICI\ntotal = None  # VOTRE CODE ICI"
    # avec le code qui suit : seuls les noms lus avant d'être réaffectés sont posés (pas `second`, réaffecté d'abord)
    later = ["second = 5\nprint(first, total, second)", "print(k)"]
    assert tooling.replace_solutions(bare, later_code=later) == \
        "first = None  # VOTRE CODE ICI\nk = None  # VOTRE CODE ICI\ntotal = None  # VOTRE CODE ICI"
    assert tooling.replace_solutions(bare, later_code=["print(first)\nprint(f(predicted=1))"]) == "first = None  # VOTRE CODE ICI"
    for source in (predeclared, bare):
        namespace = {}
        exec(tooling.replace_solutions(source, later_code=[]), namespace)  # ne lève pas
    inside_if = "if True:\n    ### BEGIN SOLUTION\n    print(1)\n    ### END SOLUTION\nx = 1"
    exec(tooling.replace_solutions(inside_if), {})


@pytest.mark.parametrize("source", [
    "to_hounsfield = None\n### BEGIN SOLUTION\ndef to_hounsfield(ds):\n    return ds\n### END SOLUTION",
    "def f(x):\n    ### BEGIN SOLUTION\n    def helper(y):\n        return y\n    return helper(x)\n    ### END SOLUTION",
    "### BEGIN SOLUTION\nasync def f():\n    pass\n### END SOLUTION",
])
def test_definition_inside_a_solution_block_is_found(source):
    assert len(tooling.definitions_in_solutions(source)) == 1


@pytest.mark.parametrize("source, calls", [
    (FUNCTION_EXERCISE, []),
    (FUNCTION_EXERCISE.replace("try_example(to_hounsfield, ds)", "to_hounsfield(ds).max()"), ["to_hounsfield(…) ligne 9"]),
    (FUNCTION_EXERCISE.replace("try_example(to_hounsfield, ds)", "print([to_hounsfield(d) for d in [ds]])"),
     ["to_hounsfield(…) ligne 9"]),
    (FUNCTION_EXERCISE + "\nanswer = None\n### BEGIN SOLUTION\nanswer = to_hounsfield(ds)\n### END SOLUTION", []),
    (FUNCTION_EXERCISE + "\n\n\ndef later(ds):\n    return to_hounsfield(ds)", []),
    (FUNCTION_EXERCISE + "\nif try_example(to_hounsfield, ds) is not None:\n    print(to_hounsfield(ds))\n"
     "else:\n    to_hounsfield(0)", ["to_hounsfield(…) ligne 13"]),
])
def test_demo_calls_of_a_function_to_write_go_through_try_example(source, calls):
    """Un essai direct de la fonction à écrire lèverait dans la version étudiante : `check` le signale."""
    assert tooling.exercise_functions(source) == ["to_hounsfield"]
    assert tooling.unguarded_calls(source, ["to_hounsfield"]) == calls


def test_check_refuses_a_def_line_inside_a_solution_block(course):
    solution_path = course / "semaine_1" / "solutions" / "01_test.ipynb"
    solution = nbformat.read(solution_path, 4)
    solution.cells[4].source = "f = None\n### BEGIN SOLUTION\ndef f(a):\n    return a + 1\n### END SOLUTION\nanswer = f(1)"
    nbformat.write(solution, solution_path)
    tooling.build(course)
    found = [p for p in tooling.problems(course) if "def f(a):" in p]
    assert len(found) == 1 and "cellule 4" in found[0] and "seul le corps" in found[0]
    solution.cells[4].source = "def f(a):\n    \"\"\"Ajoute 1.\"\"\"\n    ### BEGIN SOLUTION\n    return a + 1\n" \
                               "    ### END SOLUTION\n\n\ntry_example(f, 1)\nanswer = None\n### BEGIN SOLUTION\n" \
                               "answer = f(1)\n### END SOLUTION"
    nbformat.write(solution, solution_path)
    tooling.build(course)
    assert tooling.problems(course) == []
    student = nbformat.read(course / "semaine_1" / "01_test.ipynb", 4).cells[4].source
    assert student.startswith('def f(a):\n    """Ajoute 1."""\n    # VOTRE CODE ICI\n    raise NotImplementedError(')
    assert "answer = None\n# VOTRE CODE ICI" in student
    solution.cells[4].source += "\nprint(f(2))"  # un essai direct : la version étudiante lèverait
    nbformat.write(solution, solution_path)
    tooling.build(course)
    assert any("cellule 4 : f(…) ligne 13 appelle une fonction à écrire" in p and "try_example(f" in p
               for p in tooling.problems(course))


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
    assert "git+https://github.com/moi/cours.git@main" in solution.cells[1].source

    s_result, s_exercise, s_check, s_markdown = student.cells[3], student.cells[4], student.cells[5], student.cells[6]
    assert "https://colab.research.google.com/github/moi/cours/blob/main/semaine_1/01_test.ipynb" in student.cells[0].source
    assert s_result.outputs, "un résultat comparé du déroulé principal reste dans la version étudiante"
    assert "return a + 1" not in s_exercise.source and "answer = None\n# VOTRE CODE ICI" in s_exercise.source
    assert s_exercise.source.count("raise NotImplementedError(") == 1, "seul le corps de la fonction lève, à l'appel"
    assert s_exercise.metadata.tags == ["exercise"] and s_exercise.outputs == []
    assert s_check.metadata.tags == ["check"], "ni raises-exception (Colab l'ignore), ni sortie de solution comparée"
    assert [out.text for out in s_check.outputs] == ["⏳ Exercice pas encore fait\n"]
    assert s_check.execution_count == 1, "nbval refuse une sortie enregistrée sans numéro d'exécution"
    assert tooling.student_check_output(s_check) == "⏳ Exercice pas encore fait"
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


# --------------------------------------------------------------------------- le test se lit une fois (issue 18 §6)
def guarded_notebook(*cells):
    return new_notebook(cells=[new_markdown_cell("# Titre")] + list(cells))


CLEAN_CELLS = [
    new_code_cell("splits = load(); x_train, x_val = splits['train'], splits['val']\nx_test = splits['test']\n"
                  "print(len(x_test))", metadata={"tags": ["test-mis-de-cote"]}),
    new_code_cell("model.fit(x_train, validation_data=x_val)  # on ne touche pas au test ici\n"
                  "print('AUC de test : plus tard')\nimport pytest\n"
                  "a, b = train_test_split(x_train, test_size=0.2)\nnp.testing.assert_allclose(1, 1)"),
    new_code_cell("print(model.evaluate(x_test))", metadata={"tags": ["lecture-du-test"]}),
]


def test_the_test_guard_passes_on_a_notebook_that_reads_its_test_once():
    assert tooling.single_test_read_problems(guarded_notebook(*CLEAN_CELLS)) == []


@pytest.mark.parametrize("planted, named", [
    ("best = max(models, key=lambda m: auc(y_test, m.predict(x_test)))", "x_test, y_test"),
    ("scores = X_TEST.mean()", "X_TEST"),
    ("test_df.head()", "test_df"),
    ("run_flower_simulation(clients, test_data=(x, y))", "test_data"),
    ("curve = pooled_test + X_test_pooled", "X_test_pooled, pooled_test"),
    ("images = data['test_images']", "'test_images'"),
    ("part = splits['test']", "'test'"),
    ("part = getattr(splits, 'labels_test')", "'labels_test'"),
    ("chosen = results.test.idxmax()", "test"),
    ("def evaluate(model, x_test):\n    return model(x_test)", "x_test"),
    ("def pick_on_test(model):\n    return model", "pick_on_test"),
])
def test_the_test_guard_fails_on_a_planted_second_read(planted, named):
    cells = CLEAN_CELLS[:2] + [new_code_cell(planted)] + CLEAN_CELLS[2:]
    found = tooling.single_test_read_problems(guarded_notebook(*cells))
    assert len(found) == 1 and found[0].startswith("cellule 3 : nomme le test") and f"({named})" in found[0], found


def test_the_test_guard_ignores_comments_magics_and_words_in_sentences():
    source = ("# x_test = splits['test']  (un commentaire)\n!pip install pytest\n%matplotlib inline\n"
              "print(\"le jeu de test commun n'est lu qu'à la fin\")\nf\"{n} images de test\"\nattest = contest = 1")
    assert tooling.mentions_of_test(source) == []
    assert tooling.single_test_read_problems(guarded_notebook(*CLEAN_CELLS, new_code_cell(source))) == []


def test_an_exception_to_the_test_rule_needs_its_reason_just_before():
    why = new_markdown_cell("Ici on relit le test pour montrer ce qu'il ne faut pas faire : choisir sur le test.")
    cell = new_code_cell("best = pick(x_test)", metadata={"tags": ["exception-test"]})
    assert tooling.single_test_read_problems(guarded_notebook(*CLEAN_CELLS, why, cell)) == []
    found = tooling.single_test_read_problems(guarded_notebook(*CLEAN_CELLS, new_markdown_cell("Une figure."), cell))
    assert len(found) == 1 and "exception-test" in found[0] and "pourquoi" in found[0]
    found = tooling.single_test_read_problems(guarded_notebook(*CLEAN_CELLS, new_code_cell("x = 1"), cell))
    assert len(found) == 1 and "exception-test" in found[0]


def test_check_runs_the_test_guard_on_every_solution(course):
    solution_path = course / "semaine_1" / "solutions" / "01_test.ipynb"
    solution = nbformat.read(solution_path, 4)
    solution.cells.insert(3, new_code_cell("print(auc(y_test, p))"))
    nbformat.write(solution, solution_path)
    tooling.build(course)
    assert [p for p in tooling.problems(course) if "nomme le test" in p] == \
        [p for p in tooling.problems(course) if "01_test.ipynb : cellule 3 : nomme le test (y_test)" in p]
    solution.cells[3].metadata["tags"] = ["lecture-du-test"]
    nbformat.write(solution, solution_path)
    tooling.build(course)
    assert tooling.problems(course) == []


# --------------------------------------------------------------------------- Flower : une version, recopiée par build
def test_flower_version_is_written_once_and_stamped_by_build(course):
    (course / "requirements.txt").write_text("numpy==2.0\nflwr[simulation]==1.40.0\n")
    docker = course / "semaine_6_a_8" / "projet_final" / "docker"
    docker.mkdir(parents=True)
    (docker / "Dockerfile").write_text("ARG FLWR_VERSION=1.40.0\nFROM flwr/supernode:${FLWR_VERSION}\n")
    (docker / "compose.yml").write_text("# FLWR_VERSION (1.40.0 par défaut).\nimage: flwr/superlink:${FLWR_VERSION:-1.40.0}\n")
    (course / "CONTRIBUTING.md").write_text("Dans Flower 1.40, SecAgg+ n'existe que dans le flux hérité.\n")
    solution_path = course / "semaine_1" / "solutions" / "01_test.ipynb"
    solution = nbformat.read(solution_path, 4)
    solution.cells[1].source = "# Flower 1.40 exige protobuf < 7\n" + solution.cells[1].source
    nbformat.write(solution, solution_path)

    found = "\n".join(tooling.problems(course))
    assert "requirements.txt : version de Flower différente" in found and "Dockerfile" in found and "compose.yml" in found
    assert "CONTRIBUTING.md : cite Flower 1.40" in found and "relisez" in found
    tooling.build(course)
    assert (course / "requirements.txt").read_text() == "numpy==2.0\nflwr[simulation]==1.41.0\n"
    assert (docker / "Dockerfile").read_text().startswith("ARG FLWR_VERSION=1.41.0\n")
    assert (docker / "compose.yml").read_text() == \
        "# FLWR_VERSION (1.41.0 par défaut).\nimage: flwr/superlink:${FLWR_VERSION:-1.41.0}\n"
    for path in (solution_path, course / "semaine_1" / "01_test.ipynb"):
        assert nbformat.read(path, 4).cells[1].source.startswith("# Flower 1.41 exige")
    # la prose n'est jamais réécrite : elle peut ne plus être vraie avec une autre version, on la relit
    assert [p for p in tooling.problems(course)] == \
        ["CONTRIBUTING.md : cite Flower 1.40, le cours installe Flower 1.41.0 : relisez ce passage (il peut ne plus "
         "être vrai) et mettez la version à jour"]


def test_the_install_url_follows_the_configured_branch_like_the_badges(course):
    (course / "pyproject.toml").write_text(PYPROJECT.format(repo="moi/cours").replace('"main"', '"printemps-2027"'))
    tooling.build(course)
    solution = nbformat.read(course / "semaine_1" / "solutions" / "01_test.ipynb", 4)
    assert "git+https://github.com/moi/cours.git@printemps-2027\"" in solution.cells[1].source
    assert "github/moi/cours/blob/printemps-2027/semaine_1/solutions/01_test.ipynb" in solution.cells[0].source
    assert tooling.problems(course) == []


def test_the_real_course_pins_one_flower_version():
    config = tooling.course_config()
    assert [p for p in tooling.flower_version_problems(tooling.ROOT, config) if "version de Flower différente" in p] == []
    import tomllib

    extras = tomllib.loads((tooling.ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert f"flwr[simulation]=={config['flower']}" in extras["federated"]


def test_contributing_maps_every_module_and_nothing_that_is_gone():
    """La carte des modules de CONTRIBUTING.md nomme chaque module de `utils/`, et aucun qui n'existe plus."""
    import re

    text = (tooling.ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    modules = {path.relative_to(tooling.ROOT).as_posix() for path in (tooling.ROOT / "utils").rglob("*.py")
               if not re.fullmatch(r"semaine_\d.*\.py", path.name)}
    named = set(re.findall(r"`(utils/[\w/]+\.py)`", text))
    assert sorted(modules - named) == [], "modules absents de la carte de CONTRIBUTING.md"
    assert sorted(path for path in named - modules if "semaine_N_NN" not in path) == [], \
        "CONTRIBUTING.md nomme des modules qui n'existent plus"
