"""The wheel carries the templates, migrations and static files, and works outside the checkout."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_templates_and_runs_outside_checkout(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(tmp_path / "dist"), str(ROOT)], check=True)
    wheel = next((tmp_path / "dist").glob("pressdesk-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "pressdesk/templates/base.html" in names
    assert "pressdesk/templates/email/release.txt" in names
    assert "pressdesk/static/style.css" in names
    assert any(n.startswith("pressdesk/migrations/versions/") for n in names)
    assert "pressdesk/demo/seeds/landkreis-leer-it-kompetenzzentrum.txt" in names
    assert "workers/tasks.py" in names

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True)
    script = (
        "import sys; sys.path = [p for p in sys.path if p not in ('', '" + str(ROOT) + "')];"
        "import pressdesk, os;"
        "assert not pressdesk.__file__.startswith('" + str(ROOT) + "'), pressdesk.__file__;"
        "app = pressdesk.create_app({'instance_dir': os.environ['INST'], 'secret_key': 'x'*20});"
        "ctx = app.app_context(); ctx.push();"
        "from pressdesk import migrate; migrate.upgrade();"
        "from pressdesk.demo.loader import load_demo; load_demo();"
        "r = app.test_client().get('/');"
        "assert r.status_code == 200 and 'Cluster-Manager' in r.get_data(as_text=True), r.status_code;"
        "print('ok')"
    )
    env = {"PYTHONPATH": str(target), "INST": str(tmp_path / "inst"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().endswith("ok")


def test_every_dependency_is_pinned_in_constraints():
    """make setup and CI install with -c constraints.txt: every direct dependency (runtime and
    dev) has an exact pin there, and the pin satisfies pyproject's range."""
    import re
    import tomllib

    from packaging.requirements import Requirement

    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [Requirement(r) for r in project["dependencies"]]
    wanted += [Requirement(r) for extra in project["optional-dependencies"].values() for r in extra]
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line!r}"
            pins[norm(name)] = version
    for req in wanted:
        assert norm(req.name) in pins, f"{req.name} is not pinned in constraints.txt"
        assert req.specifier.contains(pins[norm(req.name)], prereleases=True), \
            f"{req.name}=={pins[norm(req.name)]} does not satisfy {req.specifier}"
