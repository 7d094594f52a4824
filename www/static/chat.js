/* fossilpy /chat client (served as /chat.js; no inline script, no framework).
 *
 * Reads its settings from the data- attributes of #chat.  Loads the newest
 * messages with /chat-poll?before=...&n=..., then listens for new ones on
 * the /events Server-Sent Events stream ("chat" events whose data is one
 * /chat-poll message object).  When EventSource is missing or the stream
 * fails, it falls back to Fossil's long poll (/chat-poll/N), and keeps
 * polling for as long as the page is open.  Message HTML (xmsg) is made safe
 * by the server; the page's Content-Security-Policy forbids inline script.
 */
(function () {
  "use strict";
  var root = document.getElementById("chat");
  if (!root) return;
  var top = root.getAttribute("data-top") || "";
  var csrf = root.getAttribute("data-csrf") || "";
  var me = root.getAttribute("data-me") || "";
  var admin = root.getAttribute("data-admin") === "1";
  var initSize = parseInt(root.getAttribute("data-init-size") || "50", 10);
  var imagesInline = root.getAttribute("data-images-inline") === "1";
  var list = document.getElementById("chat-messages");
  var empty = document.getElementById("chat-empty");
  var form = document.getElementById("chat-input-area");
  var input = document.getElementById("chat-input-field");
  var fileInput = document.getElementById("chat-input-file");
  var fileName = document.getElementById("chat-file-name");
  var submit = document.getElementById("chat-button-submit");
  var statusEl = document.getElementById("chat-status");
  var errorEl = document.getElementById("chat-error");
  var older = document.getElementById("chat-older");
  var baseTitle = document.title;
  var unread = 0;           /* messages that arrived while the page was hidden */
  var firstId = 0;          /* lowest msgid loaded (for "Load older messages") */
  var lastId = 0;           /* highest msgid seen, deletion rows included */
  var nodes = {};           /* msgid -> element */
  var mode = "";            /* "events" or "poll" */
  var stopped = false;

  function setStatus(cls, text) {
    statusEl.className = cls;
    statusEl.textContent = text;
  }

  function showError(text) {
    errorEl.textContent = text || "";
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function localStamp(d) {
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) +
      "T" + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }

  function when(m) {
    var d = new Date(m.mtime);
    if (isNaN(d.getTime())) return m.mtime || "";
    var today = new Date();
    var t = pad(d.getHours()) + ":" + pad(d.getMinutes());
    if (d.toDateString() === today.toDateString()) return t;
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " + t;
  }

  function updateEmpty() {
    empty.style.display = list.firstChild ? "none" : "";
  }

  function removeMessage(id) {
    var n = nodes[id];
    if (n) {
      n.parentNode.removeChild(n);
      delete nodes[id];
    }
    updateEmpty();
  }

  function deleteMessage(id) {
    if (!window.confirm("Delete this message?")) return;
    var body = new FormData();
    body.append("csrf", csrf);
    fetch(top + "/chat-delete/" + id, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) throw new Error("delete failed: HTTP " + r.status);
        removeMessage(id);
      })
      .catch(function (e) { showError(String(e.message || e)); });
  }

  function build(m) {
    var mine = m.xfrom === me;
    var el = document.createElement("div");
    el.className = "chat-msg" + (mine ? " mine" : "");
    el.setAttribute("data-msgid", String(m.msgid));
    var head = document.createElement("div");
    head.className = "chat-head";
    var from = document.createElement("span");
    from.className = "chat-from";
    from.textContent = m.xfrom === null || m.xfrom === undefined ? "(unknown)" : m.xfrom;
    var time = document.createElement("span");
    time.className = "chat-time";
    time.textContent = when(m);
    time.title = m.mtime + (m.lmtime ? " (sender's time " + m.lmtime + ")" : "");
    head.appendChild(from);
    head.appendChild(time);
    if (mine || admin) {
      var del = document.createElement("button");
      del.type = "button";
      del.className = "chat-delete";
      del.title = "Delete this message";
      del.textContent = "\u00d7";
      del.addEventListener("click", function () { deleteMessage(m.msgid); });
      head.appendChild(del);
    }
    var body = document.createElement("div");
    body.className = "chat-body";
    if (m.uclr) body.style.backgroundColor = m.uclr;
    if (m.xmsg) {
      var content = document.createElement("div");
      content.className = "chat-text";
      content.innerHTML = m.xmsg;   /* sanitized HTML from the server */
      body.appendChild(content);
    }
    if (m.fsize > 0) {
      var url = top + "/chat-download/" + m.msgid + "/" + encodeURIComponent(m.fname || "file");
      var file = document.createElement("div");
      file.className = "chat-file";
      var a = document.createElement("a");
      a.href = url;
      a.setAttribute("download", m.fname || "file");
      a.textContent = (m.fname || "file") + " (" + m.fsize + " bytes)";
      file.appendChild(a);
      if (imagesInline && /^image\/(png|jpeg|gif|webp|bmp)$/.test(m.fmime || "")) {
        var img = document.createElement("img");
        img.src = url;
        img.alt = m.fname || "image";
        file.appendChild(img);
      }
      body.appendChild(file);
    }
    el.appendChild(head);
    el.appendChild(body);
    return el;
  }

  /* Show message m; newest first, so a message goes before every older one. */
  function handle(m) {
    if (m && m.isError) {
      showError(m.xmsg ? m.xmsg.replace(/<[^>]*>/g, "") : "error");
      stopped = true;
      setStatus("down", "stopped");
      return;
    }
    if (!m || typeof m.msgid !== "number") return;
    if (m.msgid > lastId) lastId = m.msgid;
    if (!firstId || m.msgid < firstId) firstId = m.msgid;
    if (m.mdel) {
      removeMessage(m.mdel);
      return;
    }
    if (nodes[m.msgid] || (!m.xmsg && !(m.fsize > 0))) return;
    var el = build(m);
    nodes[m.msgid] = el;
    var before = null;
    for (var c = list.firstChild; c; c = c.nextSibling) {
      if (parseInt(c.getAttribute("data-msgid"), 10) < m.msgid) { before = c; break; }
    }
    list.insertBefore(el, before);
    updateEmpty();
    if (document.hidden && !before) {
      unread++;
      document.title = "(" + unread + ") " + baseTitle;
    }
  }

  function handleAll(data) {
    if (!data || !data.msgs) return;
    for (var i = 0; i < data.msgs.length; i++) handle(data.msgs[i]);
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      });
  }

  /* Messages older than msgid `below`, newest first, without waiting
     (before= never long-polls); offers "Load older" when the page was full. */
  function loadBefore(below) {
    var n = initSize > 0 ? initSize : -1;
    return getJSON(top + "/chat-poll?before=" + below + "&n=" + n).then(function (data) {
      handleAll(data);
      older.hidden = !(n > 0 && data && data.msgs && data.msgs.length >= n);
    });
  }

  function loadRecent() {
    return loadBefore(2147483647);
  }

  /* Fossil's long poll: /chat-poll/N answers when something newer exists. */
  function poll() {
    if (stopped || mode !== "poll") return;
    getJSON(top + "/chat-poll?name=" + lastId)
      .then(function (data) {
        setStatus("poll", "live (polling)");
        handleAll(data);
        setTimeout(poll, 50);
      })
      .catch(function () {
        setStatus("down", "connection lost, retrying");
        setTimeout(poll, 2000);
      });
  }

  function startPolling() {
    if (mode === "poll") return;
    mode = "poll";
    setStatus("poll", "live (polling)");
    poll();
  }

  function startEvents() {
    if (!window.EventSource) { startPolling(); return; }
    var es;
    try {
      es = new EventSource(top + "/events?chat=" + lastId);
    } catch (e) {
      startPolling();
      return;
    }
    var opened = false;
    var timer = setTimeout(function () {
      if (!opened) { es.close(); startPolling(); }
    }, 4000);
    es.addEventListener("open", function () {
      opened = true;
      clearTimeout(timer);
      mode = "events";
      setStatus("live", "live");
      /* catch up with anything sent before the stream started */
      loadRecent().catch(function () {});
    });
    es.addEventListener("chat", function (ev) {
      try { handle(JSON.parse(ev.data)); } catch (e) { /* ignore a bad event */ }
    });
    es.addEventListener("error", function () {
      if (es.readyState === 2 || !opened) {   /* CLOSED, or never worked */
        clearTimeout(timer);
        es.close();
        startPolling();
      } else {
        setStatus("down", "reconnecting");
      }
    });
  }

  function send(ev) {
    ev.preventDefault();
    var text = input.value;
    var f = fileInput.files && fileInput.files[0];
    if (!text.trim() && !f) return;
    var body = new FormData();
    body.append("csrf", csrf);
    body.append("msg", text);
    body.append("lmtime", localStamp(new Date()));
    if (f) body.append("file", f, f.name);
    submit.disabled = true;
    fetch(top + "/chat-send", { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) {
        return r.text().then(function (t) {
          if (!r.ok) throw new Error("not sent: HTTP " + r.status);
          if (t) {
            var j = JSON.parse(t);
            if (j.isError) throw new Error(j.xmsg.replace(/<[^>]*>/g, ""));
          }
          input.value = "";
          fileInput.value = "";
          fileName.textContent = "";
          showError("");
        });
      })
      .catch(function (e) { showError(String(e.message || e)); })
      .then(function () { submit.disabled = false; input.focus(); });
  }

  older.addEventListener("click", function () {
    older.disabled = true;
    loadBefore(firstId || 2147483647)
      .catch(function (e) { showError("could not load messages: " + (e.message || e)); })
      .then(function () { older.disabled = false; });
  });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      unread = 0;
      document.title = baseTitle;
    }
  });
  form.addEventListener("submit", send);
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) send(ev);
  });
  fileInput.addEventListener("change", function () {
    var f = fileInput.files && fileInput.files[0];
    fileName.textContent = f ? f.name + " (" + f.size + " bytes)" : "";
  });

  updateEmpty();
  loadRecent()
    .catch(function (e) { showError("could not load messages: " + (e.message || e)); })
    .then(startEvents);
})();
