"""The README's commands where the machine is not the CI's: `make test` without root goes on without the browser
(its tests skip, saying why) instead of failing on apt-get."""
import shutil
import subprocess

from tests.deploy.test_alert_rules import ROOT


def test_make_browser_without_root_or_chromium_says_the_browser_tests_will_be_skipped(tmp_path):
    fake_id = tmp_path / "id"
    fake_id.write_text("#!/bin/sh\necho 1000\n")
    fake_id.chmod(0o755)
    make = shutil.which("make")
    done = subprocess.run([make, "--no-print-directory", "-C", str(ROOT), "browser"], capture_output=True, text=True,
                          env={"PATH": str(tmp_path)}, timeout=60)  # no chromium, no apt-get, not root
    assert done.returncode == 0, done.stderr
    assert "the browser tests will be skipped" in done.stdout
