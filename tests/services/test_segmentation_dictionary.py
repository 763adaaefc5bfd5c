"""The segmenter's dictionary: jieba's own words and frequencies, shipped without the part-of-speech
tags that segmenting never reads (services/segmentation.py, docs/benchmarks.md "Peak and steady
memory"), and loaded without the tagged copy `import rjieba` builds.

Rebuild the shipped file after a jieba upgrade: `make segmentation-dictionary`.
"""

from __future__ import annotations

import gzip
import importlib.util
import subprocess
import sys
from pathlib import Path

from services import segmentation


def jieba_dictionary() -> bytes:
    """jieba's dict.txt (`word frequency tag` per line) as `word frequency` lines, in its order."""
    spec = importlib.util.find_spec("jieba")
    assert spec is not None and spec.origin is not None
    lines = (Path(spec.origin).parent / "dict.txt").read_bytes().splitlines()
    return b"".join(b" ".join(line.split(b" ")[:2]) + b"\n" for line in lines)


def write() -> None:
    # mtime=0: the same words give the same bytes, so a rebuild without a change is no diff.
    segmentation.DICTIONARY.write_bytes(gzip.compress(jieba_dictionary(), compresslevel=9, mtime=0))


def test_the_shipped_dictionary_is_jiebas_words_and_frequencies():
    shipped = gzip.decompress(segmentation.DICTIONARY.read_bytes())
    assert shipped == jieba_dictionary()
    assert shipped.count(b"\n") > 349_000


def test_segmenting_never_builds_rjiebas_tagged_dictionary():
    # In a fresh process: loading the segmenter leaves rjieba's package (whose import builds its own
    # dictionary with every word's tag) unimported, and the words it knows are the shipped ones.
    code = (
        "import sys\n"
        "from services import segmentation\n"
        "segmentation.initialise()\n"
        "assert 'rjieba' not in sys.modules, 'rjieba imported'\n"
        "print(' '.join(segmentation.words('锂电池储能系统的中试验证', search_mode=True)))\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["锂电", "电池", "锂电池", "储能", "系统", "的", "中", "试验", "证"]


if __name__ == "__main__":
    write()
    print(f"wrote {segmentation.DICTIONARY}")
