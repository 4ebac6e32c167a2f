"""Copy the two JavaScript packages the project ships or tests with out of the npm registry.

- ``@zazuko/yasgui`` (MIT): the SPARQL editor of ``guidebook serve``'s query page. Its
  built bundle goes into the Python package (``src/guidebook_kg/site/static/yasgui/``), so
  the editor works offline and nothing needs npm to install or test the project.
- ``axe-core`` (MPL-2.0): the accessibility checker the browser tests inject into pages
  (``tests/vendor/axe-core/``).

Each copy carries its licence, the licences of every package bundled into it (read from
the bundle's source map and the installed packages), and the exact version. Run
``python tests/tools/vendor_js.py`` (needs ``npm``) to refresh both after changing the
versions below; tests/test_site_assets.py checks the copies are whole.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
YASGUI = "@zazuko/yasgui"
YASGUI_VERSION = "4.6.2"
AXE = "axe-core"
AXE_VERSION = "4.14.1"
YASGUI_TARGET = REPO / "src" / "guidebook_kg" / "site" / "static" / "yasgui"
AXE_TARGET = REPO / "tests" / "vendor" / "axe-core"

# The Yasgui packages carry no licence file; this is the MIT licence of the upstream
# repository (github.com/TriplyDB/Yasgui, LICENSE.txt), which @zazuko/yasgui forks.
YASGUI_LICENCE = """\
The MIT License (MIT)

Copyright (c) 2018 Ruben Taelman

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
THE SOFTWARE.
"""


def npm_install(folder: Path, spec: str) -> Path:
    (folder / "package.json").write_text('{"private": true}\n', encoding="utf-8")
    subprocess.run(
        ["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", spec],
        cwd=folder,
        check=True,
    )
    return folder / "node_modules"


def bundled_packages(source_map: Path) -> list[str]:
    """The npm packages whose code went into a bundle, by its source map."""
    sources = json.loads(source_map.read_text(encoding="utf-8"))["sources"]
    found = set()
    for source in sources:
        match = re.search(r"node_modules/((?:@[^/]+/)?[^/]+)", source)
        if match:
            found.add(match.group(1))
    return sorted(found)


def licence_text(package: Path) -> str:
    for candidate in sorted(package.iterdir()):
        if re.match(r"(licen[cs]e|copying)", candidate.name, re.IGNORECASE):
            return candidate.read_text(encoding="utf-8", errors="replace").strip()
    return ""


def notices(modules: Path, names: list[str]) -> str:
    parts = []
    for name in names:
        folder = modules / name
        meta = json.loads((folder / "package.json").read_text(encoding="utf-8"))
        text = licence_text(folder) or "(the package carries no licence file)"
        parts.append(
            f"{meta['name']} {meta['version']} - {meta.get('license', 'see below')}\n"
            f"{'-' * 72}\n{text}\n"
        )
    return "\n\n".join(parts) + "\n"


def vendor_yasgui(work: Path) -> None:
    modules = npm_install(work / "yasgui", f"{YASGUI}@{YASGUI_VERSION}")
    build = modules / YASGUI / "build"
    if YASGUI_TARGET.exists():
        shutil.rmtree(YASGUI_TARGET)
    YASGUI_TARGET.mkdir(parents=True)
    for name in ("yasgui.min.js", "yasgui.min.css"):
        text = (build / name).read_text(encoding="utf-8")
        # The source map is not shipped; a reference to it would be a broken link.
        text = re.sub(r"\n?/[/*]# sourceMappingURL=\S+(\s*\*/)?\s*$", "\n", text)
        (YASGUI_TARGET / name).write_text(text, encoding="utf-8")
    (YASGUI_TARGET / "LICENSE.txt").write_text(YASGUI_LICENCE, encoding="utf-8")
    bundled = [p for p in bundled_packages(build / "yasgui.min.js.map") if (modules / p).is_dir()]
    (YASGUI_TARGET / "THIRD-PARTY-NOTICES.txt").write_text(
        f"Packages bundled into yasgui.min.js ({YASGUI} {YASGUI_VERSION}), with their "
        "licences.\n\n" + notices(modules, bundled),
        encoding="utf-8",
    )
    (YASGUI_TARGET / "VERSION").write_text(
        f"{YASGUI} {YASGUI_VERSION} from the npm registry (build/yasgui.min.js and "
        "build/yasgui.min.css, without their source maps); refreshed by "
        "tests/tools/vendor_js.py\n",
        encoding="utf-8",
    )


def vendor_axe(work: Path) -> None:
    modules = npm_install(work / "axe", f"{AXE}@{AXE_VERSION}")
    package = modules / AXE
    if AXE_TARGET.exists():
        shutil.rmtree(AXE_TARGET)
    AXE_TARGET.mkdir(parents=True)
    for name in ("axe.min.js", "LICENSE", "LICENSE-3RD-PARTY.txt"):
        shutil.copyfile(package / name, AXE_TARGET / name)
    (AXE_TARGET / "VERSION").write_text(
        f"{AXE} {AXE_VERSION} from the npm registry; refreshed by tests/tools/vendor_js.py\n",
        encoding="utf-8",
    )


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="guidebook-vendor-") as temporary:
        work = Path(temporary)
        (work / "yasgui").mkdir()
        (work / "axe").mkdir()
        vendor_yasgui(work)
        vendor_axe(work)
    print(f"wrote {YASGUI_TARGET.relative_to(REPO)} and {AXE_TARGET.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
