"""External tools the benchmark needs, installed on demand: wrk from Debian packages, py-spy from PyPI."""
import os
import shutil
import subprocess
import sys


def _run(cmd: list[str]) -> bool:
    print(f"  $ {' '.join(cmd)}", flush=True)
    return subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                          timeout=300).returncode == 0


def ensure_wrk() -> str | None:
    """The wrk binary; installed with apt-get when missing and we are root. None when that is not possible."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print("wrk is missing and cannot be installed here (needs root and apt-get)", flush=True)
        return None
    print("wrk is missing; installing it from the Debian packages", flush=True)
    env_ok = _run(["apt-get", "install", "-y", "-qq", "wrk"]) or (
        _run(["apt-get", "update", "-qq"]) and _run(["apt-get", "install", "-y", "-qq", "wrk"]))
    return shutil.which("wrk") if env_ok else None


def ensure_py_spy() -> str | None:
    """py-spy next to this interpreter; pip-installed into it when missing."""
    candidate = os.path.join(os.path.dirname(sys.executable), "py-spy")
    if os.path.exists(candidate):
        return candidate
    if shutil.which("py-spy"):
        return shutil.which("py-spy")
    print("py-spy is missing; installing it from PyPI", flush=True)
    _run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "py-spy"])
    return candidate if os.path.exists(candidate) else shutil.which("py-spy")
