"""Sources de données du cours : la vraie source (Kaggle, UCI, MedMNIST...) ou son miroir hors ligne.

Chaque chargeur accepte `source="auto" | "kaggle" | "offline"` (ou l'équivalent) et un dossier local,
dit en français quelle source il a utilisée, et lit le miroir avec exactement le même code.
"""
from .busi import load_busi, read_grayscale
from .busi_mirror import make_busi_mirror
from .ehr import load_mimic_like_cohort
from .heart_disease import load_heart_disease
from .mtsamples import load_mtsamples
from .sources import DataSourceError
from .splits import group_leaks, split_by_group

from .chest_xray import load_chest_xray, split_by_patient  # noqa: E402 (semaine 5)
from .medmnist import load_medmnist  # noqa: E402

__all__ = ["DataSourceError", "group_leaks", "load_busi", "load_heart_disease", "load_mimic_like_cohort", "load_mtsamples", "make_busi_mirror", "read_grayscale", "split_by_group", "load_chest_xray", "load_medmnist", "split_by_patient"]
