"""The checks a reviewer makes that need more than one file: the roster, the round, the last round.

Run after the round is decided (`tables.build_tables`), on accepted returns only:

- `timeliness_findings`: 填报日期 after the receipt time; a correction used
  although it came after the deadline (`late_correction`, both times shown).
- `round_checks`: 单位类型 against the roster; 参加人数 far beyond what units
  of the type report this round (a robust rule on the log scale: above median + k·MAD of the
  type's activity rows, and above a floor; few rows → the district's rows);
  a field that moved implausibly since the unit's previous return
  (党员人数, total 份数 of 基础资料, a rewritten 活动主题).

Every threshold is `intake.checks` in the config (docs/methodology.md).
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from pipeline.form import load_form
from pipeline.ingest.intake import TZ, local_time
from pipeline.ingest.read import a1
from pipeline.ingest.validate import first_record, zh_date


def _f(
    file: str,
    sheet: str | None,
    code: str,
    message: str,
    *,
    unit_id: str | None = None,
    cell=None,
    column: str | None = None,
    value: object = None,
    severity: str = "warning",
) -> dict:
    r, c = cell if cell else (None, None)
    return {
        "file": file,
        "sheet": sheet,
        "cell": a1(r, c) if r is not None and c is not None else None,
        "row": r + 1 if r is not None else None,
        "column": column,
        "unit_id": unit_id,
        "severity": severity,
        "code": code,
        "message": message,
        "value": None if value is None else str(value),
        "row_rejected": False,
    }


def timeliness_findings(parsed, subs: pd.DataFrame, config, rnd) -> list[dict]:
    """填报日期 after receipt; a late correction that is the return used."""
    form = load_form(config.campaign.form_version)
    header = form.sheet("info").column("report_date").header
    by_file = {p.file: p for p in parsed}
    recs = subs.to_dict("records")
    out: list[dict] = []
    for r in recs:
        if (
            r["status"] not in ("accepted", "superseded")
            or r["report_date"] is None
            or r["received_at"] is None
        ):
            continue
        got = datetime.fromtimestamp(float(r["received_at"]), TZ).date()
        if r["report_date"] > got:
            p = by_file.get(r["file"])
            src = "收文登记" if r.get("received_from") == "receipt_log" else "文件修改时间"
            out.append(
                _f(
                    r["file"],
                    p.sheets.get("info") if p else None,
                    "report_date_after_receipt",
                    f"“{header}”（{zh_date(r['report_date'])}）晚于报表收到时间（{local_time(float(r['received_at']))}，"
                    f"据{src}），请核实填报日期",
                    unit_id=r["unit_id"],
                    cell=p.info_cells.get("report_date") if p else None,
                    column=header,
                    value=r["report_date"],
                )
            )
    from pipeline.ingest.completeness import deadline_end
    from pipeline.ingest.intake import unit_on_time

    cutoff = deadline_end(rnd.deadline).timestamp()
    timely = unit_on_time(recs, cutoff, config.intake.late_correction)
    for r in recs:
        if r["status"] != "accepted" or r["received_at"] < cutoff:
            continue
        group = [
            g
            for g in recs
            if g["unit_id"] == r["unit_id"]
            and g["status"] in ("superseded", "ignored")
            and g.get("reason") in ("superseded_later", "duplicate_content")
            and g["received_at"] < cutoff
        ]
        if not group:
            continue
        first = min(group, key=lambda g: (g["received_at"], g["file"]))
        kept_on_time = timely.get(r["unit_id"], (False, None))[0]
        rule = (
            "该单位截止前已报送" + first["file"] + "，仍按按时报送统计"
            if kept_on_time
            else '按配置（intake.late_correction = "latest"）以采用的报表计，本单位按迟报统计'
        )
        out.append(
            _f(
                r["file"],
                None,
                "late_correction",
                f"本文件于截止后（{local_time(float(r['received_at']))}）收到，作为更正采用；{rule}",
                unit_id=r["unit_id"],
                value=local_time(float(r["received_at"])),
            )
        )
    return out


def _bigrams(text: str) -> set[str]:
    t = "".join(
        ch for ch in str(text) if not ch.isspace() and ch not in "，。、；：“”\"'!！?？,.()（）"
    )
    return {t[i : i + 2] for i in range(len(t) - 1)} or ({t} if t else set())


def theme_similarity(a: str, b: str) -> float:
    """Jaccard overlap of character bigrams (1 = same words, 0 = nothing in common)."""
    x, y = _bigrams(a), _bigrams(b)
    if not x and not y:
        return 1.0
    return len(x & y) / len(x | y)


MAD_SCALE = 1.4826  # MAD × this estimates the standard deviation of normal data


def participant_limits(rows: pd.DataFrame, k: float, floor: int, min_rows: int) -> dict[str, float]:
    """unit type → the 参加人数 above which a row is implausible.

    Robust on the log scale (counts are right-skewed): exp(median + k·1.4826·MAD)
    of log(1 + 参加人数) of the type's rows this round, never below `floor`. The
    median and MAD ignore up to half the rows being wrong, so one 99999 cannot
    raise its own limit; a type with fewer than `min_rows` rows uses the district's.
    """

    def limit(v: pd.Series) -> float:
        x = np.log1p(v.clip(lower=0).to_numpy(float))
        med = float(np.median(x))
        mad = float(np.median(np.abs(x - med))) * MAD_SCALE
        return max(float(floor), float(np.expm1(med + k * mad)))

    v_all = rows["participants"].dropna().astype(float)
    district = limit(v_all) if len(v_all) else float(floor)
    out = {}
    for t, g in rows.groupby("unit_type"):
        v = g["participants"].dropna().astype(float)
        out[str(t)] = limit(v) if len(v) >= min_rows else district
    return out


def _previous(config, rnd) -> dict[str, pd.DataFrame]:
    prev = config.previous_round(rnd.id)
    if prev is None:
        return {}
    from pipeline.tables import read_tables

    try:
        return read_tables(
            config.paths.processed_round(prev.id), ["info", "materials"], missing_ok=True
        )
    except Exception:  # an unreadable previous round only means no comparison
        return {}


def round_checks(
    parsed, status_of: dict, unit_of: dict, roster: pd.DataFrame, config, rnd
) -> list[dict]:
    form = load_form(config.campaign.form_version)
    info_spec, act_spec = form.sheet("info"), form.sheet("activities")
    th = config.intake.checks
    types = dict(zip(roster["unit_id"].astype(str), roster["unit_type"].astype(str), strict=True))
    accepted = [p for p in parsed if status_of.get(p.file) == "accepted" and unit_of.get(p.file)]
    out: list[dict] = []
    # 单位类型 against the roster
    for p in accepted:
        uid = str(unit_of[p.file])
        info = first_record(p.records, "info")
        written = info.get("unit_type") if info else None
        if written and types.get(uid) and written != types[uid]:
            h = info_spec.column("unit_type").header
            out.append(
                _f(
                    p.file,
                    p.sheets.get("info"),
                    "unit_type_mismatch",
                    f"“{h}”填写为“{written}”，单位名册中本单位为“{types[uid]}”，已按名册处理，请核实",
                    unit_id=uid,
                    cell=p.info_cells.get("unit_type"),
                    column=h,
                    value=written,
                )
            )
    # 参加人数 far beyond the unit type's
    rows = [
        (p, r, types.get(str(unit_of[p.file]), ""))
        for p in accepted
        for r in p.records.get("activities", [])
        if r.get("participants") is not None
    ]
    if rows:
        frame = pd.DataFrame(
            {
                "unit_type": [t for _, _, t in rows],
                "participants": [r["participants"] for _, r, _ in rows],
            }
        )
        limits = participant_limits(
            frame, th.participants_mad_k, th.participants_floor, th.participants_min_rows
        )
        h = act_spec.column("participants").header
        for p, r, t in rows:
            lim = limits.get(t)
            if lim is not None and r["participants"] > lim:
                col = p.columns.get("activities", {}).get("participants")
                out.append(
                    _f(
                        p.file,
                        p.sheets.get("activities"),
                        "implausible_count",
                        f"“{h}”填写为 {r['participants']}，远超本轮{t or '同类'}单位活动的一般人数"
                        f"（按同类单位本轮数据，超过 {lim:.0f} 即需核实），请核实是否填错",
                        unit_id=str(unit_of[p.file]),
                        cell=(r["row"] - 1, col) if col is not None else None,
                        column=h,
                        value=r["participants"],
                    )
                )
    # against the unit's previous return
    prev = _previous(config, rnd)
    pinfo = prev.get("info")
    if pinfo is not None and not pinfo.empty:
        last = pinfo.drop_duplicates("unit_id", keep="last").set_index("unit_id")
        mats = prev.get("materials")
        ptotal = (
            mats.groupby("unit_id")["copies"].sum(min_count=1)
            if mats is not None and not mats.empty
            else pd.Series(dtype=float)
        )
        pname = config.previous_round(rnd.id).name
        for p in accepted:
            uid = str(unit_of[p.file])
            info = first_record(p.records, "info")
            if not info or uid not in last.index:
                continue
            was = last.loc[uid]
            out += _moved(
                p,
                uid,
                "party_members",
                info.get("party_members"),
                was.get("party_members"),
                th.members_change_ratio,
                th.members_change_min,
                info_spec.column("party_members").header,
                pname,
            )
            now_total = sum(
                r["copies"] for r in p.records.get("materials", []) if r.get("copies") is not None
            )
            if uid in ptotal.index and p.records.get("materials"):
                out += _moved(
                    p,
                    uid,
                    None,
                    now_total,
                    ptotal.loc[uid],
                    th.materials_change_ratio,
                    th.materials_change_min,
                    "基础资料份数合计",
                    pname,
                )
            theme, old = info.get("theme"), was.get("theme")
            if (
                theme
                and isinstance(old, str)
                and old
                and theme_similarity(theme, old) < th.theme_similarity_min
            ):
                h = info_spec.column("theme").header
                out.append(
                    _f(
                        p.file,
                        p.sheets.get("info"),
                        "changed_since_previous",
                        f"“{h}”与{pname}报表（“{old}”）相比改写较大，请核实是否更换了活动主题",
                        unit_id=uid,
                        cell=p.info_cells.get("theme"),
                        column=h,
                        value=theme,
                    )
                )
    return out


def _moved(p, uid, key, now, was, ratio, least, header, pname) -> list[dict]:
    if now is None or was is None or pd.isna(was):
        return []
    now, was = float(now), float(was)
    lo, hi = sorted((now, was))
    # a 0 on either side is reported once as no_members (or was last round):
    # a change from it is a correction
    if lo == 0 or abs(now - was) < least or hi / lo < ratio:
        return []
    sheet = p.sheets.get("info") if key else p.sheets.get("materials")
    return [
        _f(
            p.file,
            sheet,
            "changed_since_previous",
            f"“{header}”由{pname}的 {was:g} 变为本轮的 {now:g}，变化异常，请核实",
            unit_id=uid,
            cell=p.info_cells.get(key) if key else None,
            column=header,
            value=f"{was:g} → {now:g}",
        )
    ]
