"""Inférence d'appartenance par seuil sur la perte (Yeom et al., 2018)."""
from __future__ import annotations

import numpy as np


def example_losses(model, x, y, batch_size: int = 256) -> np.ndarray:
    """Perte d'entropie croisée de chaque exemple (l'indice que regarde l'attaque par seuil)."""
    probabilities = np.asarray(model.predict(x, batch_size=batch_size, verbose=0), dtype=np.float64)
    labels = np.asarray(y).reshape(len(y), -1)[:, 0].astype(int)
    if probabilities.ndim == 1 or probabilities.shape[-1] == 1:
        p = probabilities.reshape(-1)
        p_true = np.where(labels == 1, p, 1 - p)
    else:
        p_true = probabilities[np.arange(len(labels)), labels]
    return -np.log(np.clip(p_true, 1e-12, 1.0))


def membership_inference(model, members, non_members, *, max_examples: int | None = None, seed: int = 0) -> dict:
    """Attaque d'appartenance par seuil sur la perte (Yeom et al., 2018 ; Shokri et al., 2017 pour l'idée).

    `members` = `(x, y)` d'entraînement, `non_members` = `(x, y)` jamais vus (par exemple la validation). Le score
    d'appartenance est −perte : un exemple vu à l'entraînement a en général une perte plus faible.
    Les deux groupes sont ramenés à la même taille (tirage fixé par `seed`). Renvoie un dictionnaire :
    `auc` (AUC de l'attaque : 0,5 = hasard), `advantage` (max TPR − FPR), `train_loss`, `non_member_loss`
    (pertes moyennes des membres et des non-membres), `gap` (écart non-membres − membres), `scores`, `is_member`.
    """
    from sklearn.metrics import roc_auc_score, roc_curve

    rng = np.random.default_rng(seed)
    size = min(len(members[0]), len(non_members[0]))
    if max_examples is not None:
        size = min(size, int(max_examples))
    pick_in = rng.choice(len(members[0]), size=size, replace=False)
    pick_out = rng.choice(len(non_members[0]), size=size, replace=False)
    loss_in = example_losses(model, np.asarray(members[0])[pick_in], np.asarray(members[1])[pick_in])
    loss_out = example_losses(model, np.asarray(non_members[0])[pick_out], np.asarray(non_members[1])[pick_out])
    scores = -np.concatenate([loss_in, loss_out])
    is_member = np.concatenate([np.ones(size, dtype=int), np.zeros(size, dtype=int)])
    fpr, tpr, _ = roc_curve(is_member, scores)
    return {"auc": float(roc_auc_score(is_member, scores)), "advantage": float(np.max(tpr - fpr)),
            "train_loss": float(loss_in.mean()), "non_member_loss": float(loss_out.mean()),
            "gap": float(loss_out.mean() - loss_in.mean()), "scores": scores, "is_member": is_member}
