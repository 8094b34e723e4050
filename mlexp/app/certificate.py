"""The class server's https certificate: the teacher's own, or a self-signed one made once."""
from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
from pathlib import Path

import psutil
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from mlexp.core.errors import MlexpError
from mlexp.core.files import atomic_write


class CertificateError(MlexpError):
    """A certificate or key that cannot be read or does not match."""


def local_names() -> list[str]:
    """Names and addresses students may use to reach this machine (read from the machine's
    interfaces; no traffic is sent): localhost, the host name, every interface address."""
    names = ["localhost", socket.gethostname(), f"{socket.gethostname()}.local"]
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family in (socket.AF_INET, socket.AF_INET6):
                names.append(address.address.split("%")[0])
    return list(dict.fromkeys(names))


def _alternative_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def make_self_signed(certfile: Path, keyfile: Path, names: list[str], days: int = 365) -> None:
    """Write a self-signed certificate valid for `names` (host names or IP addresses)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mlexp class server")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([_alternative_name(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    with atomic_write(keyfile) as out:
        out.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))
    keyfile.chmod(0o600)
    with atomic_write(certfile) as out:
        out.write(certificate.public_bytes(serialization.Encoding.PEM))


def _covers(certfile: Path, names: list[str]) -> bool:
    """Whether a certificate we made is still valid for a week and names every one of `names`."""
    try:
        certificate = x509.load_pem_x509_certificate(certfile.read_bytes())
        alternatives = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return False
    have = {str(v) for v in alternatives.get_values_for_type(x509.DNSName)}
    have |= {str(v) for v in alternatives.get_values_for_type(x509.IPAddress)}
    week = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=7)
    return set(names) <= have and certificate.not_valid_after_utc > week


def self_signed(folder: Path, extra_names: list[str] = ()) -> tuple[Path, Path]:
    """(certfile, keyfile) of this machine's self-signed certificate in `folder`, made when missing,
    expiring or lacking a name."""
    certfile, keyfile = folder / "mlexp-class-cert.pem", folder / "mlexp-class-key.pem"
    names = list(dict.fromkeys([*local_names(), *extra_names]))
    if not (keyfile.is_file() and _covers(certfile, names)):
        folder.mkdir(parents=True, exist_ok=True)
        make_self_signed(certfile, keyfile, names)
    return certfile, keyfile


def ssl_context(certfile: Path, keyfile: Path) -> ssl.SSLContext:
    """A server TLS context; CertificateError (one sentence) when the files cannot be used."""
    for path in (certfile, keyfile):
        if not Path(path).is_file():
            raise CertificateError(f"The certificate file {path} does not exist.")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(str(certfile), str(keyfile))
    except PermissionError:
        raise CertificateError(f"The certificate {certfile} or its key {keyfile} cannot be read "
                               "(permission denied).") from None
    except (ssl.SSLError, OSError, ValueError) as error:
        raise CertificateError(f"The certificate {certfile} and key {keyfile} cannot be used together "
                               f"({getattr(error, 'reason', None) or error}).") from None
    return context


def fingerprint(certfile: Path) -> str:
    """The certificate's SHA-256 fingerprint as browsers show it (AB:CD:...)."""
    certificate = x509.load_pem_x509_certificate(Path(certfile).read_bytes())
    return certificate.fingerprint(hashes.SHA256()).hex(":").upper()
