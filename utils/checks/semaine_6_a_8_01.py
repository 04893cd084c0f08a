"""Vérifications des exercices du notebook semaine_6_a_8/01 (attaques contre l'apprentissage fédéré)."""
from __future__ import annotations

import numpy as np

from . import Verdict, call_answer, exercise_check, report


@exercise_check
def check_sign_flip(sign_flip) -> Verdict:
    """Exercice 1 : w_global − k · (w_local − w_global), couche par couche."""
    from utils.security import ModelPoisoningMod

    rng = np.random.default_rng(0)
    global_w = [rng.normal(size=(3, 2)), rng.normal(size=2)]
    local_w = [g + rng.normal(scale=0.1, size=g.shape) for g in global_w]
    answer = call_answer(sign_flip, [g.copy() for g in global_w], [w.copy() for w in local_w], 3.0, name="sign_flip")
    expected = ModelPoisoningMod([0], mode="sign-flip", factor=3.0).poison(global_w, local_w)
    is_list = isinstance(answer, (list, tuple)) and len(answer) == len(expected)
    shapes = is_list and all(np.shape(a) == np.shape(e) for a, e in zip(answer, expected))
    values = shapes and all(np.allclose(a, e, atol=1e-9) for a, e in zip(answer, expected))
    scaled = shapes and all(np.allclose(a, g + 3.0 * (w - g)) for a, g, w in zip(answer, global_w, local_w))
    no_base = shapes and all(np.allclose(a, -3.0 * (w - g)) for a, g, w in zip(answer, global_w, local_w))
    hint = "Partez des poids globaux et retirez-leur k fois la mise à jour honnête (w_local − w_global)."
    if scaled:
        hint = "Vous avez amplifié la mise à jour dans le bon sens : l'attaque la renverse (signe moins)."
    elif no_base:
        hint = "Vous renvoyez seulement −k·Δ : ajoutez les poids globaux, le serveur attend des poids, pas une différence."
    # un second facteur, sur d'autres poids : un facteur écrit en dur ne passe pas
    global_2 = [rng.normal(size=(2, 2)), rng.normal(size=3)]
    local_2 = [g + rng.normal(scale=0.1, size=g.shape) for g in global_2]
    answer_2 = call_answer(sign_flip, [g.copy() for g in global_2], [w.copy() for w in local_2], 0.7, name="sign_flip")
    expected_2 = ModelPoisoningMod([0], mode="sign-flip", factor=0.7).poison(global_2, local_2)
    other_factor = (isinstance(answer_2, (list, tuple)) and len(answer_2) == len(expected_2)
                    and all(np.shape(a) == np.shape(e) and np.allclose(a, e, atol=1e-9)
                            for a, e in zip(answer_2, expected_2)))
    identity = call_answer(sign_flip, [np.ones(2)], [np.ones(2)], 5.0, name="sign_flip")
    unchanged = isinstance(identity, (list, tuple)) and len(identity) == 1 and np.allclose(identity[0], 1.0)
    return report("Exercice 1 — la mise à jour renversée", [
        (is_list, "une liste avec un tableau par couche", "Renvoyez une liste, comme `model.get_weights()`."),
        (shapes, "chaque couche garde sa forme", "Calculez couche par couche, sans aplatir."),
        (values, "les poids envoyés valent w_global − k·(w_local − w_global)", hint),
        (values and other_factor, "le facteur k est un paramètre (essai avec k = 0,7)",
         "N'écrivez pas le facteur en dur : utilisez l'argument `factor`." if values else hint),
        (unchanged, "sans apprentissage (w_local = w_global), rien ne bouge", "Si Δ = 0, l'attaquant renvoie w_global."),
    ])


@exercise_check
def check_backdoor_success(backdoor_success) -> Verdict:
    """Exercice 2 : le taux de succès ne compte que les images de vraie classe ≠ cible.

    Trois cas : le deuxième sépare P(prédite = t | vraie ≠ t), la bonne réponse, de P(vraie ≠ t | prédite = t),
    l'erreur de conditionnement (la part des « prédites cible » qui n'étaient pas de la cible).
    """
    cases = [  # (prédites, vraies, cible, réponse attendue)
        (np.array([0, 0, 0, 1, 1, 0, 0, 1]), np.array([0, 0, 1, 1, 1, 1, 0, 1]), 0, 2 / 5),
        (np.array([0, 0, 0, 0, 1]), np.array([0, 0, 0, 1, 1]), 0, 1 / 2),
        (np.array([1, 1, 0]), np.array([0, 1, 0]), 1, 1 / 2),
    ]
    answers = [call_answer(backdoor_success, p.copy(), t.copy(), target, name="backdoor_success")
               for p, t, target, _ in cases]

    def number(a):
        return isinstance(a, (int, float, np.integer, np.floating)) and not isinstance(a, bool) and np.isfinite(float(a))

    def matches(rule, use_target=True):
        return all(number(a) and abs(float(a) - rule(p, t, target if use_target else 0)) < 1e-9
                   for a, (p, t, target, _) in zip(answers, cases))

    is_number = all(number(a) for a in answers)
    in_range = is_number and all(0.0 <= float(a) <= 1.0 for a in answers)
    right_target_zero = all(number(a) and abs(float(a) - e) < 1e-9 for a, (_, _, _, e) in zip(answers[:2], cases[:2]))
    right = right_target_zero and number(answers[2]) and abs(float(answers[2]) - cases[2][3]) < 1e-9
    hint = "Gardez seulement les images dont la vraie classe n'est pas `target`, puis la part prédite `target`."
    if matches(lambda p, t, c: np.mean(p == c)):
        hint = "Vous comptez aussi les images déjà malignes : les classer « malin » n'est pas un succès de l'attaque."
    elif matches(lambda p, t, c: np.mean(p == t)):
        hint = "C'est l'exactitude : le succès de l'attaque compare la prédiction à la cible, pas à la vraie classe."
    elif matches(lambda p, t, c: np.mean(t[p == c] != c)):
        hint = ("Vous avez conditionné dans l'autre sens : parmi les images prédites `target`, la part qui n'en était "
                "pas. On veut : parmi les images qui ne sont PAS de la cible, la part prédite `target`.")
    return report("Exercice 2 — le taux de succès d'une porte dérobée", [
        (is_number, "un nombre", "Renvoyez une proportion (un float)."),
        (in_range, "entre 0 et 1", "Une proportion est comprise entre 0 et 1 : divisez par le nombre d'images comptées."),
        (right_target_zero, "la part des images de vraie classe ≠ cible classées dans la cible", hint),
        (right, "la cible est un paramètre (essai avec target = 1)",
         "N'écrivez pas 0 en dur : utilisez `target`." if right_target_zero else hint),
    ])


@exercise_check
def check_membership_guess(membership_guess) -> Verdict:
    """Exercice 3 : membre si la perte est strictement sous le seuil."""
    losses = np.array([0.05, 0.9, 0.3, 2.5, 0.3])
    answer = call_answer(membership_guess, losses.copy(), 0.3, name="membership_guess")
    expected = losses < 0.3
    array = np.asarray(answer) if answer is not None else None
    shape_ok = array is not None and array.shape == expected.shape
    boolean = shape_ok and array.dtype == bool
    second = call_answer(membership_guess, losses.copy(), 1.0, name="membership_guess")
    second_ok = second is not None and np.shape(second) == expected.shape and np.array_equal(
        np.asarray(second).astype(bool), losses < 1.0)
    right = shape_ok and np.array_equal(array.astype(bool), expected) and second_ok
    reversed_ = shape_ok and np.array_equal(array.astype(bool), losses > 0.3)
    non_strict = shape_ok and np.array_equal(array.astype(bool), losses <= 0.3)
    hint = "Un exemple vu à l'entraînement a une perte FAIBLE : « membre » si perte < seuil."
    if shape_ok and np.array_equal(array.astype(bool), expected) and not second_ok:
        hint = "Le seuil est un paramètre : comparez à `threshold`, pas à une valeur écrite en dur."
    elif reversed_:
        hint = "Le sens est inversé : c'est une perte faible qui trahit un exemple d'entraînement."
    elif non_strict:
        hint = "Strictement inférieure : une perte égale au seuil donne « non-membre »."
    return report("Exercice 3 — l'attaque d'appartenance par seuil", [
        (shape_ok, "une réponse par exemple", "Comparez tout le tableau d'un coup : `np.asarray(losses) < threshold`."),
        (boolean, "des booléens (True = membre)", "Une comparaison NumPy donne directement des booléens."),
        (right, "membre ⇔ perte < seuil", hint),
    ])


@exercise_check
def check_label_from_gradient(label_from_gradient) -> Verdict:
    """Exercice 4 : iDLG. Deux règles justes : la seule composante négative du gradient du biais de sortie
    (la simplification du cours), ou celle du gradient des poids de sortie sommé sur les entrées (Zhao et al.)."""
    from utils.security import build_inversion_model, client_gradients

    model = build_inversion_model(input_shape=(8, 8, 1), num_classes=4, seed=1)
    rng = np.random.default_rng(1)
    image = rng.random((1, 8, 8, 1)).astype(np.float32)
    found, as_int = [], True
    for label in range(4):
        grads = client_gradients(model, image, np.array([label]), num_classes=4)
        answer = call_answer(label_from_gradient, [np.array(g) for g in grads], name="label_from_gradient")
        as_int = as_int and isinstance(answer, (int, np.integer)) and not isinstance(answer, bool)
        found.append(answer)
    right = [int(a) if isinstance(a, (int, np.integer)) else None for a in found] == [0, 1, 2, 3]
    # un gradient cohérent écrit à la main : activations a ≥ 0, gradient du biais b, gradient des poids a·bᵀ
    activations = np.array([0.3, 0.8, 0.1, 0.6, 0.2])
    bias_gradient = np.array([0.2, 0.5, -0.9, 0.2])
    synthetic = [np.outer(activations, bias_gradient), bias_gradient]
    argmax_trap = call_answer(label_from_gradient, synthetic, name="label_from_gradient")
    not_argmax = isinstance(argmax_trap, (int, np.integer)) and int(argmax_trap) == 2
    hint = ("∂L/∂b_c = p_c − 1[c = y] : la vraie classe est la seule composante NÉGATIVE du gradient du biais "
            "(`np.argmin`).")
    if not not_argmax and isinstance(argmax_trap, (int, np.integer)) and int(argmax_trap) == 1:
        hint = "Vous prenez la plus grande composante : c'est la vraie classe qui a p_c − 1 < 0, la plus petite."
    return report("Exercice 4 — lire l'étiquette dans le gradient (iDLG)", [
        (as_int, "un entier (le numéro de la classe)", "Convertissez avec `int(...)`."),
        (right and not_argmax, "la classe retrouvée dans le gradient de la dernière couche", hint),
    ])
