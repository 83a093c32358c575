// jaksim classroom selectivity explorer. Plain JavaScript, no library, no network.
// Every number is read from the data jaksim precomputed (script#jaksim-data) exactly as
// jaksim.pharmacology.assays.inhibition_at does: linear interpolation of logit(inhibition)
// against log10(concentration), end values outside the grid (numpy.interp).
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("jaksim-data").textContent);
  const OI = { black: "#000000", orange: "#E69F00", sky: "#56B4E9", green: "#009E73",
               yellow: "#F0E442", blue: "#0072B2", red: "#D55E00", purple: "#CC79A7" };
  const COL = { A: OI.blue, B: OI.red };
  const DASH = { A: [], B: [10, 6] };  // B also differs by dash, not by colour alone
  const EDGE = 1e-9;                   // assays._EDGE: inhibition clipped before the logit
  const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif";
  const $ = (id) => document.getElementById(id);

  const X = D.conc.map((c) => Math.log10(Math.max(c, 1e-12)));
  const T = D.t;
  const DRUG = Object.fromEntries(D.drugs.map((d) => [d.id, d]));
  const PATH = Object.fromEntries(D.pathways.map((p) => [p.id, p]));
  for (const p of D.pathways) {
    p.logit = {};
    for (const [drug, y] of Object.entries(p.inhibition)) {
      p.logit[drug] = y.map((v) => {
        const c = Math.min(Math.max(v, EDGE), 1 - EDGE);
        return Math.log(c / (1 - c));
      });
    }
  }

  // ---- numerics (mirror of the Python functions named) -----------------------------------
  function interp(x, xs, ys) {  // numpy.interp for increasing xs
    const n = xs.length;
    if (x <= xs[0]) return ys[0];
    if (x >= xs[n - 1]) return ys[n - 1];
    let lo = 0, hi = n - 1;
    while (hi - lo > 1) { const m = (lo + hi) >> 1; if (xs[m] <= x) lo = m; else hi = m; }
    return ys[lo] + (ys[hi] - ys[lo]) * (x - xs[lo]) / (xs[hi] - xs[lo]);
  }
  function inhibitionAt(pathway, drug, c) {  // assays.inhibition_at
    const l = interp(Math.log10(Math.max(c, 1e-12)), X, PATH[pathway].logit[drug]);
    return 1 / (1 + Math.exp(-l));
  }
  function trapMean(y) {  // numpy.trapezoid(y, t) / 24
    let s = 0;
    for (let i = 1; i < T.length; i++) s += 0.5 * (y[i] + y[i - 1]) * (T[i] - T[i - 1]);
    return s / (T[T.length - 1] - T[0]);
  }
  function regimenOf(side) { return DRUG[side.drug].regimens.find((r) => r.name === side.regimen); }
  function profile(side) {  // classroom.dose_profile: linear PK, so the profile scales with dose
    const r = regimenOf(side), k = side.dose / r.dose;
    return r.profile.map((c) => c * k);
  }
  function compute(side) {
    const d = DRUG[side.drug], c = profile(side), dt = T[1] - T[0];
    const out = { c, cmin: Math.min(...c), cmax: Math.max(...c), cavg: trapMean(c),
                  course: {}, mean: {}, above50: {}, occ: {} };
    for (const p of D.pathways) {
      const inh = c.map((v) => inhibitionAt(p.id, d.id, v));
      let n50 = 0;
      for (let i = 1; i < inh.length; i++) if (0.5 * (inh[i] + inh[i - 1]) > 0.5) n50++;
      out.course[p.id] = inh;
      out.mean[p.id] = trapMean(inh);
      out.above50[p.id] = n50 * dt;
    }
    for (const j of D.jaks) {  // occupancy = Cu / (Cu + K), averaged over the day
      const K = d.K[j];
      out.occ[j] = trapMean(c.map((v) => d.fu * v / (d.fu * v + K)));
    }
    return out;
  }
  function approvedRange(drugId) {  // lowest trough .. highest peak of the approved doses
    let lo = Infinity, hi = 0;
    for (const r of DRUG[drugId].regimens) {
      lo = Math.min(lo, ...r.profile); hi = Math.max(hi, ...r.profile);
    }
    return [lo, hi];
  }

  // ---- state and controls ------------------------------------------------------------------
  const S = { A: {}, B: {}, pw1: "il13_type2", pw2: "epo" };
  const pick = (want, ids) => (ids.includes(want) ? want : ids[0]);
  const drugIds = D.drugs.map((d) => d.id);
  S.A.drug = pick("upadacitinib", drugIds);
  S.B.drug = pick("tofacitinib", drugIds.filter((d) => d !== S.A.drug).concat(drugIds));
  const pathIds = D.pathways.map((p) => p.id);
  S.pw1 = pick(S.pw1, pathIds);
  S.pw2 = pick(S.pw2, pathIds.filter((p) => p !== S.pw1).concat(pathIds));

  function fmtDose(v) { return (Math.round(v * 1000) / 1000).toString(); }
  function scheduleText(r) {
    const times = r.interval === 24 ? "once a day" : r.interval === 12 ? "twice a day"
      : `every ${r.interval} h`;
    return `${times}${r.release === "extended" ? ", extended release" : ""}`;
  }
  function fillRegimens(key) {
    const side = S[key], d = DRUG[side.drug], sel = $(`reg-${key}`);
    sel.innerHTML = "";
    for (const r of d.regimens) {
      const o = document.createElement("option");
      o.value = r.name; o.textContent = `${r.name} (approved)`;
      sel.appendChild(o);
    }
    side.regimen = d.regimens[0].name;
    side.dose = d.regimens[0].dose;
    sel.value = side.regimen;
    const slider = $(`dose-${key}`);
    slider.min = "0"; slider.max = String(d.dose_max); slider.step = String(d.dose_step);
    slider.value = String(side.dose);
  }
  function setup() {
    for (const key of ["A", "B"]) {
      const sel = $(`drug-${key}`);
      for (const d of D.drugs) {
        const o = document.createElement("option");
        o.value = d.id; o.textContent = d.brands.length ? `${d.name} (${d.brands[0]})` : d.name;
        sel.appendChild(o);
      }
      sel.value = S[key].drug;
      fillRegimens(key);
      sel.addEventListener("change", () => { S[key].drug = sel.value; fillRegimens(key); update(); });
      $(`reg-${key}`).addEventListener("change", (e) => {
        S[key].regimen = e.target.value;
        S[key].dose = regimenOf(S[key]).dose;  // a schedule starts at its approved dose
        $(`dose-${key}`).value = String(S[key].dose);
        update();
      });
      $(`dose-${key}`).addEventListener("input", (e) => {
        S[key].dose = parseFloat(e.target.value); update();
      });
    }
    for (const [id, k] of [["pw-1", "pw1"], ["pw-2", "pw2"]]) {
      const sel = $(id);
      for (const p of D.pathways) {
        const o = document.createElement("option");
        o.value = p.id; o.textContent = `${p.label} (${p.jak_pair})`;
        sel.appendChild(o);
      }
      sel.value = S[k];
      sel.addEventListener("change", () => { S[k] = sel.value; update(); });
    }
    $("save-png").addEventListener("click", savePng);
    $("save-csv").addEventListener("click", saveCsv);
    window.addEventListener("resize", () => update());
    staticParts();
  }

  // ---- canvas helpers ----------------------------------------------------------------------
  function canvas(id, height) {
    const cv = $(id), w = Math.max(320, cv.parentElement.clientWidth - 2);
    const r = window.devicePixelRatio || 1;
    cv.style.height = `${height}px`;
    cv.width = Math.round(w * r); cv.height = Math.round(height * r);
    const g = cv.getContext("2d");
    g.setTransform(r, 0, 0, r, 0, 0);
    g.clearRect(0, 0, w, height);
    g.fillStyle = "#fff"; g.fillRect(0, 0, w, height);  // opaque: exported PNGs need it
    g.textBaseline = "middle";
    return { g, w, h: height };
  }
  function text(g, s, x, y, { size = 16, color = "#111", align = "left", bold = false } = {}) {
    g.font = `${bold ? "700 " : ""}${size}px ${FONT}`;
    g.fillStyle = color; g.textAlign = align; g.fillText(s, x, y);
  }
  function pct(v) { return `${(100 * v).toFixed(v < 0.1 ? 1 : 0)}%`; }
  function rows() {  // pathways grouped as the page shows them: [{heading}|{pathway}]
    const out = [];
    for (const [g, spec] of Object.entries(D.groups)) {
      const ps = D.pathways.filter((p) => p.group === g);
      if (ps.length) { out.push({ heading: true, title: spec.title }); ps.forEach((p) => out.push(p)); }
    }
    return out;
  }
  const ROW = 56, HEAD = 32, TOP = 40;
  function layoutHeight() {
    return TOP + rows().reduce((s, r) => s + (r.heading ? HEAD : ROW), 0) + 10;
  }
  function sideLabel(key) {
    const s = S[key];
    return `${key}: ${DRUG[s.drug].name} ${fmtDose(s.dose)} mg ${regimenOf(s).name.replace(/^[\d.]+ mg /, "")}`;
  }

  // ---- panel 1: JAK pair per receptor --------------------------------------------------------
  function drawPairs(R) {
    const { g, w } = canvas("c-pairs", layoutHeight());
    const x0 = Math.min(250, w * 0.38), colW = (w - x0) / 2;
    for (const key of ["A", "B"]) {  // two lines: a column is too narrow for one
      const x = x0 + colW * (key === "A" ? 0.5 : 1.5), s = S[key];
      text(g, `${key}: ${DRUG[s.drug].name}`, x, 11, { size: 15, color: COL[key], align: "center", bold: true });
      text(g, `${fmtDose(s.dose)} mg ${regimenOf(s).name.replace(/^[\d.]+ mg /, "")}`, x, 29,
           { size: 14, color: COL[key], align: "center" });
    }
    let y = TOP;
    for (const r of rows()) {
      if (r.heading) { text(g, r.title, 4, y + HEAD / 2, { size: 15, bold: true, color: "#444" }); y += HEAD; continue; }
      text(g, r.label, 4, y + ROW / 2, { size: 16 });
      ["A", "B"].forEach((key, k) => {
        r.slots.forEach((slot, i) => {
          const cx = x0 + colW * k + colW * (i ? 0.7 : 0.3), cy = y + ROW / 2, rad = 25;
          const occ = R[key].occ[slot.jak];
          g.save();
          g.beginPath(); g.arc(cx, cy, rad, 0, 2 * Math.PI); g.clip();
          g.fillStyle = COL[key]; g.globalAlpha = slot.catreq > 0 ? 0.85 : 0.3;
          g.fillRect(cx - rad, cy + rad - 2 * rad * occ, 2 * rad, 2 * rad * occ);  // fill level
          g.restore();
          g.beginPath(); g.arc(cx, cy, rad, 0, 2 * Math.PI);
          g.setLineDash(slot.catreq > 0 ? [] : [4, 4]); g.lineWidth = 2; g.strokeStyle = "#111";
          g.stroke(); g.setLineDash([]);
          const dark = occ > 0.55 && slot.catreq > 0;
          text(g, slot.jak, cx, cy - 7, { size: 13, align: "center", bold: true, color: dark ? "#fff" : "#111" });
          text(g, pct(occ), cx, cy + 10, { size: 13, align: "center", color: dark ? "#fff" : "#111" });
        });
        const cx1 = x0 + colW * k + colW * 0.3, cx2 = x0 + colW * k + colW * 0.7;
        g.strokeStyle = "#777"; g.lineWidth = 3;  // the receptor holding the two JAKs
        g.beginPath(); g.moveTo(cx1 + 26, y + ROW / 2); g.lineTo(cx2 - 26, y + ROW / 2); g.stroke();
      });
      y += ROW;
    }
  }

  // ---- panel 2: % blocked over a day ---------------------------------------------------------
  function drawDaily(R) {
    const { g, w } = canvas("c-daily", layoutHeight());
    const x0 = Math.min(250, w * 0.38), x1 = w - 70, sx = (v) => x0 + (x1 - x0) * v;
    for (const v of [0, 0.25, 0.5, 0.75, 1]) {
      g.strokeStyle = v === 0.5 ? "#888" : "#ddd"; g.lineWidth = 1;
      g.beginPath(); g.moveTo(sx(v), TOP - 6); g.lineTo(sx(v), layoutHeight() - 8); g.stroke();
      text(g, `${v * 100}%`, sx(v), 18, { size: 14, align: "center", color: "#444" });
    }
    let y = TOP;
    for (const r of rows()) {
      if (r.heading) { text(g, r.title, 4, y + HEAD / 2, { size: 15, bold: true, color: "#444" }); y += HEAD; continue; }
      text(g, r.label, 4, y + ROW / 2, { size: 16 });
      ["A", "B"].forEach((key, k) => {
        const v = R[key].mean[r.id], by = y + 6 + k * 22;
        g.fillStyle = COL[key];
        if (key === "B") {  // hatched, so A and B differ without colour
          g.fillRect(sx(0), by, sx(v) - sx(0), 19);
          g.fillStyle = "rgba(255,255,255,0.45)";
          for (let x = sx(0); x < sx(v); x += 8) g.fillRect(x, by, 3, 19);
        } else g.fillRect(sx(0), by, sx(v) - sx(0), 19);
        text(g, pct(v), sx(v) + 5, by + 10, { size: 15, color: COL[key], bold: true });
      });
      y += ROW;
    }
  }
  function fillDailyTable(R) {
    $("t-daily-A").textContent = `A: ${DRUG[S.A.drug].name} (%)`;
    $("t-daily-B").textContent = `B: ${DRUG[S.B.drug].name} (%)`;
    const body = $("t-daily").tBodies[0];
    body.innerHTML = "";
    for (const p of D.pathways) {
      const tr = document.createElement("tr");
      tr.dataset.pathway = p.id;
      tr.innerHTML = `<th scope="row">${p.label}</th><td>${p.jak_pair}</td>`;
      for (const key of ["A", "B"]) {
        const td = document.createElement("td");
        td.className = "num"; td.dataset.side = key;
        td.dataset.value = String(R[key].mean[p.id]);  // the plotted fraction, full precision
        td.textContent = (100 * R[key].mean[p.id]).toFixed(1);
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
  }

  // ---- panels 3, 4: curves -------------------------------------------------------------------
  function axes(g, w, h, m, xl, yl) {
    g.strokeStyle = "#111"; g.lineWidth = 1.5;
    g.beginPath(); g.moveTo(m.l, m.t); g.lineTo(m.l, h - m.b); g.lineTo(w - m.r, h - m.b); g.stroke();
    text(g, xl, (m.l + w - m.r) / 2, h - 14, { size: 15, align: "center" });
    g.save(); g.translate(16, (m.t + h - m.b) / 2); g.rotate(-Math.PI / 2);
    text(g, yl, 0, 0, { size: 15, align: "center" }); g.restore();
    for (const v of [0, 25, 50, 75, 100]) {
      const y = h - m.b - (h - m.t - m.b) * v / 100;
      g.strokeStyle = "#e4e4e4"; g.beginPath(); g.moveTo(m.l, y); g.lineTo(w - m.r, y); g.stroke();
      text(g, `${v}%`, m.l - 6, y, { size: 14, align: "right", color: "#444" });
    }
  }
  function line(g, xs, ys, color, dash, width = 3) {
    g.strokeStyle = color; g.setLineDash(dash); g.lineWidth = width; g.beginPath();
    xs.forEach((x, i) => (i ? g.lineTo(x, ys[i]) : g.moveTo(x, ys[i]))); g.stroke(); g.setLineDash([]);
  }
  function legend(g, x, y, items) {
    for (const it of items) {
      line(g, [x, x + 34], [y, y], it.color, it.dash, 3);
      text(g, it.label, x + 40, y, { size: 14 });
      y += 20;
    }
  }
  function drawDoseResponse(R) {
    const { g, w, h } = canvas("c-dr", 440);
    const m = { l: 62, r: 34, t: 52, b: 110 };
    const lo = Math.floor(X[0]), hi = Math.ceil(X[X.length - 1]);
    const sx = (c) => m.l + (w - m.l - m.r) * (Math.log10(Math.max(c, 1e-12)) - lo) / (hi - lo);
    const sy = (v) => h - m.b - (h - m.t - m.b) * v;
    ["A", "B"].forEach((key, k) => {  // chosen dose: the day's range of blood levels
      g.fillStyle = COL[key]; g.globalAlpha = 0.13;
      g.fillRect(sx(R[key].cmin), m.t, Math.max(2, sx(R[key].cmax) - sx(R[key].cmin)), h - m.t - m.b);
      g.globalAlpha = 1;
      const [a, b] = approvedRange(S[key].drug);  // approved doses: bar above the plot
      g.fillStyle = COL[key]; g.fillRect(sx(a), 8 + 16 * k, Math.max(3, sx(b) - sx(a)), 10);
      text(g, `${key} approved`, Math.min(sx(b) + 6, w - 110), 13 + 16 * k, { size: 13, color: COL[key] });
    });
    axes(g, w, h, m, "drug in blood (nM, total; log scale)", "% of signal blocked");
    for (let e = lo; e <= hi; e++) {
      const lab = e >= 6 ? `${10 ** (e - 6)} mM` : e >= 3 ? `${10 ** (e - 3)} µM` : `${10 ** e} nM`;
      text(g, lab, sx(10 ** e), h - m.b + 16, { size: 13, align: "center", color: "#444" });
    }
    const xs = D.conc.map(sx), items = [];
    for (const [pw, dash] of [[S.pw1, []], [S.pw2, [10, 6]]]) {
      for (const key of ["A", "B"]) {
        const y = D.conc.map((c) => sy(inhibitionAt(pw, S[key].drug, c)));
        line(g, xs, y, COL[key], dash);
        items.push({ color: COL[key], dash, label: `${DRUG[S[key].drug].name}: ${PATH[pw].label}` });
      }
    }
    legend(g, m.l, h - 64, items.slice(0, 2));
    legend(g, m.l + (w - m.l) / 2, h - 64, items.slice(2));
  }
  function drawDay(R) {
    const { g, w, h } = canvas("c-day", 440);
    const m = { l: 62, r: 16, t: 20, b: 110 };
    const sx = (t) => m.l + (w - m.l - m.r) * t / 24, sy = (v) => h - m.b - (h - m.t - m.b) * v;
    axes(g, w, h, m, "hours after the morning dose (steady state)", "% of signal blocked");
    for (let t = 0; t <= 24; t += 4) text(g, String(t), sx(t), h - m.b + 16, { size: 13, align: "center", color: "#444" });
    const xs = T.map(sx), items = [];
    for (const [pw, dash] of [[S.pw1, []], [S.pw2, [10, 6]]]) {
      for (const key of ["A", "B"]) {
        line(g, xs, R[key].course[pw].map(sy), COL[key], dash);
        items.push({ color: COL[key], dash, label: `${DRUG[S[key].drug].name}: ${PATH[pw].label}` });
      }
    }
    legend(g, m.l, h - 64, items.slice(0, 2));
    legend(g, m.l + (w - m.l) / 2, h - 64, items.slice(2));
  }

  // ---- static parts --------------------------------------------------------------------------
  function esc(s) { return String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]); }
  function kText(v) { return v >= 1e8 ? "none" : v >= 1000 ? `${(v / 1000).toPrecision(3)}k` : v.toPrecision(3); }
  function staticParts() {
    const M = D.meta;
    $("build").textContent = `Built by jaksim ${M.version} from drug library ${M.library_file} ` +
      `(hash ${M.library_hash}) and pathway models (hash ${M.model_hash}); ` +
      `${D.conc.length} drug levels x ${D.pathways.length} signals x ${D.drugs.length} drugs.`;
    const body = $("t-drugs").tBodies[0];
    for (const d of D.drugs) {
      const tr = document.createElement("tr");
      tr.dataset.drug = d.id;
      tr.innerHTML = `<th scope="row">${esc(d.name)}${d.brands.length ? ` (${esc(d.brands.join(", "))})` : ""}</th>` +
        `<td>${esc(d.targets.join(", "))}${d.mechanism === "allosteric_jh2" ? " (allosteric)" : ""}</td>` +
        D.jaks.map((j) => `<td class="num">${kText(d.K[j])}</td>`).join("") +
        `<td>${esc(d.indications.join("; "))}<br><small>${esc(d.indications_source)}</small></td>` +
        `<td>${d.regimens.map((r) => `${esc(r.name)} <small>(${esc(r.source)})</small>`).join("<br>")}</td>`;
      body.appendChild(tr);
    }
    const A = [
      `Whole-blood assay, simulated: blood with drug is stimulated with ${M.stimulus_nM} nM of the cytokine and the pSTAT readout is read ${M.read_time_min} min later; "blocked" = 1 - stimulated signal with drug / without drug.`,
      "Over one day: steady state (after many days of dosing), the same assay on blood drawn at each time; the bar is the day's average.",
      "Drug levels: linear pharmacokinetics from the library (one- or two-compartment, first-order absorption); a dose different from an approved one scales the approved schedule's levels in proportion. Active metabolites (filgotinib's GS-829845) count as the parent concentration with the same effect.",
      `Drug exchange: "${M.exchange}" (the drug binds and leaves each JAK many times while a receptor signals), so each catalytic step needs a free JAK.`,
      "Occupancy of a JAK = free drug / (free drug + K), with free drug = fraction unbound x total, averaged over the day. K is each drug's in-cell potency in this model (derived from published whole-blood IC50s and selectivity ratios; many values are recalled, not re-read: see docs/pharmacology.md, Known gaps).",
      "A receptor complex carries two JAK slots, each blocked independently; a scaffold slot (dashed) needs the JAK protein but not its enzyme activity.",
      "Between computed drug levels the page interpolates linearly in logit(% blocked) against log(level), exactly as jaksim's inhibition_at; the numbers equal jaksim's Python values (tested).",
      "One typical patient: no variability between people, no disease effects on drug levels, no effect of the drug on cytokine levels. Teaching model, not dosing advice.",
    ];
    $("assumptions").innerHTML = A.map((s) => `<li>${esc(s)}</li>`).join("");
    $("footer").textContent = "Sources: every potency, PK value and regimen carries its source and confidence in models/drugs.toml " +
      "(listed with `jaksim drugs NAME`); pathway parameters in models/pathways and docs/pathways.md. Colours: Okabe-Ito palette. No external libraries.";
  }

  // ---- exports -------------------------------------------------------------------------------
  function download(name, url) {
    const a = document.createElement("a");
    a.href = url; a.download = name; document.body.appendChild(a); a.click(); a.remove();
  }
  function savePng() {
    const parts = ["c-pairs", "c-daily", "c-dr", "c-day"].map($);
    const r = window.devicePixelRatio || 1, pad = 20 * r, head = 90 * r;
    const colW = Math.max(parts[0].width, parts[2].width);
    const h1 = Math.max(parts[0].height, parts[1].height), h2 = Math.max(parts[2].height, parts[3].height);
    const out = document.createElement("canvas");
    out.width = 2 * colW + 3 * pad; out.height = head + h1 + h2 + 3 * pad;
    const g = out.getContext("2d");
    g.fillStyle = "#fff"; g.fillRect(0, 0, out.width, out.height);
    g.fillStyle = "#111"; g.textBaseline = "middle";
    g.font = `700 ${26 * r}px ${FONT}`;
    g.fillText(`JAK inhibitor selectivity: ${sideLabel("A")} vs ${sideLabel("B")}`, pad, 30 * r);
    g.font = `${15 * r}px ${FONT}`;
    g.fillText($("build").textContent, pad, 64 * r);
    g.drawImage(parts[0], pad, head); g.drawImage(parts[1], 2 * pad + colW, head);
    g.drawImage(parts[2], pad, head + h1 + pad); g.drawImage(parts[3], 2 * pad + colW, head + h1 + pad);
    const url = out.toDataURL("image/png");
    window.__jaksimLastPng = url;
    download("jaksim-selectivity.png", url);
  }
  function csvText() {
    const M = D.meta, R = { A: compute(S.A), B: compute(S.B) };
    const q = (s) => `"${String(s).replace(/"/g, '""')}"`;
    const lines = [
      `# jaksim ${M.version} classroom explorer export; drug library hash ${M.library_hash}, pathway models hash ${M.model_hash}`,
      "# mean_inhibition: fraction of the pSTAT signal blocked, averaged over 24 h at steady state (simulated whole-blood assay); occupancy_<JAK>: free drug / (free drug + K), averaged over 24 h",
      `# sources: ${M.library_file} (every potency, PK value and regimen with its source), models/pathways/*.toml; regimen and indication sources per row`,
      "side,drug,schedule,dose_mg,pathway,cytokine,readout,jak_pair,mean_inhibition,hours_above_50,cmin_nM,cavg_nM,cmax_nM," +
        D.jaks.map((j) => `occupancy_${j}`).join(",") + ",regimen_source,indications_source",
    ];
    for (const key of ["A", "B"]) {
      const s = S[key], d = DRUG[s.drug], r = R[key];
      for (const p of D.pathways) {
        lines.push([key, d.id, q(s.regimen), s.dose, p.id, p.cytokine, p.readout, p.jak_pair,
          r.mean[p.id].toPrecision(6), r.above50[p.id].toFixed(2), r.cmin.toPrecision(5),
          r.cavg.toPrecision(5), r.cmax.toPrecision(5), ...D.jaks.map((j) => r.occ[j].toPrecision(5)),
          q(regimenOf(s).source), q(d.indications_source)].join(","));
      }
    }
    return lines.join("\n") + "\n";
  }
  function saveCsv() {
    download("jaksim-selectivity.csv", "data:text/csv;charset=utf-8," + encodeURIComponent(csvText()));
  }

  // ---- update loop ---------------------------------------------------------------------------
  const times = [];
  function update() {
    const t0 = performance.now();
    for (const key of ["A", "B"]) {
      const s = S[key], r = regimenOf(s);
      $(`dose-${key}-out`).textContent = `${fmtDose(s.dose)} mg ${scheduleText(r)}`;
      $(`dose-${key}`).setAttribute("aria-valuetext", `${fmtDose(s.dose)} milligrams`);
    }
    const R = { A: compute(S.A), B: compute(S.B) };
    drawPairs(R); drawDaily(R); fillDailyTable(R); drawDoseResponse(R); drawDay(R);
    const summary = (key) => D.pathways.map((p) => `${p.label} ${pct(R[key].mean[p.id])}`).join(", ");
    $("c-daily").setAttribute("aria-label", `Signal blocked over a day. ${sideLabel("A")}: ${summary("A")}. ${sideLabel("B")}: ${summary("B")}.`);
    const ms = performance.now() - t0;
    times.push(ms);
    document.body.dataset.redrawMs = ms.toFixed(3);
    window.jaksimClassroom.last = R;
  }

  window.jaksimClassroom = { data: D, state: S, compute, inhibitionAt, csv: csvText, redrawTimes: times, update };
  setup();
  update();
  window.jaksimClassroom.firstViewMs = performance.now();  // since navigation start
  document.body.dataset.ready = "1";
})();
