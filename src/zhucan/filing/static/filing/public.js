// "Near me": the browser's own location, sent only to this platform as ?lat=&lon= (which sorts the
// list by distance). No map service. Without geolocation the button stays hidden.
(function () {
  var button = document.querySelector("[data-near]");
  var status = document.querySelector("[data-near-status]");
  if (!button || !("geolocation" in navigator)) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    status.textContent = button.getAttribute("data-wait") || "…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      var params = new URLSearchParams(location.search);
      params.set("lat", pos.coords.latitude.toFixed(5));
      params.set("lon", pos.coords.longitude.toFixed(5));
      params.delete("q");
      location.search = params.toString();
    }, function () {
      status.textContent = button.getAttribute("data-denied");
      status.classList.add("bad");
    }, {enableHighAccuracy: false, timeout: 15000, maximumAge: 300000});
  });
})();
