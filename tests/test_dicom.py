"""Dé-identification DICOM (PS3.15 annexe E) sur tous les exemples réels de pydicom, et lecture robuste."""
import io
import warnings

import numpy as np
import pydicom
import pytest
from pydicom.multival import MultiValue

from utils.data import DataSourceError
from utils.data.dicom import (ensure_pixels, example_names, list_dicom_examples, read_dicom, read_pixels,
                              write_dicom)
from utils.privacy import (DicomDeidentificationError, date_shift_for, deidentification_plan, deidentify_dicom,
                           find_identifying_leaks, remap_uid)

SECRET = "clé-de-test"
# Les instances DICOM livrées par pydicom (le DICOMDIR est un index de fichiers, traité à part).
INSTANCES = [name for name in example_names() if name != "dicomdir"]
# Identifiants que le ticket cite : patient, établissement, médecins, opérateurs, accession, stations, appareils.
IDENTIFYING_KEYWORDS = [
    "PatientName", "PatientID", "OtherPatientIDs", "OtherPatientNames", "PatientAddress", "PatientBirthName",
    "PatientMotherBirthName", "PatientTelephoneNumbers", "MedicalRecordLocator", "AdmissionID",
    "InstitutionName", "InstitutionAddress", "InstitutionalDepartmentName",
    "ReferringPhysicianName", "PerformingPhysicianName", "NameOfPhysiciansReadingStudy", "PhysiciansOfRecord",
    "RequestingPhysician", "ConsultingPhysicianName", "OperatorsName", "ROIInterpreter",
    "AccessionNumber", "StudyID", "RequestedProcedureID", "PerformedProcedureStepID", "ScheduledProcedureStepID",
    "StationName", "StationAETitle", "DeviceSerialNumber", "DeviceUID", "DetectorID", "TreatmentMachineName",
]


def _values(ds, keyword):
    """Toutes les valeurs non vides d'un mot-clé, séquences comprises."""
    found = []

    def callback(dataset, elem):
        if elem.keyword == keyword and elem.value not in (None, ""):
            values = elem.value if isinstance(elem.value, (list, MultiValue)) else [elem.value]
            found.extend(str(v).strip() for v in values if str(v).strip())

    ds.walk(callback)
    return found


def _all_text(ds):
    texts = []

    def callback(dataset, elem):
        if elem.VR not in ("OB", "OW", "OF", "OD", "OL", "UN", "SQ") and elem.value not in (None, ""):
            values = elem.value if isinstance(elem.value, (list, MultiValue)) else [elem.value]
            texts.extend(str(v) for v in values)

    ds.walk(callback)
    return texts


def _deidentified_roundtrip(name, tmp_path, secret=SECRET):
    original = pydicom.examples.__getattr__(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = deidentify_dicom(original, secret)
    if "SOPClassUID" in out:  # écrit dans un vrai fichier DICOM, puis relu
        back = read_dicom(write_dicom(out, tmp_path / f"{name}.dcm"))
    else:  # « no_meta » : un seul élément inconnu, pas d'en-tête de fichier possible
        buffer = io.BytesIO()
        out.save_as(buffer, implicit_vr=True, little_endian=True)
        back = pydicom.dcmread(io.BytesIO(buffer.getvalue()), force=True)
    return original, out, back


@pytest.mark.parametrize("name", INSTANCES)
def test_no_identifying_value_survives(name, tmp_path):
    original, out, back = _deidentified_roundtrip(name, tmp_path)
    remaining = " | ".join(_all_text(back)).lower()
    # Texte que l'original porte aussi dans des attributs conservés, non identifiants (fabricant, modèle...) :
    # « TOSHIBA », nom d'établissement de l'exemple IRM, est aussi dans Manufacturer = TOSHIBA_MEC.
    kept = " | ".join(str(elem.value) for elem in original.iterall()
                      if elem.keyword in ("Manufacturer", "ManufacturerModelName", "Modality")).lower()
    checked = 0
    for keyword in IDENTIFYING_KEYWORDS:
        for value in _values(original, keyword):
            if len(value) < 3 or value == "----":
                continue
            checked += 1
            leftover = [v for v in _values(back, keyword) if v == value]
            assert not leftover, f"{name}: {keyword} garde sa valeur {value!r}"
            if value.lower() not in kept:
                assert value.lower() not in remaining, f"{name}: la valeur de {keyword} ({value!r}) est encore présente"
    assert find_identifying_leaks(original, back) == []
    if name in ("ct", "mr", "overlay", "jpeg2k", "waveform"):
        assert checked > 0, "cet exemple devait contenir des identifiants à vérifier"


@pytest.mark.parametrize("name", INSTANCES)
def test_private_tags_removed_pixels_identical_and_marked(name, tmp_path):
    original, out, back = _deidentified_roundtrip(name, tmp_path)
    for dataset in (out, back):
        assert not [elem.tag for elem in dataset.iterall() if elem.tag.is_private]
        # sans vérification des pixels, le fichier ne prétend pas que l'identité est retirée (PS3.3 C.7-1)
        assert dataset.PatientIdentityRemoved == "NO"
        codes = [item.CodeValue for item in dataset.DeidentificationMethodCodeSequence]
        assert codes == ["113107"], "un sous-ensemble du tableau E.1-1 ne mérite pas le code 113100"
    if "PixelData" in original:
        assert back.PixelData == original.PixelData
        np.testing.assert_array_equal(back.pixel_array, original.pixel_array)
    # l'original n'est pas modifié
    assert "PatientIdentityRemoved" not in original


@pytest.mark.parametrize("name", INSTANCES)
def test_dates_shifted_consistently(name, tmp_path):
    original, out, back = _deidentified_roundtrip(name, tmp_path)
    key = str(original.get("PatientID", "") or original.get("PatientName", "") or "").strip()
    shift = date_shift_for(key, SECRET)
    assert -3650 <= shift <= -365
    import datetime as dt

    for keyword in ("StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate", "InstanceCreationDate",
                    "StructureSetDate", "RTPlanDate", "PerformedProcedureStepStartDate"):
        before, after = original.get(keyword), back.get(keyword)
        if before:
            expected = dt.datetime.strptime(str(before), "%Y%m%d") + dt.timedelta(days=shift)
            assert str(after) == expected.strftime("%Y%m%d"), keyword
    if original.get("PatientBirthDate"):
        assert not back.get("PatientBirthDate")
    if original.get("AcquisitionDateTime"):
        assert str(back.AcquisitionDateTime)[8:] == str(original.AcquisitionDateTime)[8:]  # heure conservée
        assert str(back.AcquisitionDateTime)[:8] != str(original.AcquisitionDateTime)[:8]


@pytest.mark.parametrize("name", ["ct", "mr", "overlay", "rt_plan", "rt_dose", "rt_ss", "ybr_color"])
def test_uids_remapped_consistently(name, tmp_path):
    original, out, back = _deidentified_roundtrip(name, tmp_path)
    again = deidentify_dicom(original, SECRET)
    other = deidentify_dicom(original, "une-autre-clé")
    for keyword in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "FrameOfReferenceUID"):
        if keyword not in original:
            continue
        new = back[keyword].value
        assert new != original[keyword].value and new.startswith("2.25.") and len(new) <= 64
        assert new == remap_uid(original[keyword].value, SECRET)
        assert again[keyword].value == new  # même clé -> même correspondance
        assert other[keyword].value != new  # autre clé -> autre correspondance
    assert back.SOPClassUID == original.SOPClassUID  # les UID normalisés (classes SOP) sont gardés
    if "file_meta" in dir(back) and "MediaStorageSOPInstanceUID" in back.file_meta:
        assert back.file_meta.MediaStorageSOPInstanceUID == back.SOPInstanceUID
    # Les références vers d'autres instances suivent la même correspondance.
    references = _values(original, "ReferencedSOPInstanceUID")
    assert sorted(_values(back, "ReferencedSOPInstanceUID")) == sorted(remap_uid(u, SECRET) for u in references)


def test_same_patient_same_pseudonym_and_shift_across_files():
    first = pydicom.examples.ct
    second = pydicom.examples.ct
    second.SOPInstanceUID = second.SOPInstanceUID + ".2"
    a, b = deidentify_dicom(first, SECRET), deidentify_dicom(second, SECRET)
    assert a.PatientID == b.PatientID and a.PatientID.startswith("PAT-") and a.PatientID != first.PatientID
    assert a.StudyInstanceUID == b.StudyInstanceUID and a.SOPInstanceUID != b.SOPInstanceUID
    assert a.StudyDate == b.StudyDate


def test_leak_detector_finds_leaks_when_nothing_is_done():
    ct = pydicom.examples.ct
    leaks = find_identifying_leaks(ct, ct)
    assert any("PatientName" in leak for leak in leaks)
    assert any("InstitutionName" in leak for leak in leaks)


def test_plan_lists_actions():
    plan = deidentification_plan(pydicom.examples.ct)
    actions = dict(zip(plan["attribut"], plan["action PS3.15"]))
    assert actions["PatientName"] == "Z" and actions["InstitutionName"] == "X/Z/D"
    assert actions["SOPInstanceUID"] == "U" and actions["Modality"] == "— (hors sous-ensemble)"
    assert "K" not in set(plan["action PS3.15"]), "la colonne Basic de la norme n'a pas de K"
    assert (plan["action PS3.15"] == "X (privé)").sum() > 100


def test_double_actions_use_the_reading_that_keeps_every_file_conformant():
    """PS3.15 : X/Z, X/D, X/Z/D, Z/D dépendent du type dans l'IOD ; le cours applique la dernière action."""
    from utils.privacy.annex_e import BASIC_PROFILE_ACTIONS, conformant_action

    assert {code: conformant_action(code) for code in ("X/Z", "X/D", "X/Z/D", "Z/D", "X/Z/U*")} == \
        {"X/Z": "Z", "X/D": "D", "X/Z/D": "D", "Z/D": "D", "X/Z/U*": "U"}
    assert [conformant_action(code) for code in ("X", "Z", "D", "U", None)] == ["X", "Z", "D", "U", None]
    assert "C" not in set(BASIC_PROFILE_ACTIONS.values()), "le profil de base n'utilise pas l'action C"

    ds = pydicom.examples.ct
    ds.ReferencedStudySequence = pydicom.Sequence([pydicom.Dataset()])  # X/Z
    ds.ReferencedStudySequence[0].ReferencedSOPInstanceUID = "1.2.3.4"
    ds.ProtocolName = "PROTOCOLE DU DR DUPONT"  # X/D
    code = pydicom.Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "HOP-42", "99LOCAL", "Hôpital Saint-Jean"
    ds.InstitutionCodeSequence = pydicom.Sequence([code])  # X/Z/D sur une séquence
    out = deidentify_dicom(ds, SECRET)
    # X/Z/D et X/D -> D : attribut gardé, valeur factice non vide
    assert out.InstitutionName == "ANONYME" and out.StationName == "ANONYME" and out.ProtocolName == "ANONYME"
    assert out.PatientID.startswith("PAT-")  # Z/D -> D : le pseudonyme HMAC
    assert "ReferencedStudySequence" in out and len(out.ReferencedStudySequence) == 0  # X/Z -> Z : vide
    item = out.InstitutionCodeSequence[0]  # séquence D : items gardés, valeurs factices
    assert len(out.InstitutionCodeSequence) == 1 and item.CodeValue == "ANONYME" and item.CodeMeaning == "ANONYME"
    assert "OtherPatientIDsSequence" not in out  # X simple : supprimé
    assert find_identifying_leaks(ds, out) == []
    plan = deidentification_plan(ds).set_index("attribut")["traitement"]
    assert plan["InstitutionName"] == "valeur factice" and plan["PatientID"] == "pseudonyme (HMAC)"
    assert plan["ReferencedStudySequence"] == "vidé" and plan["InstitutionCodeSequence"] == "séquence factice"


@pytest.mark.parametrize("name", INSTANCES)
def test_no_attribute_with_a_double_action_is_removed(name):
    """Avec la lecture conforme, un attribut à action double n'est jamais supprimé (un type 1 ou 2 resterait exigé)."""
    from utils.privacy.annex_e import CONFORMANT_READING, action_for_tag

    original = pydicom.examples.__getattr__(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = deidentify_dicom(original, SECRET)
    doubles = [elem for elem in original if not elem.tag.is_private and action_for_tag(elem.tag) in CONFORMANT_READING]
    for elem in doubles:
        assert elem.tag in out, f"{name} : {elem.keyword} ({action_for_tag(elem.tag)}) a été supprimé"
        if CONFORMANT_READING[action_for_tag(elem.tag)] == "D" and elem.VR not in ("SQ", "DA", "DT", "TM"):
            assert str(out[elem.tag].value) != "", f"{name} : {elem.keyword} devait recevoir une valeur factice"


def test_burned_in_annotation_warns():
    ds = pydicom.examples.mr
    ds.BurnedInAnnotation = "YES"
    with pytest.warns(UserWarning, match="incrusté"):
        out = deidentify_dicom(ds, SECRET)
    assert out.PixelData == ds.PixelData


def test_bad_inputs_have_french_messages(tmp_path):
    with pytest.raises(DicomDeidentificationError, match="DICOMDIR"):
        deidentify_dicom(pydicom.examples.dicomdir, SECRET)
    with pytest.raises(DicomDeidentificationError, match="pydicom.Dataset"):
        deidentify_dicom({"PatientName": "X"}, SECRET)
    with pytest.raises(ValueError, match="clé secrète"):
        deidentify_dicom(pydicom.examples.ct, "")
    fake = tmp_path / "radio.dcm"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(400))
    with pytest.raises(DataSourceError, match="n'est pas un fichier DICOM"):
        read_dicom(fake)
    with pytest.raises(DataSourceError, match="introuvable"):
        read_dicom(tmp_path / "absent.dcm")
    with pytest.raises(DataSourceError, match="ne contient pas d'image"):
        read_dicom("rt_plan", require_pixels=True)
    with pytest.raises(DataSourceError, match="ne contient pas d'image"):
        read_pixels(pydicom.examples.waveform)
    truncated = tmp_path / "tronque.dcm"
    truncated.write_bytes(pydicom.examples.get_path("ct").read_bytes()[:1000])
    with pytest.raises(DataSourceError):
        read_pixels(read_dicom(truncated), "tronque.dcm")


def test_examples_table():
    table = list_dicom_examples()
    assert {"ct", "mr", "rt_plan", "waveform"} <= set(table["exemple"])
    ct = table.set_index("exemple").loc["ct"]
    assert ct["modalité"] == "CT" and ct["image"] == "128×128" and ct["éléments privés"] > 100
    ensure_pixels(read_dicom("ct"))


def test_leak_through_an_attribute_outside_the_subset_is_reported():
    """Un identifiant copié dans un attribut que le sous-ensemble ne traite pas survit : la vérification le dit."""
    ds = pydicom.examples.ct
    ds.ClinicalTrialSubjectID = ds.PatientID  # PS3.15 : D ; hors du sous-ensemble du cours
    ds.InterpretationAuthor = str(ds.PatientName)  # PS3.15 : X ; hors du sous-ensemble
    leaks = find_identifying_leaks(ds, deidentify_dicom(ds, SECRET))
    assert any("ClinicalTrialSubjectID" in leak for leak in leaks), leaks
    assert any("InterpretationAuthor" in leak for leak in leaks), leaks


def test_only_device_attributes_are_exempt_from_the_leak_check():
    from utils.privacy.dicom_deid import DEVICE_ATTRIBUTES

    assert set(DEVICE_ATTRIBUTES) == {"Manufacturer", "ManufacturerModelName", "Modality"}
    ds = pydicom.examples.mr  # InstitutionName « TOSHIBA », Manufacturer « TOSHIBA_MEC » : exempté
    out = deidentify_dicom(ds, SECRET)
    assert find_identifying_leaks(ds, out) == []
    ds = pydicom.examples.overlay  # InstitutionName « AKH - WIEN », Manufacturer « SIEMENS »
    out = deidentify_dicom(ds, SECRET)
    out.StudyComments = str(ds.InstitutionName)  # ailleurs que dans un attribut de l'appareil : une fuite
    assert find_identifying_leaks(ds, out)


def test_whole_overlay_group_removed_with_its_data():
    ds = pydicom.examples.overlay
    before = [elem.tag for elem in ds if elem.tag.group == 0x6000]
    assert len(before) > 3 and (0x6000, 0x3000) in ds
    out = deidentify_dicom(ds, SECRET)
    assert not [elem.tag for elem in out if elem.tag.group & 0xFF00 == 0x6000]
    plan = deidentification_plan(ds)
    overlay_rows = plan[plan["étiquette"].str.startswith("(6000")]
    assert set(overlay_rows["traitement"]) <= {"supprimé", "supprimé avec Overlay Data"}


def test_identity_removed_claimed_only_when_pixels_checked():
    ds = pydicom.examples.ct  # BurnedInAnnotation absent : absent ne veut pas dire NO
    assert "BurnedInAnnotation" not in ds
    out = deidentify_dicom(ds, SECRET)
    assert out.PatientIdentityRemoved == "NO" and "BurnedInAnnotation" not in out
    checked = deidentify_dicom(ds, SECRET, pixels_checked=True)
    assert checked.PatientIdentityRemoved == "YES" and checked.BurnedInAnnotation == "NO"
    assert "113100" not in [item.CodeValue for item in checked.DeidentificationMethodCodeSequence]


def test_an_identifier_inside_a_device_value_is_not_exempt():
    """L'exemption des attributs de l'appareil ne couvre que leur valeur ou son début, pas un texte qu'ils contiennent."""
    ds = pydicom.examples.ct
    ds.ManufacturerModelName = f"RHAPSODE {ds.PatientID}"  # l'identifiant glissé dans le nom du modèle
    out = deidentify_dicom(ds, SECRET)
    out.StationName = str(ds.PatientID)
    assert any("StationName" in leak for leak in find_identifying_leaks(ds, out))
