"""Vérifications des exercices du notebook semaine_6_a_8/01 (attaques contre l'apprentissage fédéré)."""
from __future__ import annotations

import numpy as np

from . import Verdict, call_answer, report


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
    identity = call_answer(sign_flip, [np.ones(2)], [np.ones(2)], 5.0, name="sign_flip")
    unchanged = isinstance(identity, (list, tuple)) and len(identity) == 1 and np.allclose(identity[0], 1.0)
    return report("Exercice 1 — la mise à jour renversée", [
        (is_list, "une liste avec un tableau par couche", "Renvoyez une liste, comme `model.get_weights()`."),
        (shapes, "chaque couche garde sa forme", "Calculez couche par couche, sans aplatir."),
        (values, "les poids envoyés valent w_global − k·(w_local − w_global)", hint),
        (unchanged, "sans apprentissage (w_local = w_global), rien ne bouge", "Si Δ = 0, l'attaquant renvoie w_global."),
    ])


def check_backdoor_success(backdoor_success) -> Verdict:
    """Exercice 2 : le taux de succès ne compte que les images de vraie classe ≠ cible."""
    predicted = np.array([0, 0, 0, 1, 1, 0, 0, 1])
    true_labels = np.array([0, 0, 1, 1, 1, 1, 0, 1])
    answer = call_answer(backdoor_success, predicted.copy(), true_labels.copy(), 0, name="backdoor_success")
    expected = 2 / 5  # vraies classes 1 : indices 2, 3, 4, 5, 7 ; prédites 0 : 2 et 5
    is_number = isinstance(answer, (int, float, np.floating)) and np.isfinite(float(answer))
    right = is_number and abs(float(answer) - expected) < 1e-9
    all_images = is_number and abs(float(answer) - np.mean(predicted == 0)) < 1e-9
    accuracy = is_number and abs(float(answer) - np.mean(predicted == true_labels)) < 1e-9
    other = call_answer(backdoor_success, np.array([1, 1, 0]), np.array([0, 1, 0]), 1, name="backdoor_success")
    target_one = isinstance(other, (int, float, np.floating)) and abs(float(other) - 0.5) < 1e-9
    hint = "Gardez seulement les images dont la vraie classe n'est pas `target`, puis la part prédite `target`."
    if all_images:
        hint = "Vous comptez aussi les images déjà malignes : les classer « malin » n'est pas un succès de l'attaque."
    elif accuracy:
        hint = "C'est l'exactitude : le succès de l'attaque compare la prédiction à la cible, pas à la vraie classe."
    return report("Exercice 2 — le taux de succès d'une porte dérobée", [
        (is_number, "un nombre entre 0 et 1", "Renvoyez une proportion (un float)."),
        (right, "la part des images de vraie classe ≠ cible classées dans la cible", hint),
        (target_one, "la cible est un paramètre (essai avec target = 1)", "N'écrivez pas 0 en dur : utilisez `target`."),
    ])


def check_membership_guess(membership_guess) -> Verdict:
    """Exercice 3 : membre si la perte est strictement sous le seuil."""
    losses = np.array([0.05, 0.9, 0.3, 2.5, 0.3])
    answer = call_answer(membership_guess, losses.copy(), 0.3, name="membership_guess")
    expected = losses < 0.3
    array = np.asarray(answer) if answer is not None else None
    shape_ok = array is not None and array.shape == expected.shape
    boolean = shape_ok and array.dtype == bool
    right = shape_ok and np.array_equal(array.astype(bool), expected)
    reversed_ = shape_ok and np.array_equal(array.astype(bool), losses > 0.3)
    non_strict = shape_ok and np.array_equal(array.astype(bool), losses <= 0.3)
    hint = "Un exemple vu à l'entraînement a une perte FAIBLE : « membre » si perte < seuil."
    if reversed_:
        hint = "Le sens est inversé : c'est une perte faible qui trahit un exemple d'entraînement."
    elif non_strict:
        hint = "Strictement inférieure : une perte égale au seuil donne « non-membre »."
    return report("Exercice 3 — l'attaque d'appartenance par seuil", [
        (shape_ok, "une réponse par exemple", "Comparez tout le tableau d'un coup : `np.asarray(losses) < threshold`."),
        (boolean, "des booléens (True = membre)", "Une comparaison NumPy donne directement des booléens."),
        (right, "membre ⇔ perte < seuil", hint),
    ])


def check_label_from_gradient(label_from_gradient) -> Verdict:
    """Exercice 4 : iDLG, la seule composante négative du gradient du biais de sortie."""
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
    synthetic = [np.zeros((2, 3)), np.array([0.2, 0.5, -0.9, 0.2])]
    argmax_trap = call_answer(label_from_gradient, synthetic, name="label_from_gradient")
    not_argmax = isinstance(argmax_trap, (int, np.integer)) and int(argmax_trap) == 2
    hint = "∂L/∂b_c = p_c − 1[c = y] : la vraie classe est la seule composante NÉGATIVE (`np.argmin`)."
    if not not_argmax and isinstance(argmax_trap, (int, np.integer)) and int(argmax_trap) == 1:
        hint = "Vous prenez la plus grande composante : c'est la vraie classe qui a p_c − 1 < 0, la plus petite."
    return report("Exercice 4 — lire l'étiquette dans le gradient (iDLG)", [
        (as_int, "un entier (le numéro de la classe)", "Convertissez avec `int(...)`."),
        (right and not_argmax, "la classe retrouvée dans le gradient du biais de la dernière couche", hint),
    ])
