"""Why a referral was left unplaced, judged on the FINAL plan (not on the model).

For each eligible home - for the whole group or, where a split is possible, a sub-group -
the reason is read off the returned plan: its places are all given to other referrals
(named), it has places left but fewer than the group needs, splitting is not allowed, the
places left cannot hold a complete split, or it has room but placing there costs more
than leaving the referral unplaced under the policy weights (or the solver stopped before
proving otherwise). Every statement is true of the plan it accompanies (tested).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from matching.candidates import child_ok, exclusion_counts
from matching.domain import HomeNotUsed, UnusedHome
from matching.model import MatchModel
from matching.rules.group import UNMATCHED
from matching.rules.hard import HARD_RULES, RULES_BY_NAME

MAX_LISTED = 20
_RULE_ORDER = {r.name: i for i, r in enumerate(HARD_RULES)}


def summarise_exclusions(counts: Mapping[str, int]) -> str:
    total = sum(counts.values())
    if not total:
        return "no homes excluded"
    parts = ", ".join(
        f"{n} {RULES_BY_NAME[name].label}"
        for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], _RULE_ORDER.get(kv[0], 99)))
    )
    return f"{total} homes excluded: {parts}"


def plan_load(m: MatchModel, chosen: Mapping[int, list[int]]) -> tuple[np.ndarray, dict[int, list[str]]]:
    """(free places left per home after the plan, referral ids placed in each home)."""
    left = m.ph.free.copy()
    taken: dict[int, list[str]] = {}
    for r, cols in chosen.items():
        for j in cols:
            col = m.columns[j]
            left[col.home] -= len(col.children)
            taken.setdefault(col.home, []).append(m.referrals[r].id)
    return left, taken


def _split_fits(m: MatchModel, r: int, left: np.ndarray, budget: int = 20000) -> tuple[bool, int]:
    """Whether the places left can hold a complete split of referral r (distinct homes),
    and the cheapest such split's points (search capped at ``budget`` steps: (False, 0)
    when not found within it)."""
    ref = m.referrals[r]
    fams = [m.families[f] for f in m.ref_families[r] if m.families[f].split]
    best: list[int | None] = [None]
    steps = [0]

    def dfs(covered: frozenset[int], used: frozenset[int], cost: int) -> None:
        steps[0] += 1
        if steps[0] > budget:
            return
        if len(covered) == ref.size:
            b = best[0]
            if b is None or cost < b:
                best[0] = cost
            return
        k = min(set(range(ref.size)) - covered)
        for fam in fams:
            if k not in fam.children or covered & set(fam.children):
                continue
            room = left[fam.homes] >= len(fam.children)
            for pos in np.flatnonzero(room)[:8]:  # cheapest few per sub-group
                h = int(fam.homes[pos])
                if h not in used:
                    apart = sum(m.pair_points(u, h) for u in used)  # SplitApart's pairwise part
                    dfs(covered | set(fam.children), used | {h}, cost + int(fam.cost[pos]) + apart)

    dfs(frozenset(), frozenset(), 0)
    return best[0] is not None, (best[0] or 0) + m.split_cost[r]


_CODES = list(HomeNotUsed)


def unmatched_reasons(
    m: MatchModel,
    r: int,
    chosen: Mapping[int, list[int]],
    proven: bool,
    load: tuple[np.ndarray, dict[int, list[str]]] | None = None,
) -> tuple[tuple[str, ...], tuple[UnusedHome, ...]]:
    """(plain-words reasons, the cheapest :data:`MAX_LISTED` eligible homes not used and why)
    for unplaced referral ``r`` under the plan ``chosen``. ``load`` may pass
    :func:`plan_load` of the plan when it is already computed."""
    ref, policy, ph = m.referrals[r], m.policy, m.ph
    left, taken = load or plan_load(m, chosen)
    n = ref.size
    unm = UNMATCHED.points(ref, policy)
    who = "the child" if n == 1 else f"the {n} siblings together"
    reasons = [UNMATCHED.explain(ref, policy)]
    split_ok = n > 1 and policy.allow_split and ref.allow_split
    room_code = _CODES.index(HomeNotUsed.WORSE_THAN_UNPLACED if proven else HomeNotUsed.NOT_PROVEN)
    worse = _CODES.index(HomeNotUsed.WORSE_THAN_UNPLACED)
    parts_h: list[np.ndarray] = []
    parts_code: list[np.ndarray] = []
    parts_kids: list[np.ndarray] = []
    parts_cost: list[np.ndarray] = []
    for f in m.ref_families[r]:
        fam = m.families[f]
        if fam.split:
            continue
        lh = left[fam.homes]
        code = np.where(
            lh <= 0,
            _CODES.index(HomeNotUsed.TAKEN),
            np.where(
                lh < n,
                _CODES.index(HomeNotUsed.TOO_FEW_PLACES if split_ok else HomeNotUsed.SPLIT_NOT_ALLOWED),
                np.where(fam.cost >= unm, worse, room_code),
            ),
        )
        parts_h.append(fam.homes)
        parts_code.append(code)
        parts_kids.append(np.full(len(lh), n))
        parts_cost.append(fam.cost)
    whole_homes = np.concatenate(parts_h) if parts_h else np.zeros(0, dtype=np.int64)
    split_pts = 0
    if n > 1 and split_ok:
        fams = [m.families[f] for f in m.ref_families[r] if m.families[f].split]
        if fams:
            hs = np.concatenate([f.homes for f in fams])
            ks = np.concatenate([np.full(len(f.homes), len(f.children)) for f in fams])
            cs = np.concatenate([f.cost for f in fams])
            uh, inv = np.unique(hs, return_inverse=True)
            kmax = np.zeros(len(uh), dtype=np.int64)
            np.maximum.at(kmax, inv, ks)
            cmin = np.full(len(uh), np.iinfo(np.int64).max)
            np.minimum.at(cmin, inv, cs)
            keep = ~np.isin(uh, whole_homes)
            uh, kmax, cmin = uh[keep], kmax[keep], cmin[keep]
            fits, split_pts = _split_fits(m, r, left)
            lh = left[uh]
            if not fits:
                rest = _CODES.index(HomeNotUsed.SPLIT_INCOMPLETE)
            else:
                rest = worse if split_pts >= unm else room_code
            parts_h.append(uh)
            parts_code.append(np.where(lh <= 0, _CODES.index(HomeNotUsed.TAKEN), rest))
            parts_kids.append(np.minimum(kmax, np.maximum(lh, 0)))
            parts_cost.append(cmin)
    elif n > 1:
        idx = ph.open
        some = np.zeros(len(idx), dtype=bool)
        for c in ref.children:
            some |= child_ok(ph, c, policy, idx)
        uh = idx[some]
        uh = uh[~np.isin(uh, whole_homes)]
        lh = left[uh]
        parts_h.append(uh)
        parts_code.append(
            np.where(lh <= 0, _CODES.index(HomeNotUsed.TAKEN), _CODES.index(HomeNotUsed.SPLIT_NOT_ALLOWED))
        )
        parts_kids.append(np.ones(len(uh), dtype=np.int64))
        parts_cost.append(np.full(len(uh), -1))
    homes = np.concatenate(parts_h) if parts_h else np.zeros(0, dtype=np.int64)
    codes = np.concatenate(parts_code) if parts_code else np.zeros(0, dtype=np.int64)
    kids = np.concatenate(parts_kids) if parts_kids else np.zeros(0, dtype=np.int64)
    costs = np.concatenate(parts_cost) if parts_cost else np.zeros(0, dtype=np.int64)
    count = {code: int(np.count_nonzero(codes == i)) for i, code in enumerate(_CODES)}
    if len(homes) == 0:
        if len(ph.homes) == 0:
            reasons.append("No homes were given to the matching run")
        else:
            excl, _ = exclusion_counts(ph, ref, ref.children, policy)
            reasons.append(f"No home can take {who}: {summarise_exclusions(excl)}")
    else:
        parts = []
        if count[HomeNotUsed.TAKEN]:
            ids = sorted(
                {
                    i
                    for h in homes[codes == _CODES.index(HomeNotUsed.TAKEN)].tolist()
                    for i in taken.get(h, ())
                }
            )
            shown = ", ".join(ids[:8]) + (f" and {len(ids) - 8} more" if len(ids) > 8 else "")
            parts.append(f"{count[HomeNotUsed.TAKEN]} have no place left in this plan (taken by {shown})")
        if count[HomeNotUsed.TOO_FEW_PLACES]:
            parts.append(
                f"{count[HomeNotUsed.TOO_FEW_PLACES]} have places left, but fewer than the {n} siblings"
            )
        if count[HomeNotUsed.SPLIT_NOT_ALLOWED]:
            parts.append(
                f"{count[HomeNotUsed.SPLIT_NOT_ALLOWED]} have places left for only some of the "
                f"{n} siblings, and a split is not allowed"
            )
        if count[HomeNotUsed.SPLIT_INCOMPLETE]:
            parts.append(
                f"{count[HomeNotUsed.SPLIT_INCOMPLETE]} have room for a sub-group, but the places "
                "left cannot hold a split of the whole group"
            )
        if count[HomeNotUsed.WORSE_THAN_UNPLACED]:
            parts.append(
                f"{count[HomeNotUsed.WORSE_THAN_UNPLACED]} have room, but placing there would cost more "
                "than leaving the referral unplaced under the policy weights"
            )
        if count[HomeNotUsed.NOT_PROVEN]:
            parts.append(
                f"{count[HomeNotUsed.NOT_PROVEN]} have room, but the solver stopped (time limit) "
                "before it could use them"
            )
        scope = who if n == 1 else f"{who} or some of them"
        reasons.append(f"{len(homes)} eligible home(s) for {scope}: " + "; ".join(parts))
    if n > 1:
        if not split_ok:
            reasons.append("Splitting the siblings is not allowed by the care plan or the policy")
        elif not m.splittable[r]:
            reasons.append(
                "No split is possible: at least one sibling has no eligible home "
                f"within {policy.split_max_miles:g} miles of the family home"
            )
    order = np.lexsort((homes, np.where(costs < 0, np.iinfo(np.int64).max, costs)))[:MAX_LISTED]
    listed = []
    for i in order.tolist():
        h, why = int(homes[i]), _CODES[int(codes[i])]
        listed.append(
            UnusedHome(
                ph.homes[h].id,
                why,
                int(left[h]),
                int(kids[i]),
                tuple(taken.get(h, ())),
                None if costs[i] < 0 else int(costs[i]),
                _text(why, int(left[h]), n, taken.get(h, []), int(costs[i]), unm, split_pts),
            )
        )
    return tuple(reasons), tuple(listed)


def _text(code: HomeNotUsed, left: int, n: int, taken: list[str], cost: int, unm: int, split_pts: int) -> str:
    if code is HomeNotUsed.TAKEN:
        return "no place left: taken by " + ", ".join(taken)
    if code is HomeNotUsed.TOO_FEW_PLACES:
        return f"{left} place(s) left, fewer than the {n} siblings"
    if code is HomeNotUsed.SPLIT_NOT_ALLOWED:
        return f"{left} place(s) left: room for only some of the siblings, and a split is not allowed"
    if code is HomeNotUsed.SPLIT_INCOMPLETE:
        return f"{left} place(s) left for a sub-group, but the places left cannot hold the rest of the group"
    if code is HomeNotUsed.WORSE_THAN_UNPLACED:
        pts = cost if left >= n else split_pts
        return f"room left, but placing costs {pts} points, not less than {unm} for leaving unplaced"
    return "room left; the solver stopped (time limit) before it could use it"
