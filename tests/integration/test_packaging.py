"""Each distribution installs on its own into a fresh virtual environment.

``pip install ./packages/core`` gives an importable ``visionbox.core`` with no task package, and
``pip install ./packages/tracking`` brings detection and core but nothing of segmentation or pose.
PyTorch comes from the torch-only environment that tools/tox.sh shares (``VISIONBOX_TORCH_SITE``)
through a ``.pth`` file, so the test installs only VisionBox and its light dependencies.
"""

import json
import os
import subprocess
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TORCH_SITE = os.environ.get("VISIONBOX_TORCH_SITE")

pytestmark = pytest.mark.skipif(
    not TORCH_SITE, reason="needs the torch-only site of tools/tox.sh (VISIONBOX_TORCH_SITE)"
)


def _run(*args: str | Path) -> str:
    result = subprocess.run([str(a) for a in args], capture_output=True, text=True, check=False)
    assert result.returncode == 0, (
        f"{args} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result.stdout


def _make_venv(root: Path) -> Path:
    venv.EnvBuilder(with_pip=True).create(root)
    python = root / "bin" / "python"
    site = _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip()
    (Path(site) / "shared_torch.pth").write_text(f"{TORCH_SITE}\n")
    return python


@pytest.fixture(scope="module")
def fresh_env(tmp_path_factory):
    return _make_venv(tmp_path_factory.mktemp("venv"))


def _installed(python: Path) -> set[str]:
    listing = _run(python, "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check")
    return {line.split("==")[0].lower() for line in listing.splitlines() if "==" in line}


def test_core_alone_then_tracking_brings_detection(fresh_env):
    python = fresh_env
    _run(python, "-m", "pip", "install", "-q", REPO / "packages" / "core")
    installed = _installed(python)
    assert "visionbox-core" in installed
    assert not {"visionbox-detection", "visionbox-segmentation"} & installed
    out = _run(
        python,
        "-c",
        "import visionbox.core, importlib.util as u; "
        "print(visionbox.core.__version__, u.find_spec('visionbox.detection'))",
    )
    assert out.split() == ["0.1.0", "None"]

    _run(python, "-m", "pip", "install", "-q", REPO / "packages" / "tracking")
    installed = _installed(python)
    assert {"visionbox-core", "visionbox-detection", "visionbox-tracking"} <= installed
    assert not {"visionbox-segmentation", "visionbox-pose"} & installed
    _run(python, "-c", "import visionbox.tracking.registry, visionbox.detection.registry")


def _editable_locations(python: Path) -> dict[str, str]:
    """The editable VisionBox distributions, by name, with the folder each points at."""
    script = (
        "import json, importlib.metadata as m\n"
        "out = {}\n"
        "for d in m.distributions():\n"
        "    name = d.metadata['Name']\n"
        "    if not name.startswith('visionbox-'): continue\n"
        "    info = json.loads(d.read_text('direct_url.json') or '{}')\n"
        "    if info.get('dir_info', {}).get('editable'): out[name] = info['url']\n"
        "print(json.dumps(out))\n"
    )
    return json.loads(_run(python, "-c", script))


@pytest.fixture(scope="module")
def dev_env(tmp_path_factory):
    return _make_venv(tmp_path_factory.mktemp("devvenv"))


def test_developer_install_is_editable_and_stays_so(dev_env):
    """The README's developer install: all editable; reinstalling one keeps the others so."""
    python = dev_env
    names = ["core", "detection", "segmentation", "pose", "tracking"]
    editable_args = [a for n in names for a in ("-e", REPO / "packages" / n)]
    _run(python, "-m", "pip", "install", "-q", *editable_args)
    expected = {f"visionbox-{n}": (REPO / "packages" / n).as_uri() for n in names}
    assert _editable_locations(python) == expected

    # Reinstalling one package editable must not replace the editable core with a copy.
    _run(python, "-m", "pip", "install", "-q", "-e", REPO / "packages" / "detection")
    assert _editable_locations(python) == expected
    # The installed code is the checkout's: a module's file lies under packages/.
    out = _run(python, "-c", "import visionbox.tracking as t; print(t.__file__)")
    assert out.strip().startswith(str(REPO / "packages" / "tracking"))
