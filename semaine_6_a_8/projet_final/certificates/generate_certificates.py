"""Génère les certificats TLS d'un déploiement Flower : une autorité (CA) et le certificat de la SuperLink.

    python certificates/generate_certificates.py                       # SuperLink sur cette machine
    python certificates/generate_certificates.py --host superlink.chu-exemple.fr --host 10.0.0.5

Fichiers écrits dans le dossier de ce script (ou `--out`) :
- `ca.crt` : le certificat de l'autorité. À donner à chaque hôpital (`flower-supernode --root-certificates`)
  et à qui lance les runs (`root-certificates` de la connexion) : il permet de vérifier la SuperLink ;
- `ca.key` : la clé de l'autorité. À garder hors ligne par le coordinateur ; elle ne sert qu'à signer ;
- `server.pem`, `server.key` : le certificat et la clé de la SuperLink (`--ssl-certfile`, `--ssl-keyfile`).
  La clé ne quitte jamais la machine de la SuperLink.

Pour un essai et pour la formation seulement : en production, l'autorité est celle de l'établissement
ou du consortium, et les clés sont protégées (droits du fichier, coffre de secrets). Utilise la
bibliothèque `cryptography` (installée avec Flower).
"""
from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HERE = Path(__file__).resolve().parent


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Consortium du cours FL santé"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(key, path: Path) -> None:
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(0o600)  # une clé privée : lisible par son seul propriétaire


def generate(out: Path = HERE, hosts: tuple[str, ...] = ("127.0.0.1", "localhost"), days: int = 365) -> dict:
    """Écrit `ca.crt`, `ca.key`, `server.pem`, `server.key` dans `out` ; renvoie leurs chemins.

    `hosts` : les noms et adresses IP par lesquels les hôpitaux joindront la SuperLink ; le certificat
    n'est valable que pour eux (sinon la connexion TLS est refusée : c'est voulu).
    """
    out.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.timezone.utc)
    start, end = now - dt.timedelta(minutes=5), now + dt.timedelta(days=days)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (x509.CertificateBuilder().subject_name(_name("Autorité du consortium")).issuer_name(_name("Autorité du consortium"))
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(end)
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                            content_commitment=False, key_encipherment=False, data_encipherment=False,
                                            key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
               .sign(ca_key, hashes.SHA256()))

    alternative_names = []
    for host in hosts:
        try:
            alternative_names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alternative_names.append(x509.DNSName(host))
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (x509.CertificateBuilder().subject_name(_name(hosts[0])).issuer_name(ca_cert.subject)
                   .public_key(server_key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(start).not_valid_after(end)
                   .add_extension(x509.SubjectAlternativeName(alternative_names), critical=False)
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                   .sign(ca_key, hashes.SHA256()))

    paths = {"ca_certificate": out / "ca.crt", "ca_key": out / "ca.key",
             "server_certificate": out / "server.pem", "server_key": out / "server.key"}
    paths["ca_certificate"].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths["server_certificate"].write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    _write_key(ca_key, paths["ca_key"])
    _write_key(server_key, paths["server_key"])
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description="Certificats TLS (autorité + SuperLink) pour un déploiement Flower.")
    parser.add_argument("--host", action="append", help="nom ou adresse IP de la SuperLink (répétable) ; "
                        "par défaut 127.0.0.1 et localhost")
    parser.add_argument("--out", type=Path, default=HERE, help="dossier de sortie (par défaut : celui du script)")
    parser.add_argument("--days", type=int, default=365, help="durée de validité en jours")
    args = parser.parse_args()
    paths = generate(args.out, tuple(args.host or ("127.0.0.1", "localhost")), args.days)
    for role, path in paths.items():
        print(f"{role:>18} : {path}")
    print("À distribuer : ca.crt seulement. À garder : ca.key (hors ligne) et server.key (sur la SuperLink).")


if __name__ == "__main__":
    main()
