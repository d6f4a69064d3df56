"""The command line: ``python -m helpers run|list|sync-notebooks|exercises|report`` (also
installed as the ``workbook`` console script).

Each command's story (executed copies, widget state, the report) is in docs/reference.md. Each
option's default comes from the environment, then the profile: the help of each says which.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ..profiles import DATA_SOURCES, PROFILE_NAMES, default_profile_name
from . import runner

# Each default as the code finds it: the flag, else the environment, else the profile.
PROFILE_HELP = "default: WORKBOOK_PROFILE, else full with a CUDA GPU and demo without"
DATA_HELP = "default: WORKBOOK_DATA, else the profile's (real for full, synthetic otherwise)"
FIGURES_HELP = (
    "default: WORKBOOK_FIGURES_DIR, else figures/<profile> (figures/<profile>-<data> when the "
    "data source is not the profile's)"
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m helpers",
        description="The workbook's commands (docs/reference.md tells more).",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="execute notebooks headless")
    run.add_argument("notebooks", nargs="*", help="stems such as 01_vae (default: all)")
    run.add_argument("--profile", choices=PROFILE_NAMES, default=None, help=PROFILE_HELP)
    run.add_argument("--data", choices=DATA_SOURCES, default=None, help=DATA_HELP)
    run.add_argument("--figures-dir", type=Path, default=None, help=FIGURES_HELP)
    run.add_argument(
        "--timeout", type=int, default=None,
        help="seconds a cell may run before it fails its notebook (default by profile: smoke "
        "15 min, demo 1 h, full 12 h; 0: no limit)",
    )  # fmt: skip
    run.add_argument("--no-progress", action="store_true")
    sub.add_parser("list", help="list the notebooks")
    sync = sub.add_parser(
        "sync-notebooks", help="rewrite the Colab cells from pyproject"
    )
    sync.add_argument("--check", action="store_true", help="only say which notebooks differ")
    ex = sub.add_parser("exercises", help="write the exercise edition (graded functions as stubs)")
    ex.add_argument("--out", type=Path, default=None, help="default: exercises/ in the checkout")
    ex.add_argument("--check", action="store_true", help="only say which files differ")
    ex.add_argument(
        "--submit", type=Path, nargs="+", metavar="NOTEBOOK", default=None,
        help="instead, write the course's q1/q2/q3_solution.py from these notebooks into --out",
    )  # fmt: skip
    rep = sub.add_parser("report", help="assemble report.md and report.tex for one profile")
    rep.add_argument("--profile", choices=PROFILE_NAMES, default=None, help=PROFILE_HELP)
    rep.add_argument(
        "--data", choices=DATA_SOURCES, default=None,
        help="the data source whose folder to read: " + DATA_HELP,
    )  # fmt: skip
    rep.add_argument(
        "--figures-dir", type=Path, default=None,
        help="the folder that holds the notebooks' folders: " + FIGURES_HELP,
    )  # fmt: skip
    args = parser.parse_args(argv)

    if args.command == "list":
        for path in runner.find_notebooks([]):
            print(path.stem)
        return 0
    if args.command == "sync-notebooks":
        from ..notebook.colab import sync_notebooks

        changed = sync_notebooks(runner.notebooks_dir().parent, check=args.check)
        verb = "differ from pyproject.toml" if args.check else "rewritten"
        print(f"{len(changed)} notebook(s) {verb}: {', '.join(p.stem for p in changed) or '-'}")
        return 1 if args.check and changed else 0

    if args.command == "exercises" and args.submit:
        from .submit import SubmitError, write_submission

        if args.out is None:
            parser.error("--submit needs --out DIR, the folder for the submission files")
        try:
            written = write_submission(args.submit, args.out)
        except SubmitError as err:
            print(f"nothing written: {err}", file=sys.stderr)
            return 1
        for sub in written:
            print(f"{args.out / sub.name}: {', '.join(sub.graded)}")
            for note in sub.notes:
                print(f"  {note}")
        return 0
    if args.command == "exercises":
        from .exercises import write_exercises

        changed = write_exercises(runner.notebooks_dir().parent, args.out, check=args.check)
        verb = "differ from the notebooks" if args.check else "written"
        names = ", ".join(p.name for p in changed) or "-"
        print(f"{len(changed)} exercise notebook(s) {verb}: {names}")
        return 1 if args.check and changed else 0

    from ..notebook.workbook import figures_root

    profile = args.profile or default_profile_name()
    root = args.figures_dir or figures_root(profile, args.data)
    if args.command == "report":
        from .report import build_report

        try:
            md, tex = build_report(root, profile)
        except FileNotFoundError as err:
            print(err, file=sys.stderr)
            return 1
        print(f"wrote {md} and {tex} (pdflatex {tex.name}, run in {tex.parent}, makes the PDF)")
        return 0
    paths = runner.find_notebooks(args.notebooks)
    print(f"profile {profile}; figures and executed notebooks -> {root}")
    results = []
    try:
        for path in paths:
            result = runner.run_notebook(
                path,
                profile=profile,
                data=args.data,
                figures_root=root,
                timeout=args.timeout,
                progress=not args.no_progress,
            )
            results.append(result)
            if result.error:
                print(result.error, file=sys.stderr)
    except KeyboardInterrupt:
        print("\ninterrupted; checkpoints keep the training done so far", file=sys.stderr)
        return 130
    print()
    print(runner.summary_table(results, root))
    failed = [r.notebook for r in results if not r.ok]
    if failed:
        print(f"\nfailed: {', '.join(failed)} (executed copies in {root})", file=sys.stderr)
        return 1
    print(f"\nall {len(results)} notebook(s) ran; executed copies and figures in {root}")
    return 0
