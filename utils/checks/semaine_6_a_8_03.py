"""Vérifications du notebook semaine_6_a_8/03 (projet final) : jalons du projet et exercices."""
from __future__ import annotations

import difflib
import inspect
import json
import re
import tempfile
import unicodedata
from pathlib import Path

import numpy as np

from . import Verdict, call_answer, ensure_done, exercise_check, report

# ============================================================================ jalon 1 : audit des données
AUDIT_COLUMNS = ("images d'entraînement", "images de validation", "part de malins (entraînement)",
                 "part de malins (validation)")


@exercise_check
def milestone_audit(audit, *, pooled_train: int, pooled_val: int, num_hospitals: int = 3) -> Verdict:
    """Jalon 1 : le tableau d'audit couvre chaque hôpital, sans image perdue ni comptée deux fois."""
    rows = audit.loc[[index for index in audit.index if index != "total"]] if "total" in audit.index else audit
    has_columns = all(column in audit.columns for column in AUDIT_COLUMNS)
    one_row_each = len(rows) == num_hospitals
    complete = has_columns and int(rows[AUDIT_COLUMNS[0]].sum()) == pooled_train \
        and int(rows[AUDIT_COLUMNS[1]].sum()) == pooled_val
    shares = has_columns and bool(((rows[list(AUDIT_COLUMNS[2:])] >= 0) & (rows[list(AUDIT_COLUMNS[2:])] <= 1)).all().all())
    both_classes = has_columns and bool(((rows[AUDIT_COLUMNS[2]] > 0) & (rows[AUDIT_COLUMNS[2]] < 1)).all())
    return report("Jalon 1 — audit des données", [
        (has_columns, "le tableau a les colonnes de l'audit", f"Colonnes attendues : {', '.join(AUDIT_COLUMNS)}."),
        (one_row_each, f"une ligne par hôpital ({num_hospitals})", "Une ligne par hôpital (partition-id 0, 1, 2)."),
        (complete, "chaque image d'entraînement et de validation appartient à un seul hôpital",
         "La somme des parts des hôpitaux doit redonner l'entraînement et la validation regroupés."),
        (shares, "les parts de malins sont des proportions (entre 0 et 1)", "Part = nombre de malins / nombre d'images."),
        (both_classes, "chaque hôpital a des images des deux classes",
         "Un hôpital sans cancer ne peut pas apprendre à les reconnaître : vérifiez la partition."),
    ])


# ============================================================================ jalon 2 : la référence centralisée
def test_arrays_in_namespace(namespace: dict, data: dict) -> list[str]:
    """Les noms de `namespace` qui tiennent déjà le test commun : ses images, ses étiquettes, ou un nom en « test ».

    `data` : le dictionnaire de `load_breastmnist` (le test y est mis de côté, sous la clé « test »). Un tableau
    compte s'il partage la mémoire du test (vue, tranche) ou s'il lui est égal (copie).
    """
    x_test, y_test = data["test"]
    found = []
    for name, value in namespace.items():
        if name.startswith("_") or inspect.ismodule(value) or callable(value):
            continue
        if isinstance(value, np.ndarray) and value.size and any(
                np.may_share_memory(value, reference)
                or (value.shape == reference.shape and np.array_equal(value, reference))
                for reference in (x_test, y_test)):
            found.append(name)
        elif re.search(r"(^|_)test(_|$)", name.lower()):
            found.append(name)
    return sorted(found)


@exercise_check
def milestone_baseline(threshold, *, y_val, val_scores, target: float, namespace: dict, data: dict) -> Verdict:
    """Jalon 2 : le seuil est celui que donne la validation pour la sensibilité visée, et le test n'est pas lu.

    Le seuil est recalculé ici sur la validation (`y_val`, `val_scores`) ; le test est cherché dans les
    variables du notebook (`namespace`, c'est-à-dire `globals()`), à partir des tableaux mis de côté dans `data`.
    """
    from utils.evaluation import threshold_for_sensitivity

    valid = isinstance(threshold, (int, float, np.floating)) and not isinstance(threshold, bool) \
        and 0.0 < float(threshold) < 1.0
    y_val, val_scores = np.asarray(y_val).ravel(), np.asarray(val_scores, dtype=float).ravel()
    sensitivity = float((val_scores[y_val == 1] >= float(threshold)).mean()) if valid else 0.0
    expected = threshold_for_sensitivity(y_val, val_scores, target=target)
    from_validation = valid and bool(np.isclose(float(threshold), expected))
    seen = test_arrays_in_namespace(namespace, data)
    return report("Jalon 2 — la référence centralisée", [
        (valid, "un seuil de décision entre 0 et 1", "Choisissez le seuil avec `threshold_for_sensitivity`."),
        (valid and sensitivity >= target, f"il atteint la sensibilité visée ({target * 100:.0f} %) en validation",
         f"Au seuil {float(threshold) if valid else float('nan'):.3f}, la sensibilité de validation est "
         f"{sensitivity:.2f} : le seuil doit être choisi sur la validation, pour la sensibilité visée."),
        (from_validation, "c'est le plus grand seuil qui l'atteint sur la validation",
         f"Sur la validation, `threshold_for_sensitivity` donne {expected:.3f} : un autre seuil vient d'ailleurs "
         "(0,5 par défaut, ou d'autres données que la validation)."),
        (not seen, "aucune variable du notebook ne tient encore le test commun",
         f"Variables qui tiennent déjà le test : {', '.join(seen)}. Le test se lit une fois, à la fin (section 7) ; "
         "avant, ne gardez ni ses images ni ses étiquettes dans une variable."),
    ])


# ============================================================================ exercice 1 : la configuration du run
COMMITTEE_DECISION = {"strategy": "fedprox", "proximal-mu": 0.05, "num-server-rounds": 8, "local-epochs": 2,
                      "round-timeout": 300, "run-name": "fedprox-comite"}


def _same_value(answer, expected) -> bool:
    if isinstance(expected, str):
        return answer == expected
    if isinstance(expected, bool):  # un booléen laissé à sa valeur, même écrit en toutes lettres
        return isinstance(answer, (bool, np.bool_)) and bool(answer) == expected
    return isinstance(answer, (int, float, np.integer, np.floating)) and not isinstance(answer, bool) \
        and np.isclose(float(answer), float(expected))


@exercise_check
def check_consortium_config(consortium_config, app_dir) -> Verdict:
    """Exercice 1 : les `overrides` de la configuration du run qui traduisent la décision du comité."""
    from utils.federated.flower_app import app_run_config

    ensure_done(consortium_config, "consortium_config")
    is_dict = isinstance(consortium_config, dict)
    defaults = app_run_config(app_dir)
    answer = consortium_config if is_dict else {}
    unknown = sorted(key for key in answer if key not in defaults)
    known_hint = "Les clés sont celles de `[tool.flwr.app.config]` dans pyproject.toml (avec des tirets)."
    if unknown:
        guesses = []
        for key in unknown:
            close = difflib.get_close_matches(str(key).replace("_", "-"), list(defaults), n=1, cutoff=0.6)
            guesses.append(f"« {key} » → « {close[0]} » ?" if close else f"« {key} » n'existe pas")
        known_hint = "Clés inconnues : " + " ; ".join(guesses) + " (pyproject.toml, tirets et non soulignés)."
    keys_ok = is_dict and not unknown
    if keys_ok:
        app_run_config(app_dir, answer)  # ce que fera `flwr run` : refuse une clé inconnue

    wrong, hints = [], []
    for key, expected in COMMITTEE_DECISION.items():
        if key not in answer:
            wrong.append(key)
            hints.append(f"« {key} » manque : le comité l'a décidé.")
        elif not _same_value(answer[key], expected):
            wrong.append(key)
            value = answer[key]
            if isinstance(value, str) and not isinstance(expected, str):
                hints.append(f"« {key} » : un nombre, pas une chaîne ({value!r}) ; les types sont ceux de pyproject.toml.")
            elif isinstance(expected, str) and isinstance(value, str) and value.lower() == expected:
                hints.append(f"« {key} » : en minuscules, comme dans pyproject.toml (« {expected} »).")
            else:
                hints.append(f"« {key} » vaut {value!r} : relisez la décision du comité.")
    decided = keys_ok and not wrong
    extra = sorted(key for key in answer if key in defaults and key not in COMMITTEE_DECISION
                   and not _same_value(answer[key], defaults[key]))
    return report("Exercice 1 — la décision du comité en configuration du run", [
        (is_dict, "un dictionnaire {clé: valeur}", "Écrivez un dict Python, par exemple {\"strategy\": \"fedavg\"}."),
        (keys_ok, "des clés que l'application connaît", known_hint),
        (decided, "chaque décision du comité, avec le bon type", " ".join(hints[:3]) or known_hint),
        (not extra, "rien d'autre n'est changé",  # une clé inconnue est dite plus haut, pas ici (liste vide)
         f"Le comité n'a rien décidé sur : {', '.join(extra)} ; laissez ces clés à leur valeur de pyproject.toml."),
    ])


# ============================================================================ exercice 2 : le meilleur tour
_CASES = [  # (AUC par tour, perte par tour) : le meilleur tour n'est ni le dernier, ni celui de la plus petite perte
    ([0.61, 0.83, 0.72, 0.79], [0.70, 0.64, 0.58, 0.66]),
    ([0.55, 0.66, 0.74, 0.71, 0.69], [0.62, 0.60, 0.65, 0.57, 0.63]),
    ([0.90, 0.70, 0.80], [0.50, 0.45, 0.55]),
]


def _write_metrics(folder: Path, aucs, losses) -> Path:
    rounds = [{"round": r, "train_loss": 0.5, "evaluate_loss": loss, "evaluate_accuracy": 0.73, "evaluate_auc": auc}
              for r, (auc, loss) in enumerate(zip(aucs, losses), start=1)]
    path = folder / f"metrics_{len(aucs)}.json"
    path.write_text(json.dumps({"rounds": rounds, "seconds": 12.3}), encoding="utf-8")
    return path


@exercise_check
def check_best_round(best_round) -> Verdict:
    """Exercice 2 : le numéro du tour à la plus haute AUC de validation, lu dans metrics.json."""
    with tempfile.TemporaryDirectory() as folder:
        paths = [_write_metrics(Path(folder), aucs, losses) for aucs, losses in _CASES]
        answers = [call_answer(best_round, path, name="best_round") for path in paths]
    expected = [int(np.argmax(aucs)) + 1 for aucs, _ in _CASES]
    integers = all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in answers)
    right = integers and [int(a) for a in answers] == expected
    hint = "Lisez la liste « rounds », prenez la ligne au plus grand « evaluate_auc » et renvoyez sa clé « round »."
    if all(isinstance(a, (float, np.floating)) for a in answers):
        hint = "Vous renvoyez une valeur d'AUC : renvoyez le numéro du tour (la clé « round »)."
    elif integers and [int(a) for a in answers] == [e - 1 for e in expected]:
        hint = "Décalage de un : les tours sont numérotés à partir de 1 ; renvoyez la clé « round », pas la position."
    elif integers and [int(a) for a in answers] == [int(np.argmin(losses)) + 1 for _, losses in _CASES]:
        hint = "C'est le tour à la plus petite perte : on demande la plus haute AUC (« evaluate_auc »)."
    elif integers and [int(a) for a in answers] == [int(np.argmin(aucs)) + 1 for aucs, _ in _CASES]:
        hint = "C'est le tour à la plus BASSE AUC : une AUC plus haute est meilleure (max, pas min)."
    elif integers and [int(a) for a in answers] == [len(aucs) for aucs, _ in _CASES]:
        hint = "Le dernier tour n'est pas toujours le meilleur : comparez les AUC de tous les tours."
    return report("Exercice 2 — le meilleur tour d'après metrics.json", [
        (integers, "un numéro de tour (un entier)", hint),
        (right, "le tour à la plus haute AUC de validation fédérée", hint),
    ])


# ============================================================================ exercice 3 : la fiche modèle
CARD_FIELDS = ("intended_use", "population", "data", "metrics", "limits", "clinical_study")
PLACEHOLDER = "à compléter"
_LIMITS = {"données de simulation (miroir, synthétique)": ("miroir", "synthet", "simul"),
           "résolution 28 × 28": ("28",),
           "trois hôpitaux seulement": ("trois hopitaux", "3 hopitaux", "trois centres", "3 centres", "peu d'hopitaux"),
           "pas de validation externe": ("externe",)}
_STUDY = {"étude prospective": ("prospecti",),
          "avis éthique (CPP) et consentement / information": ("ethique", "cpp", "consentement", "information des"),
          "RGPD / CNIL / AIPD": ("rgpd", "cnil", "aipd", "dpia"),
          "dispositif médical (MDR, marquage CE)": ("mdr", "marquage ce", "dispositif medical", "2017/745"),
          "surveillance après déploiement": ("surveillance", "suivi", "monitor", "derive")}


def _plain(text: str) -> str:
    """Minuscules sans accents : « Éthique » et « ethique » se comparent."""
    decomposed = unicodedata.normalize("NFD", str(text).lower())
    return "".join(char for char in decomposed if unicodedata.category(char) != "Mn").replace("’", "'")


def _mentions(text: str, topics: dict) -> list[str]:
    plain = _plain(text)
    return [name for name, words in topics.items() if any(word in plain for word in words)]


_AUTONOMOUS = ("diagnostic autonome", "autonome", "a la place", "sans radiologue", "sans medecin",
               "sans relecture", "seul juge", "diagnostic final", "pose le diagnostic", "etablit le diagnostic",
               "decide seul", "seul lecteur")
_INTERVAL = re.compile(r"\[\s*(?:ic\s*(?:a\s*)?95\s*%\s*:?\s*)?(0[.,]\d+)\s*[;,–-]\s*(0[.,]\d+)\s*\]")
_AUC = re.compile(r"auc[^0-9\[]{0,40}?(0[.,]\d+)")


def _replaces_the_reader(use: str) -> bool:
    """Vrai si l'usage prévu fait du modèle un diagnostic autonome (« remplace », « à la place »...), hors négation."""
    if any(word in use for word in _AUTONOMOUS):
        return True
    return any(not re.search(r"(ne|n'|sans|pas)\s+(\w+\s+)?$", use[:match.start()])
               for match in re.finditer(r"remplac", use))


@exercise_check
def check_model_card(model_card, test_aucs=None) -> Verdict:
    """Exercice 3 (jalon 6) : la fiche modèle remplie, avec ses chiffres de test, ses limites et la suite clinique.

    `test_aucs` : les AUC de test mesurées à la section 7 (par exemple `test_table["AUC"]`) ; l'AUC de la fiche
    doit être l'une d'elles (à 0,01 près, l'arrondi de la fiche), pas une AUC de validation.
    """
    ensure_done(model_card, "model_card")
    is_dict = isinstance(model_card, dict)
    card = model_card if is_dict else {}
    missing = [field for field in CARD_FIELDS if field not in card]
    empty = [field for field in CARD_FIELDS if field in card and
             (not isinstance(card[field], str) or len(card[field].strip()) < 15 or _plain(PLACEHOLDER) in _plain(card[field]))]
    filled = is_dict and not missing and not empty
    use = _plain(card.get("intended_use", ""))
    aid = any(word in use for word in ("aide", "second avis", "priorit", "tri ", "recherche", "enseignement"))
    autonomous = _replaces_the_reader(use)
    metrics = _plain(card.get("metrics", ""))
    auc = _AUC.search(metrics)
    interval = _INTERVAL.search(metrics)
    figures = bool(auc) and bool(interval)
    # l'intervalle entoure l'AUC citée (pas celui d'un autre modèle, ni celui de la validation)
    around = figures and float(interval.group(1).replace(",", ".")) <= float(auc.group(1).replace(",", ".")) \
        <= float(interval.group(2).replace(",", "."))
    validation = "validation" in metrics[max(0, auc.start() - 30):auc.end()] if auc else False
    known = [float(value) for value in (test_aucs if test_aucs is not None else [])]
    quoted = float(auc.group(1).replace(",", ".")) if auc else None
    matches_test = quoted is not None and not validation and \
        (not known or any(abs(quoted - value) <= 0.01 for value in known))
    limits = _mentions(card.get("limits", ""), _LIMITS)
    study = _mentions(card.get("clinical_study", ""), _STUDY)
    test_hint = ("L'AUC de la fiche est celle du test commun (section 7), pas celle de la validation"
                 + (f" : {' ou '.join(f'{value:.2f}' for value in known)}." if known else "."))
    return report("Exercice 3 — la fiche modèle", [
        (is_dict and not missing, "les six rubriques de la fiche",
         f"Rubriques manquantes : {', '.join(missing)}." if is_dict else "Un dict avec les six clés du modèle."),
        (filled, "chaque rubrique est remplie (une phrase au moins)",
         f"À remplir : {', '.join(empty)} (remplacez « À compléter »)."),
        (aid and not autonomous, "l'usage prévu dit que c'est une aide (pas un diagnostic autonome)",
         "Dites à quoi sert le modèle et à quoi il ne sert pas : « aide à… », « ne remplace pas… » ; "
         "un diagnostic autonome n'est pas l'usage de ce modèle."),
        (figures, "les métriques de test avec leur intervalle de confiance entre crochets",
         "Recopiez l'AUC de test de la section 7 avec son IC 95 % entre crochets "
         "(par exemple « AUC de test 0,72 [IC 95 % 0,63 ; 0,80] »)."),
        (around, "l'intervalle entoure l'AUC citée",
         "L'intervalle entre crochets doit être celui de cette AUC (borne basse ≤ AUC ≤ borne haute) : "
         "recopiez-le de la même ligne de la section 7."),
        (matches_test, "l'AUC citée est celle du test commun", test_hint),
        (len(limits) >= 2, "au moins deux limites de ce projet",
         "Pensez : " + ", ".join(name for name in _LIMITS if name not in limits) + "."),
        (len(study) >= 3, "au moins trois étapes d'une vraie étude clinique",
         "Pensez : " + ", ".join(name for name in _STUDY if name not in study) + "."),
    ])
