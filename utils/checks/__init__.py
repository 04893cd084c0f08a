"""Vérification des exercices : des retours bienveillants, en français.

Chaque notebook a son module (`utils.checks.semaine_1`, ...). Toutes les vérifications suivent
la même règle, et aucune n'interrompt le notebook (« Tout exécuter » de Colab va jusqu'au bout) :

- exercice pas encore fait : ⏳ et ce qu'il reste à écrire (à l'intérieur, `ensure_done` et `call_answer`
  lèvent `ExerciseNotDone` ; le décorateur `exercise_check` de chaque vérification l'affiche sans le relancer) ;
- réponse fausse : ❌, ce qui ne va pas et un indice ; réponse juste : ✅.

Une cellule d'exercice qui montre la fonction de l'apprenant sur un exemple l'appelle par `try_example` :
tant que le corps n'est pas écrit, elle le dit au lieu de lever une erreur.
"""
from __future__ import annotations

import functools


class ExerciseNotDone(Exception):
    """L'exercice n'a pas encore été complété."""


def ensure_done(value, name: str):
    """Lève `ExerciseNotDone` si `value` vaut encore None (la cellule d'exercice n'a pas abouti)."""
    if value is None:
        raise ExerciseNotDone(
            f"« {name} » n'est pas encore défini : complétez la cellule d'exercice au-dessus "
            "(votre code à la place de `# VOTRE CODE ICI`), exécutez-la, puis relancez cette vérification."
        )
    return value


def call_answer(function, *args, name: str | None = None, **kwargs):
    """Appelle la fonction écrite par l'apprenant ; `NotImplementedError` devient `ExerciseNotDone`."""
    ensure_done(function, name or getattr(function, "__name__", "la fonction"))
    try:
        return function(*args, **kwargs)
    except NotImplementedError as error:
        raise ExerciseNotDone(
            f"La fonction « {name or function.__name__} » n'est pas encore écrite : remplacez `# VOTRE CODE ICI` "
            "et la ligne `raise NotImplementedError(...)` par votre code, exécutez sa cellule, puis relancez."
        ) from error


NOT_DONE_MARK = "⏳ Exercice pas encore fait"


def exercise_check(check):
    """Décorateur des vérifications : un exercice pas encore fait est affiché (⏳), jamais levé.

    Renvoie alors un `Verdict` faux dont `not_done` est vrai : distinct d'une réponse fausse (❌).
    """

    @functools.wraps(check)
    def checked(*args, **kwargs):
        try:
            return check(*args, **kwargs)
        except ExerciseNotDone as not_done:
            print(f"{NOT_DONE_MARK} : {not_done}")
            return Verdict(False, not_done=True)

    return checked


def try_example(function, *args, **kwargs):
    """Appelle la fonction de l'apprenant sur un exemple ; si son corps n'est pas encore écrit, le dit (⏳).

    Renvoie le résultat de la fonction, ou None tant qu'elle lève `NotImplementedError`.
    """
    try:
        return function(*args, **kwargs)
    except NotImplementedError:
        print(f"⏳ La fonction « {getattr(function, '__name__', 'à écrire')} » n'est pas encore écrite : "
              "remplacez `# VOTRE CODE ICI` et la ligne `raise NotImplementedError(...)` par votre code, "
              "exécutez la cellule, puis relancez.")
        return None


class Verdict:
    """Le verdict d'une vérification : vrai ou faux comme un booléen, mais muet dans Jupyter.

    Une cellule de vérification se termine par l'appel de la vérification ; si elle renvoyait `True`,
    Jupyter afficherait ce `True` sous le bilan déjà imprimé. `Verdict` se comporte comme le booléen
    (`if verdict`, `assert verdict`, `verdict == True`) et n'affiche rien (`_ipython_display_`).
    """

    __slots__ = ("passed", "not_done")

    def __init__(self, passed: bool, not_done: bool = False):
        self.passed = bool(passed)
        self.not_done = bool(not_done)

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
