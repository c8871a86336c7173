"""The `machi` command: --help everywhere, and one readable line (no traceback) for bad input."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from server.cli import build_parser


def run_machi(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MACHI_")}
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        env={**clean, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("machi: error")]
    assert len(error_lines) == 1
    for fragment in fragments:
        assert fragment in error_lines[0]


@pytest.mark.parametrize("argv", [[], ["serve"], ["demo"], ["db"], ["db", "upgrade"]])
def test_every_command_has_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args([*argv, "--help"])

    assert exited.value.code == 0
    assert "usage: machi" in capsys.readouterr().out


def test_db_upgrade_creates_the_sqlite_database(tmp_path: Path) -> None:
    result = run_machi("db", "upgrade", env={"MACHI_DATA_DIR": str(tmp_path)}, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert (tmp_path / "machi.db").exists()


def test_unknown_setting_is_one_line(tmp_path: Path) -> None:
    result = run_machi("serve", env={"MACHI_PROT": "1"}, cwd=tmp_path)

    assert_one_line_error(result, "MACHI_PROT", "MACHI_PORT")


def test_unreachable_postgresql_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        "MACHI_DATA_DIR": str(tmp_path),
        "MACHI_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/test",
    }

    result = run_machi("db", "upgrade", env=env, cwd=tmp_path)

    assert_one_line_error(result, "cannot connect to the database", "MACHI_DATABASE_URL")


def test_unusable_data_folder_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")

    result = run_machi("db", "upgrade", env={"MACHI_DATA_DIR": str(blocker / "data")}, cwd=tmp_path)

    assert_one_line_error(result, "data folder", "MACHI_DATA_DIR")


def test_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"MACHI_DATA_DIR": str(tmp_path), "MACHI_PORT": str(port)}

        result = run_machi("serve", env=env, cwd=tmp_path)

    assert_one_line_error(result, f"port {port}", "MACHI_PORT")
