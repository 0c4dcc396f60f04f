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
