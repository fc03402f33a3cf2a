"""The house in wings: every import inside narrate runs one way, from the command line down to the data model."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "narrate"
# cli -> studio -> render -> voices, attribution, publish -> text, audio, storage -> model, errors. A module may
# import its own wing and any lower rank, never a higher one or a wing beside it. `storage` (fsspec URLs) is one
# module under the clip cache (voices) and the outputs (publish), which both write to it.
RANK = {"model": 0, "errors": 0, "_version": 0, "text": 1, "audio": 1, "storage": 1,
        "voices": 2, "attribution": 2, "publish": 2, "render": 3, "studio": 4, "cli": 5}
TOP = {"narrate", "narrate.__main__"}  # the public API and `python -m narrate` sit above every wing


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every narrate import in `path`, at any depth (lazy imports count)."""
    return imports_in(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py")


def imports_in(source: str, name: str, is_package: bool) -> list[tuple[int, str]]:
    package = name if is_package else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "narrate"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "narrate":
                continue
            # `from . import cast` names submodules: each one is an import of its own
            subs = [(node.lineno, f"{target}.{a.name}") for a in node.names if _exists(f"{target}.{a.name}")]
            found += subs or [(node.lineno, target)]
    return found


def violations(source: str, name: str, is_package: bool = False) -> list[str]:
    """Imports of module `name` that go up or sideways between wings."""
    here = wing(name)
    out = []
    for line, target in imports_in(source, name, is_package):
        there = wing(target)
        if there != here and (there is None or RANK[there] >= RANK[here]):
            out.append(f"{name}:{line} ({here}) imports {target} ({there or 'the top'})")
    return out


def _exists(module: str) -> bool:
    rel = module.split(".", 1)[1].replace(".", "/") if "." in module else ""
    return (PACKAGE / f"{rel}.py").is_file() or (PACKAGE / rel / "__init__.py").is_file()


def wing(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RANK else None


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_module_belongs_to_a_wing_or_the_top():
    loose = [module_name(p) for p in modules() if module_name(p) not in TOP and wing(module_name(p)) is None]
    assert not loose, f"modules outside every wing: {loose}"


def test_imports_run_one_way():
    wrong = [v for p in modules() if module_name(p) not in TOP
             for v in violations(p.read_text(encoding="utf-8"), module_name(p), p.name == "__init__.py")]
    assert not wrong, "imports against the direction cli -> render -> voices/attribution/publish -> " \
                      "text/audio -> model/errors:\n" + "\n".join(wrong)


def find_cycles(graph: dict[str, set[str]]) -> list[str]:
    """Every import cycle a depth-first walk of `graph` (module -> modules it imports) runs into."""
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*trail[trail.index(nxt):], nxt]))
            elif nxt not in state and nxt in graph:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return cycles


def test_no_import_cycles_between_modules():
    graph = {module_name(p): {t for _, t in imports(p)} - {module_name(p)} for p in modules()}
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a -> b -> c -> a"]
    cycles = find_cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_the_checker_sees_upward_sideways_and_lazy_imports():
    # The walker must resolve relative imports, lazy ones included, or the tests above prove nothing.
    assert violations("from ..render.plan import voice_for", "narrate.audio.stitch")
    assert violations("def f():\n    from ..voices import synth\n", "narrate.text.reader")
    assert violations("from ..text import reader", "narrate.audio.export")  # sideways
    assert violations("from .. import render_book", "narrate.voices.casting")  # the top
    assert violations("import narrate.cli.main", "narrate.render.job")
    assert not violations("from ..model import Voice\nfrom .values import samples", "narrate.audio.stitch")
    assert not violations("from .engines import get_engine", "narrate.voices", is_package=True)
    assert not violations("from ..audio.export import write_atomic", "narrate.voices.casting")
    lazy = [t for _, t in imports(PACKAGE / "cli" / "main.py")]
    assert "narrate.render.pipeline" in lazy and "narrate.cli.cast" in lazy


def test_the_public_api_is_complete_and_light():
    import subprocess
    import sys

    code = ("import sys, narrate\n"
            "heavy = [m for m in ('numpy', 'scipy', 'pydub', 'lameenc', 'narrate.render.pipeline') if m in sys.modules]\n"
            "assert not heavy, heavy\n"
            "from narrate import render_book, RenderOptions, RenderResult, script_book, script_text, load_book\n"
            "from narrate import register_engine, Engine, VoiceInfo, load_voice_map, auto_cast, Pacing\n"
            "missing = [n for n in narrate.__all__ if not hasattr(narrate, n)]\n"
            "assert not missing, missing\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
