/* Zhucan video player: the relay's HLS through hls.js (vendored), with the signed token swapped into
   every playlist and segment request as the heartbeat renews it; reconnects by itself. The console
   player beats every 20 s (the viewing session's end is its last beat) and ends on leaving; the kiosk
   refreshes its tokens and restarts a picture that stopped. */
(function () {
  "use strict";

  function withToken(url, token) {
    return /[?&]t=/.test(url) ? url.replace(/([?&]t=)[^&]*/, "$1" + encodeURIComponent(token))
                              : url + (url.indexOf("?") < 0 ? "?" : "&") + "t=" + encodeURIComponent(token);
  }

  function show(statusEl, text) {
    if (!statusEl) return;
    statusEl.textContent = text || "";
    statusEl.hidden = !text;
  }

  /* holder: {src, token}; the token may change while playing. */
  function attach(video, holder, statusEl) {
    var hls = null, retry = null, lastTime = -1, stuck = 0;
    function start() {
      clearTimeout(retry);
      if (hls) { hls.destroy(); hls = null; }
      if (window.Hls && window.Hls.isSupported()) {
        var policy = {default: {maxTimeToFirstByteMs: 10000, maxLoadTimeMs: 20000,
          timeoutRetry: {maxNumRetry: 2, retryDelayMs: 0, maxRetryDelayMs: 0},
          errorRetry: {maxNumRetry: 20, retryDelayMs: 1000, maxRetryDelayMs: 3000}}};
        hls = new window.Hls({
          liveSyncDurationCount: 2, manifestLoadPolicy: policy, playlistLoadPolicy: policy,
          xhrSetup: function (xhr, url) { xhr.open("GET", withToken(url, holder.token), true); }
        });
        hls.on(window.Hls.Events.ERROR, function (event, data) {
          if (data.fatal) {
            show(statusEl, "视频中断，正在重新连接…");
            hls.destroy(); hls = null;
            retry = setTimeout(start, 3000);
          }
        });
        hls.loadSource(withToken(holder.src, holder.token));
        hls.attachMedia(video);
      } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
        video.src = withToken(holder.src, holder.token);
      } else {
        show(statusEl, "当前浏览器无法播放视频");
        return;
      }
      var played = video.play();
      if (played && played.catch) played.catch(function () {});
    }
    video.addEventListener("playing", function () { show(statusEl, ""); });
    /* A picture frozen for 15 s is restarted (the relay or the camera came back). */
    setInterval(function () {
      if (video.paused && !video.autoplay) return;
      if (video.currentTime === lastTime) { stuck += 5; } else { stuck = 0; lastTime = video.currentTime; }
      if (stuck >= 15) { stuck = 0; show(statusEl, "视频中断，正在重新连接…"); start(); }
    }, 5000);
    start();
    return {restart: start, stop: function () { clearTimeout(retry); if (hls) hls.destroy(); }};
  }

  function consolePlayer(box) {
    var video = box.querySelector("video"), statusEl = box.querySelector(".status");
    var holder = {src: box.dataset.src, token: box.dataset.token}, ended = false;
    var player = attach(video, holder, statusEl);
    function post(url, body) {
      return fetch(url, {method: "POST", credentials: "same-origin", body: body,
                         headers: {"X-CSRFToken": box.dataset.csrf, "Accept": "application/json"}});
    }
    var beat = setInterval(function () {
      post(box.dataset.beat).then(function (r) {
        if (!r.ok) { return r.json().then(function (e) { throw e; }); }
        return r.json();
      }).then(function (answer) {
        holder.token = answer.token;
        if (answer.problem) show(statusEl, answer.problem);
      }).catch(function (e) {
        if (e && e.message) { clearInterval(beat); player.stop(); show(statusEl, e.message); }
      });
    }, 20000);
    window.addEventListener("pagehide", function () {
      if (ended) return;
      ended = true;
      var data = new FormData();
      data.append("csrfmiddlewaretoken", box.dataset.csrf);
      data.append("beacon", "1");
      navigator.sendBeacon(box.dataset.end, data);
    });
  }

  function kiosk(body) {
    var cells = Array.prototype.slice.call(document.querySelectorAll(".cell")), holders = {};
    cells.forEach(function (cell) {
      holders[cell.dataset.channel] = {src: cell.dataset.src, token: cell.dataset.token};
      attach(cell.querySelector("video"), holders[cell.dataset.channel], cell.querySelector(".status"));
    });
    var clock = document.getElementById("clock");
    var fmt = new Intl.DateTimeFormat("zh-CN", {timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit",
      day: "2-digit", weekday: "long", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false});
    function tick() { if (clock) clock.textContent = fmt.format(new Date()); }
    tick(); setInterval(tick, 1000);
    setInterval(function () {
      fetch(body.dataset.streams, {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (a) {
        var ids = a.streams.map(function (s) { return String(s.channel); }).sort().join(",");
        if (ids !== Object.keys(holders).sort().join(",")) { window.location.reload(); return; }
        a.streams.forEach(function (s) { holders[String(s.channel)].token = s.token; });
      }).catch(function () {});
    }, 60000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("player");
    if (box) consolePlayer(box);
    if (document.body.classList.contains("kiosk")) kiosk(document.body);
  });
})();
