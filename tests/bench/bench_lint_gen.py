#!/usr/bin/python3
"""bench_lint_gen.py OUTDIR COUNT - a CA and COUNT TLS server certificates
(each its own P-256 key, random 16-octet serial, 90-day validity) for the
lint benchmark, made with python3-cryptography (OpenSSL underneath)."""
import datetime
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

out, count = sys.argv[1], int(sys.argv[2])
os.makedirs(out, exist_ok=True)
now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
ca_key = ec.generate_private_key(ec.SECP256R1())
ca_name = x509.Name([
    x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Catena Bench"),
    x509.NameAttribute(NameOID.COMMON_NAME, "Catena Bench Root"),
])
ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
      .public_key(ca_key.public_key())
      .serial_number(int.from_bytes(os.urandom(16), "big") >> 1)
      .not_valid_before(now - datetime.timedelta(days=1))
      .not_valid_after(now + datetime.timedelta(days=3650))
      .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
      .add_extension(x509.KeyUsage(True, False, False, False, False, True, True,
                                   False, False), True)
      .add_extension(ca_ski, False)
      .sign(ca_key, hashes.SHA256()))
with open(os.path.join(out, "ca.pem"), "wb") as f:
    f.write(ca.public_bytes(serialization.Encoding.PEM))
aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski)
for i in range(count):
    key = ec.generate_private_key(ec.SECP256R1())
    nb = now + datetime.timedelta(seconds=i)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(int.from_bytes(b"\x01" + os.urandom(16), "big"))
            .not_valid_before(nb)
            .not_valid_after(nb + datetime.timedelta(days=90, seconds=-1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.DNSName(f"host{i}.example.com")]), True)
            .add_extension(x509.KeyUsage(True, False, False, False, False,
                                         False, False, False, False), True)
            .add_extension(x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH]), False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None),
                           True)
            .add_extension(aki, False)
            .add_extension(x509.CertificatePolicies([x509.PolicyInformation(
                x509.ObjectIdentifier("2.23.140.1.2.1"), None)]), False)
            .add_extension(x509.AuthorityInformationAccess([
                x509.AccessDescription(
                    x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                    x509.UniformResourceIdentifier(
                        "http://ca.example.com/ca.der"))]), False)
            .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                [x509.UniformResourceIdentifier(
                    "http://ca.example.com/crl/0.crl")], None, None, None)]),
                False)
            .sign(ca_key, hashes.SHA256()))
    with open(os.path.join(out, f"c{i:05d}.pem"), "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
