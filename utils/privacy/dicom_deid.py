"""Dé-identification d'un fichier DICOM selon le profil de base de PS3.15 (annexe E).

Ce que fait `deidentify_dicom` (sur une *copie* du jeu de données ; les pixels ne sont pas touchés) :

1. supprime tous les éléments privés (`Dataset.remove_private_tags` de pydicom) et les éléments
   inconnus du dictionnaire DICOM (on ne peut pas savoir ce qu'ils contiennent) ;
2. applique l'action du tableau E.1-1 (module `annex_e`) à chaque attribut, y compris dans les séquences :
   ``X`` supprimé, ``Z`` vidé, ``D`` valeur factice, ``U`` UID remplacé. Une action double dépend du type
   de l'attribut dans l'IOD ; sans consulter l'IOD, nous appliquons la lecture qui garde tout fichier
   conforme (`annex_e.conformant_action`) : ``X/Z`` -> Z (vidé) ; ``X/D``, ``X/Z/D``, ``Z/D`` -> D (valeur
   factice ; l'identifiant patient reçoit un pseudonyme HMAC avec la clé secrète) ; ``X/Z/U*`` -> U (la
   séquence est gardée, les UID qu'elle contient remplacés). Une séquence ``D`` garde ses items, chaque
   valeur remplacée par une valeur factice ;
3. remplace les UID par ``2.25.<entier>``, l'entier étant tiré d'un HMAC-SHA-256 de l'UID d'origine avec
   la clé secrète : même clé, même correspondance (les liens étude/série/instance restent cohérents entre
   fichiers), et sans la clé on ne peut ni inverser ni recalculer la correspondance ;
4. décale **toutes** les dates (VR DA et DT) d'un nombre de jours propre à chaque patient (option
   « Retain Longitudinal Temporal Information with Modified Dates », PS3.15 E.3.6) : les intervalles entre
   examens d'un même patient sont conservés. La date de naissance est vidée (action Z). Les heures (TM)
   sont gardées, puisque le décalage se fait en jours entiers, sauf l'heure de naissance ;
5. supprime tout le groupe d'un calque de superposition (60xx) dont les données (60xx,3000) sont retirées :
   un calque sans ses données ne serait ni gardé ni retiré ;
6. dit ce qui a été fait, sans prétendre davantage : méthode (« sous-ensemble ») et code 113107 (option dates
   modifiées, CID 7050). Le code 113100 (profil de base) n'est **pas** écrit : le cours n'applique qu'un
   sous-ensemble du tableau E.1-1. Patient Identity Removed vaut NO, sauf si l'appelant atteste avoir vérifié
   les pixels (``pixels_checked=True``) : PS3.3 (tableau C.7-1) le définit comme l'identité retirée des attributs
   **et des pixels**.

Ce que la dé-identification des métadonnées ne fait PAS : effacer un texte incrusté dans les pixels
(nom, date, établissement « brûlés » dans l'image). Voir `BurnedInAnnotation` et le notebook semaine_2/01.
"""
from __future__ import annotations

import copy
import datetime as dt
import hashlib
import hmac
import warnings

from pydicom import Dataset
from pydicom._uid_dict import UID_dictionary
from pydicom.datadict import dictionary_has_tag, repeater_has_tag
from pydicom.multival import MultiValue
from pydicom.sequence import Sequence

from .annex_e import action_for_tag, conformant_action
from .tabular import _key_bytes, pseudonymize

DUMMY_TEXT = "ANONYME"
UID_ROOT = "2.25."
DATE_SHIFT_RANGE = (365, 3650)  # décalage vers le passé : entre 1 et 10 ans
# Deidentification Method (0012,0063) est de VR LO (64 caractères au plus, valeurs multiples permises) ;
# en ASCII, car tous les fichiers ne déclarent pas de jeu de caractères étendu.
METHOD_DESCRIPTION = ("DICOM PS3.15 annexe E, profil de base (sous-ensemble)", "Option dates modifiees",
                      "cours-fl-sante utils.privacy.deidentify_dicom")
# CID 7050 « De-identification Method » (PS3.16)
# 113100 « Basic Application Confidentiality Profile » n'y est pas : un sous-ensemble ne le mérite pas.
METHOD_CODES = (("113107", "Retain Longitudinal Temporal Information Modified Dates Option"),)
# Attributs de l'appareil, non identifiants, où une valeur retirée peut réapparaître sans fuir (le nom
# d'établissement « TOSHIBA » de l'exemple IRM est aussi dans Manufacturer = TOSHIBA_MEC). Liste fermée :
# tout autre attribut qui porte une valeur retirée est signalé par `find_identifying_leaks`.
DEVICE_ATTRIBUTES = ("Manufacturer", "ManufacturerModelName", "Modality")
OVERLAY_DATA = 0x3000  # (60xx,3000) Overlay Data
_TEXT_VRS = {"AE", "CS", "LO", "LT", "PN", "SH", "ST", "UC", "UT", "UR"}
_NUMERIC_VRS = {"US", "SS", "UL", "SL", "FL", "FD", "UV", "SV"}
DIRECTORY_STORAGE = "1.2.840.10008.1.3.10"


class DicomDeidentificationError(ValueError):
    """Jeu de données que `deidentify_dicom` ne sait pas traiter ; le message dit quoi faire."""


# --------------------------------------------------------------------------- briques
def remap_uid(uid: str, secret) -> str:
    """UID de remplacement, ``2.25.<entier de 128 bits>`` tiré d'un HMAC-SHA-256 de l'UID d'origine.

    Déterministe pour une clé donnée (même UID -> même remplacement), impossible à inverser sans la clé.
    """
    digest = hmac.new(_key_bytes(secret), b"uid:" + str(uid).strip().encode(), hashlib.sha256).digest()
    return UID_ROOT + str(int.from_bytes(digest[:16], "big"))


def date_shift_for(patient_key: str, secret, day_range: tuple[int, int] = DATE_SHIFT_RANGE) -> int:
    """Décalage des dates (en jours, négatif) propre à un patient : le même à chaque appel avec la même clé."""
    digest = hmac.new(_key_bytes(secret), b"date-shift:" + str(patient_key).encode(), hashlib.sha256).digest()
    low, high = day_range
    return -(low + int.from_bytes(digest[:8], "big") % (high - low + 1))


def shift_date(value: str, days: int) -> str:
    """Décale une valeur DA (``AAAAMMJJ``) ; une valeur illisible devient vide."""
    text = str(value).strip()
    if len(text) >= 10 and text[4] == text[7] == ".":  # l'ancien format ACR-NEMA écrivait AAAA.MM.JJ
        text = text[:4] + text[5:7] + text[8:]
    try:
        parsed = dt.datetime.strptime(text[:8], "%Y%m%d").date()
    except ValueError:
        return ""
    return (parsed + dt.timedelta(days=days)).strftime("%Y%m%d") + text[8:]


def shift_datetime(value: str, days: int) -> str:
    """Décale la partie date d'une valeur DT (``AAAAMMJJhhmmss.ffffff&zzzz``), l'heure est gardée."""
    text = str(value).strip()
    if len(text) >= 8:
        return shift_date(text, days)
    if len(text) == 4 and text.isdigit():  # année seule
        return str(int(text) + round(days / 365.25))
    return ""


def _known(tag) -> bool:
    return dictionary_has_tag(tag) or repeater_has_tag(tag)


# --------------------------------------------------------------------------- le traitement
class _Context:
    def __init__(self, secret, shift: int, pseudonym: str):
        self.secret, self.shift, self.pseudonym = secret, shift, pseudonym

    def uid(self, value):
        if isinstance(value, (list, MultiValue)):
            return [self.uid(v) for v in value]
        return remap_uid(value, self.secret) if str(value).strip() else value

    def dates(self, value, vr):
        shift = shift_date if vr == "DA" else shift_datetime
        if isinstance(value, (list, MultiValue)):
            return [shift(v, self.shift) for v in value]
        return shift(value, self.shift) if value not in (None, "") else value


def _dummy(elem, ctx: _Context):
    if elem.keyword == "PatientID":
        return ctx.pseudonym
    vr = elem.VR
    if vr == "UI":
        return ctx.uid(elem.value) if elem.value else remap_uid(DUMMY_TEXT, ctx.secret)
    if vr in _TEXT_VRS:
        return DUMMY_TEXT
    if vr in ("IS", "DS"):
        return "0"
    if vr == "AS":
        return "000Y"
    if vr in _NUMERIC_VRS:
        return 0
    if vr == "DA":
        return ctx.dates("19000101", "DA")
    if vr == "TM":
        return "000000"
    return elem.empty_value


def _is_overlay_group(group: int) -> bool:
    return group & 0xFF00 == 0x6000 and group % 2 == 0


def _overlay_groups(dataset: Dataset) -> set[int]:
    """Groupes de calque (60xx) dont le jeu de données porte les données (60xx,3000)."""
    return {elem.tag.group for elem in dataset
            if _is_overlay_group(elem.tag.group) and elem.tag.element == OVERLAY_DATA}


def _clean(dataset: Dataset, ctx: _Context) -> None:
    # Un calque dont les données sont retirées (action X) part en entier : ses lignes, colonnes, origine,
    # type, description... décriraient un calque absent (et overlay_array échouerait).
    for group in _overlay_groups(dataset):
        if conformant_action(action_for_tag((group << 16) | OVERLAY_DATA)) == "X":
            for elem in [e for e in dataset if e.tag.group == group]:
                del dataset[elem.tag]
    for elem in list(dataset):
        tag, vr, keyword = elem.tag, elem.VR, elem.keyword
        if tag.is_private or tag.element == 0 or not _known(tag):
            del dataset[tag]  # privé, longueur de groupe (obsolète) ou attribut inconnu
            continue
        action = action_for_tag(tag)
        if vr in ("DA", "DT"):  # option « dates modifiées » : toutes les dates sont décalées
            if keyword == "PatientBirthDate":
                elem.value = elem.empty_value
            else:
                elem.value = ctx.dates(elem.value, vr)
            continue
        if vr == "TM":  # décalage en jours entiers : l'heure du jour ne trahit rien, sauf l'heure de naissance
            if keyword == "PatientBirthTime":
                del dataset[tag]
            continue
        if action is None:  # attribut hors tableau : conservé, mais on nettoie l'intérieur des séquences
            if vr == "SQ":
                for item in elem.value:
                    _clean(item, ctx)
            elif vr == "UI" and elem.value and not _is_standard_uid(elem.value):
                elem.value = ctx.uid(elem.value)
            continue
        applied = conformant_action(action)
        if applied == "X":
            del dataset[tag]
        elif applied == "Z":
            elem.value = Sequence([]) if vr == "SQ" else elem.empty_value
        elif applied == "D":
            if vr == "SQ":
                for item in elem.value:
                    _dummy_item(item, ctx)
            else:
                elem.value = _dummy(elem, ctx)
        elif applied == "U":
            if vr == "SQ":  # X/Z/U* : la séquence reste, les UID d'instance qu'elle contient sont remplacés
                for item in elem.value:
                    _clean(item, ctx)
            else:
                elem.value = ctx.uid(elem.value)
        else:  # code inconnu : on ne garde pas ce qu'on ne sait pas traiter
            del dataset[tag]


def _dummy_item(item: Dataset, ctx: _Context) -> None:
    """Action D sur une séquence : mêmes items, chaque valeur remplacée par une valeur factice conforme à la VR."""
    for elem in list(item):
        if elem.VR == "SQ":
            for inner in elem.value:
                _dummy_item(inner, ctx)
        elif elem.VR == "UI":
            if elem.value and not _is_standard_uid(elem.value):
                elem.value = ctx.uid(elem.value)
        else:
            elem.value = _dummy(elem, ctx)


def _is_standard_uid(value) -> bool:
    values = value if isinstance(value, (list, MultiValue)) else [value]
    return all(str(v) in UID_dictionary for v in values)


def _patient_key(ds: Dataset) -> str:
    return str(ds.get("PatientID", "") or ds.get("PatientName", "") or "").strip()


def deidentify_dicom(ds: Dataset, secret, *, date_shift_days: int | None = None,
                     patient_pseudonym: str | None = None, pixels_checked: bool = False) -> Dataset:
    """Renvoie une copie dé-identifiée de `ds` (profil de base PS3.15 annexe E, dates décalées).

    - `secret` : clé secrète (texte ou octets, non vide) des HMAC ; gardez-la hors du jeu de données.
      Même clé -> mêmes UID de remplacement, même pseudonyme et même décalage de dates pour un patient.
    - `date_shift_days` : impose le décalage des dates (en jours) au lieu de le tirer de la clé.
    - `patient_pseudonym` : impose la valeur de l'identifiant patient (par défaut ``PAT-`` + HMAC).
    - `pixels_checked` : l'appelant atteste avoir regardé les pixels (et masqué tout texte incrusté) et relu
      les attributs que le sous-ensemble ne traite pas. Alors seulement le fichier dit Patient Identity
      Removed = YES et Burned In Annotation = NO ; sinon il dit Patient Identity Removed = NO.

    Les données de pixels sont recopiées telles quelles : un texte incrusté dans l'image y reste
    (un avertissement le rappelle quand `BurnedInAnnotation` vaut YES).
    """
    if not isinstance(ds, Dataset):
        raise DicomDeidentificationError(
            f"deidentify_dicom attend un pydicom.Dataset (lu avec pydicom.dcmread), pas {type(ds).__name__}.")
    _key_bytes(secret)  # vérifie la clé avant tout travail
    meta = getattr(ds, "file_meta", None)
    if "DirectoryRecordSequence" in ds or (meta is not None and meta.get("MediaStorageSOPClassUID") == DIRECTORY_STORAGE):
        raise DicomDeidentificationError(
            "Ce jeu de données est un DICOMDIR (l'index d'un ensemble de fichiers), pas une instance DICOM : "
            "ses noms de fichiers et ses enregistrements répètent les identifiants des patients. "
            "Dé-identifiez chaque fichier référencé, puis reconstruisez l'index avec pydicom.fileset.FileSet.")
    key = _patient_key(ds)
    shift = date_shift_for(key, secret) if date_shift_days is None else int(date_shift_days)
    pseudonym = patient_pseudonym or (pseudonymize(key, secret, prefix="PAT-", length=12) if key else "")
    with warnings.catch_warnings():  # la copie revalide les valeurs : celles de l'original ne nous regardent pas
        warnings.simplefilter("ignore", UserWarning)
        out = copy.deepcopy(ds)
    out.remove_private_tags()
    context = _Context(secret, shift, pseudonym)
    _clean(out, context)
    if meta is not None and len(meta):
        out.file_meta = copy.deepcopy(meta)
        if "MediaStorageSOPInstanceUID" in out.file_meta:
            out.file_meta.MediaStorageSOPInstanceUID = context.uid(meta.MediaStorageSOPInstanceUID)
        if "SourceApplicationEntityTitle" in out.file_meta:  # nom de la station émettrice
            del out.file_meta.SourceApplicationEntityTitle
    _mark(out, shift, pixels_checked)
    if not pixels_checked and str(out.get("BurnedInAnnotation", "")).upper() == "YES":
        warnings.warn("BurnedInAnnotation = YES : l'image contient du texte incrusté dans les pixels, que la "
                      "dé-identification des métadonnées n'efface pas.", UserWarning, stacklevel=2)
    return out


def _mark(out: Dataset, shift: int, pixels_checked: bool) -> None:
    # PS3.3 C.7-1 : YES veut dire « identité retirée des attributs et des pixels ». Sans vérification des
    # pixels, le fichier ne l'affirme pas (Deidentification Method reste permis avec NO).
    out.PatientIdentityRemoved = "YES" if pixels_checked else "NO"
    if pixels_checked:
        out.BurnedInAnnotation = "NO"
    out.DeidentificationMethod = list(METHOD_DESCRIPTION)
    items = []
    for value, meaning in METHOD_CODES:
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = value, "DCM", meaning
        items.append(item)
    out.DeidentificationMethodCodeSequence = Sequence(items)
    out.LongitudinalTemporalInformationModified = "MODIFIED" if shift else "UNMODIFIED"


# --------------------------------------------------------------------------- inspection
OUTSIDE_SUBSET = "— (hors sous-ensemble)"  # la colonne « Basic » de la norme n'a pas de K : le cours garde l'attribut


def deidentification_plan(ds: Dataset):
    """Tableau (pandas) des attributs de `ds` et de ce que `deidentify_dicom` en fera, séquences comprises."""
    import pandas as pd

    rows = []

    def visit(dataset: Dataset, prefix: str) -> None:
        overlays = _overlay_groups(dataset)
        for elem in dataset:
            tag, vr = elem.tag, elem.VR
            action = action_for_tag(tag)
            if tag.is_private:
                action, treatment = "X (privé)", "supprimé"
            elif tag.group in overlays and tag.element != OVERLAY_DATA and action is None:
                action, treatment = "— (groupe du calque)", "supprimé avec Overlay Data"
            elif tag.element == 0 or not _known(tag):
                action, treatment = "-", "supprimé (inconnu)"
            elif vr in ("DA", "DT"):
                treatment = "vidé" if elem.keyword == "PatientBirthDate" else "date décalée"
            elif vr == "TM":
                treatment = "supprimé" if elem.keyword == "PatientBirthTime" else "conservé"
            elif action is None:
                treatment = ("UID remplacé" if vr == "UI" and elem.value and not _is_standard_uid(elem.value)
                             else "conservé")
                action = OUTSIDE_SUBSET
            else:
                applied = conformant_action(action)
                if applied == "D" and elem.keyword == "PatientID":
                    treatment = "pseudonyme (HMAC)"
                elif applied == "D" and vr == "SQ":
                    treatment = "séquence factice"
                elif applied == "U" and vr == "SQ":
                    treatment = "conservé, UID remplacés"
                else:
                    treatment = {"X": "supprimé", "Z": "vidé", "D": "valeur factice", "U": "UID remplacé"}[applied]
            value = "<séquence>" if vr == "SQ" else ("<binaire>" if vr in ("OB", "OW", "OF", "OD", "OL", "UN")
                                                     else str(elem.value)[:40])
            rows.append({"attribut": prefix + (elem.keyword or elem.name), "étiquette": str(tag), "VR": vr,
                         "action PS3.15": action, "traitement": treatment, "valeur": value})
            if vr == "SQ" and treatment.startswith("conservé"):
                for index, item in enumerate(elem.value):
                    visit(item, f"{prefix}{elem.keyword}[{index}].")

    visit(ds, "")
    return pd.DataFrame(rows)


def _text_values(ds: Dataset, vrs) -> list[tuple[str, str]]:
    found = []

    def callback(dataset, elem):
        if elem.VR in vrs and elem.value not in (None, ""):
            values = elem.value if isinstance(elem.value, (list, MultiValue)) else [elem.value]
            found.extend((elem.keyword or str(elem.tag), str(v).strip()) for v in values if str(v).strip())

    ds.walk(callback)
    if getattr(ds, "file_meta", None) is not None:
        ds.file_meta.walk(callback)
    return found


_SEARCHED_VRS = _TEXT_VRS | {"UI", "DA", "DT", "AS"}


def _looks_like_uid(text: str) -> bool:
    return all(part.isdigit() for part in text.split(".")) and text.count(".") >= 2


def find_identifying_leaks(original: Dataset, deidentified: Dataset, min_length: int = 3) -> list[str]:
    """Valeurs identifiantes de l'original qu'on retrouve encore, à l'identique ou dans un texte, dans le jeu
    dé-identifié (n'importe quel attribut, séquences et en-tête de fichier compris). Liste vide : rien de ce que
    la vérification connaît ne fuit.

    Valeurs recherchées : celles des attributs que le sous-ensemble du cours retire, vide ou remplace, des
    éléments privés, des dates et des UID non standard. Seules exceptions : une valeur que l'original porte
    aussi dans un attribut de l'appareil (`DEVICE_ATTRIBUTES` : fabricant, modèle, modalité), égale à cette
    valeur ou à son début.

    Ce qu'elle ne voit pas : un identifiant rangé **seulement** dans un attribut hors du sous-ensemble (par
    exemple un nom dans `ContentSequence` qui n'est copié d'aucun attribut traité), un identifiant reformulé
    (initiales, autre format de date), et tout ce qui est écrit dans les pixels.
    """
    candidates: dict[str, str] = {}

    def collect(dataset, elem):
        tag, vr = elem.tag, elem.VR
        sensitive = tag.is_private or action_for_tag(tag) is not None or vr in ("DA", "DT")
        if vr == "UI" and elem.value:
            sensitive = sensitive or not _is_standard_uid(elem.value)
        if not sensitive or vr not in _SEARCHED_VRS or elem.value in (None, ""):
            return
        values = elem.value if isinstance(elem.value, (list, MultiValue)) else [elem.value]
        for value in values:
            text = str(value).strip()
            if len(text) >= min_length and text.upper() != DUMMY_TEXT:
                candidates.setdefault(text, elem.keyword or str(tag))

    original.walk(collect)
    device = [str(v).strip().lower() for elem in original.iterall() if elem.keyword in DEVICE_ATTRIBUTES
              for v in (elem.value if isinstance(elem.value, (list, MultiValue)) else [elem.value])]
    # Exemptée : une valeur égale à une valeur de l'appareil ou qui en est le début (« TOSHIBA » et
    # « TOSHIBA_MEC ») ; un identifiant glissé au milieu d'un nom de modèle reste cherché.
    candidates = {value: source for value, source in candidates.items()
                  if not any(other.startswith(value.lower()) for other in device)}
    leaks = []
    for keyword, value in _text_values(deidentified, _SEARCHED_VRS):
        for secret_value, source in candidates.items():
            contained = (len(secret_value) >= 5 and not _looks_like_uid(secret_value)
                         and secret_value.lower() in value.lower())
            if value == secret_value or contained:
                leaks.append(f"{source} = {secret_value!r} retrouvé dans {keyword} = {value!r}")
    return sorted(set(leaks))
