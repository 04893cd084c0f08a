"""Outils pour le texte clinique : nettoyage des transcriptions, masquage des en-têtes, dé-identification simple.

L'outil de dé-identification par expressions régulières (`scrub_identifiers`) sert à **montrer** le principe et ses
limites : il ne remplace pas un outil de dé-identification validé (voir semaine 2).
"""
from __future__ import annotations

import re

import numpy as np

# Un en-tête de section : des mots en MAJUSCULES suivis de « : » (« HISTORY OF PRESENT ILLNESS: »),
# ou un titre : au moins deux mots en MAJUSCULES à la suite (« CARDIOLOGY CONSULTATION »).
_UPPER_WORD = r"[A-Z][A-Z/&'-]+"
HEADER_PATTERN = re.compile(rf"\b{_UPPER_WORD}(?:[ \t]+{_UPPER_WORD})*[ \t]*:|\b{_UPPER_WORD}(?:[ \t]+{_UPPER_WORD})+\b")
HEADER_TOKEN = "[EN-TETE]"

IDENTIFIER_PATTERNS = {
    "[DATE]": re.compile(r"\b\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})\b"),
    "[TELEPHONE]": re.compile(r"\(?\b\d{3}\)?[ .-]?\d{3}[ .-]\d{4}\b"),
    "[DOSSIER]": re.compile(r"\b(?:MRN|medical record number)[:#\s]*\d+\b", re.IGNORECASE),
    "[NOM]": re.compile(r"\b(?:Dr|Mr|Mrs|Ms|Miss)\.?\s+[A-Z][a-z]+\b"),
}


def clean_transcription(text: str) -> str:
    """Retire les artefacts d'aspiration de MTSamples (`,  ` après un en-tête ou une phrase) et les espaces doubles."""
    text = re.sub(r":,\s*", ": ", str(text))
    text = re.sub(r"\.,(?=\S)", ". ", text)
    return re.sub(r"\s+", " ", text).strip()


def mask_headers(text: str, token: str = HEADER_TOKEN) -> str:
    """Remplace chaque en-tête (« MOTS EN MAJUSCULES: ») et chaque titre (deux mots en majuscules ou plus) par `token`."""
    return HEADER_PATTERN.sub(token, str(text))


def scrub_identifiers(text: str) -> str:
    """Remplace dates, téléphones, numéros de dossier et « Dr/Mr/Mrs Nom » par des étiquettes ([DATE], [NOM]...).

    Démonstration seulement : un nom sans titre, une adresse ou une date écrite en toutes lettres passent au travers.
    """
    for label, pattern in IDENTIFIER_PATTERNS.items():
        text = pattern.sub(label, text)
    return text


def macro_f1_metric(labels):
    """La macro-F1 sur `labels`, comme `f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)`.

    Écrite en NumPy (une colonne par classe) : des dizaines de fois plus rapide que scikit-learn, pour le bootstrap
    qui la recalcule des milliers de fois. Une classe absente des vraies étiquettes ET des prédictions compte 0.
    """
    labels = np.asarray(labels)

    def macro_f1(y_true, y_pred):
        truth = np.asarray(y_true)[:, None] == labels
        guess = np.asarray(y_pred)[:, None] == labels
        tp = (truth & guess).sum(axis=0)
        wrong = (truth != guess).sum(axis=0)  # faux positifs + faux négatifs, par classe
        denominator = 2 * tp + wrong
        return float(np.mean(np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1), 0.0)))

    return macro_f1
