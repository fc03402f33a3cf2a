// narrate studio: review who speaks each line, fix it, hear it. Plain JS, no build step, nothing fetched from elsewhere.
"use strict";

const $ = (sel) => document.querySelector(sel);
const state = {
  book: null, chapter: null, lines: [], sel: null, speakers: [], renderRuns: 0,
  stopAt: null, playingLine: null, polling: false,
};

// The token came in the link once; the server has set a cookie, so the address bar need not show it.
if (location.search.includes("token=")) history.replaceState(null, "", location.pathname);

async function api(method, path, body) {
  const opts = { method, headers: {} };
  if (body !== undefined) { opts.headers["content-type"] = "application/json"; opts.body = JSON.stringify(body); }
  // Which numbering of the chapters this page shows: the server refuses a change made by old numbers.
  if (state.book && state.book.version) opts.headers["x-narrate-book"] = state.book.version;
  const res = await fetch(path, opts);
  const data = res.headers.get("content-type")?.includes("json") ? await res.json() : null;
  if (res.status === 409 && data && data.reload) {
    state.chapter = null;
    await loadBook();
  }
  if (!res.ok) throw new Error((data && data.error) || `${res.status} ${res.statusText}`);
  return data;
}

function say(text, ok = false) {
  const m = $("#message");
  m.textContent = text;
  m.className = ok ? "ok" : "";
}

// A speaker keeps its colour for the session whatever the line counts do (the speaker keys follow the counts).
const PALETTE = ["#1d4ed8", "#b91c1c", "#15803d", "#a21caf", "#c2410c", "#0f766e", "#7c3aed", "#a16207", "#be185d",
  "#0369a1", "#4d7c0f", "#9f1239"];
const colours = new Map();

function colour(name) {
  if (!colours.has(name)) colours.set(name, PALETTE[colours.size % PALETTE.length]);
  return colours.get(name);
}

// -- loading -----------------------------------------------------------------------------------

async function loadBook() {
  state.book = await api("GET", "/api/book");
  state.speakers = state.book.speakers;
  state.speakers.forEach(colour);
  $("#book-title").textContent = state.book.title;
  document.title = `${state.book.title}: narrate studio`;
  $("#undo-btn").disabled = !state.book.can_undo;
  $("#redo-btn").disabled = !state.book.can_redo;
  if (state.book.warning) say(state.book.warning);
  renderChapters();
  renderSpeakerChoices();
  if (state.book.render.running) pollRender();
}

function renderChapters() {
  const box = $("#chapters");
  box.replaceChildren();
  for (const c of state.book.chapters) {
    const el = document.createElement("div");
    el.className = "chapter" + (c.index === state.chapter ? " active" : "");
    el.dataset.index = c.index;
    const status = !c.rendered ? ["none", "not rendered"] : c.stale ? ["stale", "changed"] : ["ok", "rendered"];
    el.innerHTML = `<div class="title"></div><div class="stats">${c.lines} lines · ${c.doubtful} doubtful ` +
      `<span class="badge ${status[0]}">${status[1]}</span></div>`;
    el.querySelector(".title").textContent = `${c.index}. ${c.title}`;
    el.addEventListener("click", () => openChapter(c.index));
    // Reachable with Tab and opened with Enter or space, as a button is.
    el.tabIndex = 0;
    el.setAttribute("role", "button");
    el.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") { e.preventDefault(); e.stopPropagation(); openChapter(c.index); }
    });
    box.append(el);
  }
}

function renderSpeakerChoices() {
  const list = $("#speaker-list");
  list.replaceChildren(...state.speakers.map((s) => Object.assign(document.createElement("option"), { value: s })));
  const filter = $("#filter-speaker");
  const keep = filter.value;
  filter.replaceChildren(Object.assign(document.createElement("option"), { value: "", textContent: "all" }),
    ...state.speakers.map((s) => Object.assign(document.createElement("option"), { value: s, textContent: s })));
  filter.value = state.speakers.includes(keep) ? keep : "";
  const keys = state.speakers.slice(0, 9).map((s, i) => `${i + 1} ${s}`).join(" · ");
  $("#keys-help").textContent = `space play/pause · ↑↓ lines · ${keys} · n narration · d next doubtful · z undo · y redo`;
}

async function openChapter(index, keepSelection = false) {
  const view = await api("GET", `/api/chapters/${index}`);
  if (state.chapter !== index) $("#player").removeAttribute("src");
  state.chapter = index;
  state.lines = view.lines;
  if (!keepSelection) state.sel = null;
  renderChapters();
  renderLines();
  if (state.sel !== null) select(state.sel, false);
}

function renderLines() {
  const box = $("#lines");
  box.replaceChildren();
  const doubtfulOnly = $("#filter-doubtful").checked;
  const who = $("#filter-speaker").value;
  let para = null, p = null;
  for (const ln of state.lines) {
    if (ln.paragraph !== para || !p) {
      p = document.createElement("p");
      box.append(p);
      para = ln.paragraph;
    }
    const span = document.createElement("span");
    span.textContent = ln.text;
    if (!ln.words) { p.append(span); continue; }
    span.className = `seg ${ln.kind}` + (ln.doubtful ? " doubtful" : "") + (ln.i === state.sel ? " selected" : "");
    span.dataset.i = ln.i;
    if (ln.kind === "dialogue") {
      const c = ln.speaker ? colour(ln.speaker) : "#555";  // an unattributed quote is read by the narrator
      span.style.setProperty("--c", c);
      span.title = `${ln.speaker || "unattributed"} (${ln.rule}${ln.confidence != null ? ", " + ln.confidence.toFixed(2) : ""})`;
      const tag = document.createElement("span");
      tag.className = "who";
      tag.style.setProperty("--c", c);
      tag.textContent = ln.speaker || "?";
      p.append(tag);
    }
    if (!matches(ln, doubtfulOnly, who)) span.classList.add("dim");
    span.addEventListener("click", () => { select(ln.i); play(ln.i); });
    p.append(span);
  }
}

function matches(ln, doubtfulOnly = $("#filter-doubtful").checked, who = $("#filter-speaker").value) {
  if (!ln.words) return false;
  if (doubtfulOnly && !ln.doubtful) return false;
  if (who && ln.speaker !== who) return false;
  return true;
}

function select(i, scroll = true) {
  state.sel = i;
  document.querySelectorAll(".seg.selected").forEach((el) => el.classList.remove("selected"));
  const el = document.querySelector(`.seg[data-i="${i}"]`);
  if (el) { el.classList.add("selected"); if (scroll) el.scrollIntoView({ block: "nearest" }); }
  const ln = state.lines[i];
  $("#sel-text").textContent = ln ? ln.text : "";
  $("#sel-meta").textContent = !ln ? "" : ln.kind === "dialogue"
    ? `${ln.speaker || "unattributed"} · ${ln.rule || "?"}${ln.confidence != null ? " · confidence " + ln.confidence.toFixed(2) : ""}` +
      ` · voice ${ln.voice}${ln.fresh ? "" : " · not yet rendered"}`
    : `narration · voice ${ln.voice}`;
  $("#speaker-input").value = ln && ln.speaker ? ln.speaker : "";
  $("#merge-who").textContent = ln && ln.speaker ? ln.speaker : "";
}

function step(delta, onlyDoubtful = false) {
  const order = state.lines.filter((ln) => matches(ln) && (!onlyDoubtful || ln.doubtful)).map((ln) => ln.i);
  if (!order.length) { say(onlyDoubtful ? "no doubtful line in this chapter" : "no line matches the filter"); return; }
  const pos = order.indexOf(state.sel);
  let next;
  if (pos < 0) next = delta > 0 ? order.find((i) => i > (state.sel ?? -1)) ?? order[0] : order[order.length - 1];
  else next = order[Math.min(Math.max(pos + delta, 0), order.length - 1)];
  if (onlyDoubtful && pos === order.length - 1) next = order[0];
  select(next);
}

// -- listening ---------------------------------------------------------------------------------

function play(i) {
  const ln = state.lines[i];
  if (!ln || !ln.words) return;
  const player = $("#player");
  document.querySelectorAll(".seg.playing").forEach((el) => el.classList.remove("playing"));
  document.querySelector(`.seg[data-i="${i}"]`)?.classList.add("playing");
  state.playingLine = i;
  if (ln.fresh && ln.start_ms != null) {
    // Heard in place, from the chapter's MP3 at the times book.json gives.
    const src = `/api/chapters/${state.chapter}/audio?r=${state.book.render.runs}`;
    if (!player.src.endsWith(src)) player.src = src;
    state.stopAt = ln.end_ms / 1000;
    const start = () => { player.currentTime = ln.start_ms / 1000; player.play().catch((e) => say(e.message)); };
    if (player.readyState >= 1) start(); else player.addEventListener("loadedmetadata", start, { once: true });
  } else {
    // Not rendered as it is now: synthesized on demand with the line's current voice.
    state.stopAt = null;
    player.src = `/api/chapters/${state.chapter}/lines/${i}/audio?t=${Date.now()}`;
    player.play().catch((e) => say(e.message));
  }
}

$("#player").addEventListener("timeupdate", () => {
  const player = $("#player");
  if (state.stopAt !== null && player.currentTime >= state.stopAt) { player.pause(); state.stopAt = null; }
});
$("#player").addEventListener("pause", () => document.querySelectorAll(".seg.playing").forEach((el) => el.classList.remove("playing")));

function togglePlay() {
  const player = $("#player");
  if (!player.paused) { player.pause(); return; }
  if (state.sel !== null) play(state.sel);
}

// -- fixing ------------------------------------------------------------------------------------

async function edit(body) {
  if (state.sel === null) { say("select a line first"); return; }
  try {
    const view = await api("PUT", `/api/chapters/${state.chapter}/lines/${state.sel}`, body);
    state.lines = view.lines;
    await refreshAfterEdit();
    say("saved", true);
  } catch (e) { say(e.message); }
}

async function refreshAfterEdit() {
  await loadBook();
  await openChapter(state.chapter, true);
  if (!$("#cast-view").hidden) await loadCast();
}

function setSpeaker(name) { if (name && name.trim()) edit({ speaker: name.trim() }); }

// "undo" or "redo": the server answers {"undone": label} or {"redone": label}.
async function undoOrRedo(what) {
  try {
    const r = await api("POST", `/api/${what}`);
    await refreshAfterEdit();
    say(`${what}ne: ${r[what + "ne"]}`, true);
  } catch (e) { say(e.message); }
}
const undo = () => undoOrRedo("undo");
const redo = () => undoOrRedo("redo");

async function mergeSpeaker() {
  const ln = state.lines[state.sel];
  const target = $("#merge-input").value.trim();
  if (!ln || !ln.speaker) { say("select a line of the character to rename or merge"); return; }
  if (!target) { say("type the new name, or the speaker to merge into"); return; }
  try {
    await api("POST", "/api/characters/merge", { old: ln.speaker, new: target });
    $("#merge-input").value = "";
    await refreshAfterEdit();
    say(`${ln.speaker} is now ${target} for the whole book`, true);
  } catch (e) { say(e.message); }
}

// -- cast --------------------------------------------------------------------------------------

async function loadCast() {
  const cast = await api("GET", "/api/cast");
  $("#voices-file").textContent = cast.file;
  const body = $("#cast-table tbody");
  body.replaceChildren();
  for (const row of cast.rows) {
    const tr = document.createElement("tr");
    tr.dataset.speaker = row.speaker ?? "";
    // The voice as shown: the server refuses a save made over another tab's change (409) rather than undo it.
    tr.dataset.was = JSON.stringify({ engine: row.engine, voice: row.voice, rate: row.rate, pitch: row.pitch });
    const name = document.createElement("td");
    name.textContent = row.speaker ?? "(narrator)";
    if (row.speaker) name.style.color = colour(row.speaker);
    if (row.aliases.length) {
      const a = document.createElement("div");
      a.className = "aliases";
      a.textContent = "also " + row.aliases.join(", ");
      name.append(a);
    }
    tr.append(name, Object.assign(document.createElement("td"), { textContent: row.lines ?? "" }));
    for (const key of ["engine", "voice", "rate", "pitch"]) {
      const td = document.createElement("td");
      const input = document.createElement("input");
      input.name = key;
      input.value = row[key];
      if (key === "rate" || key === "pitch") { input.type = "number"; input.className = "num"; }
      input.addEventListener("change", () => saveVoice(tr));
      td.append(input);
      tr.append(td);
    }
    const td = document.createElement("td");
    const btn = Object.assign(document.createElement("button"), { type: "button", textContent: "Preview" });
    btn.addEventListener("click", () => {
      const q = row.speaker ? `?speaker=${encodeURIComponent(row.speaker)}&t=${Date.now()}` : `?t=${Date.now()}`;
      state.stopAt = null;
      $("#player").src = `/api/cast/preview${q}`;
      $("#player").play().catch((e) => say(e.message));
    });
    td.append(btn);
    tr.append(td);
    body.append(tr);
  }
}

async function saveVoice(tr) {
  const v = (k) => tr.querySelector(`input[name=${k}]`).value;
  try {
    await api("PUT", "/api/cast/voice", { speaker: tr.dataset.speaker || null, engine: v("engine"), voice: v("voice"),
      // As typed: 12.7 is refused with a message rather than saved as 12 without a word.
      rate: Number(v("rate")), pitch: Number(v("pitch")), was: JSON.parse(tr.dataset.was) });
    await refreshAfterEdit();
    say("voice saved", true);
  } catch (e) { say(e.message); await loadCast(); }
}

function showTab(name) {
  $("#script-view").hidden = name !== "script";
  $("#cast-view").hidden = name !== "cast";
  $("#tab-script").classList.toggle("active", name === "script");
  $("#tab-cast").classList.toggle("active", name === "cast");
  if (name === "cast") loadCast().catch((e) => say(e.message));
}

// -- rendering ---------------------------------------------------------------------------------

async function startRender() {
  try {
    await api("POST", "/api/render", {});
    pollRender();
  } catch (e) { say(e.message); }
}

async function pollRender() {
  if (state.polling) return;
  state.polling = true;
  $("#render-btn").disabled = true;
  try {
    for (;;) {
      const r = await api("GET", "/api/render");
      const parts = Object.entries(r.progress).map(([i, p]) => `ch. ${i}: ${p.status} ${p.done}/${p.total}`);
      $("#render-status").textContent = r.running ? `rendering… ${parts.join(", ")}` :
        r.error ? `render failed: ${r.error}` : `rendered chapter(s) ${r.rendered.join(", ") || "none"}`;
      if (!r.running) break;
      await new Promise((ok) => setTimeout(ok, 400));
    }
  } finally {
    state.polling = false;
    $("#render-btn").disabled = false;
  }
  const fixed = state.sel;
  await loadBook();
  $("#player").removeAttribute("src");
  await openChapter(state.chapter, true);
  if (fixed !== null) play(fixed);  // hear the fixed line as the book now has it
}

// -- wiring ------------------------------------------------------------------------------------

$("#tab-script").addEventListener("click", () => showTab("script"));
$("#tab-cast").addEventListener("click", () => showTab("cast"));
$("#undo-btn").addEventListener("click", undo);
$("#redo-btn").addEventListener("click", redo);
$("#render-btn").addEventListener("click", startRender);
$("#speaker-set").addEventListener("click", () => setSpeaker($("#speaker-input").value));
// Enter applies and hands the keys back to the lines (arrows, 1-9, z work again at once); Escape just leaves.
function backToLines() { $("#lines").focus({ preventScroll: true }); }
$("#speaker-input").addEventListener("keydown", (e) => {
  if (e.key === "Enter") { setSpeaker(e.target.value); backToLines(); }
  else if (e.key === "Escape") backToLines();
});
$("#merge-input").addEventListener("keydown", (e) => {
  if (e.key === "Enter") { mergeSpeaker(); backToLines(); }
  else if (e.key === "Escape") backToLines();
});
$("#make-narration").addEventListener("click", () => edit({ kind: "narration" }));
$("#make-dialogue").addEventListener("click", () => edit({ kind: "dialogue", speaker: $("#speaker-input").value.trim() || null }));
$("#play-btn").addEventListener("click", togglePlay);
$("#merge-btn").addEventListener("click", mergeSpeaker);
$("#filter-doubtful").addEventListener("change", renderLines);
$("#filter-speaker").addEventListener("change", renderLines);
$("#next-doubtful").addEventListener("click", () => step(1, true));

document.addEventListener("keydown", (e) => {
  if (e.target.closest("input, select, textarea") || e.ctrlKey || e.metaKey || e.altKey || $("#script-view").hidden) return;
  if (e.key === " ") { e.preventDefault(); togglePlay(); }
  else if (e.key === "ArrowDown" || e.key === "ArrowRight") { e.preventDefault(); step(1); }
  else if (e.key === "ArrowUp" || e.key === "ArrowLeft") { e.preventDefault(); step(-1); }
  else if (/^[1-9]$/.test(e.key) && state.speakers[+e.key - 1]) setSpeaker(state.speakers[+e.key - 1]);
  else if (e.key === "n") edit({ kind: "narration" });
  else if (e.key === "d") step(1, true);
  else if (e.key === "z") undo();
  else if (e.key === "y" || e.key === "Z") redo();
});

loadBook().then(() => state.book.chapters.length && openChapter(state.book.chapters[0].index))
  .catch((e) => say(e.message));
