"""Every picture a course notebook's markdown shows is there: a relative image link (Markdown
`![..](path)` or HTML `<img src=..>`) must name a file beside the notebook, or JupyterLab shows
a broken-image icon where the course meant a figure."""
import json
import pathlib
import re

import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)[^)]*\)|<img[^>]*\bsrc=[\"']([^\"']+)[\"']")


def image_links(markdown: str):
    for m in IMAGE.finditer(markdown):
        yield m.group(1) or m.group(2)


def test_the_pattern_finds_both_kinds_of_link():
    found = list(image_links('a ![x](img.png) b <img src="assets/y.svg" alt="z">'))
    assert found == ["img.png", "assets/y.svg"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_linked_image_exists(path):
    cells = json.loads(path.read_text())["cells"]
    missing = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        for link in image_links(source):
            if re.match(r"^(https?:|data:|attachment:)", link):
                continue
            if not (path.parent / link).is_file():
                missing.append(f"cell {i}: {link}")
    assert not missing, f"{path.name} links images that do not exist: {missing}"
