"""A real OpenSSH server for the publish tests: Debian's sshd on 127.0.0.1, a free port, a
temporary host key and user key, serving SFTP to the user running the tests.

sshd wants to be started by its absolute path and needs its privilege-separation folder
(/run/sshd); as root (CI) the test makes that folder. Where sshd cannot start (not installed,
not root and no /run/sshd, a sandbox that forbids it) the tests skip, saying why.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SSHD = "/usr/sbin/sshd"  # Debian's openssh-server; sshd refuses to run from a relative path
PRIVSEP_DIR = Path("/run/sshd")  # compiled into Debian's sshd
START_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class SshServer:
    port: int
    user: str
    key: Path  # the user's private key
    known_hosts: Path  # "[127.0.0.1]:port <host key>"
    home: Path  # a folder the tests can publish into

    def url(self, folder: Path) -> str:
        return f"sftp://{self.user}@127.0.0.1:{self.port}{folder}"

    def env(self) -> dict[str, str]:
        """Credentials the way a user gives them: a key file and a known_hosts file."""
        return {
            "PERSPECTIVE_SSH_KEY": str(self.key),
            "PERSPECTIVE_SSH_KNOWN_HOSTS": str(self.known_hosts),
            "PERSPECTIVE_SSH_CONFIG": str(self.home / "no-ssh-config"),
        }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


def _wait_for_banner(port: int, proc: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(4).startswith(b"SSH-"):
                    return True
        except OSError:
            time.sleep(0.05)
    return False


def start_sshd(folder: Path) -> Iterator[SshServer]:
    if not os.path.exists(SSHD) or shutil.which("ssh-keygen") is None:
        pytest.skip(f"{SSHD} is not installed (Debian package openssh-server; make setup installs it)")
    if not PRIVSEP_DIR.is_dir():
        if os.geteuid() != 0:
            pytest.skip(f"sshd needs {PRIVSEP_DIR}, which only root can create")
        PRIVSEP_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    host_key, user_key = folder / "host_ed25519", folder / "user_ed25519"
    _keygen(host_key)
    _keygen(user_key)
    authorized = folder / "authorized_keys"
    shutil.copyfile(user_key.with_suffix(".pub"), authorized)
    port, user = _free_port(), getpass.getuser()
    config = folder / "sshd_config"
    config.write_text(
        f"""Port {port}
ListenAddress 127.0.0.1
HostKey {host_key}
PidFile {folder / "sshd.pid"}
AuthorizedKeysFile {authorized}
AllowUsers {user}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
StrictModes no
Subsystem sftp internal-sftp
LogLevel ERROR
""",
        encoding="utf-8",
    )
    known = folder / "known_hosts"
    known.write_text(f"[127.0.0.1]:{port} {host_key.with_suffix('.pub').read_text().split(' ', 2)[0]} "
                     f"{host_key.with_suffix('.pub').read_text().split(' ', 2)[1]}\n", encoding="utf-8")
    log = open(folder / "sshd.log", "wb")  # noqa: SIM115 - closed after the server stops
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT)
    try:
        if not _wait_for_banner(port, proc):
            proc.kill()
            proc.wait()
            log.close()
            why = (folder / "sshd.log").read_text(errors="replace").strip().splitlines()[-1:] or ["no output"]
            pytest.skip(f"sshd could not start: {why[0]}")
        yield SshServer(port, user, user_key, known, folder)
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
