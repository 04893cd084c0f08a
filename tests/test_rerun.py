"""Un atelier se relance (« Restart & Run All » puis tout réexécuter) et redonne exactement les mêmes résultats."""
import pytest

from utils.notebooks import ROOT, run_twice

pytestmark = pytest.mark.slow  # un atelier entier, exécuté deux fois


def test_breast_ultrasound_workshop_runs_twice_with_identical_results():
    first, second = run_twice(ROOT / "semaine_1" / "solutions" / "01_atelier_cancer_sein.ipynb")
    differences = [(a, b) for a, b in zip(first, second) if a != b]
    assert not differences, f"résultats différents à la seconde exécution : {differences[:3]}"
    assert any(text.startswith("AUC de test :") or "\nAUC de test :" in text for text in first)
