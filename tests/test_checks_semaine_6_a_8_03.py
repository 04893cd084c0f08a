"""Tests des vérifications du projet final (semaine_6_a_8/03) : jalons et exercices, bonnes et mauvaises réponses."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from check_helpers import failed_with, not_written
from utils.checks import semaine_6_a_8_03 as checks
from utils.federated.flower_app import find_app

APP = find_app()
REFERENCE_CONFIG = {"strategy": "fedprox", "proximal-mu": 0.05, "num-server-rounds": 8, "local-epochs": 2,
                    "round-timeout": 300.0, "run-name": "fedprox-comite"}


# ============================================================================ jalons
def _audit(train=(158, 137, 251), val=(22, 20, 36), shares=(0.15, 0.05, 0.47)):
    return pd.DataFrame({"images d'entraînement": train, "images de validation": val,
                         "part de malins (entraînement)": shares, "part de malins (validation)": shares},
                        index=[f"hôpital {h}" for h in range(len(train))])


def test_milestone_audit(capsys):
    assert checks.milestone_audit(_audit(), pooled_train=546, pooled_val=78)
    failed_with(capsys, checks.milestone_audit(_audit(train=(158, 137, 200)), pooled_train=546, pooled_val=78),
                "redonner l'entraînement")
    failed_with(capsys, checks.milestone_audit(_audit(shares=(0.15, 0.0, 0.47)), pooled_train=546, pooled_val=78),
                "Un hôpital sans cancer")
    failed_with(capsys, checks.milestone_audit(_audit().iloc[:2], pooled_train=295, pooled_val=42), "Une ligne par hôpital")
    failed_with(capsys, checks.milestone_audit(_audit().drop(columns="images de validation"), pooled_train=546,
                                               pooled_val=78), "Colonnes attendues")


def not_done(capsys, verdict):
    """Un exercice pas encore fait : un verdict faux, marqué `not_done`, et un message qui le dit (pas d'erreur)."""
    out = capsys.readouterr().out
    assert not verdict and verdict.not_done, out
    assert "pas encore" in out, out


def _breast(n_test=12):
    rng = np.random.default_rng(0)
    return {"test": (rng.random((n_test, 28, 28, 1)).astype(np.float32), (np.arange(n_test) % 3 == 0).astype(np.float32))}


Y_VAL = np.array([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], dtype=np.float32)
VAL_SCORES = np.array([0.9, 0.85, 0.8, 0.7, 0.6, 0.55, 0.5, 0.45, 0.4, 0.2,
                       0.7, 0.5, 0.45, 0.3, 0.3, 0.2, 0.1, 0.1, 0.05, 0.05])


def _baseline(threshold, namespace=None, data=None):
    data = data or _breast()
    return checks.milestone_baseline(threshold, y_val=Y_VAL, val_scores=VAL_SCORES, target=0.9,
                                     namespace=namespace if namespace is not None else {"x_val": VAL_SCORES},
                                     data=data)


def test_milestone_baseline_reference_passes():
    assert _baseline(0.4)  # le plus grand seuil qui donne 9 malins sur 10 en validation


def test_milestone_baseline_wrong_answers(capsys):
    failed_with(capsys, _baseline(0.5), "sensibilité de validation est 0.70")  # le seuil par défaut
    failed_with(capsys, _baseline(0.3), "`threshold_for_sensitivity` donne 0.400")  # sensible, mais pas le bon seuil
    failed_with(capsys, _baseline(None), "threshold_for_sensitivity")
    data = _breast()
    x_test, y_test = data["test"]
    failed_with(capsys, _baseline(0.4, {"x_test": x_test, "y_test": y_test}, data), "Variables qui tiennent déjà le test : "
                "x_test, y_test", "section 7")
    failed_with(capsys, _baseline(0.4, {"images": x_test[:5], "etiquettes": y_test.copy()}, data),
                "etiquettes, images")  # une tranche (même mémoire) et une copie
    failed_with(capsys, _baseline(0.4, {"TEST_SCORES": [0.1, 0.2]}, data), "TEST_SCORES")


def test_milestone_baseline_ignores_modules_functions_and_private_names():
    data = _breast()
    assert _baseline(0.4, {"np": np, "test_something": lambda: None, "_": data["test"][0], "breast": data}, data)


# ============================================================================ exercice 1
def test_consortium_config_reference_passes():
    assert checks.check_consortium_config(dict(REFERENCE_CONFIG), APP)
    assert checks.check_consortium_config({**REFERENCE_CONFIG, "round-timeout": 300}, APP)  # 300 ou 300.0
    assert checks.check_consortium_config({**REFERENCE_CONFIG, "seed": 42}, APP)  # valeur par défaut : rien ne change
    assert checks.check_consortium_config({**REFERENCE_CONFIG, "differential-privacy": False,  # booléens par défaut,
                                           "secure-aggregation": False}, APP)            # écrits en toutes lettres


def test_consortium_config_wrong_answers(capsys):
    underscores = {key.replace("-", "_"): value for key, value in REFERENCE_CONFIG.items()}
    failed_with(capsys, checks.check_consortium_config(underscores, APP), "« num_server_rounds » → « num-server-rounds » ?")
    checks.check_consortium_config(underscores, APP)
    assert "rien décidé sur :  ;" not in capsys.readouterr().out  # pas d'indice vide sur les autres clés
    failed_with(capsys, checks.check_consortium_config({**REFERENCE_CONFIG, "num-server-rounds": "8"}, APP),
                "un nombre, pas une chaîne")
    failed_with(capsys, checks.check_consortium_config({**REFERENCE_CONFIG, "strategy": "FedProx"}, APP),
                "en minuscules")
    without_mu = {key: value for key, value in REFERENCE_CONFIG.items() if key != "proximal-mu"}
    failed_with(capsys, checks.check_consortium_config(without_mu, APP), "« proximal-mu » manque")
    failed_with(capsys, checks.check_consortium_config({**REFERENCE_CONFIG, "differential-privacy": True}, APP),
                "Le comité n'a rien décidé sur : differential-privacy")
    failed_with(capsys, checks.check_consortium_config([("strategy", "fedprox")], APP), "Écrivez un dict")
    failed_with(capsys, checks.check_consortium_config({**REFERENCE_CONFIG, "secure-aggregation": 0}, APP),
                "Le comité n'a rien décidé sur : secure-aggregation")  # 0 n'est pas le booléen false


def test_consortium_config_not_done(capsys):
    not_done(capsys, checks.check_consortium_config(None, APP))


# ============================================================================ exercice 2
def _reference_best_round(metrics_path):
    rounds = json.loads(Path(metrics_path).read_text(encoding="utf-8"))["rounds"]
    return max(rounds, key=lambda row: row["evaluate_auc"])["round"]


def _rows(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))["rounds"]


def test_best_round_reference_passes():
    assert checks.check_best_round(_reference_best_round)


def test_best_round_wrong_answers(capsys):
    failed_with(capsys, checks.check_best_round(lambda p: int(np.argmax([r["evaluate_auc"] for r in _rows(p)]))),
                "Décalage de un")
    failed_with(capsys, checks.check_best_round(lambda p: max(r["evaluate_auc"] for r in _rows(p))),
                "Vous renvoyez une valeur d'AUC")
    failed_with(capsys, checks.check_best_round(lambda p: min(_rows(p), key=lambda r: r["evaluate_loss"])["round"]),
                "plus petite perte")
    failed_with(capsys, checks.check_best_round(lambda p: min(_rows(p), key=lambda r: r["evaluate_auc"])["round"]),
                "plus BASSE AUC")
    failed_with(capsys, checks.check_best_round(lambda p: _rows(p)[-1]["round"]), "Le dernier tour")


def test_best_round_not_done(capsys):
    not_done(capsys, checks.check_best_round(not_written))


# ============================================================================ exercice 3
CARD = {
    "intended_use": "Aide à la priorisation des échographies à relire ; ne remplace pas le radiologue.",
    "population": "Femmes ayant une échographie mammaire dans les trois hôpitaux du consortium.",
    "data": "BreastMNIST, images 28 × 28, réparties entre trois hôpitaux (Dirichlet, alpha = 1).",
    "metrics": "AUC de test 0,69 [IC 95 % 0,58 ; 0,79], sensibilité 0,81, spécificité 0,39 au seuil 0,21.",
    "limits": "Miroir synthétique, images de 28 pixels, aucune validation externe.",
    "clinical_study": "Étude prospective, avis d'un comité d'éthique, AIPD et CNIL, marquage CE (MDR), surveillance.",
}


TEST_AUCS = [0.74, 0.69]  # centralisé, fédéré : les AUC de test de la section 7


def test_model_card_reference_passes():
    assert checks.check_model_card(dict(CARD), TEST_AUCS)
    assert checks.check_model_card({**CARD, "metrics": "AUC 0.74 [0.66 ; 0.81] au test commun (centralisé)."}, TEST_AUCS)
    assert checks.check_model_card({**CARD, "intended_use": "Aide au tri des échographies, sans remplacer le "
                                                            "radiologue."}, TEST_AUCS)


def test_model_card_wrong_answers(capsys):
    # une ligne de métriques sans intervalle : le « ic » de « spécificité » ne compte pas
    failed_with(capsys, checks.check_model_card({**CARD, "metrics": "AUC de test 0,69 ; spécificité 0,39 ; sensibilité "
                                                                    "0,81 - au seuil 0,21."}, TEST_AUCS), "entre crochets")
    # l'AUC de validation à la place de celle du test
    failed_with(capsys, checks.check_model_card({**CARD, "metrics": "AUC de validation 0,81 [IC 95 % 0,70 ; 0,90], "
                                                                    "spécificité 0,70."}, TEST_AUCS),
                "celle du test commun (section 7)")
    failed_with(capsys, checks.check_model_card({**CARD, "metrics": "AUC 0,81 [IC 95 % 0,70 ; 0,90]."}, TEST_AUCS),
                "0.74 ou 0.69")  # un chiffre qui n'est aucune AUC de test
    # le diagnostic autonome comme usage prévu, même « pour la recherche »
    failed_with(capsys, checks.check_model_card({**CARD, "intended_use": "Diagnostic autonome du cancer du sein, outil "
                                                                         "de recherche clinique."}, TEST_AUCS),
                "diagnostic autonome")
    failed_with(capsys, checks.check_model_card({**CARD, "intended_use": "Aide qui remplace la lecture du radiologue "
                                                                         "dans les petits centres."}, TEST_AUCS),
                "diagnostic autonome")
    # un intervalle qui n'entoure pas l'AUC citée (celui de l'autre modèle, ou de la validation)
    failed_with(capsys, checks.check_model_card({**CARD, "metrics": "AUC de test 0,69 [IC 95 % 0,74 ; 0,90], "
                                                                    "sensibilité 0,81, spécificité 0,39."}, TEST_AUCS),
                "borne basse ≤ AUC ≤ borne haute")
    failed_with(capsys, checks.check_model_card({**CARD, "intended_use": "Aide à la décision : classe chaque échographie "
                                                                         "et pose le diagnostic final."}, TEST_AUCS),
                "diagnostic autonome")
    failed_with(capsys, checks.check_model_card({**CARD, "limits": "À compléter : ce que ce projet ne montre pas"}),
                "À remplir : limits")
    failed_with(capsys, checks.check_model_card({k: v for k, v in CARD.items() if k != "clinical_study"}),
                "Rubriques manquantes : clinical_study")
    failed_with(capsys, checks.check_model_card({**CARD, "metrics": "Le modèle marche bien sur le test commun."}),
                "IC 95 %")
    failed_with(capsys, checks.check_model_card({**CARD, "clinical_study": "Il faudrait plus de données d'entraînement."}),
                "étude prospective")
    failed_with(capsys, checks.check_model_card({**CARD, "intended_use": "Diagnostiquer le cancer du sein à la place du médecin."}),
                "aide à")


def test_model_card_not_done(capsys):
    not_done(capsys, checks.check_model_card(None, TEST_AUCS))

