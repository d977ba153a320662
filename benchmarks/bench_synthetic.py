"""Time the synthetic register generator at 100k and 1M persons.

Run: ``python benchmarks/bench_synthetic.py [--sizes 100000 1000000] [--panel]``.

Each size runs in a fresh child process, so the peak RSS printed is that of one generation
(``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`` of the child). With ``--panel`` the child
also builds the person-month panel from the generated spells (registers spine) and times it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time


def _child(persons: int, panel: bool) -> None:
    import resource

    from evaluation.synthetic import generate_registers

    t0 = time.perf_counter()
    reg = generate_registers(persons=persons, seed=1)
    t_gen = time.perf_counter() - t0
    out: dict[str, float | int] = {
        "persons": persons,
        "spells": len(reg.spells),
        "participants": len(reg.participants),
        "seconds": t_gen,
    }
    if panel:
        from evaluation.registers import build_person_month_panel

        t1 = time.perf_counter()
        result = build_person_month_panel(
            reg.spells,
            start=reg.months[0],
            end=reg.months[-1],
            participants=reg.participants,
            persons=reg.persons,
        )
        out["panel_seconds"] = time.perf_counter() - t1
        out["panel_rows"] = int(result.n_rows)
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--panel", action="store_true", help="also build the panel")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.panel)
        return
    print(f"{'persons':>10} {'spells':>10} {'seconds':>8} {'persons/s':>11} {'peak RSS MiB':>13}")
    for n in args.sizes:
        cmd = [sys.executable, __file__, "--child", str(n), *(["--panel"] if args.panel else [])]
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
        row = json.loads(res.stdout.strip().splitlines()[-1])
        line = (
            f"{row['persons']:>10,} {row['spells']:>10,} {row['seconds']:>8.2f} "
            f"{row['persons'] / row['seconds']:>11,.0f} {row['peak_rss_mib']:>13,.0f}"
        )
        if "panel_seconds" in row:
            line += f"   panel {row['panel_rows']:,} rows in {row['panel_seconds']:.2f} s"
        print(line)


if __name__ == "__main__":
    main()
