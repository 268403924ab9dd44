#!/usr/bin/env python3
"""Mutation check for the rapidyaml fast path: delete each guard, one at a time, and show that
tests/test_fastyaml.py then fails. A guard no test misses would be a guard nobody checks.

usage: .venv/bin/python tests/mutate_fastyaml.py   (about a minute; not part of the suite)

Each mutation runs against a copy of the repository, never the working tree.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODULE = "feeds/fastyaml.py"

# (name, text in feeds/fastyaml.py, replacement that removes the guard)
MUTATIONS: list[tuple[str, str, str]] = [
    (
        "no final line break",
        'if _ryml is None or not body.endswith("\\n"):',
        "if _ryml is None or not body:",
    ),
    (
        "lone surrogates",
        '    try:\n        source = body.encode("utf-8")\n'
        "    except UnicodeEncodeError:  # lone surrogates\n        return None\n",
        '    source = body.encode("utf-8")\n',
    ),
    ("all source checks", "    if _refused(source):\n        return None\n", ""),
    (
        "C0 controls, tab, DEL",
        "        if rest.translate(None, _HIGH_BYTES):\n"
        "            return True  # C0 control, tab or DEL\n",
        "",
    ),
    (
        "LS/PS/BOM/U+FFFE/U+FFFF",
        "        if any(seq in rest for seq in _BAD_SEQUENCES):\n            return True\n",
        "",
    ),
    *[
        (name, f"    {seq},\n", "")
        for name, seq in (
            ("line separator U+2028", 'b"\\xe2\\x80\\xa8"'),
            ("paragraph separator U+2029", 'b"\\xe2\\x80\\xa9"'),
            ("BOM U+FEFF", 'b"\\xef\\xbb\\xbf"'),
            ("U+FFFE", 'b"\\xef\\xbf\\xbe"'),
            ("U+FFFF", 'b"\\xef\\xbf\\xbf"'),
        )
    ],
    (
        "C1 controls (NEL)",
        '        if b"\\xc2" in rest and _C1.search(rest) is not None:\n            return True\n',
        "",
    ),
    ("lone CR", "        return True  # a lone CR", "        pass  # a lone CR"),
    ("long space runs", "    if _LONG_SPACES in source:\n        return True\n", ""),
    (
        "node-start indicators",
        "        if (i == 0 or classes[i - 1] != 0x78) and "
        "_suspect_at(source, i):\n            return True\n",
        "",
    ),
    (
        "block scalar headers",
        '_BLOCK_HEADER = re.compile(rb"[|>][-+]? *(?:\\n|$)")',
        '_BLOCK_HEADER = re.compile(rb"[|>]")',
    ),
    (
        "flow empties: alone on their line",
        '_FLOW_EMPTY = re.compile(rb"(?:\\[\\]|\\{\\}) *\\n")',
        '_FLOW_EMPTY = re.compile(rb"(?:\\[\\]|\\{\\})")',
    ),
    (
        "flow empties: only empty ones",
        '_FLOW_EMPTY = re.compile(rb"(?:\\[\\]|\\{\\}) *\\n")',
        '_FLOW_EMPTY = re.compile(rb"[\\[{]")',
    ),
    (
        "flow collections at a node start",
        "        return _FLOW_EMPTY.match(source, i) is None\n",
        "        return False\n",
    ),
    ("node start after an indicator", '(j < i and source[j - 1] in b"-?:")', "False"),
    *[
        (
            f"indicator {ch!r}",
            '_SUSPECT_CHARS = b"!&*@`%[]{}|>"',
            '_SUSPECT_CHARS = b"' + "!&*@`%[]{}|>".replace(ch, "") + '"',
        )
        for ch in "!&*@`%[]{}|>"
    ],
    (
        "multi-document streams",
        "        if tree.is_stream(0):  # several documents (or an "
        "explicit '---' inside)\n            return None\n",
        "",
    ),
    (
        "all special strings",
        "        if _SPECIAL.search(text) is not None:\n            return None\n",
        "",
    ),
    (
        "special: booleans and nulls",
        'r"y(?:es)?|Y(?:es|ES)?|n(?:o|ull)|N(?:o|O|ull|ULL)|true|'
        'T(?:rue|RUE)|false|F(?:alse|ALSE)"',
        'r"\\x00"',
    ),
    ("special: on/off", 'r"|o(?:n|ff)|O(?:n|N|ff|FF)"', 'r""'),
    ("special: ints and floats", 'r"|[-+]?(?:0b[0-1_]+|0x[0-9a-fA-F_]+"', 'r"|[-+]?(?:\\x00"'),
    ("special: sexagesimal", "(?:(?::[0-5]?[0-9])+(?:\\.[0-9_]*)?|", "(?:"),
    ("special: .inf/.nan", "|inf|Inf|INF|nan|NaN|NAN))", "))"),
    ("special: ~ << = ! & *", "r'|~|<<|=|!|&|\\*)\"", "r'|\\x00)\""),
    ("special: empty keys", "r'|~|<<|=|!|&|\\*)\"|\":)'", "r'|~|<<|=|!|&|\\*)\")'"),
    ("floats: '-0.' rewrite", 'if text.startswith("-0.") or not', "if not"),
    (
        "floats: PyYAML's float rule",
        'text.startswith("-0.") or not _FLOAT.fullmatch(text)',
        'text.startswith("-0.")',
    ),
    (
        "NaN/Infinity constants",
        "def _parse_constant(text: str) -> Any:\n    raise _Refuse(text)",
        "def _parse_constant(text: str) -> Any:\n    return float(text.replace('inity', ''))",
    ),
    ("errors: ryml's exceptions", "ValueError, RuntimeError, ryml.ExceptionBasic)", "ValueError)"),
    ("duplicate keys", "if len(mapping) != len(pairs) or (", "if ("),
    ("long keys", " or (mapping and max(map(len, mapping)) > _MAX_KEY)", ""),
]


def main() -> int:
    source = (ROOT / MODULE).read_text()
    survived = []
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "repo"
        shutil.copytree(
            ROOT,
            copy,
            ignore=shutil.ignore_patterns(
                ".venv", ".git", "output", ".feeds*", "__pycache__", ".pytest_cache", "bench"
            ),
        )
        for name, old, new in MUTATIONS:
            if source.count(old) != 1:
                print(f"MISSING  {name}: the guard's text is not in {MODULE} exactly once")
                survived.append(name)
                continue
            (copy / MODULE).write_text(source.replace(old, new))
            proc = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pytest",
                    "-q",
                    "-x",
                    "-p",
                    "no:cacheprovider",
                    "tests/test_fastyaml.py",
                ],
                cwd=copy,
                capture_output=True,
                text=True,
            )
            caught = proc.returncode == 1
            print(f"{'caught ' if caught else 'SURVIVED'}  {name}")
            if not caught:
                survived.append(name)
    print(f"{len(MUTATIONS) - len(survived)} of {len(MUTATIONS)} guard deletions caught")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
