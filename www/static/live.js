/* fossilpy live pages: keep /timeline, a forum thread and a ticket page up to date.
 *
 * Loaded as a 'self' file (<script src=".../live.js" defer>), no inline code,
 * no framework.  The script tag says what the page is:
 *   data-live="timeline" | "forum" | "ticket"
 *   data-top="/code"      the repository's URL prefix
 *   data-since="OBJID"    the newest event the page was made with
 *   data-froot="HASH"     (forum) the thread's first post
 *   data-ticket="HASH"    (ticket) the ticket's id
 * It listens to /events (Server-Sent Events, see www/doc/live.md).  When an
 * event concerns this page it fetches the page again and swaps in the part
 * that changed: the timeline table (new rows are marked for a few seconds),
 * the thread, the ticket.  A notice says when the connection is lost.
 */
(function () {
  "use strict";
  var me = document.currentScript;
  if (!me || !window.EventSource || !window.fetch || !window.DOMParser) { return; }
  var kind = me.getAttribute("data-live") || "";
  var top = me.getAttribute("data-top") || "";
  var since = me.getAttribute("data-since") || "";
  var froot = me.getAttribute("data-froot") || "";
  var ticket = me.getAttribute("data-ticket") || "";
  var notice = null;
  var lostTimer = null;
  var busy = false, again = false;

  function showNotice(text) {
    if (!notice) {
      notice = document.createElement("div");
      notice.className = "live-notice";
      notice.setAttribute("role", "status");
      notice.style.cssText = "position:fixed;right:1rem;bottom:1rem;z-index:10;padding:0.4rem 0.8rem;" +
        "border:1px solid #b58900;border-radius:4px;background:#fdf6e3;color:#6b4f00;font-size:0.9rem;" +
        "box-shadow:0 1px 4px rgba(0,0,0,0.2)";
      document.body.appendChild(notice);
    }
    notice.textContent = text;
    notice.hidden = false;
  }

  function hideNotice() {
    if (notice) { notice.hidden = true; }
  }

  function concerns(name, data) {
    if (kind === "timeline") { return name !== "chat"; }
    if (kind === "forum") { return name === "forum" && data.froot === froot; }
    if (kind === "ticket") { return name === "ticket" && data.ticket === ticket; }
    return false;
  }

  function rowKey(tr) {
    /* a row is its artifact: the /info link, else the (last) hash it shows */
    var link = tr.querySelector("a[href*='/info/']");
    if (link) { return link.getAttribute("href"); }
    var hashes = tr.textContent.match(/\b[0-9a-f]{10,64}\b/g);
    return hashes ? hashes[hashes.length - 1] : tr.innerHTML;
  }

  function swapOne(doc, sel) {
    var fresh = doc.querySelector(sel);
    var old = document.querySelector(sel);
    if (!fresh || !old) { return null; }
    old.replaceWith(fresh);
    return fresh;
  }

  function swap(doc) {
    if (kind !== "timeline" || !document.querySelector("table.timeline") || !doc.querySelector("table.timeline")) {
      var main = swapOne(doc, "main.content");
      if (main && kind !== "timeline") {
        main.classList.add("live-updated");
        window.setTimeout(function () { main.classList.remove("live-updated"); }, 3000);
      }
      return;
    }
    var seen = {};
    document.querySelectorAll("table.timeline tr.timeline-row").forEach(function (tr) { seen[rowKey(tr)] = true; });
    swapOne(doc, "h2.timeline-desc");
    var table = swapOne(doc, "table.timeline");
    table.querySelectorAll("tr.timeline-row").forEach(function (tr) {
      if (!seen[rowKey(tr)]) {
        tr.classList.add("live-new");
        tr.style.backgroundColor = "#fff3c4";
        window.setTimeout(function () {
          tr.classList.remove("live-new");
          tr.style.backgroundColor = "";
        }, 6000);
      }
    });
  }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    fetch(window.location.href, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (text) {
        if (text) { swap(new DOMParser().parseFromString(text, "text/html")); }
      })
      .catch(function () { /* the next event tries again */ })
      .then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
  }

  function onEvent(ev) {
    var data = {};
    if (ev.lastEventId) { since = ev.lastEventId; }
    try { data = JSON.parse(ev.data); } catch (e) { return; }
    document.dispatchEvent(new CustomEvent("fossilpy-live", {detail: {type: ev.type, data: data}}));
    if (concerns(ev.type, data)) { refresh(); }
  }

  function lost() {
    if (lostTimer) { return; }
    /* a CGI stream ends every few seconds and the browser reconnects: only
       a connection that stays down for a while is worth a word */
    lostTimer = window.setTimeout(function () {
      lostTimer = null;
      fetch(window.location.href, {method: "HEAD", credentials: "same-origin", cache: "no-store"})
        .then(function (r) { if (!r.ok) { showNotice("Live updates: connection lost, retrying\u2026"); } })
        .catch(function () { showNotice("Live updates: connection lost, retrying\u2026"); });
    }, 3000);
  }

  function connect() {
    var url = top + "/events" + (since ? "?since=" + encodeURIComponent(since) : "");
    var source = new EventSource(url);
    ["checkin", "wiki", "ticket", "forum", "technote", "tag", "chat"].forEach(function (name) {
      source.addEventListener(name, onEvent);
    });
    source.onopen = function () {
      if (lostTimer) { window.clearTimeout(lostTimer); lostTimer = null; }
      hideNotice();
    };
    source.onmessage = source.onopen;
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) {
        /* refused (503 when the server has too many streams): start over later */
        showNotice("Live updates paused; retrying\u2026");
        window.setTimeout(connect, 10000);
        return;
      }
      lost();
    };
  }

  connect();
})();
