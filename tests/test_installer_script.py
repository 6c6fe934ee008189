"""installer/windows/install.ps1 read as text (no PowerShell here), against pyproject and the package
(R16): the default package is this release, pinned; a re-run reinstalls xlmargin itself; the
Python it picks is any supported 3.x, 64-bit; -Force reaches `xlmargin install --force`."""

import re
import tomllib
from pathlib import Path

from xlmargin import __version__

REPO = Path(__file__).resolve().parents[1]
SCRIPT = (REPO / "installer/windows/install.ps1").read_text()


def test_the_default_package_is_this_release_pinned():
    default = re.search(r"\[string\] \$Package = '([^']*)'", SCRIPT)
    assert default is not None
    assert default.group(1) == f"xlmargin[excel]=={__version__}"  # was 'xlmargin[excel]': whatever PyPI has
    assert f"xlmargin[excel]=={__version__}" in (REPO / "installer/README.md").read_text()


def test_run_from_the_project_it_installs_that_copy_not_a_name():
    """R16 finding 1: a name fetched from PyPI is only as trustworthy as whoever holds the name; run
    from the project (installer\\windows two folders below pyproject.toml, as it ships) the script
    installs that copy, with the excel extra, unless -Package is given."""
    assert "if (-not $PSBoundParameters.ContainsKey('Package'))" in SCRIPT
    assert "Split-Path -Parent (Split-Path -Parent $PSScriptRoot)" in SCRIPT
    assert "(Join-Path $Checkout 'pyproject.toml')" in SCRIPT
    assert "$Package = '{0}[excel]' -f $Checkout" in SCRIPT
    assert (REPO / "installer/windows/install.ps1").parents[2] == REPO  # the layout the script assumes


def test_a_rerun_reinstalls_xlmargin_itself():
    """pip keeps an installed same-version xlmargin under --upgrade; a rebuilt 0.1.0 wheel stayed old."""
    assert "'--force-reinstall', '--no-deps', $Package" in SCRIPT
    assert "'--upgrade', \"xlwings==$XlwingsVersion\", $Package" in SCRIPT  # the dependencies as before


def test_the_python_range_is_pyprojects():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    minimum = re.fullmatch(r">=(\d+\.\d+)", pyproject["project"]["requires-python"])
    assert minimum is not None
    assert f"$MinimumPython = [version] '{minimum.group(1)}'" in SCRIPT
    assert "'-3.11'" not in SCRIPT  # was `py -3.11`: exactly 3.11, though the help said "or later"
    assert "py -0" in SCRIPT and "Sort-Object -Descending" in SCRIPT  # the newest the launcher lists
    assert "struct.calcsize(chr(80)) * 8" in SCRIPT and "-bit Python" in SCRIPT  # 32-bit refused


def test_force_reaches_xlmargin_install():
    assert "[switch] $Force" in SCRIPT
    assert "if ($Force) { $command += '--force' }" in SCRIPT


def test_the_script_is_plain_ascii():
    SCRIPT.encode("ascii")
