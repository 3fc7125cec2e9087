"""What a newcomer runs from a fresh clone: the README's commands, the Makefile's setup steps and the
test database each run gets. apt, sudo and a wrong Python are played by small stand-in programs."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _run(argv, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120, **kwargs)


def _stand_ins(directory: Path, programs: dict[str, str]) -> dict[str, str]:
    """An environment whose PATH finds these shell scripts (in `directory`/bin) before the real programs."""
    fake = directory / "bin"
    fake.mkdir(parents=True)
    for name, body in programs.items():
        (fake / name).write_text("#!/bin/bash\n" + body + "\n")
        (fake / name).chmod(0o755)
    return {**os.environ, "PATH": f"{fake}{os.pathsep}{os.environ['PATH']}"}


def test_the_readme_policy_bench_example_is_in_the_repository_and_passes():
    commands = [line.split("#")[0] for line in README.splitlines() if "zhucan policy test " in line]
    assert commands, "README shows the policy test bench"
    for command in commands:
        files = shlex.split(command)[shlex.split(command).index("test") + 1:]
        for name in files:
            path = (ROOT / name).resolve()
            assert path.is_relative_to(ROOT) and path.is_file(), f"{name} is not in the repository"
        # The real command, as a newcomer types it in the checkout (this checkout's code and policies).
        done = _run([str(BIN / "zhucan"), "policy", "test", *files],
                    env={**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"})
        assert done.returncode == 0, done.stdout + done.stderr
        assert re.fullmatch(r"[1-9]\d* passed, 0 failed", done.stdout.strip().splitlines()[-1])


LOCKED = "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 4242 (apt-get)"


def test_system_deps_waits_for_another_apt_holding_the_lock_and_only_for_that(tmp_path):
    calls = tmp_path / "apt-calls"
    env = _stand_ins(tmp_path / "held", {
        "dpkg-query": "exit 1",  # nothing installed
        "id": "echo 1000",  # not root: through sudo
        "sudo": f'echo sudo >> {calls}; exec "$@"',
        # The package lists' lock is held for the first two updates, as by unattended-upgrades.
        "apt-get": f'''echo "$*" >> {calls}
if [[ " $* " == *" update "* ]] && [ "$(grep -c ' update ' {calls})" -le 2 ]; then echo "{LOCKED}" >&2; exit 100; fi''',
    })
    done = _run(["make", "--no-print-directory", "system-deps"], env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    apt = [line for line in calls.read_text().splitlines() if line != "sudo"]
    assert [line.split()[2] for line in apt] == ["update", "update", "update", "install"]
    assert all(line.startswith("-o DPkg::Lock::Timeout=300 ") for line in apt)  # install waits by itself
    assert apt[-1].split()[3:5] == ["-y", "-qq"] and "chromium" in apt[-1] and "fonts-noto-cjk" in apt[-1]
    assert calls.read_text().count("sudo") == 4
    assert done.stdout.count("Waiting for another apt") == 2

    # Not forever: after APT_LOCK_TIMEOUT seconds it gives up with apt's own message.
    calls.unlink()
    env = _stand_ins(tmp_path / "forever", {
        "dpkg-query": "exit 1", "apt-get": f'echo "$*" >> {calls}; echo "{LOCKED}" >&2; exit 100'})
    done = _run(["make", "--no-print-directory", "system-deps", "APT_LOCK_TIMEOUT=0"], env=env)
    assert done.returncode != 0 and "Could not get lock" in done.stderr
    assert calls.read_text().splitlines() == ["-o DPkg::Lock::Timeout=0 update -qq"]

    # Another error (offline, a bad source) is no lock: it stops at once.
    calls.unlink()
    env = _stand_ins(tmp_path / "offline", {
        "dpkg-query": "exit 1",
        "apt-get": f'echo "$*" >> {calls}; echo "E: Failed to fetch http://deb.debian.org/debian" >&2; exit 100'})
    done = _run(["make", "--no-print-directory", "system-deps"], env=env)
    assert done.returncode != 0 and "Failed to fetch" in done.stderr
    assert len(calls.read_text().splitlines()) == 1


def test_make_refuses_a_python_other_than_311_before_creating_anything(tmp_path):
    env = _stand_ins(tmp_path, {"python3.12": 'exec "' + sys.executable + '" -c "import sys; sys.exit(1)"'})
    venv = tmp_path / "venv"
    done = _run(["make", "--no-print-directory", "venv", f"PYTHON={tmp_path / 'bin' / 'python3.12'}",
                 f"VENV={venv}"], env=env)
    assert done.returncode != 0
    assert "Zhucan needs Python 3.11" in done.stderr and "PYTHON=" in done.stderr
    assert not venv.exists()


def test_readme_names_the_python_version_and_how_to_point_make_test_at_another_postgresql():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["requires-python"] == ">=3.11,<3.12"
    assert "Python 3.11" in README
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    default = re.search(r"^PG_URL \?= (\S+)$", makefile, flags=re.M).group(1)
    assert f"`PG_URL`, by default `{default}`" in README
    assert "PG_URL=postgres://" in README and "make test" in README


def test_the_browser_tests_name_a_setup_command_that_exists():
    conftest = (ROOT / "tests" / "browser" / "conftest.py").read_text(encoding="utf-8")
    message = re.search(r'pytest\.fail\(f"(.*)"\)', conftest).group(1)
    commands = re.findall(r"`make ([\w-]+)`", message)
    assert commands, message
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    target = commands[0]
    assert re.search(rf"^{target}:", makefile, flags=re.M), target
    assert re.search(r"^DEBIAN_PACKAGES := chromium ", makefile, flags=re.M)
    assert f"make {target}" in README
    dry_run = _run(["make", "--no-print-directory", "-n", target])
    assert dry_run.returncode == 0 and "apt-get" in dry_run.stdout


def _test_database_name(env: dict[str, str]) -> str:
    code = "from config.settings import test; print(test.DATABASES['default']['TEST']['NAME'])"
    done = _run([sys.executable, "-c", code], env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_each_run_on_postgresql_gets_its_own_test_database(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    env.update(DATABASE_URL="postgres://postgres@127.0.0.1:5432/zhucan", ZHUCAN_VAR_DIR=str(tmp_path),
               PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{ROOT}")
    first, second = _test_database_name(env), _test_database_name(env)
    assert first != second  # two runs (two processes) side by side
    assert first.startswith("test_zhucan_") and second.startswith("test_zhucan_")
    # The workers of one xdist run share its name (pytest-django adds each worker's suffix itself).
    env["PYTEST_XDIST_TESTRUNUID"] = "4f1c2a9be07d4e5f"
    assert _test_database_name(env) == _test_database_name(env) == "test_zhucan_4f1c2a9b"


@pytest.mark.django_db
def test_this_run_uses_a_database_of_its_own():
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "")[:8] or str(os.getpid())
    assert run in name
    if connection.vendor == "postgresql":
        assert name.startswith("test_zhucan_") and name != "test_zhucan"
