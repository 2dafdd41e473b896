"""pyproject.toml, environment.yml, constraints-cpu.txt and the Makefile must agree."""
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _constraint_pins():
    pins = {}
    for line in (ROOT / "constraints-cpu.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            req = Requirement(line)
            pins[req.name] = req
    return pins


def test_torch_requirement_is_a_lower_bound_that_admits_the_cpu_pin():
    deps = {Requirement(d).name: Requirement(d) for d in _pyproject()["project"]["dependencies"]}
    torch = deps["torch"]
    pin = _constraint_pins()["torch"]
    pinned = next(iter(pin.specifier)).version
    assert torch.specifier.contains(pinned), "the CPU pin must satisfy the project's torch range"
    # an exact or upper-bounded torch would replace a user's installed CUDA build
    assert not any(s.operator in ("==", "<", "<=", "~=", "===") for s in torch.specifier)


def test_environment_yml_matches_python_and_uses_the_constraints():
    text = (ROOT / "environment.yml").read_text()
    py = re.search(r"-\s*python\s*=\s*([\d.]+)", text).group(1)
    requires = SpecifierSet(_pyproject()["project"]["requires-python"])
    assert requires.contains(py + ".0")
    pip_lines = re.findall(r"^\s+-\s+(-c .+|-e .+)$", text, flags=re.M)
    assert "-c constraints-cpu.txt" in pip_lines
    assert any(line.startswith("-e .") for line in pip_lines)


def test_makefile_installs_torch_through_the_constraints_file():
    text = (ROOT / "Makefile").read_text()
    assert "-c constraints-cpu.txt" in text
    assert re.search(r"TORCH_SPEC \?= torch==(\S+)", text).group(1) == str(
        next(iter(_constraint_pins()["torch"].specifier)).version)


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme
    assert re.search(r"^make test$", ci, flags=re.M)


def test_extras_are_spelled_as_their_packages_publish_them():
    """pip 23.2 (what a fresh `python3.11 -m venv` brings) does not normalise extra names: an extra
    spelled otherwise than its package's `Provides-Extra` installs nothing, silently."""
    from importlib.metadata import metadata
    for line in _pyproject()["project"]["dependencies"]:
        req = Requirement(line)
        if req.extras:
            published = set(metadata(req.name).get_all("Provides-Extra") or [])
            assert req.extras <= published, (req.name, sorted(req.extras - published), sorted(published))


def test_setup_keeps_the_pip_a_fresh_venv_brings():
    """`make setup` installs with the venv's own pip (no upgrade), as a user's first install does."""
    assert "--upgrade pip" not in (ROOT / "Makefile").read_text()
