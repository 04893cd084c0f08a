"""Vérifications des exercices du notebook semaine_4/01 (lire des comptes rendus médicaux)."""
from __future__ import annotations

import numpy as np

from . import call_answer, ensure_done, exercise_check, report


def _constant_scores(label, y_val):
    """Exactitude et macro-F1 (moyenne sur les classes présentes, comme `f1_score` par défaut) d'une réponse constante."""
    from sklearn.metrics import accuracy_score, f1_score

    constant = np.full(len(y_val), label)
    labels = np.union1d(y_val, [label])
    return (accuracy_score(y_val, constant), f1_score(y_val, constant, labels=labels, average="macro", zero_division=0),
            f1_score(y_val, constant, labels=labels, average=None, zero_division=0))


@exercise_check
def check_majority_baseline(majority_accuracy, majority_macro_f1, y_val, y_train) -> bool:
    """Exercice 1 : exactitude et macro-F1, sur la validation, d'un « modèle » qui répond toujours la classe la plus
    fréquente de l'entraînement."""
    ensure_done(majority_accuracy, "majority_accuracy")
    ensure_done(majority_macro_f1, "majority_macro_f1")
    y_val, y_train = np.asarray(y_val), np.asarray(y_train)
    values, counts = np.unique(y_train, return_counts=True)
    expected_acc, expected_f1, per_class = _constant_scores(values[np.argmax(counts)], y_val)
    val_values, val_counts = np.unique(y_val, return_counts=True)
    leaky_acc, leaky_f1, _ = _constant_scores(val_values[np.argmax(val_counts)], y_val)
    numbers = all(isinstance(v, (int, float, np.floating, np.integer)) and not isinstance(v, bool)
                  for v in (majority_accuracy, majority_macro_f1))
    acc, f1 = (float(majority_accuracy), float(majority_macro_f1)) if numbers else (np.nan, np.nan)
    acc_ok = numbers and abs(acc - expected_acc) < 1e-3
    f1_ok = numbers and abs(f1 - expected_f1) < 1e-3
    swapped = numbers and abs(acc - expected_f1) < 1e-3 and abs(f1 - expected_acc) < 1e-3
    f1_of_one_class = numbers and any(abs(f1 - v) < 1e-3 for v in per_class)
    leaky = (numbers and not (acc_ok and f1_ok) and abs(acc - leaky_acc) < 1e-3 and abs(f1 - leaky_f1) < 1e-3)
    leak_hint = (" Vous avez pris la classe la plus fréquente de la VALIDATION : c'est lire les réponses de l'examen. "
                 "La règle « constante » se fixe sur l'entraînement (`train[\"target\"]`), puis se juge sur la validation."
                 if leaky else "")
    return report("Exercice 1 — exactitude et macro-F1 sur des classes déséquilibrées", [
        (numbers, "deux nombres", "Calculez deux flottants avec `accuracy_score` et `f1_score`."),
        (acc_ok, "l'exactitude de la réponse constante",
         "Prédisez pour chaque compte rendu de validation la classe la plus fréquente de l'ENTRAÎNEMENT, puis `accuracy_score`."
         + (" Vous avez inversé les deux valeurs." if swapped else "") + leak_hint),
        (f1_ok, "sa macro-F1 (moyenne des F1 des classes, chaque classe compte autant)",
         "`f1_score(y_val, predictions, average=\"macro\", zero_division=0)` : les classes jamais prédites ont un F1 de 0."
         + (" Vous avez donné le F1 d'une seule classe, pas la moyenne sur les classes." if f1_of_one_class and not f1_ok
            else "")),
    ])


@exercise_check
def check_most_confused(most_confused, confusion, class_names) -> bool:
    """Exercice 2 : la paire (vraie classe, classe prédite) la plus fréquente hors de la diagonale."""
    ensure_done(most_confused, "most_confused")
    if isinstance(most_confused, np.ndarray):  # np.array(SPECIALTIES)[[i, j]] : une réponse juste aussi
        most_confused = tuple(str(name) for name in most_confused.ravel())
    confusion = np.asarray(confusion)
    off = confusion.copy()
    np.fill_diagonal(off, -1)
    best = off.max()
    pairs = {(class_names[i], class_names[j]) for i, j in zip(*np.where(off == best))}
    is_pair = isinstance(most_confused, (tuple, list)) and len(most_confused) == 2
    names_ok = is_pair and all(name in class_names for name in most_confused)
    right = is_pair and tuple(most_confused) in pairs
    reversed_pair = is_pair and tuple(most_confused)[::-1] in pairs and not right
    diagonal = is_pair and most_confused[0] == most_confused[1]
    hint = "Cherchez la plus grande case HORS de la diagonale : ligne = vraie spécialité, colonne = prédite."
    if reversed_pair:
        hint = "C'est la bonne paire, mais dans l'autre sens : la ligne est la vraie classe, la colonne la prédiction."
    elif diagonal:
        hint = "La diagonale compte les bonnes réponses : cherchez la plus grande case ailleurs."
    return report("Exercice 2 — la confusion la plus fréquente", [
        (is_pair, "un couple (vraie spécialité, spécialité prédite)", "Répondez par un tuple de deux noms, par exemple (\"A\", \"B\")."),
        (names_ok, "des noms de spécialités de la matrice", f"Choisissez parmi : {', '.join(class_names)}."),
        (right, "la case la plus remplie hors de la diagonale", hint),
    ])


_HEADER_CASES = [
    ("CARDIOLOGY CONSULTATION,CHIEF COMPLAINT:,  Chest pain.", ["CARDIOLOGY", "CHIEF COMPLAINT"], ["Chest pain"]),
    ("HISTORY OF PRESENT ILLNESS: The EKG was normal.", ["HISTORY OF PRESENT ILLNESS"], ["The EKG was normal."]),
    ("EXAM:,  MRI of the brain.,IMPRESSION:,  No acute findings.", ["EXAM", "IMPRESSION"], ["MRI of the brain", "No acute findings"]),
    ("Seen in UROLOGY CLINIC for PSA follow-up.", ["UROLOGY CLINIC"], ["PSA follow-up", "Seen in"]),
]
# Cas cachés (absents de l'énoncé) : une liste d'en-têtes écrite à la main ne les connaît pas.
_LONG_TITLE = ("ORTHOPAEDIC SURGERY FOLLOWUP,PLAN: rest.", ["ORTHOPAEDIC", "SURGERY", "FOLLOWUP", "PLAN"], ["rest."])
_UNSEEN_HEADER = ("REVIEW OF SYSTEMS: negative.", ["REVIEW", "SYSTEMS"], ["negative."])
# Abréviations isolées de 2 à 5 lettres (TURBT : résection transurétrale de vessie), dont deux séparées par une virgule :
# rien à masquer. Une liste d'abréviations écrite en dur, ou « 5 lettres ou plus », ne les connaît pas toutes.
_ABBREVIATIONS = "COPD exacerbation, ERCP, CT and TURBT done."
_OTHER_TOKEN = ("EXAM: MRI.", "[X]")  # le paramètre `token` est respecté, pas la valeur par défaut écrite en dur


@exercise_check
def check_mask_headers(mask_headers, token: str = "[EN-TETE]") -> bool:
    """Exercice 3 : masquer en-têtes de section et titres en majuscules, garder le reste du texte."""
    cases = _HEADER_CASES + [_LONG_TITLE, _UNSEEN_HEADER]
    outputs = [call_answer(mask_headers, text, name="mask_headers") for text, _, _ in cases]
    strings = all(isinstance(out, str) for out in outputs)

    def clean(out, case):
        _, headers, keep = case
        return not any(h in out for h in headers) and all(k in out for k in keep) and token in out

    removed = strings and all(not any(h in out for h in headers) for out, (_, headers, _) in zip(outputs[:4], _HEADER_CASES))
    kept = strings and all(all(k in out for k in keep) for out, (_, _, keep) in zip(outputs, cases))
    other_text, other_token = _OTHER_TOKEN
    other = call_answer(mask_headers, other_text, token=other_token, name="mask_headers")
    token_used = (strings and all(token in out for out in outputs) and isinstance(other, str)
                  and other_token in other and "EXAM" not in other)
    long_title = strings and clean(outputs[4], _LONG_TITLE)
    unseen = strings and clean(outputs[5], _UNSEEN_HEADER)
    abbreviated = call_answer(mask_headers, _ABBREVIATIONS, name="mask_headers")
    abbreviation = (strings and "EKG" in outputs[1] and "PSA" in outputs[3] and "MRI" in outputs[2]
                    and abbreviated == _ABBREVIATIONS)
    plain = call_answer(mask_headers, "no header here.", name="mask_headers")
    unchanged = plain == "no header here."
    return report("Exercice 3 — masquer les en-têtes", [
        (strings, "la fonction renvoie du texte", "Renvoyez la chaîne modifiée (`return pattern.sub(...)`)."),
        (removed, "les en-têtes (« MOTS: ») et les titres (deux mots en majuscules ou plus) disparaissent",
         "Deux cas dans l'expression : des mots en majuscules suivis de « : », ou au moins deux mots en majuscules à la suite."),
        (token_used, f"ils sont remplacés par « {token} »",
         f"Remplacez chaque en-tête par le paramètre `token` (par défaut {token!r}), pas par ce texte écrit en dur : "
         "`mask_headers(\"EXAM: MRI.\", token=\"[X]\")` doit donner « [X] MRI. »."),
        (kept, "le reste du texte est gardé", "Ne retirez que les en-têtes : le texte clinique qui suit doit rester."),
        (long_title, "un titre de trois mots ou plus disparaît en entier (« ORTHOPAEDIC SURGERY FOLLOWUP »)",
         "Un titre peut avoir deux, trois mots ou plus : répétez « espace + mot en majuscules » avec `+`, pas une seule fois."),
        (unseen, "un en-tête qui n'est pas dans l'énoncé est masqué aussi (« REVIEW OF SYSTEMS: »)",
         "Décrivez la FORME d'un en-tête (mots en majuscules, puis « : »), pas une liste d'en-têtes connus."),
        (abbreviation, "une abréviation isolée (EKG, MRI, PSA, mais aussi CT ou COPD) n'est pas un en-tête",
         "Un seul mot en majuscules sans « : » est une abréviation médicale, quelle que soit sa longueur (CT, EKG, COPD) : "
         "il faut au moins deux mots en majuscules séparés par des espaces (une virgule sépare deux abréviations, "
         "elle ne fait pas un titre), ou un « : ». Ne listez pas les abréviations à garder, et ne fixez pas de "
         "longueur minimale."),
        (unchanged, "un texte sans en-tête ne change pas", "Sans majuscules, rien ne doit être remplacé."),
    ])
