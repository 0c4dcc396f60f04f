(function () {
  "use strict";
  var audio = document.getElementById("player");
  var nowCaption = document.getElementById("now-caption");
  var follow = document.getElementById("follow");
  var data = JSON.parse(document.getElementById("review-data").textContent);
  var cues = data.cues;            // [[start_ms, end_ms, text], …] in time order
  var sentences = data.sentences;  // [[id, start_ms, end_ms], …] in time order
  var currentCue = -1;
  var currentSentence = -1;

  // index of the last item whose start is <= ms, or -1
  function lastStarted(items, startAt, ms) {
    var lo = 0, hi = items.length - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (items[mid][startAt] <= ms) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return found;
  }

  function cueAt(ms) {
    var i = lastStarted(cues, 0, ms);
    return i >= 0 && ms < cues[i][1] ? i : -1;
  }

  function sentenceAt(ms) {
    var i = lastStarted(sentences, 1, ms);
    if (i === sentences.length - 1 && ms > sentences[i][2]) { return -1; }
    return i;
  }

  function mark(el, on) {
    if (el) { el.classList.toggle("current", on); }
  }

  function showCue(i) {
    if (i === currentCue) { return; }
    mark(document.getElementById("cue-" + currentCue), false);
    currentCue = i;
    var el = document.getElementById("cue-" + i);
    mark(el, true);
    nowCaption.textContent = i >= 0 ? cues[i][2] : "";
  }

  function showSentence(i) {
    if (i === currentSentence) { return; }
    if (currentSentence >= 0) { mark(document.getElementById(sentences[currentSentence][0]), false); }
    currentSentence = i;
    if (i < 0) { return; }
    var el = document.getElementById(sentences[i][0]);
    mark(el, true);
    if (el && follow.checked && !audio.paused) { el.scrollIntoView({block: "nearest"}); }
  }

  function update() {
    var ms = audio.currentTime * 1000;
    showCue(cueAt(ms));
    showSentence(sentenceAt(ms));
  }

  function tick() {
    update();
    if (!audio.paused && !audio.ended) { window.requestAnimationFrame(tick); }
  }

  function seekTo(el) {
    audio.currentTime = Number(el.getAttribute("data-start")) / 1000;
    update();
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("a")) { return; }
    var el = event.target.closest("[data-start]");
    if (el) { seekTo(el); }
  });
  document.addEventListener("keydown", function (event) {
    var el = event.target.closest && event.target.closest("[data-start]");
    if (el && (event.key === "Enter" || event.key === " ")) { event.preventDefault(); seekTo(el); }
  });
  ["timeupdate", "seeking", "seeked", "loadedmetadata"].forEach(function (name) {
    audio.addEventListener(name, update);
  });
  audio.addEventListener("play", function () { window.requestAnimationFrame(tick); });
  update();
})();

// ---- the editor: only when `perspective review` serves the page (http), never from a file
(function () {
  "use strict";
  if (location.protocol !== "http:" && location.protocol !== "https:") { return; }
  var NUDGE_MS = 100;  // one [ ] { } key press
  var WAVE_MARGIN_MS = 1500;  // waveform drawn this far either side of the sentence
  var audio = document.getElementById("player");
  var data = JSON.parse(document.getElementById("review-data").textContent);
  var editor = document.getElementById("editor");
  var $ = function (id) { return document.getElementById(id); };
  var state = {version: "", offset: 0, doc: {}, problems: []};
  var selected = null;  // sentence id
  var peaks = null;
  var times = {};  // id -> [start, end] in master ms, as the page was built
  data.sentences.forEach(function (s) { times[s[0]] = [s[1], s[2]]; });
  var order = data.sentences.map(function (s) { return s[0]; });

  function api(path, options) {
    return fetch(path, options).then(function (r) {
      return r.json().then(function (body) { return {status: r.status, body: body}; });
    });
  }
  function section(name) { if (!state.doc[name]) { state.doc[name] = []; } return state.doc[name]; }
  function entry(name, id, create) {
    var list = section(name);
    for (var i = 0; i < list.length; i++) { if (list[i].sentence === id) { return list[i]; } }
    if (!create) { return null; }
    var e = {sentence: id};
    list.push(e);
    return e;
  }
  function drop(name, id) { state.doc[name] = section(name).filter(function (e) { return e.sentence !== id; }); }
  function clock(ms) {
    var s = Math.max(0, ms) / 1000, m = Math.floor(s / 60);
    return m + ":" + ("0" + (s - m * 60).toFixed(2)).slice(-5);
  }
  function span(id) {  // [start, end] in master ms with this page's unsaved timing
    var e = entry("timing", id, false), t = times[id];
    return [e && e.start_ms != null ? e.start_ms + state.offset : t[0], e && e.end_ms != null ? e.end_ms + state.offset : t[1]];
  }
  function setTime(which, masterMs) {
    if (!selected) { return; }
    var e = entry("timing", selected, true);
    e[which] = Math.max(0, Math.round(masterMs - state.offset));
    dirty();
    showSelected();
  }
  function dirty() { $("ed-status").textContent = "unsaved changes"; }

  function select(id) {
    if (selected) { $(selected).classList.remove("selected"); }
    selected = id;
    $(id).classList.add("selected");
    var t = span(id);
    var fix = entry("text", id, false), zfix = entry("zh", id, false);
    $("ed-text").value = fix ? fix.to : $(id).textContent;
    $("ed-zh").value = zfix ? zfix.to : (data.zh[id] || "");
    peaks = null;
    api("api/peaks?start_ms=" + (t[0] - WAVE_MARGIN_MS) + "&end_ms=" + (t[1] + WAVE_MARGIN_MS)).then(function (r) {
      if (r.status === 200 && selected === id) { peaks = r.body; draw(); }
    });
    showSelected();
  }
  function showSelected() {
    if (!selected) { return; }
    var t = span(selected);
    $("ed-sentence").textContent = selected;
    $("ed-start").textContent = clock(t[0]);
    $("ed-start").setAttribute("data-ms", t[0]);
    $("ed-end").textContent = clock(t[1]);
    $("ed-end").setAttribute("data-ms", t[1]);
    draw();
  }
  function draw() {
    var c = $("wave"), g = c.getContext("2d"), w = c.width, h = c.height;
    g.clearRect(0, 0, w, h);
    if (!selected) { return; }
    var t = span(selected), from = times[selected][0] - WAVE_MARGIN_MS, to = times[selected][1] + WAVE_MARGIN_MS;
    var x = function (ms) { return (ms - from) / (to - from) * w; };
    g.fillStyle = "#e8f0fb";
    g.fillRect(x(t[0]), 0, x(t[1]) - x(t[0]), h);
    if (peaks) {
      g.strokeStyle = "#334";
      g.beginPath();
      peaks.peaks.forEach(function (p, i) {
        var px = x(peaks.start_ms + i * peaks.step_ms);
        g.moveTo(px, h / 2 - p * h / 2);
        g.lineTo(px, h / 2 + p * h / 2);
      });
      g.stroke();
    }
    [[t[0], "#080"], [t[1], "#c00"], [audio.currentTime * 1000, "#2b6cb0"]].forEach(function (m) {
      g.fillStyle = m[1];
      g.fillRect(x(m[0]) - 1, 0, 2, h);
    });
  }

  // ---- chapters: the whole list is written once any chapter is touched
  function chapters() {
    if (state.doc.chapters) { return state.doc.chapters; }
    return data.chapters.map(function (c, i) {
      var id = order[0];
      for (var k = 0; k < order.length; k++) { if (times[order[k]][0] >= c[1] - 1) { id = order[k]; break; } }
      var parts = String(c[0]).split(" · ");
      return {sentence: i === 0 ? order[0] : id, title: parts[0], title_zh: parts[1] || ""};
    });
  }
  function touchChapters() { state.doc.chapters = chapters(); dirty(); return state.doc.chapters; }
  function renderChapters() {
    var ol = $("ed-chapters");
    ol.textContent = "";
    chapters().forEach(function (c, i) {
      var li = document.createElement("li");
      li.className = "chapter";
      var at = document.createElement("span");
      at.textContent = c.sentence + " ";
      var en = document.createElement("input");
      en.className = "ch-title"; en.value = c.title; en.setAttribute("aria-label", "English title");
      en.addEventListener("change", function () { touchChapters()[i].title = en.value; });
      var zh = document.createElement("input");
      zh.className = "ch-title-zh"; zh.lang = "zh-Hans"; zh.value = c.title_zh || ""; zh.setAttribute("aria-label", "Chinese title");
      zh.addEventListener("change", function () { touchChapters()[i].title_zh = zh.value; });
      var move = document.createElement("button");
      move.type = "button"; move.textContent = "start here";
      move.addEventListener("click", function () { if (selected) { touchChapters()[i].sentence = selected; renderChapters(); } });
      var del = document.createElement("button");
      del.type = "button"; del.textContent = "remove";
      del.addEventListener("click", function () { touchChapters().splice(i, 1); renderChapters(); });
      li.append(at, en, " ", zh, " ", move, " ", del);
      ol.appendChild(li);
    });
  }
  function renderClips() {
    var ol = $("ed-clips");
    ol.textContent = "";
    section("clips").forEach(function (c, i) {
      var li = document.createElement("li");
      li.className = "clip";
      li.textContent = c.name + ": " + clock(c.start_ms + state.offset) + "–" + clock(c.end_ms + state.offset) + " ";
      var del = document.createElement("button");
      del.type = "button"; del.textContent = "remove";
      del.addEventListener("click", function () { section("clips").splice(i, 1); dirty(); renderClips(); });
      li.appendChild(del);
      ol.appendChild(li);
    });
  }
  function renderProblems() {
    var ul = $("ed-problems");
    ul.textContent = "";
    state.problems.forEach(function (p) { var li = document.createElement("li"); li.textContent = "⚠ " + p; ul.appendChild(li); });
  }
  function load(body) {
    state.version = body.version; state.offset = body.offset_ms; state.doc = body.document || {}; state.problems = body.problems || [];
    section("text").forEach(function (e) { var el = $(e.sentence); if (el) { el.textContent = e.to; el.classList.add("edited"); } });
    renderChapters(); renderClips(); renderProblems();
    if (selected) { select(selected); }
  }

  // ---- wiring
  editor.hidden = false;
  document.addEventListener("click", function (event) {
    var s = event.target.closest(".sentence");
    if (s) { select(s.id); }
  });
  document.addEventListener("keydown", function (event) {
    if (!selected || /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName)) { return; }
    var t = span(selected), steps = {"[": ["start_ms", 0, -1], "]": ["start_ms", 0, 1], "{": ["end_ms", 1, -1], "}": ["end_ms", 1, 1]}[event.key];
    if (!steps) { return; }
    event.preventDefault();
    setTime(steps[0], t[steps[1]] + steps[2] * NUDGE_MS);
  });
  $("ed-start-here").addEventListener("click", function () { setTime("start_ms", audio.currentTime * 1000); });
  $("ed-end-here").addEventListener("click", function () { setTime("end_ms", audio.currentTime * 1000); });
  $("ed-text").addEventListener("change", function () {
    if (!selected) { return; }
    var value = $("ed-text").value.trim(), el = $(selected);
    if (value) { entry("text", selected, true).to = value; el.textContent = value; el.classList.add("edited"); }
    dirty();
  });
  $("ed-zh").addEventListener("change", function () {
    if (selected && $("ed-zh").value.trim()) { entry("zh", selected, true).to = $("ed-zh").value.trim(); dirty(); }
  });
  ["prev", "next"].forEach(function (way) {
    $("ed-zh-" + way).addEventListener("click", function () {
      if (!selected) { return; }
      drop("pairing", selected);
      entry("pairing", selected, true).join = way === "prev" ? "previous" : "next";
      dirty();
    });
  });
  $("ed-chapter-add").addEventListener("click", function () {
    if (!selected) { return; }
    touchChapters().push({sentence: selected, title: $(selected).textContent.split(" ").slice(0, 6).join(" "), title_zh: ""});
    state.doc.chapters.sort(function (a, b) { return order.indexOf(a.sentence) - order.indexOf(b.sentence); });
    renderChapters();
  });
  $("clip-from-here").addEventListener("click", function () { $("clip-start").value = audio.currentTime.toFixed(1); });
  $("clip-add").addEventListener("click", function () {
    var from = Number($("clip-start").value) * 1000, to = Number($("clip-end").value) * 1000, name = $("clip-name").value.trim();
    if (!name || !(to > from)) { $("ed-status").textContent = "a clip needs a name and an end after its start"; return; }
    state.doc.clips = section("clips").filter(function (c) { return c.name !== name; });
    state.doc.clips.push({name: name, start_ms: Math.round(from - state.offset), end_ms: Math.round(to - state.offset)});
    dirty();
    renderClips();
  });
  $("ed-save").addEventListener("click", function () {
    $("ed-status").textContent = "saving…";
    api("api/corrections", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({version: state.version, document: state.doc})}).then(function (r) {
      if (r.status === 200) { load(r.body); $("ed-status").textContent = "Saved to corrections.toml"; }
      else { $("ed-status").textContent = "Not saved: " + r.body.error; }
    });
  });
  audio.addEventListener("timeupdate", draw);
  api("api/state").then(function (r) { if (r.status === 200) { load(r.body); $("ed-status").textContent = "loaded"; } });
})();
