"""Vérification des exercices : des retours bienveillants, en français.

Chaque notebook a son module (`utils.checks.semaine_1`, ...). Toutes les vérifications suivent
la même règle : un exercice pas encore fait lève `ExerciseNotDone` (message qui dit quoi faire) ;
une réponse fausse affiche ce qui ne va pas et un indice, sans interrompre le notebook.
"""
from __future__ import annotations


class ExerciseNotDone(Exception):
    """L'exercice n'a pas encore été complété."""


def ensure_done(value, name: str):
    """Lève `ExerciseNotDone` si `value` vaut encore None (la cellule d'exercice n'a pas abouti)."""
    if value is None:
        raise ExerciseNotDone(
            f"« {name} » n'est pas encore défini : complétez la cellule d'exercice au-dessus "
            "(remplacez `raise NotImplementedError()` par votre code), exécutez-la, puis relancez cette vérification."
        )
    return value


def call_answer(function, *args, name: str | None = None, **kwargs):
    """Appelle la fonction écrite par l'apprenant ; `NotImplementedError` devient `ExerciseNotDone`."""
    ensure_done(function, name or getattr(function, "__name__", "la fonction"))
    try:
        return function(*args, **kwargs)
    except NotImplementedError as error:
        raise ExerciseNotDone(
            f"La fonction « {name or function.__name__} » n'est pas encore écrite : "
            "remplacez `raise NotImplementedError()` par votre code, puis relancez."
        ) from error


class Verdict:
    """Le verdict d'une vérification : vrai ou faux comme un booléen, mais muet dans Jupyter.

    Une cellule de vérification se termine par l'appel de la vérification ; si elle renvoyait `True`,
    Jupyter afficherait ce `True` sous le bilan déjà imprimé. `Verdict` se comporte comme le booléen
    (`if verdict`, `assert verdict`, `verdict == True`) et n'affiche rien (`_ipython_display_`).
    """

    __slots__ = ("passed",)

    def __init__(self, passed: bool):
        self.passed = bool(passed)

    def __bool__(self) -> bool:
        return self.passed

    def __eq__(self, other) -> bool:
        if isinstance(other, Verdict):
            return self.passed == other.passed
        if isinstance(other, (bool, int)):
            return self.passed == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.passed)

    def __repr__(self) -> str:
        return f"Verdict({self.passed})"

    def _ipython_display_(self) -> None:
        """Rien à afficher : le bilan a déjà été imprimé par `report`."""


def report(title: str, results: list[tuple[bool, str, str]]) -> Verdict:
    """Affiche le bilan d'un exercice.

    `results` : une liste de (réussi, ce qui est vérifié, indice si raté). Renvoie un `Verdict`,
    vrai si tout est juste, qui n'affiche rien de plus dans Jupyter.
    """
    print(title)
    for passed, what, hint in results:
        print(f"  {'✅' if passed else '❌'} {what}" + ("" if passed or not hint else f"\n     💡 {hint}"))
    success = all(passed for passed, _, _ in results)
    print("🎉 Bravo, exercice réussi !" if success else "Presque : corrigez les points marqués ❌ et relancez.")
    return Verdict(success)
