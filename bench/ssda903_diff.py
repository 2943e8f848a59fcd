"""Differential benchmark: rcc's SSDA903 validator against DfE's (csc-validator-be-903 0.1.17).

    python -m bench.ssda903_diff [--per-rule 10] [--no-full-pack] [--readme]

DfE's validator pins pandas<2, so it runs in its own venv through bench/ssda903/run_dfe.sh
(created on first use). Both validators see the same CSV files:

* the public sample (shared/data/ssda903-sample, 5 collection years, each with the year before
  as the previous return where there is one);
* the returns of a generated three-LA region, 2021-22 .. 2024-25 (bench/ssda903_gen.py: sizes
  from DfE's LA counts, code mix from the sample), each with its previous year;
* single-fault returns: for every implemented DfE rule, ``--per-rule`` region returns with one
  fault injected for that rule;
* edge cases (far-future and pre-1677 dates, empty tables).

DfE is run with only the rules rcc implements (``selected_rules``): with its whole pack, rules
361/362 fill open episodes' DEC in place on a shared DataFrame (pandas 1.x), and later rules
then see every open episode as closed (see ``--full-pack``, reported separately). Its
postcode lookup is stubbed (no compared rule reads it; bench/ssda903/run_dfe.py).

Per rule, recall = rows both flag / rows DfE flags, precision = rows both flag / rows rcc
flags, pooled over the returns of a group. Writes bench/results/ssda903_diff.{json,md}; with
``--readme`` also the README table between the SSDA903 markers.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from bench.ssda903_gen import (
    DATA,
    FAULTS,
    PREVIOUS_YEAR_CODES,
    Return,
    inject,
    region_histories,
    return_for,
    to_files,
)
from rcc.sufficiency.validation import DELIBERATE_DIFFERENCES, OWN_CODES, validate_return
from rcc.sufficiency.validation.descriptions import DESCRIPTIONS

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
RUN_DFE = ROOT / "bench" / "ssda903" / "run_dfe.sh"
SAMPLE = DATA / "ssda903-sample"
TABLES = ("header", "episodes", "uasc")
DFE_CODES = sorted(set(DESCRIPTIONS) - set(OWN_CODES))
START, END = "<!-- SSDA903:START -->", "<!-- SSDA903:END -->"

# Where the two validators differ on purpose or DfE is wrong, by the group and rule it shows in.
KNOWN = {
    "202": "DfE compares SEX as text: 1/2 (to 2023-24) vs M/F (from 2024-25) flags every child of a 2024-25 return",
    "217t": "rcc applies 217t to 2024-25 too (DfE dropped it but kept P2 valid)",
}


def deliberate(case: dict, code: str, side: str) -> str | None:
    """Why a row only one side flags is a documented deliberate difference (or a DfE bug), if it is."""
    year, fault = case["collection_year"], case.get("fault")
    if code == "202" and side == "dfe" and year == 2024:
        return "202 SEX code change"
    if code == "217t" and side == "rcc" and year == 2024:
        return "217t in 2024-25"
    if code == "165" and side == "rcc":
        return "165 without OC3"
    if fault == "141" and side == "dfe" and code in ("142", "388", "433", "501"):
        return "invalid DECOM left out of sequence rules"
    if case["group"] == "edge" and code == "INT03" and side == "dfe":
        return "empty header: one RCC-EMPTY"
    return None


def _case_dir(root: Path, name: str, files: dict[str, bytes]) -> dict[str, str]:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for table, raw in files.items():
        (folder / f"{table}.csv").write_bytes(raw)
        out[table] = str(folder / f"{table}.csv")
    return out


def build_cases(tmp: Path, per_rule: int) -> list[dict]:
    cases: list[dict] = []

    def add(
        group: str, name: str, year: int, files: dict[str, bytes], prev: dict[str, bytes] | None, **extra
    ) -> None:
        cases.append(
            {"id": name, "group": group, "collection_year": year, "files": _case_dir(tmp, name, files),
             "previous": _case_dir(tmp, name + "-prev", prev) if prev else None, "raw": files, "raw_prev": prev,
             **extra}
        )  # fmt: skip

    years = sorted(int(p.name) for p in SAMPLE.iterdir() if p.is_dir() and p.name.isdigit())
    sample = {y: {t: (SAMPLE / str(y) / f"{t}.csv").read_bytes() for t in TABLES} for y in years}
    for y in years:
        add("sample", f"sample-{y}", y, sample[y], sample.get(y - 1))

    region = region_histories()
    rets: list[tuple[str, int, Return, Return | None]] = []
    for la, kids in region.items():
        prev = None
        for y in range(2021, 2025):
            ret = return_for(kids, y)
            add("region", f"region-{la}-{y}", y, to_files(ret), to_files(prev) if prev else None)
            rets.append((la, y, ret, prev))
            prev = ret

    for code in sorted(FAULTS):
        made, seed = 0, 0
        while made < per_rule and seed < per_rule * 6:
            la, y, ret, prev = rets[seed % len(rets)]
            seed += 1
            if code in PREVIOUS_YEAR_CODES and prev is None:
                continue
            res = inject(code, ret, prev, y, seed)
            if res is None:
                continue
            ret2, prev2, where = res
            use_prev = to_files(prev2) if prev2 is not None else None
            add(
                "single-fault",
                f"fault-{code}-{made}",
                y,
                to_files(ret2),
                use_prev,
                fault=code,
                where=list(where),
            )
            made += 1

    head = b"CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
    eps = b"CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
    a = b"A,1,15/06/2010,WBRI,A123456789012,,\n"
    edge = {
        "dec-9999": (head + a, eps + b"A,01/05/2023,S,C2,N1,U1,PR1,31/12/9999,E11,,NE1 4ST,NE2 1AA,SC123456\n"),
        "dob-1600": (head + b"A,1,01/01/1600,WBRI,A123456789012,,\n",
                     eps + b"A,01/05/2023,S,C2,N1,U1,PR1,,,,NE1 4ST,NE2 1AA,SC123456\n"),
        "empty-header": (head, eps + b"A,01/05/2023,S,C2,N1,U1,PR1,,,,NE1 4ST,NE2 1AA,SC123456\n"),
        "empty-return": (head, eps),
    }  # fmt: skip
    for name, (h, e) in edge.items():
        add("edge", f"edge-{name}", 2023, {"header": h, "episodes": e}, None)
    return cases


def run_dfe(cases: list[dict], rules: list[str] | None) -> dict[str, dict]:
    manifest = [
        {"id": c["id"], "collection_year": c["collection_year"], "files": c["files"], "previous": c["previous"],
         "rules": rules}
        for c in cases
    ]  # fmt: skip
    proc = subprocess.run(
        ["bash", str(RUN_DFE)], input=json.dumps(manifest), capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"DfE validator failed:\n{proc.stderr[-3000:]}")
    return {d["id"]: d for d in map(json.loads, proc.stdout.splitlines())}


def run_rcc(case: dict) -> tuple[set[tuple[str, int, str]], list[tuple[str, str]], float, str | None]:
    t0 = time.perf_counter()
    try:
        report = validate_return(case["raw"], case["collection_year"], previous=case["raw_prev"])
    except Exception as exc:  # counted as a crash
        return set(), [], time.perf_counter() - t0, repr(exc)
    rows = {(e.table, e.row, e.code) for e in report.errors if e.row is not None}
    files = [(e.table, e.code) for e in report.errors if e.row is None]
    return rows, files, time.perf_counter() - t0, None


def _metrics(c: Counter[str]) -> dict:
    """Recall/precision as measured, and with the documented deliberate differences taken out."""
    fn, fp = c["fn"] - c["fn_deliberate"], c["fp"] - c["fp_deliberate"]
    return {
        **c,
        "recall": _ratio(c["tp"], c["tp"] + c["fn"]),
        "precision": _ratio(c["tp"], c["tp"] + c["fp"]),
        "recall_ex_deliberate": _ratio(c["tp"], c["tp"] + fn),
        "precision_ex_deliberate": _ratio(c["tp"], c["tp"] + fp),
    }


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def compare(cases: list[dict], dfe: dict[str, dict]) -> dict:
    per_group: dict[str, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    examples: dict[str, list[str]] = defaultdict(list)
    detected: dict[str, Counter[str]] = defaultdict(Counter)
    accept = Counter()
    crashes = {"rcc": [], "dfe": []}
    rcc_seconds = 0.0
    excluded: Counter[str] = Counter()
    for case in cases:
        ours, file_errors, secs, crash = run_rcc(case)
        rcc_seconds += secs
        if crash:
            crashes["rcc"].append(f"{case['id']}: {crash}")
        d = dfe[case["id"]]
        if d.get("failed"):
            crashes["dfe"].append(
                f"{case['id']}: rules {','.join(d['failed'])} raised{' ' + d['crash'] if d.get('crash') else ''}"
            )
        theirs = {(t, r, c) for t, r, c in d["errors"] if c in DFE_CODES}
        ours_cmp = {x for x in ours if x[2] in DFE_CODES}
        group = case["group"]
        for code in DFE_CODES:
            o = {x for x in ours_cmp if x[2] == code}
            t = {x for x in theirs if x[2] == code}
            cnt = per_group[group][code]
            cnt["tp"] += len(o & t)
            cnt["fp"] += len(o - t)
            cnt["fn"] += len(t - o)
            fp_why, fn_why = deliberate(case, code, "rcc"), deliberate(case, code, "dfe")
            cnt["fp_deliberate"] += len(o - t) if fp_why else 0
            cnt["fn_deliberate"] += len(t - o) if fn_why else 0
            for why, n in ((fp_why, len(o - t)), (fn_why, len(t - o))):
                if why and n:
                    excluded[why] += n
            for x in sorted(o - t)[:2]:
                if len(examples[code]) < 6:
                    examples[code].append(f"{case['id']}: rcc only {x[0]} row {x[1]}")
            for x in sorted(t - o)[:2]:
                if len(examples[code]) < 6:
                    examples[code].append(f"{case['id']}: DfE only {x[0]} row {x[1]}")
        if group == "single-fault":
            code, where = case["fault"], tuple(case["where"])
            detected[code]["n"] += 1
            detected[code]["rcc"] += (where[0], where[1], code) in ours
            detected[code]["dfe"] += (where[0], where[1], code) in theirs
            rejects_rcc, rejects_dfe = bool(ours or file_errors), bool(theirs)
            accept["n"] += 1
            accept["agree"] += rejects_rcc == rejects_dfe
    groups = {}
    for group, codes in per_group.items():
        rows = {}
        for code, c in sorted(codes.items()):
            if c["tp"] + c["fp"] + c["fn"] == 0:
                continue
            rows[code] = _metrics(c)
        tot = Counter()
        for c in codes.values():
            tot.update(c)
        rows["all"] = _metrics(tot)
        groups[group] = rows
    return {
        "groups": groups,
        "detected": {k: dict(v) for k, v in sorted(detected.items())},
        "accept_reject_agreement": _ratio(accept["agree"], accept["n"]),
        "crashes": crashes,
        "examples": dict(examples),
        "excluded_as_deliberate": dict(excluded),
        "rcc_seconds": round(rcc_seconds, 2),
        "dfe_seconds": round(sum(d["seconds"] for d in dfe.values()), 2),
    }


def full_pack_sample(cases: list[dict]) -> dict:
    """DfE's whole 2022-23 pack on the sample vs the same rules run alone: the in-place DEC fill
    of rules 361/362 changes what later rules see."""
    sample = [c for c in cases if c["group"] == "sample"][-1:]  # the latest year: ~30 s per whole-pack run
    full = run_dfe(sample, None)
    alone = run_dfe(sample, DFE_CODES)
    out = {}
    for c in sample:
        f = Counter(x[2] for x in full[c["id"]]["errors"] if x[2] in DFE_CODES)
        a = Counter(x[2] for x in alone[c["id"]]["errors"])
        out[c["id"]] = {code: [f[code], a[code]] for code in sorted(set(f) | set(a)) if f[code] != a[code]}
    return out


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def _group_table(res: dict, groups: tuple[str, ...]) -> list[str]:
    """The per-group agreement table (header and one row per group that was run), in Markdown."""
    lines = [
        "| group | rows both flag | rcc only | DfE only | recall | precision | recall, precision without deliberate differences |",
        "|---|---|---|---|---|---|---|",
    ]
    for group in groups:
        a = res["groups"].get(group, {}).get("all")
        if a:
            lines.append(
                f"| {group} | {a['tp']} | {a['fp']} | {a['fn']} | {_pct(a['recall'])} | {_pct(a['precision'])} "
                f"| {_pct(a['recall_ex_deliberate'])}, {_pct(a['precision_ex_deliberate'])} |"
            )
    return lines


def render_md(res: dict, n_cases: Counter[str], per_rule: int) -> str:
    sf = res["groups"].get("single-fault", {})
    lines = [
        "# SSDA903 validation: rcc against DfE's validator (csc-validator-be-903 0.1.17)",
        "",
        f"Returns: {', '.join(f'{g} {n}' for g, n in sorted(n_cases.items()))} "
        f"({per_rule} single-fault returns per rule). Command: `python -m bench.ssda903_diff`.",
        "",
        "## Summary",
        "",
        *_group_table(res, ("sample", "region", "single-fault", "edge")),
    ]
    lines += [
        "",
        f"Single-fault returns: rcc and DfE agree on accept/reject for {_pct(res['accept_reject_agreement'])}. "
        f"Crashes: rcc {len(res['crashes']['rcc'])}, DfE rules raising {len(res['crashes']['dfe'])} "
        f"(listed below). Time: rcc {res['rcc_seconds']} s, DfE {res['dfe_seconds']} s (selected rules only).",
        "",
        "## Per rule on single-fault returns",
        "",
        "| rule | injected | rcc flags the fault | DfE flags the fault | recall | precision "
        "| without deliberate differences | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for code, d in res["detected"].items():
        r = sf.get(code, {})
        lines.append(
            f"| {code} | {d['n']} | {d['rcc']} | {d['dfe']} | {_pct(r.get('recall'))} | {_pct(r.get('precision'))} "
            f"| {_pct(r.get('recall_ex_deliberate'))}, {_pct(r.get('precision_ex_deliberate'))} "
            f"| {KNOWN.get(code, '')} |"
        )
    lines += [
        "",
        "## Per rule on the sample and the region (every row)",
        "",
        "| group | rule | both | rcc only | DfE only |",
        "|---|---|---|---|---|",
    ]
    for group in ("sample", "region"):
        for code, r in res["groups"].get(group, {}).items():
            if code != "all":
                lines.append(f"| {group} | {code} | {r['tp']} | {r['fp']} | {r['fn']} |")
    lines += [
        "",
        "## Deliberate differences",
        "",
        "Rows taken out of the 'without' figures: "
        + (", ".join(f"{k} {v}" for k, v in sorted(res["excluded_as_deliberate"].items())) or "none")
        + ".",
        "",
        "| rules | difference | why |",
        "|---|---|---|",
    ]
    lines += [f"| {c} | {w} | {y} |" for c, w, y in DELIBERATE_DIFFERENCES]
    if res.get("full_pack"):
        lines += [
            "",
            "## DfE bug: its whole pack changes its own answers",
            "",
            "Rules 361/362 fill open episodes' DEC in place on a DataFrame the other rules share, so rules run "
            "after them see no open episodes. Counts [whole pack, rule alone] where they differ:",
            "",
        ]
        lines += [f"- {k}: {v}" for k, v in res["full_pack"].items()]
    lines += ["", "## Disagreements (first examples per rule)", ""]
    lines += [f"- {code}: {'; '.join(ex)}" for code, ex in sorted(res["examples"].items())] or ["none"]
    if res["crashes"]["dfe"] or res["crashes"]["rcc"]:
        lines += (
            ["", "## Crashes", ""]
            + [f"- rcc {x}" for x in res["crashes"]["rcc"]]
            + [f"- DfE {x}" for x in res["crashes"]["dfe"]]
        )
    return "\n".join(lines) + "\n"


def readme_block(res: dict) -> str:
    sf = res["groups"].get("single-fault", {})
    worst = sorted(
        (
            (c, r)
            for c, r in sf.items()
            if c != "all" and min(r["recall_ex_deliberate"] or 1, r["precision_ex_deliberate"] or 1) < 0.98
        ),
        key=lambda x: x[0],
    )
    lines = [
        START,
        "### SSDA903 validation against DfE's validator (`python -m bench.ssda903_diff`; report in `bench/results/ssda903_diff.md`)",
        "",
        *_group_table(res, ("sample", "region", "single-fault")),
    ]
    lines += [
        "",
        f"Crashes: rcc {len(res['crashes']['rcc'])}, DfE rules raising {len(res['crashes']['dfe'])}. "
        f"Single-fault accept/reject agreement "
        f"{_pct(res['accept_reject_agreement'])}. Rules under 98% on single-fault returns once the documented "
        "deliberate differences are taken out: "
        + (
            ", ".join(
                f"{c} (recall {_pct(r['recall_ex_deliberate'])}, precision {_pct(r['precision_ex_deliberate'])})"
                for c, r in worst
            )
            or "none"
        )
        + ".",
        END,
    ]
    return "\n".join(lines)


def update_readme(block: str) -> None:
    path = ROOT / "README.md"
    text = path.read_text()
    if START in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END) :]
    else:
        marker = "<!-- BENCH:END -->"
        text = text.replace(marker, marker + "\n\n" + block, 1)
    path.write_text(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-rule", type=int, default=10)
    ap.add_argument(
        "--no-full-pack", action="store_true", help="skip DfE's whole pack on the latest sample year"
    )
    ap.add_argument("--readme", action="store_true")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ssda903-diff-"))
    try:
        cases = build_cases(tmp, args.per_rule)
        dfe = run_dfe(cases, DFE_CODES)
        res = compare(cases, dfe)
        if not args.no_full_pack:
            res["full_pack"] = full_pack_sample(cases)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    n_cases = Counter(c["group"] for c in cases)
    res["cases"] = dict(n_cases)
    res["per_rule"] = args.per_rule
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "ssda903_diff.json").write_text(json.dumps(res, indent=1, sort_keys=True) + "\n")
    (RESULTS / "ssda903_diff.md").write_text(render_md(res, n_cases, args.per_rule))
    if args.readme:
        update_readme(readme_block(res))
    print((RESULTS / "ssda903_diff.md").read_text())


if __name__ == "__main__":
    main()
