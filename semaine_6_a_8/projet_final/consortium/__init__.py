"""consortium : le projet final du cours, une application Flower (trois hôpitaux, CNN d échographie mammaire)."""
