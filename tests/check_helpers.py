"""Outils partagés par les tests des vérifications d'exercices (`tests/test_checks_*.py`)."""


def not_written(*args, **kwargs):
    """Ce que contient la version étudiante d'un exercice de fonction : la signature, puis `raise NotImplementedError()`."""
    raise NotImplementedError()


def failed_with(capsys, verdict, *hints):
    """La vérification a refusé la réponse, avec le bilan « Presque » et chacun des indices attendus."""
    out = capsys.readouterr().out
    assert not verdict, out
    assert "❌" in out and "Presque" in out
    for hint in hints:
        assert hint in out, f"indice attendu : {hint!r}\n{out}"
