/* notices: shows the emergency banner on any page that includes this script once:
 *   <script src="https://example.fi/notices/notices.js" defer></script>
 * It reads status.json beside itself, never cached, every 30 seconds. When the file says a
 * mode is active it shows the notice in the page's language (<html lang>, falling back to
 * Finnish); when the file is gone or says otherwise it removes the banner. If the file
 * cannot be fetched, the page is left as it is: the script never breaks a page. */
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script && script.src ? script.src.replace(/[^\/]*(\?.*)?$/, "") : "";
  var every = Number((script && script.getAttribute("data-interval")) || 30) * 1000;
  var ID = "notices-banner";

  function pick(doc) {
    var want = (document.documentElement.lang || "fi").slice(0, 2).toLowerCase();
    var langs = doc.languages || Object.keys(doc.html || {});
    if (doc.html && doc.html[want]) return want;
    if (doc.html && doc.html.fi) return "fi";
    return langs[0];
  }

  function remove() {
    var old = document.getElementById(ID);
    if (old) old.parentNode.removeChild(old);
  }

  function show(doc) {
    var lang = pick(doc);
    var key = "notices-dismissed:" + doc.mode + ":" + doc.started;
    try { if (window.sessionStorage.getItem(key)) { remove(); return; } } catch (e) {}
    var box = document.getElementById(ID);
    var stamp = doc.mode + "|" + doc.started + "|" + lang + "|" + doc.html[lang];
    if (box && box.getAttribute("data-stamp") === stamp) return;
    if (!box) {
      box = document.createElement("div");
      box.id = ID;
      box.setAttribute("role", "alert");
      box.style.cssText = "position:relative;z-index:2147483647;box-sizing:border-box;width:100%;" +
        "padding:0.75rem 3rem 0.75rem 1rem;background:#b00020;color:#fff;font:16px/1.45 system-ui,sans-serif;";
      document.body.insertBefore(box, document.body.firstChild);
    }
    box.setAttribute("data-stamp", stamp);
    box.setAttribute("data-mode", doc.mode);
    box.setAttribute("lang", lang);
    var title = (doc.title && doc.title[lang]) || "";
    box.innerHTML = (title ? "<strong>" + escapeHtml(title) + "</strong><br>" : "") + doc.html[lang];
    var links = box.getElementsByTagName("a");
    for (var i = 0; i < links.length; i++) { links[i].style.color = "#fff"; }
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "\u00d7";
    close.setAttribute("aria-label", { fi: "Sulje ilmoitus", sv: "St\u00e4ng meddelandet" }[lang] || "Close notice");
    close.style.cssText = "position:absolute;top:0.5rem;right:0.75rem;background:transparent;border:2px solid #fff;" +
      "color:#fff;font-size:1.25rem;line-height:1;padding:0.1rem 0.5rem;cursor:pointer;";
    close.onclick = function () {
      try { window.sessionStorage.setItem(key, "1"); } catch (e) {}
      remove();
    };
    box.appendChild(close);
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }

  // Safety net: once `expires` (the expected return) has passed, the banner hides itself,
  // even if no resume ran and status.json still says active.
  function expired(doc) {
    var at = doc.expires ? Date.parse(doc.expires) : NaN;
    return !isNaN(at) && at <= Date.now();
  }

  function check() {
    if (!window.fetch) return;
    fetch(base + "status.json?t=" + Date.now(), { cache: "no-store" })
      .then(function (r) {
        if (r.status === 404) return null;
        if (!r.ok) throw new Error("status " + r.status);
        return r.json();
      })
      .then(function (doc) {
        if (doc && doc.active && doc.html && !expired(doc)) show(doc); else remove();
      })
      .catch(function () { /* unreachable: leave the page as it is */ });
  }

  function start() { check(); setInterval(check, every); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
