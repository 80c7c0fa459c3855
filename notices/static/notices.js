/* notices: shows the emergency banner on any page that includes this script once:
 *   <script src="https://example.fi/notices/notices.js" defer></script>
 * It reads status.json beside itself, never cached, every 30 seconds (data-interval="N" on
 * the script tag changes that) and whenever the page comes back into view. While the file
 * says a mode is active it shows the notice in the page's language (<html lang>, falling
 * back to Finnish); when the file is gone it removes the banner. When the file cannot be
 * fetched or is not what we expect, the page is left as it is: this script never breaks a
 * page. The banner is a role="alert" region at the top of the page, in the normal flow (it
 * pushes content down, never covers it), white on dark red (contrast 7.3:1), and its close
 * button (or Escape) hides it for the rest of the browser session. */
(function () {
  "use strict";
  if (window.__noticesBanner) return; // the snippet was pasted twice
  window.__noticesBanner = true;

  var script = document.currentScript;
  var base = script && script.src ? script.src.replace(/[^\/]*([?#].*)?$/, "") : "";
  var every = Number(script && script.getAttribute("data-interval"));
  if (!(every >= 1)) every = 30;
  var ID = "notices-banner";
  var CLOSE = { fi: "Sulje ilmoitus", sv: "St\u00e4ng meddelandet", en: "Close notice" };

  // Whether status.json asks for a banner now. Safety net: once `expires` (the expected
  // return) has passed, the banner hides itself, even if no resume ran.
  function isActive(doc) {
    return !!doc && typeof doc === "object" && doc.active === true &&
      !!doc.html && typeof doc.html === "object" && !expired(doc);
  }

  function expired(doc) {
    var at = typeof doc.expires === "string" ? Date.parse(doc.expires) : NaN;
    return !isNaN(at) && at <= Date.now();
  }

  function pick(doc) {
    var want = (document.documentElement.lang || "fi").slice(0, 2).toLowerCase();
    var order = [want, "fi"].concat(Array.isArray(doc.languages) ? doc.languages : [], Object.keys(doc.html));
    for (var i = 0; i < order.length; i++) {
      if (typeof doc.html[order[i]] === "string") return order[i];
    }
    return null;
  }

  function remove() {
    var old = document.getElementById(ID);
    if (old && old.parentNode) old.parentNode.removeChild(old);
  }

  function addStyle() {
    if (document.getElementById(ID + "-style")) return;
    var css = document.createElement("style");
    css.id = ID + "-style";
    // !important and an id selector: a site's own CSS must not make the text unreadable.
    css.textContent =
      "#" + ID + "{position:relative!important;z-index:2147483646;display:block!important;" +
      "box-sizing:border-box;width:100%;margin:0;padding:0.75rem 3.5rem 0.75rem 1rem;" +
      "background:#b00020!important;color:#fff!important;font:16px/1.45 system-ui,sans-serif;" +
      "text-align:left;border-bottom:3px solid #fff;}" +
      "#" + ID + " *{color:#fff!important;background:transparent!important;}" +
      "#" + ID + " p{margin:0.25rem 0;}" +
      "#" + ID + " a{text-decoration:underline!important;}" +
      "#" + ID + " button{position:absolute;top:0.5rem;right:0.75rem;margin:0;cursor:pointer;" +
      "border:2px solid #fff!important;border-radius:4px;font:bold 1.25rem/1 system-ui,sans-serif;" +
      "padding:0.2rem 0.55rem;min-width:2.2rem;min-height:2.2rem;}" +
      "#" + ID + " :focus-visible{outline:3px solid #ffd54f!important;outline-offset:2px;}";
    (document.head || document.documentElement).appendChild(css);
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }

  function show(doc) {
    var lang = pick(doc);
    if (!lang || !document.body) { remove(); return; }
    var key = "notices-dismissed:" + doc.mode + ":" + doc.started;
    try { if (window.sessionStorage.getItem(key)) { remove(); return; } } catch (e) { /* private mode */ }
    var title = (doc.title && typeof doc.title[lang] === "string") ? doc.title[lang] : "";
    var stamp = doc.mode + "|" + doc.started + "|" + lang + "|" + title + "|" + doc.html[lang];
    var box = document.getElementById(ID);
    if (box && box.getAttribute("data-stamp") === stamp) return;
    addStyle();
    if (!box) {
      box = document.createElement("div");
      box.id = ID;
      box.setAttribute("role", "alert");
      document.body.insertBefore(box, document.body.firstChild);
    }
    box.setAttribute("data-stamp", stamp);
    box.setAttribute("data-mode", String(doc.mode));
    box.setAttribute("lang", lang);
    box.innerHTML = (title ? "<strong>" + escapeHtml(title) + "</strong>" : "") + doc.html[lang];
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "\u00d7";
    close.setAttribute("aria-label", CLOSE[lang] || CLOSE.en);
    function dismiss() {
      try { window.sessionStorage.setItem(key, "1"); } catch (e) { /* private mode */ }
      remove();
    }
    close.onclick = dismiss;
    box.onkeydown = function (event) {
      if (event.key === "Escape" || event.key === "Esc") dismiss();
    };
    box.appendChild(close);
  }

  function update(doc) {
    try {
      if (isActive(doc)) show(doc); else remove();
    } catch (e) { /* an unexpected status.json: leave the page as it is */ }
  }

  function check() {
    try {
      if (!window.fetch) return;
      fetch(base + "status.json?t=" + Date.now(), { cache: "no-store", credentials: "omit" })
        .then(function (r) {
          // Gone (a bucket says 403 for a missing object): no notice. Other errors: keep as is.
          if (r.status === 404 || r.status === 403 || r.status === 410) return null;
          if (!r.ok) throw new Error("status " + r.status);
          return r.json();
        })
        .then(update)
        .catch(function () { /* unreachable or not JSON: leave the page as it is */ });
    } catch (e) { /* never break the page */ }
  }

  function start() {
    check();
    setInterval(check, every * 1000);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") check();
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
