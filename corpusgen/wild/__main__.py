"""python -m corpusgen.wild --seed S --count N --out DIR [--kinds pdf-digital,pdf-scan,...]"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import KINDS, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m corpusgen.wild", description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated subset of {','.join(KINDS)}")
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    paths = generate(args.out, args.count, args.seed, kinds=kinds)
    print(f"wrote {len(paths)} documents and truth files to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
