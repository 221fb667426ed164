"""python -m corpusgen OUT_DIR --count N --seed S [--kinds pdf-digital,pdf-scan,...] [--held-out]"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import KINDS, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m corpusgen", description=__doc__)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated subset of {','.join(KINDS)}")
    parser.add_argument("--held-out", action="store_true",
                        help="draw only from the held-out layout families and wordings (files ho-NNNN.*)")
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    paths = generate(args.out_dir, args.count, args.seed, kinds=kinds, held_out=args.held_out)
    print(f"wrote {len(paths)} documents and truth files to {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
