/* The live elder code: counts down, fetches a fresh single-use code a few seconds before it
   expires, on a tap of 刷新, and as soon as the counter has used the code shown (polled). Plain
   ES5 so that older phone browsers run it; no libraries. */
(function () {
  "use strict";
  var box = document.getElementById("code");
  if (!box || !window.fetch) { return; }
  var img = document.getElementById("qr");
  var left = document.getElementById("left");
  var status = document.getElementById("code-status");
  var button = document.getElementById("refresh");
  var nonce = box.getAttribute("data-n");
  var now = function () { return new Date().getTime(); };
  var expiresAt = now() + 1000 * parseInt(box.getAttribute("data-expires-in"), 10);
  var refreshAt = now() + 1000 * parseInt(box.getAttribute("data-refresh-in"), 10);
  var busy = false;
  var retryAt = 0;

  function say(text, bad) {
    status.textContent = text;
    status.className = bad ? "status bad" : "status";
  }

  function show(data) {
    img.src = data.png;
    img.className = "qr";
    nonce = data.n;
    box.setAttribute("data-n", data.n);
    expiresAt = now() + 1000 * data.expires_in;
    refreshAt = now() + 1000 * data.refresh_in;
    tick();
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401 || response.status === 404) {
          window.location.href = box.getAttribute("data-login-url");
          throw new Error("login");
        }
        if (!response.ok) { throw new Error("http " + response.status); }
        return response.json();
      });
  }

  function refresh(message) {
    if (busy) { return; }
    busy = true;
    getJson(box.getAttribute("data-code-url")).then(function (data) {
      show(data);
      say(message || "", false);
    }).catch(function () {
      retryAt = now() + 5000;
      say("网络不畅，正在重试……", true);
    }).then(function () { busy = false; });
  }

  function tick() {
    var seconds = Math.max(0, Math.ceil((expiresAt - now()) / 1000));
    left.textContent = String(seconds);
    if (seconds === 0) { img.className = "qr stale"; }
    if (!busy && now() >= refreshAt && now() >= retryAt && document.visibilityState !== "hidden") { refresh(); }
  }

  function poll() {
    if (busy || document.visibilityState === "hidden") { return; }
    var url = box.getAttribute("data-status-url") + "?n=" + encodeURIComponent(nonce);
    getJson(url).then(function (data) {
      if (data.used) { refresh("已在" + (data.canteen || "助餐点") + "使用，已为您换新码"); }
    }).catch(function () { /* the countdown keeps refreshing */ });
  }

  button.addEventListener("click", function () { refresh("已刷新"); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && now() >= refreshAt) { refresh(); }
  });
  window.setInterval(tick, 1000);
  window.setInterval(poll, 4000);
})();
