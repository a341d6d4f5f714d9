// Live refresh: with the "Live" box ticked, the page's main content is
// fetched again every 5 seconds and swapped in place. The choice is kept
// per page for the browser tab.
(function () {
  "use strict";
  var box = document.getElementById("live");
  if (!box) return;
  var state = document.getElementById("live-state");
  var key = "kycgate-live:" + location.pathname;
  var timer = null;

  function refresh() {
    state.textContent = "updating…";
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) {
        if (r.redirected && r.url.indexOf("/login") >= 0) throw new Error("session ended: reload to log in");
        if (!r.ok) throw new Error("the server answered " + r.status);
        return r.text();
      })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("main");
        var main = document.getElementById("main");
        if (fresh && main) {
          var checked = box.checked;
          main.replaceWith(fresh);
          box = document.getElementById("live");
          state = document.getElementById("live-state");
          box.checked = checked;
          box.addEventListener("change", toggle);
        }
        state.textContent = "updated " + new Date().toLocaleTimeString();
      })
      .catch(function (e) { state.textContent = "refresh failed (" + e.message + "); retrying"; })
      .finally(function () { if (box.checked) timer = setTimeout(refresh, 5000); });
  }

  function toggle() {
    clearTimeout(timer);
    sessionStorage.setItem(key, box.checked ? "1" : "");
    if (box.checked) refresh(); else state.textContent = "";
  }

  box.addEventListener("change", toggle);
  if (sessionStorage.getItem(key)) { box.checked = true; refresh(); }
})();
