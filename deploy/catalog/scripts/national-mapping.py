#!/usr/bin/env python3
"""Writes reorganisations/2025-07-01.csv, the 1 July 2025 mapping of the whole country, in the catalog's
mapping format (level,old_code,old_name,new_code,new_name,kind,effective,basis).

Run from the repository root (python3, standard library only):

    python3 deploy/catalog/scripts/national-mapping.py [path/to/mapping-2025-07-01.csv]

The argument defaults to ../shared/data/vn-admin/mapping-2025-07-01.csv (the statistics office's
conversion table of every commune, see deploy/catalog/vn-admin-README.md). The units files are the
catalog's own (units-2021-2025.csv, units-2025-07.csv). Running it twice gives the same file.

What it derives, because the source maps communes only:
- provinces: each old province goes to the new province its communes went to (all of them go to one);
  the old province whose code the new one keeps "continues" (its tenant runs the new province), the
  others are "merged" (Nghị quyết 202/2025/QH15);
- districts: every district ends (Luật 72/2025/QH15), the island districts without communes too;
- the island special zones formed from those districts have no predecessor: one "new" row each.
The commune rows keep the source's kinds (a split commune's data follow its one "merged" row). Their
basis is the conversion table, or, for a commune whose row in the file being replaced names its
resolution clause (Thái Nguyên and Bắc Kạn, from 1683/NQ-UBTVQH15), that clause.
The script stops, writing nothing, if the source and the units files disagree.
"""

import csv
import os
import sys
from collections import defaultdict

CATALOG = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
SOURCE = sys.argv[1] if len(sys.argv) > 1 else os.path.normpath(os.path.join(CATALOG, "..", "..", "..", "shared", "data", "vn-admin", "mapping-2025-07-01.csv"))
OUTPUT = os.path.join(CATALOG, "reorganisations", "2025-07-01.csv")

PROVINCE_BASIS = "202/2025/QH15"
DISTRICT_BASIS = "72/2025/QH15"
TABLE_BASIS = "Cục Thống kê: Bảng chuyển đổi ĐVHC mới - cũ"
NEW_UNIT_BASIS = "19/2025/QĐ-TTg"

HEADER = """# The whole country on 1 July 2025, from the 2021-2025 hierarchy to the 2025-07 one (63 provinces to 34).
# Written by scripts/national-mapping.py from the statistics office's conversion table (vn-admin-README.md,
# "mapping-2025-07-01.csv"); edit the script, not this file.
# Provinces: Nghị quyết 202/2025/QH15; the old province whose code the new one keeps continues. Districts end with the
# two-level local government (Luật 72/2025/QH15). Communes: the conversion table ("Cục Thống kê: Bảng chuyển đổi ĐVHC
# mới - cũ"), or the clause of the commune resolution where it was transcribed (Thái Nguyên and Bắc Kạn: Nghị quyết
# 1683/NQ-UBTVQH15 Điều 1); a commune split between new ones is "merged" into the one that took "phần còn lại" (the
# rest) and "part" of the others: its data follow the merged row. The island special zones formed from districts
# without communes are "new": no predecessor, no history.
level,old_code,old_name,new_code,new_name,kind,effective,basis"""


def read_units(name):
    with open(os.path.join(CATALOG, name), encoding="utf-8", newline="") as f:
        return {r["code"]: r for r in csv.DictReader(f)}


def fail(problems):
    for p in problems:
        print(p, file=sys.stderr)
    sys.exit(1)


def resolution_bases():
    """Commune bases that name a resolution clause in the file being replaced (kept across reruns)."""
    bases = {}
    if os.path.exists(OUTPUT):
        with open(OUTPUT, encoding="utf-8") as f:
            for line in f:
                parts = line.rstrip("\n").split(",")
                if len(parts) == 8 and parts[0] == "commune" and parts[1] and "NQ-UBTVQH15" in parts[7]:
                    bases[(parts[1], parts[3])] = parts[7]
    return bases


def main():
    old = read_units("units-2021-2025.csv")
    new = read_units("units-2025-07.csv")
    with open(SOURCE, encoding="utf-8", newline="") as f:
        edges = list(csv.DictReader(f))

    problems = []
    for e in edges:
        o, n = old.get(e["old_code"]), new.get(e["new_code"])
        if o is None or o["level"] != "commune" or o["name"] != e["old_name"]:
            problems.append(f"{SOURCE}: old commune {e['old_code']} {e['old_name']} is not in units-2021-2025.csv")
        if n is None or n["level"] != "commune" or n["name"] != e["new_name"]:
            problems.append(f"{SOURCE}: new commune {e['new_code']} {e['new_name']} is not in units-2025-07.csv")
        if e["kind"] not in ("continues", "merged", "part"):
            problems.append(f"{SOURCE}: kind '{e['kind']}' of {e['old_code']}")
    if problems:
        fail(problems)

    def old_province(commune):
        return old[old[commune]["parent_code"]]["parent_code"]

    # Each old province goes to the one new province all its communes went to.
    targets = defaultdict(set)
    for e in edges:
        targets[old_province(e["old_code"])].add(new[e["new_code"]]["parent_code"])
    old_provinces = sorted(c for c, u in old.items() if u["level"] == "province")
    rows = []
    for code in old_provinces:
        into = targets.get(code, set())
        if len(into) != 1:
            problems.append(f"old province {code} went to {sorted(into) or 'no new province'}: expected one")
            continue
        (to,) = into
        kind = "continues" if to == code else "merged"
        rows.append(("province", code, old[code]["name"], to, new[to]["name"], kind, "", PROVINCE_BASIS))
    for to in sorted(c for c, u in new.items() if u["level"] == "province"):
        if to not in old or targets.get(to) != {to}:
            problems.append(f"new province {to} keeps no code of an old province it took")
    if problems:
        fail(problems)

    for code in sorted(c for c, u in old.items() if u["level"] == "district"):
        rows.append(("district", code, old[code]["name"], "", "", "closed", "", DISTRICT_BASIS))

    # Source order within a commune (its merged row first, as the source writes it) is kept.
    bases = resolution_bases()
    for e in sorted(edges, key=lambda e: (e["old_code"], e["kind"] == "part")):
        basis = bases.get((e["old_code"], e["new_code"]), TABLE_BASIS)
        rows.append(("commune", e["old_code"], e["old_name"], e["new_code"], e["new_name"], e["kind"], "", basis))

    reached = {e["new_code"] for e in edges}
    for code in sorted(c for c, u in new.items() if u["level"] == "commune" and c not in reached):
        rows.append(("commune", "", "", code, new[code]["name"], "new", "", NEW_UNIT_BASIS))

    mapped = {e["old_code"] for e in edges}
    missing = [c for c, u in old.items() if u["level"] == "commune" and c not in mapped]
    if missing:
        fail([f"old commune {c} {old[c]['name']} is not in the conversion table" for c in missing])

    with open(OUTPUT, "w", encoding="utf-8", newline="") as f:
        f.write(HEADER + "\n")
        for r in rows:
            f.write(",".join(r) + "\n")
    print(f"{OUTPUT}: {len(rows)} rows")


if __name__ == "__main__":
    main()
