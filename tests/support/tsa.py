"""A real RFC 3161 timestamping authority on loopback: `openssl ts -reply` behind a small
HTTP handler, with a CA and a TSA certificate (extendedKeyUsage = critical, timeStamping)
made here, for the test and nothing else."""

from __future__ import annotations

import subprocess
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TSA_CONFIG = """\
[ tsa ]
default_tsa = tsa_config

[ tsa_config ]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@dataclass
class Authority:
    """A CA and the TSA it certified, in `folder`; `url` once `serve` has started."""

    folder: Path
    url: str = ""
    requests: int = 0
    _server: ThreadingHTTPServer | None = None

    @property
    def ca_file(self) -> Path:
        return self.folder / "ca.pem"

    @classmethod
    def make(cls, folder: Path, name: str = "Test") -> Authority:
        folder.mkdir(parents=True)
        _openssl(
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", f"/CN={name} CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            cwd=folder,
        )  # fmt: skip
        _openssl(
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", f"/CN={name} TSA",
            cwd=folder,
        )  # fmt: skip
        (folder / "tsa.ext").write_text(
            "basicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature\n"
            "extendedKeyUsage=critical,timeStamping\n"
        )
        _openssl(
            "x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "tsa.pem", "-days", "30", "-extfile", "tsa.ext",
            cwd=folder,
        )  # fmt: skip
        (folder / "serial").write_text("01\n")
        (folder / "tsa.cnf").write_text(TSA_CONFIG.format(dir=folder))
        return cls(folder)

    def reply(self, query: bytes) -> bytes:
        with self.lock:
            self.requests += 1
            name = f"q{self.requests}"
            (self.folder / f"{name}.tsq").write_bytes(query)
            _openssl(
                "ts", "-reply", "-config", "tsa.cnf", "-queryfile", f"{name}.tsq",
                "-out", f"{name}.tsr",
                cwd=self.folder,
            )  # fmt: skip
            return (self.folder / f"{name}.tsr").read_bytes()

    lock = threading.Lock()

    def serve(self) -> Authority:
        authority = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                query = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Content-Type") != "application/timestamp-query":
                    self.send_error(415)
                    return
                body = authority.reply(query)
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/tsa"
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
