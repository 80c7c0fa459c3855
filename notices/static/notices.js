/* notices: shows the emergency banner on any page that includes this script once:
 *   <script src="https://example.fi/notices/notices.js" defer></script>
 * It reads status.json beside itself, never cached, every 30 seconds (data-interval="N" on
 * the script tag changes that) and whenever the page comes back into view.
 * - An active status shows the notice in the page's language (<html lang>, falling back to
 *   Finnish); an inactive or missing one hides it.
 * - When the status cannot be read (network, CORS, a server error, not JSON), the last state
 *   read stands only until its own `expires`; then the banner hides itself.
 * - It never breaks a page and never writes to the console.
 * The banner is a role="alert" region at the top of the page, in the normal flow (it pushes
 * content down, never covers it), white on dark red (contrast 7.3:1). On a narrow screen it
 * shows the title, one line of the text and the expected return, with "Read more" opening the
 * rest in place. While it is scrolled out of view, a one-line compact notice stays at the
 * bottom edge, with a link back to it; space is kept at the page's end so that it covers
 * none of the site's controls. Both sit at the highest z-index, above cookie dimmers. The
 * close buttons (or Escape) hide both for the rest of the browser session. */
(function () {
  "use strict";
  if (window.__noticesBanner) return; // the snippet was pasted twice
  window.__noticesBanner = true;

  var script = document.currentScript;
  var base = script && script.src ? script.src.replace(/[^\/]*([?#].*)?$/, "") : "";
  var every = Number(script && script.getAttribute("data-interval"));
  if (!(every >= 1)) every = 30;
  var ID = "notices-banner";
  var MINI = "notices-compact";
  var SPACER = "notices-spacer";
  var WORDS = {
    close: { fi: "Sulje ilmoitus", sv: "St\u00e4ng meddelandet", en: "Close notice" },
    more: { fi: "Lue lis\u00e4\u00e4", sv: "L\u00e4s mer", en: "Read more" },
    less: { fi: "N\u00e4yt\u00e4 v\u00e4hemm\u00e4n", sv: "Visa mindre", en: "Show less" },
    back: { fi: "Arvioitu paluu", sv: "Ber\u00e4knad \u00e5terkomst", en: "Expected back" }
  };
  var last = null; // the last status read: it stands, when a check fails, until its expires
  var watcher = null;

  function word(name, lang) { return WORDS[name][lang] || WORDS[name].en; }

  // Whether `doc` asks for a banner now. Safety net: once `expires` (the expected return)
  // has passed, the banner hides itself, even if no resume ran.
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

  function drop(id) {
    var old = document.getElementById(id);
    if (old && old.parentNode) old.parentNode.removeChild(old);
  }

  function remove() {
    if (watcher) { watcher.disconnect(); watcher = null; }
    drop(ID); drop(MINI); drop(SPACER);
  }

  function addStyle() {
    if (document.getElementById(ID + "-style")) return;
    var css = document.createElement("style");
    css.id = ID + "-style";
    var B = "#" + ID, M = "#" + MINI, both = B + "," + M;
    // !important and id selectors: a site's own CSS (even a reset of every element) must not
    // make the text unreadable. z-index 2147483647, the highest: above a consent tool's
    // dimmer (2147483646), wherever it is in the page.
    css.textContent =
      both + "{z-index:2147483647!important;display:block!important;box-sizing:border-box!important;" +
      "width:100%!important;margin:0!important;background:#b00020!important;color:#fff!important;" +
      "font:16px/1.45 system-ui,sans-serif!important;text-align:left!important;}" +
      B + "{position:relative!important;padding:0.75rem 3.5rem 0.75rem 1rem!important;" +
      "border-bottom:3px solid #fff!important;}" +
      M + "{position:fixed!important;left:0!important;right:0!important;bottom:0!important;" +
      "padding:0.5rem 3.5rem 0.5rem 1rem!important;border-top:3px solid #fff!important;" +
      "white-space:nowrap!important;overflow:hidden!important;text-overflow:ellipsis!important;}" +
      M + "[hidden]{display:none!important;}" +
      "#" + SPACER + "{display:block!important;height:3.5rem!important;}" +
      both.replace(",", " *,") + " *{color:#fff!important;background:transparent!important;" +
      "font:inherit!important;box-sizing:border-box!important;}" +
      B + " strong{display:block!important;font-weight:bold!important;}" +
      B + " p{display:block!important;margin:0.25rem 0!important;}" +
      both.replace(",", " a,") + " a{text-decoration:underline!important;cursor:pointer!important;}" +
      M + " a{font-weight:bold!important;}" +
      B + " .notices-back{display:none!important;}" +
      B + " .notices-more{display:none!important;margin:0.25rem 0 0!important;padding:0.15rem 0.5rem!important;" +
      "border:2px solid #fff!important;border-radius:4px!important;cursor:pointer!important;}" +
      B + " .notices-close," + M + " .notices-close{position:absolute!important;top:0.5rem!important;" +
      "right:0.75rem!important;margin:0!important;cursor:pointer!important;border:2px solid #fff!important;" +
      "border-radius:4px!important;font:bold 1.25rem/1 system-ui,sans-serif!important;" +
      "padding:0.2rem 0.55rem!important;min-width:2.2rem!important;min-height:2.2rem!important;}" +
      M + " .notices-close{top:0.2rem!important;}" +
      both.replace(",", " :focus-visible,") + " :focus-visible{outline:3px solid #ffd54f!important;outline-offset:2px!important;}" +
      // A narrow screen: the title, one line of the text and the return; the rest on demand.
      "@media (max-width:600px){" +
      B + "{padding:0.5rem 3.25rem 0.5rem 0.75rem!important;line-height:1.35!important;}" +
      B + ":not(.notices-open) .notices-text{display:-webkit-box!important;-webkit-box-orient:vertical!important;" +
      "-webkit-line-clamp:1!important;overflow:hidden!important;}" +
      B + ":not(.notices-open) .notices-text p{display:inline!important;margin:0!important;}" +
      B + ":not(.notices-open) .notices-back{display:block!important;}" +
      B + " .notices-more{display:inline-block!important;}}";
    (document.head || document.documentElement).appendChild(css);
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }

  function returnTime(doc, lang) {
    var at = typeof doc.expected_return === "string" ? new Date(doc.expected_return) : null;
    if (!at || isNaN(at.getTime())) return "";
    // The time promised to customers, as the notice's text says it: rounded up to the next
    // five minutes (notices.render.promised); the expiry keeps the exact time.
    var step = 5 * 60 * 1000;
    at = new Date(Math.ceil(at.getTime() / step) * step);
    var how = { weekday: "short", day: "numeric", month: "numeric", hour: "2-digit", minute: "2-digit" };
    // In the notice's own time zone, as its text says it; else the visitor's.
    if (typeof doc.timezone === "string") how.timeZone = doc.timezone;
    try { return at.toLocaleString(lang, how); } catch (e) { /* unknown zone: the visitor's */ }
    try { delete how.timeZone; return at.toLocaleString(lang, how); } catch (e) { return ""; }
  }

  function closeButton(lang, dismiss) {
    var close = document.createElement("button");
    close.type = "button";
    close.className = "notices-close";
    close.textContent = "\u00d7";
    close.setAttribute("aria-label", word("close", lang));
    close.onclick = dismiss;
    return close;
  }

  function onEscape(node, dismiss) {
    node.onkeydown = function (event) {
      if (event.key === "Escape" || event.key === "Esc") dismiss();
    };
  }

  // The full banner, at the top of the page: announced once (role="alert").
  function fill(box, doc, lang, title, dismiss) {
    var back = returnTime(doc, lang);
    box.className = "";
    box.innerHTML = (title ? "<strong>" + escapeHtml(title) + "</strong>" : "") +
      '<div class="notices-text">' + doc.html[lang] + "</div>" +
      (back ? '<p class="notices-back">' + escapeHtml(word("back", lang) + ": " + back) + "</p>" : "");
    var more = document.createElement("button");
    more.type = "button";
    more.className = "notices-more";
    more.setAttribute("aria-expanded", "false");
    more.textContent = word("more", lang);
    more.onclick = function () {
      var open = box.className !== "notices-open";
      box.className = open ? "notices-open" : "";
      more.setAttribute("aria-expanded", open ? "true" : "false");
      more.textContent = word(open ? "less" : "more", lang);
    };
    box.appendChild(more);
    box.appendChild(closeButton(lang, dismiss));
    onEscape(box, dismiss);
  }

  // The compact notice, at the bottom edge while the banner is out of view: not a live
  // region (the banner was announced already), a link back to the banner, and a close button.
  function compact(box, lang, title, dismiss) {
    drop(MINI); drop(SPACER);
    var mini = document.createElement("div");
    mini.id = MINI;
    mini.setAttribute("lang", lang);
    mini.hidden = true;
    var link = document.createElement("a");
    link.href = "#" + ID;
    link.textContent = title || word("more", lang);
    link.onclick = function (event) {
      event.preventDefault();
      box.setAttribute("tabindex", "-1");
      box.scrollIntoView({ block: "start" });
      box.focus({ preventScroll: true });
    };
    mini.appendChild(link);
    mini.appendChild(closeButton(lang, dismiss));
    onEscape(mini, dismiss);
    var spacer = document.createElement("div");
    spacer.id = SPACER;
    spacer.setAttribute("aria-hidden", "true");
    document.body.appendChild(spacer);
    document.body.appendChild(mini);
    if (watcher) watcher.disconnect();
    watcher = null;
    if (!window.IntersectionObserver) return;
    watcher = new IntersectionObserver(function (entries) {
      mini.hidden = entries[entries.length - 1].isIntersecting;
    });
    watcher.observe(box);
  }

  function show(doc) {
    var lang = pick(doc);
    if (!lang || !document.body) { remove(); return; }
    var key = "notices-dismissed:" + doc.mode + ":" + doc.started;
    try { if (window.sessionStorage.getItem(key)) { remove(); return; } } catch (e) { /* private mode */ }
    var title = (doc.title && typeof doc.title[lang] === "string") ? doc.title[lang] : "";
    var stamp = [doc.mode, doc.started, doc.expected_return, lang, title, doc.html[lang]].join("|");
    var box = document.getElementById(ID);
    if (box && box.getAttribute("data-stamp") === stamp) return;
    addStyle();
    function dismiss() {
      try { window.sessionStorage.setItem(key, "1"); } catch (e) { /* private mode */ }
      remove();
    }
    if (!box) {
      box = document.createElement("div");
      box.id = ID;
      box.setAttribute("role", "alert");
      document.body.insertBefore(box, document.body.firstChild);
    }
    box.setAttribute("data-stamp", stamp);
    box.setAttribute("data-mode", String(doc.mode));
    box.setAttribute("lang", lang);
    fill(box, doc, lang, title, dismiss);
    compact(box, lang, title, dismiss);
  }

  function update(doc) {
    try {
      if (isActive(doc)) show(doc); else remove();
    } catch (e) { /* an unexpected status.json: leave the page as it is */ }
  }

  function read(doc) {
    last = doc;
    update(doc);
  }

  function check() {
    try {
      if (!window.fetch) return;
      fetch(base + "status.json?t=" + Date.now(), { cache: "no-store", credentials: "omit" })
        .then(function (r) {
          // Gone (a bucket says 403 for a missing object): no notice.
          if (r.status === 404 || r.status === 403 || r.status === 410) return null;
          if (!r.ok) throw new Error("status " + r.status);
          return r.json();
        })
        .then(read)
        // Unreadable: the last state stands, until its own expires.
        .catch(function () { if (last) update(last); });
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
