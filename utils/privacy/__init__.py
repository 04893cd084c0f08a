"""Confidentialité des données de santé : dé-identification DICOM, pseudonymisation, k-anonymat,
risque de ré-identification et confidentialité différentielle (notebooks de la semaine 2).

- `deidentify_dicom(ds, secret)` : copie dé-identifiée d'un fichier DICOM (PS3.15 annexe E, profil de base ;
  actions doubles lues de façon conforme, `conformant_action`) ;
- `pseudonymize(value, secret)` : pseudonyme HMAC-SHA-256 ; `plain_hash` : hachage sans clé (à ne pas utiliser) ;
- `k_anonymity(df, quasi_identifiers)`, `l_diversity`, `reidentification_risk` ;
- `laplace_mechanism(value, sensitivity, epsilon, rng)`.
"""
from .annex_e import BASIC_PROFILE_ACTIONS, action_for_tag, conformant_action
from .dicom_deid import (DicomDeidentificationError, date_shift_for, deidentification_plan, deidentify_dicom,
                         find_identifying_leaks, remap_uid)
from .differential import as_generator, laplace_mechanism, laplace_scale, laplace_variance, membership_auc_bound
from .tabular import (MissingColumnsError, check_columns, equivalence_class_sizes, generalize_age, k_anonymity,
                      l_diversity, plain_hash, pseudonymize, reidentification_risk, suppress_small_classes)

__all__ = [
    "BASIC_PROFILE_ACTIONS", "DicomDeidentificationError", "MissingColumnsError", "action_for_tag", "as_generator",
    "check_columns", "conformant_action", "date_shift_for", "deidentification_plan", "deidentify_dicom", "equivalence_class_sizes",
    "find_identifying_leaks", "generalize_age", "k_anonymity", "l_diversity", "laplace_mechanism", "laplace_scale",
    "laplace_variance", "membership_auc_bound", "plain_hash", "pseudonymize", "reidentification_risk", "remap_uid", "suppress_small_classes",
]
