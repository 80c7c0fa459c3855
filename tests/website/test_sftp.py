"""The banner published over SFTP to a real OpenSSH server, through the CLI."""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import pytest

from tests.support.net import free_port
from tests.support.website import SshServer, StaticSite

pytestmark = pytest.mark.integration

BEFORE = {
    "status.json": b'{"mode": "normal", "active": false, "note": "yll\xc3\xa4pito"}\n',
    "banner.html": b'<div class="site-own">Tervetuloa!</div>\r\n',
}


def configure(
    home: Path, sshd: SshServer, remote: Path, public_url: str = "", **extra: str
) -> None:
    publisher = {
        "type": '"sftp"',
        "host": '"127.0.0.1"',
        "port": str(sshd.port),
        "username": f'"{sshd.username}"',
        "key_file": f'"{sshd.user_key}"',
        "known_hosts": f'"{sshd.known_hosts}"',
        "path": f'"{remote}"',
    }
    publisher.update(extra)
    publisher = {k: v for k, v in publisher.items() if v}
    lines = "\n".join(f"{key} = {value}" for key, value in publisher.items())
    home.mkdir(parents=True, exist_ok=True)
    (home / "notices.toml").write_text(
        '[organisation]\nname = "Testipalvelu Oy"\n'
        f'[channels.website]\nkind = "banner"\n{public_url}[channels.website.publisher]\n{lines}\n'
    )


def remote_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_evacuate_publishes_over_sftp_and_resume_restores_exactly(
    notices, home, sshd, static_site: StaticSite
):
    remote = static_site.folder("sftp-site")
    for name, content in BEFORE.items():
        (remote / name).write_bytes(content)
    # The web server serves the SFTP folder: the read-back checks the public URL too.
    configure(home, sshd, remote, public_url=f'public_url = "{static_site.url("sftp-site/")}"\n')

    assert notices("check").exit_code == 0

    run = notices("evacuate", "--for", "3h", "--reason", "Sähkökatko", "--yes", "--json")
    assert run.exit_code == 0, run.stdout + run.stderr
    channel = run.json()["channels"][0]
    assert channel["ok"] and channel["changed"]
    assert f"sftp {sshd.username}@127.0.0.1:{sshd.port}" in channel["description"]

    published = remote_files(remote)
    assert set(published) == {"status.json", "banner.html", "notice.html", "notices.js"}
    status = json.loads(published["status.json"])
    assert status["active"] is True and status["mode"] == "evacuate"
    assert "Sähkökatko" in status["html"]["fi"]
    for name in published:
        assert stat.S_IMODE((remote / name).stat().st_mode) == 0o644
    assert not list(remote.glob(".*"))  # no temporary files left

    again = notices("evacuate", "--yes", "--json")
    assert again.exit_code == 0 and not again.json()["channels"][0]["changed"]

    done = notices("resume", "--yes")
    assert done.exit_code == 0, done.stdout + done.stderr
    after = remote_files(remote)
    assert after.pop("notices.js")  # permanent: pages include it
    assert after == BEFORE  # byte for byte; notice.html was absent and is absent again
    assert not list(remote.glob(".*"))


def test_a_host_key_that_does_not_match_the_pin_is_refused(notices, home, sshd, tmp_path):
    remote = tmp_path / "remote"
    remote.mkdir()
    other = tmp_path / "impostor"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    impostor = " ".join(other.with_suffix(".pub").read_text().split()[:2])
    configure(home, sshd, remote, known_hosts="", host_key=f'"{impostor}"')
    run = notices("evacuate", "--yes", "--json")
    assert run.exit_code == 1
    error = run.json()["channels"][0]["error"]
    assert "does not match the pinned" in error
    assert "channel.retry" not in notices("log", "show", "--json").stdout  # permanent: no retry
    assert list(remote.iterdir()) == []


def test_a_pinned_host_key_in_the_config_works(notices, home, sshd, tmp_path):
    remote = tmp_path / "remote"
    configure(home, sshd, remote, known_hosts="", host_key=f'"{sshd.host_public_key}"')
    assert notices("evacuate", "--yes").exit_code == 0
    assert (remote / "status.json").exists()  # the remote folder was created
    assert notices("resume", "--yes").exit_code == 0
    assert set(remote_files(remote)) == {"notices.js", "status.json"}
    assert json.loads(remote_files(remote)["status.json"])["active"] is False


def test_an_unknown_host_is_refused(notices, home, sshd, tmp_path):
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    configure(home, sshd, tmp_path / "remote", known_hosts=f'"{empty}"')
    run = notices("check")
    assert run.exit_code == 1
    assert "not pinned" in run.stdout


def test_a_refused_login_is_a_clear_permanent_error(notices, home, sshd, tmp_path):
    stranger = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    configure(home, sshd, tmp_path / "remote", key_file=f'"{stranger}"')
    run = notices("evacuate", "--yes", "--json")
    assert run.exit_code == 1
    assert "refused the login" in run.json()["channels"][0]["error"]


def test_a_server_that_is_down_is_a_transient_error(notices, home, sshd, tmp_path):
    configure(home, sshd, tmp_path / "remote", port=str(free_port()))
    run = notices("evacuate", "--yes", "--json")
    assert run.exit_code == 1
    outcome = run.json()["channels"][0]
    assert "127.0.0.1" in outcome["error"]
    log = notices("log", "show", "--json").stdout
    assert "channel.retry" in log  # retried: it may come back


def test_options_are_validated(notices, home, sshd, tmp_path):
    configure(home, sshd, tmp_path / "remote", known_hosts="")
    run = notices("check")
    assert run.exit_code == 2
    assert "known_hosts or host_key" in run.stderr
