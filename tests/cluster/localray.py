"""A real, small, short-lived Ray cluster on this machine for the tests and bench/cluster_bench.py:
`ray start --head` on 127.0.0.1 with a free port, plus worker nodes (each its own raylet process
with its own resources). Each `ray start --block` runs in its own session; stop() ends exactly
the processes started here (never `ray stop`, which would end every Ray on the machine)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

OBJECT_STORE_BYTES = 80 * 1024 * 1024  # small: the tasks pass only paths and results
START_TIMEOUT_S = 90
STOP_GRACE_S = 3  # then SIGKILL: a test cluster has nothing worth a clean shutdown


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalRay:
    def __init__(self, ray_bin: Path, env: dict[str, str] | None = None) -> None:
        self.ray_bin = ray_bin
        self.env = {**os.environ, **(env or {}), "RAY_USAGE_STATS_ENABLED": "0"}
        # short: Ray's Unix sockets live under it (a socket path is limited to 107 bytes)
        self.temp_dir = Path(tempfile.mkdtemp(prefix="ray-", dir="/tmp"))
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.procs: list[subprocess.Popen[bytes]] = []

    def _start(self, args: list[str], log_name: str) -> None:
        log = open(self.temp_dir / log_name, "wb")
        self.procs.append(
            subprocess.Popen(
                [str(self.ray_bin), "start", "--block", "--disable-usage-stats", *args],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    def start_head(self, num_cpus: int = 1, resources: str = '{"head": 1}') -> None:
        self._start(
            [
                "--head",
                "--node-ip-address=127.0.0.1",
                f"--port={self.port}",
                f"--num-cpus={num_cpus}",
                f"--resources={resources}",
                f"--object-store-memory={OBJECT_STORE_BYTES}",
                "--include-dashboard=false",
                f"--temp-dir={self.temp_dir}",
            ],
            "head.log",
        )

    def add_node(self, num_cpus: int = 1, resources: str = "{}") -> None:
        n = len(self.procs)
        # several nodes on one machine: each its own agent and manager ports (the defaults collide)
        ports = [
            f"--{name}={free_port()}"
            for name in (
                "node-manager-port",
                "object-manager-port",
                "dashboard-agent-listen-port",
                "dashboard-agent-grpc-port",
                "metrics-export-port",
                "runtime-env-agent-port",
            )
        ]
        self._start(
            [
                f"--address={self.address}",
                "--node-ip-address=127.0.0.1",
                f"--temp-dir={self.temp_dir}/n{n}",  # its own session folder and sockets
                *ports,
                f"--num-cpus={num_cpus}",
                f"--resources={resources}",
                f"--object-store-memory={OBJECT_STORE_BYTES}",
            ],
            f"node{n}.log",
        )

    def wait_for(self, nodes: int) -> None:
        """Until `ray status`-equivalent: the GCS lists ``nodes`` live nodes."""
        import ray

        from production.cluster import connect, wait_for_nodes

        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                connect(ray, self.address)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Ray head did not start: {self.log_tail()}") from None
                time.sleep(1.0)
        wait_for_nodes(ray, nodes, START_TIMEOUT_S)

    def log_tail(self) -> str:
        return " | ".join(p.read_text(errors="replace")[-400:] for p in sorted(self.temp_dir.glob("*.log")))

    def our_pids(self) -> list[int]:
        """Processes whose command line names our temp dir or port (the raylets, the GCS, workers)."""
        marks = (str(self.temp_dir).encode(), f":{self.port}".encode())
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and int(entry.name) != os.getpid():
                try:
                    cmd = (entry / "cmdline").read_bytes()
                except OSError:
                    continue
                if any(m in cmd for m in marks):
                    pids.append(int(entry.name))
        return pids

    def stop(self) -> None:
        try:
            import ray

            if ray.is_initialized():
                ray.shutdown()
        except ImportError:
            pass
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        for pid in self.our_pids():  # anything that left the session (Ray daemonises some)
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.temp_dir, ignore_errors=True)
