/* Business chat page (docs/domain/chat.md §3): live delivery over the WebSocket /ws/chat/<id>/, polling of
   messages.json every few seconds while the socket is not open, read marks sent when the page is visible, and
   「既読 N」 (with who in the title) recomputed from everyone's read marks. Text goes in with textContent only. */
(function () {
  "use strict";
  var root = document.getElementById("chat");
  if (!root) { return; }
  var channel = root.dataset.channel;
  var thread = root.dataset.thread ? Number(root.dataset.thread) : null;
  var lastId = Number(root.dataset.last) || 0;
  var list = document.getElementById("chat-messages");
  var status = document.getElementById("chat-status");
  var form = document.getElementById("chat-form");
  var error = document.getElementById("chat-error");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var readers = {};
  JSON.parse(document.getElementById("chat-readers").textContent).forEach(function (r) { readers[r.person_id] = r; });
  var socket = null;
  var pollTimer = null;
  var sentRead = 0;

  function receipts() {
    list.querySelectorAll(".chat-message").forEach(function (item) {
      var id = Number(item.dataset.id);
      var author = Number(item.dataset.author);
      var names = [];
      Object.keys(readers).forEach(function (key) {
        var r = readers[key];
        if (r.person_id !== author && r.last_read_id >= id) { names.push(r.name); }
      });
      var mark = item.querySelector(".chat-read");
      mark.textContent = names.length ? "既読 " + names.length : "";
      mark.title = names.join("、");
    });
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  // http(s) links in a message become anchors (a shared Web会議 link); the rest stays text (chat_text.py: same pattern).
  var LINK = /(https?:\/\/[^\s<>"'「」『』、。()]+)/;

  function messageBody(text) {
    var node = element("p", "chat-message__body");
    text.split(LINK).forEach(function (part, index) {
      if (index % 2 === 1) {
        var a = element("a", "", part);
        a.href = part;
        a.rel = "noopener noreferrer";
        a.target = "_blank";
        node.appendChild(a);
      } else if (part) {
        node.appendChild(document.createTextNode(part));
      }
    });
    return node;
  }

  function show(m) {
    if (document.getElementById("m" + m.id)) { return; }
    lastId = Math.max(lastId, m.id);
    if (thread === null && m.parent) {
      var link = list.querySelector('[data-replies-for="' + m.parent + '"]');
      if (link) {
        var count = (Number(link.dataset.count) || Number((link.textContent.match(/\d+/) || [0])[0])) + 1;
        link.dataset.count = count;
        link.textContent = "返信 " + count + "件";
      }
      return;
    }
    if (thread !== null && m.id !== thread && m.parent !== thread) { return; }
    var item = element("li", "chat-message");
    item.id = "m" + m.id;
    item.dataset.id = m.id;
    item.dataset.author = m.author_id;
    var head = element("p", "chat-message__head");
    head.appendChild(element("strong", "", m.author));
    head.appendChild(document.createTextNode(" "));
    head.appendChild(element("time", "", m.time));
    item.appendChild(head);
    item.appendChild(messageBody(m.body));
    if (m.attachments.length) {
      var files = element("ul", "chat-files");
      m.attachments.forEach(function (f) {
        var li = element("li");
        var a = element("a", "", f.name);
        a.href = "/chat/files/" + f.id + "/";
        li.appendChild(a);
        files.appendChild(li);
      });
      item.appendChild(files);
    }
    var foot = element("p", "chat-message__foot");
    var mark = element("span", "chat-read");
    mark.dataset.readFor = m.id;
    foot.appendChild(mark);
    if (thread === null) {
      var reply = element("a", "chat-replies", "返信する");
      reply.dataset.repliesFor = m.id;
      reply.href = root.dataset.threadBase + m.id + "/";
      foot.appendChild(reply);
    }
    item.appendChild(foot);
    list.appendChild(item);
  }

  function markRead() {
    if (document.hidden || lastId <= sentRead) { return; }
    sentRead = lastId;
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ type: "read", upto: lastId }));
      return;
    }
    var body = new FormData();
    body.append("upto", String(lastId));
    fetch(root.dataset.read, { method: "POST", body: body, headers: { "X-CSRFToken": csrf }, credentials: "same-origin" });
  }

  function onEvent(event) {
    if (event.type === "message") {
      show(event.message);
    } else if (event.type === "read") {
      var known = readers[event.person_id];
      if (!known || known.last_read_id < event.upto) {
        readers[event.person_id] = { person_id: event.person_id, name: event.name, last_read_id: event.upto };
      }
    }
    receipts();
    markRead();
  }

  function poll() {
    var url = root.dataset.poll + "?after=" + lastId + (thread ? "&thread=" + thread : "");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        data.messages.forEach(show);
        data.readers.forEach(function (r) { readers[r.person_id] = r; });
        receipts();
        markRead();
      })
      .catch(function () { /* the next poll tries again */ });
  }

  function startPolling() {
    status.textContent = "自動更新: 定期確認(数秒ごと)";
    if (!pollTimer) { pollTimer = window.setInterval(poll, 3000); }
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    try {
      socket = new WebSocket(scheme + window.location.host + "/ws/chat/" + channel + "/");
    } catch (e) {
      startPolling();
      return;
    }
    socket.onopen = function () {
      status.textContent = "自動更新: リアルタイム";
      if (pollTimer) { window.clearInterval(pollTimer); pollTimer = null; }
      poll();  // anything posted while the socket was closed
    };
    socket.onmessage = function (message) { onEvent(JSON.parse(message.data)); };
    socket.onclose = function (closed) {
      socket = null;
      // 4401: the session ended (logout, idle timeout); 4403: no longer allowed here (removed from the channel,
      // membership ended). Neither comes back by reconnecting or polling (docs/domain/chat.md §3.9).
      if (closed.code === 4401 || closed.code === 4403) {
        if (pollTimer) { window.clearInterval(pollTimer); pollTimer = null; }
        status.textContent = closed.code === 4401
          ? "ログインの有効期限が切れたため、更新を停止しました。再度ログインしてください。"
          : "このチャンネルを閲覧できなくなったため、更新を停止しました。";
        form.querySelector("button[type=submit]").disabled = true;
        return;
      }
      startPolling();
      window.setTimeout(connect, 10000);
    };
  }

  form.addEventListener("submit", function (submit) {
    submit.preventDefault();
    error.textContent = "";
    fetch(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf }
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { error.textContent = data.message || "送信できませんでした。"; return; }
        show(data);
        receipts();
        form.reset();
      });
    }).catch(function () { error.textContent = "送信できませんでした。通信を確認してください。"; });
  });

  document.addEventListener("visibilitychange", markRead);
  receipts();
  connect();
})();
