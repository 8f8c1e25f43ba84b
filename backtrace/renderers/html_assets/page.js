// The backtrace HTML page: steps through the pieces the renderer wrote. Every number was
// printed by backtrace; this script only shows, hides and highlights what is already there.
"use strict";
(function () {
  const trace = JSON.parse(document.getElementById("trace").textContent);
  const pieces = trace.pieces;
  const blocks = trace.blocks;
  const $ = (id) => document.getElementById(id);
  const pieceBox = $("piece"), originBox = $("origin"), linesBox = $("lines");
  const position = $("position");
  const units = new Map(), links = new Map();
  document.querySelectorAll("svg .unit").forEach((g) => units.set(g.dataset.unit, g));
  // A link is two groups: its line, and its label drawn above every line.
  document.querySelectorAll("svg .link").forEach((g) => {
    if (!links.has(g.dataset.weight)) links.set(g.dataset.weight, []);
    links.get(g.dataset.weight).push(g);
  });

  // What the diagram shows at a piece: the labels every piece up to it set, in order.
  // Snapshots every CHECKPOINT pieces keep stepping back and jumping quick on long pages.
  const CHECKPOINT = 200;
  const snapshots = new Map([[-1, new Map()]]);
  let state = new Map(), applied = -1;
  function labelsAt(index) {
    if (index < applied) {
      let base = -1;
      for (const key of snapshots.keys()) if (key <= index && key > base) base = key;
      state = new Map(snapshots.get(base));
      applied = base;
    }
    while (applied < index) {
      applied += 1;
      for (const [what, key, text] of pieces[applied].sets || []) state.set(what + "\u0000" + key, text);
      if (applied % CHECKPOINT === 0 && !snapshots.has(applied)) snapshots.set(applied, new Map(state));
    }
    return state;
  }
  const shown = new Map();
  function drawLabels(labels) {
    for (const [id, text] of labels) {
      if (shown.get(id) === text) continue;
      shown.set(id, text);
      const [what, key] = id.split("\u0000");
      const onLink = what === "w" || what === "g";
      for (const group of (onLink ? links.get(key) : [units.get(key)]) || []) {
        const place = group && group.querySelector(onLink ? "tspan." + what : "text." + what);
        if (place) place.textContent = text;
      }
    }
  }

  function mark(className, unitKeys, weightNames) {
    document.querySelectorAll("svg ." + className).forEach((e) => e.classList.remove(className));
    for (const key of unitKeys || []) { const g = units.get(key); if (g) g.classList.add(className); }
    for (const name of weightNames || []) for (const g of links.get(name) || []) g.classList.add(className);
  }

  function blockOf(index, onlyRow) {
    const piece = pieces[index];
    const holder = document.createElement("div");
    holder.innerHTML = (piece.heading !== undefined ? blocks[piece.heading] : "") + blocks[piece.block];
    if (piece.row !== undefined) {
      holder.querySelectorAll("tr[data-row]").forEach((tr) => {
        const row = Number(tr.dataset.row);
        if (row > piece.row || (onlyRow && row !== piece.row)) tr.classList.add("later");
        else if (row === piece.row) tr.classList.add("current");
      });
      // Only the footnotes that the rows shown so far refer to, by their numbers.
      const shownText = [...holder.querySelectorAll("tr[data-row]:not(.later)")].map((tr) => tr.textContent).join(" ");
      holder.querySelectorAll("ol.notes").forEach((list) => {
        let any = false;
        list.querySelectorAll(":scope > li").forEach((item, index) => {
          const cited = shownText.includes("[" + (index + 1) + "]");
          item.hidden = !cited; any = any || cited;
        });
        list.hidden = !any;
      });
    }
    return holder;
  }

  function whereOf(piece) {
    const parts = [];
    if (piece.epoch !== undefined) parts.push("epoch " + piece.epoch);
    if (piece.sample !== undefined) parts.push("sample " + piece.sample);
    parts.push(piece.what);
    return parts.join(" · ");
  }

  let current = 0;
  function show(index) {
    current = Math.max(0, Math.min(pieces.length - 1, index));
    const piece = pieces[current];
    pieceBox.replaceChildren(...blockOf(current, false).childNodes);
    pieceBox.querySelectorAll("tr:not(.later) span[data-q]").forEach((n) => { n.tabIndex = 0; });
    drawLabels(labelsAt(current));
    mark("lit", piece.units, piece.links);
    mark("origin", [], []);
    originBox.replaceChildren();
    linesBox.replaceChildren();
    position.textContent = whereOf(piece) + " · piece " + (current + 1) + " of " + pieces.length;
    position.classList.toggle("alarm", Boolean(piece.alarm));
    $("back").disabled = current === 0;
    $("next").disabled = current === pieces.length - 1;
    syncChoosers(piece);
    if (history.replaceState) history.replaceState(null, "", "#piece=" + (current + 1));
  }

  // Jumping to an epoch or a sample: the choices come from the pieces' own positions.
  const epochChooser = $("epoch"), sampleChooser = $("sample");
  const epochs = [...new Set(pieces.map((p) => p.epoch).filter((e) => e !== undefined))];
  function option(value, text) {
    const o = document.createElement("option");
    o.value = value; o.textContent = text; return o;
  }
  epochChooser.replaceChildren(...epochs.map((e) => option(e, e)));
  epochChooser.disabled = epochs.length === 0;
  let chosenEpoch = null;
  function syncChoosers(piece) {
    if (piece.epoch === undefined) return;
    if (chosenEpoch !== piece.epoch) {
      chosenEpoch = piece.epoch;
      const samples = [...new Set(pieces.filter((p) => p.epoch === piece.epoch && p.sample !== undefined).map((p) => p.sample))];
      sampleChooser.replaceChildren(...samples.map((s) => option(s, s)));
      sampleChooser.disabled = samples.length === 0;
    }
    epochChooser.value = String(piece.epoch);
    if (piece.sample !== undefined) sampleChooser.value = String(piece.sample);
  }
  epochChooser.addEventListener("change", () => {
    const epoch = Number(epochChooser.value);
    const found = pieces.findIndex((p) => p.epoch === epoch);
    if (found >= 0) show(found);
  });
  sampleChooser.addEventListener("change", () => {
    const sample = Number(sampleChooser.value);
    const found = pieces.findIndex((p) => p.epoch === chosenEpoch && p.sample === sample);
    if (found >= 0) show(found);
  });

  // Playing: the next piece at the chosen pace, until the last.
  let timer = null;
  const play = $("play"), speed = $("speed");
  function stop() {
    if (timer !== null) clearInterval(timer);
    timer = null; play.textContent = "Play"; play.setAttribute("aria-pressed", "false");
  }
  function start() {
    stop();
    if (current === pieces.length - 1) show(0);
    timer = setInterval(() => { if (current >= pieces.length - 1) stop(); else show(current + 1); }, Number(speed.value));
    play.textContent = "Pause"; play.setAttribute("aria-pressed", "true");
  }
  play.addEventListener("click", () => (timer === null ? start() : stop()));
  speed.addEventListener("change", () => { if (timer !== null) start(); });
  $("next").addEventListener("click", () => show(current + 1));
  $("back").addEventListener("click", () => show(current - 1));
  document.addEventListener("keydown", (event) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const tag = event.target.tagName;
    if (tag === "SELECT" || tag === "INPUT") return;
    const key = event.key;
    if (key === "ArrowRight" || (key === " " && tag !== "BUTTON" && !event.target.closest("svg"))) show(current + 1);
    else if (key === "ArrowLeft") show(current - 1);
    else if (key === "Home") show(0);
    else if (key === "End") show(pieces.length - 1);
    else if (key === "p") { timer === null ? start() : stop(); }
    else return;
    event.preventDefault();
  });

  // Where an operand came from: its link or unit lit, and the earlier line that computed it.
  const LINK_QUANTITIES = new Set(["weight", "W", "new", "grad", "J"]);
  function reveal(number) {
    const quantity = number.dataset.q, subject = number.dataset.s;
    if (subject === undefined) return;
    if (LINK_QUANTITIES.has(quantity) || links.has(subject) && !units.has(subject)) mark("origin", [], [subject]);
    else mark("origin", [subject], []);
    const from = number.dataset.f;
    if (from === undefined || Number(from) === current) { originBox.replaceChildren(); return; }
    const index = Number(from);
    const heading = document.createElement("p");
    heading.textContent = "From piece " + (index + 1) + " (" + whereOf(pieces[index]) + "):";
    const go = document.createElement("button");
    go.type = "button"; go.textContent = "Go to piece " + (index + 1);
    go.addEventListener("click", () => show(index));
    const body = blockOf(index, true);
    body.querySelectorAll("h2, ol.notes").forEach((e) => e.remove());
    originBox.replaceChildren(heading, ...body.childNodes, go);
  }
  function conceal() { mark("origin", [], []); }
  for (const box of [pieceBox, originBox]) {
    box.addEventListener("mouseover", (e) => { const n = e.target.closest("span[data-q]"); if (n && box === pieceBox) reveal(n); });
    box.addEventListener("focusin", (e) => { const n = e.target.closest("span[data-q]"); if (n && box === pieceBox) reveal(n); });
    box.addEventListener("mouseout", (e) => { if (e.target.closest("span[data-q]")) conceal(); });
  }

  // A unit's lines: clicking it (or Enter on it) lists the pieces of this sample about it.
  function listLines(key) {
    const piece = pieces[current];
    const found = [];
    pieces.forEach((p, index) => {
      if (p.units && p.units[0] === key && p.epoch === piece.epoch && p.sample === piece.sample) found.push(index);
    });
    const heading = document.createElement("p");
    heading.textContent = found.length ? "Lines about " + key + " in this sample:" : "No line in this sample computes " + key + ".";
    const buttons = found.map((index) => {
      const b = document.createElement("button");
      b.type = "button"; b.textContent = whereOf(pieces[index]);
      b.addEventListener("click", () => show(index));
      return b;
    });
    linesBox.replaceChildren(heading, ...buttons);
  }
  units.forEach((g, key) => {
    g.addEventListener("click", () => listLines(key));
    g.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); listLines(key); } });
  });

  // #piece=N opens the page at piece N (and a link to it jumps there).
  function asked() {
    const found = /^#piece=(\d+)$/.exec(location.hash);
    return found ? Number(found[1]) - 1 : null;
  }
  window.addEventListener("hashchange", () => { const index = asked(); if (index !== null) show(index); });
  show(asked() ?? 0);
})();
