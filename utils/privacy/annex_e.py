"""Actions du profil de confidentialité de base DICOM (PS3.15, annexe E), attribut par attribut.

Source : DICOM PS3.15 2024b, tableau E.1-1 « Application Level Confidentiality Profile Attributes »,
colonne « Basic Prof. » : https://dicom.nema.org/medical/dicom/2024b/output/chtml/part15/chapter_E.html

Aucune bibliothèque installée avec le cours ne fournit ce tableau : pydicom donne le dictionnaire des
attributs (mots-clés, étiquettes, VR), pas les actions de l'annexe E. Nous en codons donc ici un
**sous-ensemble** (260 attributs sur les quelque 600 lignes du tableau) : tous les identifiants directs (patient, établissement,
médecins, opérateurs, numéros d'accession, stations et appareils), les dates et heures, les UID, les
textes libres et les séquences courantes. Les mots-clés sont ceux du dictionnaire de pydicom, qui
donne les étiquettes (`pydicom.datadict.tag_for_keyword`). Pour un usage réel, préférez un outil qui
embarque le tableau complet (voir « Pour aller plus loin » du notebook semaine_2/01).

Codes d'action de la norme (PS3.15 2024b, tableau E.1-1a « De-identification Action Codes ») :

- ``X`` : supprimer l'attribut ;
- ``Z`` : le remplacer par une valeur de longueur nulle, ou par une valeur factice conforme à la VR ;
- ``D`` : le remplacer par une valeur non vide, éventuellement factice, conforme à la VR ;
- ``K`` : le garder (inchangé ; une séquence gardée est nettoyée élément par élément) ;
- ``C`` : le « nettoyer » : remplacer la valeur par une valeur de sens voisin dont on sait qu'elle n'identifie
  personne. Le profil de base n'utilise pas ``C`` : ce code n'apparaît que dans les colonnes des options
  (*Clean Descriptors*, *Clean Structured Content*, *Clean Graphics*...), que le cours n'applique pas ;
  un attribut concerné reçoit l'action du profil de base (le plus souvent ``X``) ;
- ``U`` : remplacer l'UID par un UID non vide, cohérent dans tout un ensemble d'instances ;
- ``Z/D`` : Z, sauf si D est exigé pour que l'objet reste conforme à son IOD (type 2 ou type 1) ;
- ``X/Z`` : X, sauf si Z est exigé (type 3 ou type 2) ;
- ``X/D`` : X, sauf si D est exigé (type 3 ou type 1) ;
- ``X/Z/D`` : X, sauf si Z ou D est exigé (type 3, 2 ou 1) ;
- ``X/Z/U*`` : X, sauf si Z ou le remplacement des UID d'instance contenus (U) est exigé (séquences de type
  3, 2 ou 1 qui contiennent des références par UID).

Une action double ne laisse donc pas le choix : la bonne action dépend du **type** de l'attribut dans l'IOD
du fichier (PS3.3). Le cours ne consulte pas les IOD ; il applique la lecture qui garde **tout** fichier
conforme, quel que soit ce type : la dernière action du code (`conformant_action`). Simplification assumée :
un attribut de type 3 (facultatif) que la norme permettrait de supprimer reçoit une valeur vide ou factice.
"""
from __future__ import annotations

from pydicom.datadict import tag_for_keyword

# Mot-clé pydicom -> action du profil de base (tableau E.1-1, PS3.15 2024b).
BASIC_PROFILE_ACTIONS: dict[str, str] = {
    # --- Patient : identité, coordonnées, caractéristiques
    "PatientName": "Z",
    "PatientID": "Z/D",
    "IssuerOfPatientID": "X",
    "OtherPatientIDs": "X",
    "OtherPatientIDsSequence": "X",
    "OtherPatientNames": "X",
    "PatientBirthName": "X",
    "PatientMotherBirthName": "X",
    "PatientBirthDate": "Z",
    "PatientBirthTime": "X",
    "PatientSex": "Z",
    "PatientAge": "X",
    "PatientSize": "X",
    "PatientWeight": "X",
    "PatientAddress": "X",
    "PatientTelephoneNumbers": "X",
    "PatientTelecomInformation": "X",
    "CountryOfResidence": "X",
    "RegionOfResidence": "X",
    "MilitaryRank": "X",
    "BranchOfService": "X",
    "MedicalRecordLocator": "X",
    "InsurancePlanIdentification": "X",
    "PatientInsurancePlanCodeSequence": "X",
    "EthnicGroup": "X",
    "Occupation": "X",
    "SmokingStatus": "X",
    "PregnancyStatus": "X",
    "LastMenstrualDate": "X",
    "PatientReligiousPreference": "X",
    "MedicalAlerts": "X",
    "Allergies": "X",
    "AdditionalPatientHistory": "X",
    "PatientComments": "X",
    "PatientState": "X",
    "SpecialNeeds": "X",
    "PatientTransportArrangements": "X",
    "ResponsiblePerson": "X",
    "ResponsibleOrganization": "X",
    "PatientPrimaryLanguageCodeSequence": "X",
    "ReferencedPatientSequence": "X",
    "ReferencedPatientPhotoSequence": "X",
    "ReferencedPatientAliasSequence": "X",
    "PatientSexNeutered": "X/Z",
    # --- Séjour, admission, localisation du patient
    "AdmissionID": "X",
    "IssuerOfAdmissionIDSequence": "X",
    "AdmittingDate": "X",
    "AdmittingTime": "X",
    "AdmittingDiagnosesDescription": "X",
    "AdmittingDiagnosesCodeSequence": "X",
    "DischargeDate": "X",
    "DischargeTime": "X",
    "DischargeDiagnosisDescription": "X",
    "CurrentPatientLocation": "X",
    "PatientInstitutionResidence": "X",
    "ScheduledPatientInstitutionResidence": "X",
    "ServiceEpisodeID": "X",
    "ServiceEpisodeDescription": "X",
    "VisitComments": "X",
    "ReasonForVisit": "X",
    # --- Établissement, service, station, appareil
    "InstitutionName": "X/Z/D",
    "InstitutionAddress": "X",
    "InstitutionCodeSequence": "X/Z/D",
    "InstitutionalDepartmentName": "X",
    "InstitutionalDepartmentTypeCodeSequence": "X",
    "StationName": "X/Z/D",
    "StationAETitle": "X",
    "RetrieveAETitle": "X",
    "ScheduledStationAETitle": "X",
    "ScheduledStationName": "X",
    "PerformedStationAETitle": "X",
    "PerformedStationName": "X",
    "PerformedLocation": "X",
    "NetworkID": "X",
    "DeviceSerialNumber": "X/Z/D",
    "DeviceUID": "U",
    "DeviceDescription": "X",
    "LongDeviceDescription": "X",
    "UniqueDeviceIdentifier": "X",
    "UDISequence": "X",
    "DetectorID": "X/D",
    "GantryID": "X",
    "GeneratorID": "X",
    "CassetteID": "X",
    "PlateID": "X",
    "TransducerIdentificationSequence": "X",
    "SourceSerialNumber": "X/Z",
    "TreatmentMachineName": "X/Z",
    "ModifyingDeviceID": "X",
    "DateOfLastCalibration": "X",
    "TimeOfLastCalibration": "X",
    "DateOfManufacture": "X",
    "DateOfInstallation": "X",
    "DateOfLastDetectorCalibration": "X/D",
    "TimeOfLastDetectorCalibration": "X/D",
    # --- Médecins, opérateurs, personnes
    "ReferringPhysicianName": "Z",
    "ReferringPhysicianAddress": "X",
    "ReferringPhysicianTelephoneNumbers": "X",
    "ReferringPhysicianIdentificationSequence": "X",
    "ConsultingPhysicianName": "Z",
    "PerformingPhysicianName": "X",
    "PerformingPhysicianIdentificationSequence": "X",
    "NameOfPhysiciansReadingStudy": "X",
    "PhysiciansReadingStudyIdentificationSequence": "X",
    "PhysiciansOfRecord": "X",
    "PhysiciansOfRecordIdentificationSequence": "X",
    "RequestingPhysician": "X",
    "RequestingService": "X",
    "ScheduledPerformingPhysicianName": "X",
    "ScheduledPerformingPhysicianIdentificationSequence": "X",
    "OperatorsName": "X/Z/D",
    "OperatorIdentificationSequence": "X/D",
    "NamesOfIntendedRecipientsOfResults": "X",
    "IntendedRecipientsOfResultsIdentificationSequence": "X",
    "PersonName": "D",
    "PersonAddress": "X",
    "PersonTelephoneNumbers": "X",
    "PersonIdentificationCodeSequence": "D",
    "VerifyingObserverName": "D",
    "VerifyingObserverSequence": "D",
    "VerifyingOrganization": "D",
    "ContentCreatorName": "Z/D",
    "ReviewerName": "X/Z",
    "OrderEnteredBy": "X",
    "OrderEntererLocation": "X",
    "OrderCallbackPhoneNumber": "X",
    "HumanPerformerName": "X",
    "HumanPerformerOrganization": "X",
    "ActualHumanPerformersSequence": "X",
    "ScheduledHumanPerformersSequence": "X",
    "ParticipantSequence": "X",
    "AuthorObserverSequence": "X",
    "CustodialOrganizationSequence": "X",
    "ROIInterpreter": "Z",
    "ROICreatorSequence": "X",
    "ROIInterpreterSequence": "X",
    "CameraOwnerName": "X",
    # --- Étude, série, demande : identifiants et textes
    "AccessionNumber": "Z",
    "StudyID": "Z",
    "StudyIDIssuer": "X",
    "StudyDescription": "X",
    "SeriesDescription": "X",
    "StudyComments": "X",
    "ProtocolName": "X/D",
    "RequestedProcedureDescription": "X/Z",
    "RequestedProcedureID": "X",
    "RequestedProcedureComments": "X",
    "RequestedProcedureLocation": "X",
    "ReasonForTheRequestedProcedure": "X",
    "ReasonForStudy": "X",
    "RequestedContrastAgent": "X",
    "ImagingServiceRequestComments": "X",
    "ReasonForTheImagingServiceRequest": "X",
    "PlacerOrderNumberImagingServiceRequest": "Z",
    "FillerOrderNumberImagingServiceRequest": "Z",
    "IssueDateOfImagingServiceRequest": "X",
    "IssueTimeOfImagingServiceRequest": "X",
    "RequestAttributesSequence": "X",
    "ScheduledProcedureStepDescription": "X",
    "ScheduledProcedureStepID": "X",
    "ScheduledProcedureStepLocation": "X",
    "ScheduledProcedureStepStartDate": "X",
    "ScheduledProcedureStepStartTime": "X",
    "ScheduledProcedureStepEndDate": "X",
    "ScheduledProcedureStepEndTime": "X",
    "PerformedProcedureStepID": "X",
    "PerformedProcedureStepDescription": "X",
    "PerformedProcedureStepStartDate": "X",
    "PerformedProcedureStepStartTime": "X",
    "PerformedProcedureStepEndDate": "X",
    "PerformedProcedureStepEndTime": "X",
    "CommentsOnThePerformedProcedureStep": "X",
    "ReferencedStudySequence": "X/Z",
    "ReferencedPerformedProcedureStepSequence": "X/Z/D",
    "ReferencedImageSequence": "X/Z/U*",
    "SourceImageSequence": "X/Z/U*",
    "ScheduledStudyLocation": "X",
    "ScheduledStudyLocationAETitle": "X",
    # --- Dates et heures (PS3.15 E.3.6 : l'option « dates modifiées » les décale au lieu de les retirer)
    "StudyDate": "Z",
    "StudyTime": "Z",
    "SeriesDate": "X/D",
    "SeriesTime": "X/D",
    "AcquisitionDate": "X/Z",
    "AcquisitionTime": "X/Z",
    "AcquisitionDateTime": "X/Z/D",
    "ContentDate": "Z/D",
    "ContentTime": "Z/D",
    "InstanceCreationDate": "X/D",
    "InstanceCreationTime": "X/Z/D",
    "OverlayDate": "X",
    "OverlayTime": "X",
    "CurveDate": "X",
    "CurveTime": "X",
    "DateOfSecondaryCapture": "X",
    "TimeOfSecondaryCapture": "X",
    "ContrastBolusStartTime": "X",
    "ContrastBolusStopTime": "X",
    "RadiopharmaceuticalStartTime": "X",
    "RadiopharmaceuticalStopTime": "X",
    "StructureSetDate": "Z",
    "StructureSetTime": "Z",
    "RTPlanDate": "X/D",
    "RTPlanTime": "X/D",
    "TimezoneOffsetFromUTC": "X",
    # --- Textes libres et commentaires
    "ImageComments": "X",
    "FrameComments": "X",
    "DerivationDescription": "X",
    "AcquisitionComments": "X",
    "AcquisitionDeviceProcessingDescription": "X/D",
    "IdentifyingComments": "X",
    "TextComments": "X",
    "TextString": "X",
    "ContrastBolusAgent": "Z/D",
    "CommentsOnRadiationDose": "X",
    "ModifiedImageDescription": "X",
    # --- Radiothérapie (exemples rt_plan, rt_ss, rt_dose)
    "RTPlanLabel": "D",
    "RTPlanName": "X",
    "RTPlanDescription": "X",
    "PrescriptionDescription": "X",
    "DoseReferenceDescription": "X",
    "FractionGroupDescription": "X",
    "BeamDescription": "X",
    "SetupTechniqueDescription": "X",
    "StructureSetLabel": "D",
    "StructureSetName": "X",
    "StructureSetDescription": "X",
    "ROIName": "Z",
    "ROIDescription": "X",
    "ROIGenerationDescription": "X",
    "ROIObservationLabel": "X",
    "ROIObservationDescription": "X",
    "TreatmentSites": "X",
    # --- Documents et structures embarqués
    "IconImageSequence": "X",
    "DigitalSignaturesSequence": "X",
    "OriginalAttributesSequence": "X",
    "ModifiedAttributesSequence": "X",
    "DataSetTrailingPadding": "X",
    # --- UID (remplacés de façon cohérente : même UID d'origine -> même nouvel UID)
    "StudyInstanceUID": "U",
    "SeriesInstanceUID": "U",
    "SOPInstanceUID": "U",
    "MediaStorageSOPInstanceUID": "U",
    "FrameOfReferenceUID": "U",
    "SynchronizationFrameOfReferenceUID": "U",
    "ReferencedFrameOfReferenceUID": "U",
    "RelatedFrameOfReferenceUID": "U",
    "ReferencedSOPInstanceUID": "U",
    "ReferencedSOPInstanceUIDInFile": "U",
    "InstanceCreatorUID": "U",
    "IrradiationEventUID": "U",
    "ConcatenationUID": "U",
    "DimensionOrganizationUID": "U",
    "StorageMediaFileSetUID": "U",
    "DoseReferenceUID": "U",
    "PaletteColorLookupTableUID": "U",
    "LargePaletteColorLookupTableUID": "U",
    "TransactionUID": "U",
    "TargetUID": "U",
    "UID": "U",
    "SpecimenUID": "U",
    "AcquisitionUID": "U",
}

# Groupes répétés (60xx : superpositions, 50xx : courbes) : la norme supprime leurs données.
OVERLAY_DATA_ELEMENTS = {0x3000: "X", 0x4000: "X"}  # (60xx,3000) Overlay Data, (60xx,4000) Overlay Comments


# Lecture conforme des actions doubles (voir la docstring du module) : la dernière action du code.
CONFORMANT_READING: dict[str, str] = {"X/Z": "Z", "X/D": "D", "X/Z/D": "D", "Z/D": "D", "X/Z/U*": "U"}


def conformant_action(action: str | None) -> str | None:
    """Action simple appliquée par le cours pour un code du tableau E.1-1 (``X/Z`` -> ``Z``, ``X/Z/D`` -> ``D``...)."""
    return CONFORMANT_READING.get(action, action)


def _resolve(actions: dict[str, str]) -> dict[int, tuple[str, str]]:
    table = {}
    for keyword, action in actions.items():
        tag = tag_for_keyword(keyword)
        if tag is None:  # protège contre une faute de frappe : le tableau doit rester exact
            raise ValueError(f"Mot-clé DICOM inconnu de pydicom dans le tableau de l'annexe E : {keyword}")
        table[int(tag)] = (keyword, action)
    return table


# Étiquette (entier) -> (mot-clé, action)
BASIC_PROFILE_TABLE: dict[int, tuple[str, str]] = _resolve(BASIC_PROFILE_ACTIONS)


def action_for_tag(tag) -> str | None:
    """Action du profil de base pour une étiquette (None si l'attribut n'est pas dans notre sous-ensemble)."""
    tag = int(tag)
    if tag in BASIC_PROFILE_TABLE:
        return BASIC_PROFILE_TABLE[tag][1]
    group, element = tag >> 16, tag & 0xFFFF
    if group & 0xFF00 == 0x6000 and group % 2 == 0 and element in OVERLAY_DATA_ELEMENTS:
        return OVERLAY_DATA_ELEMENTS[element]
    if group & 0xFF00 == 0x5000 and group % 2 == 0:  # courbes (retirées de la norme depuis 2004)
        return "X"
    return None
