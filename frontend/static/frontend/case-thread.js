/* Samverka: the case page's live thread of messages (section#case-thread).
 *
 * Uses SamverkaRealtime (realtime.js): the thread fills from the room's history, shows
 * new messages as they are written, says whether it is connected, and keeps what is
 * typed while the connection is down until it can be sent. Every text is inserted as
 * text, never as HTML. Labels come from data-label-* attributes, translated in the
 * template.
 */
(function () {
  "use strict";

  var section = document.getElementById("case-thread");
  var realtime = window.SamverkaRealtime;
  if (!section || !realtime || !section.getAttribute("data-room")) {
    return;
  }

  var room = section.getAttribute("data-room");
  var list = section.querySelector("[data-thread-messages]");
  var empty = section.querySelector("[data-thread-empty]");
  var stateLine = section.querySelector("[data-thread-state]");
  var presenceLine = section.querySelector("[data-thread-presence]");
  var form = section.querySelector("[data-thread-form]");
  var messages = {}; // message_id -> list item
  var pending = {}; // client_id -> list item

  function label(name) {
    return section.getAttribute("data-label-" + name) || "";
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = text;
    }
    return node;
  }

  function time(iso) {
    var node = el("time", "thread-time");
    if (iso) {
      var date = new Date(iso);
      node.setAttribute("datetime", iso);
      node.textContent = date.toLocaleString(document.documentElement.lang || "sv", {
        dateStyle: "short",
        timeStyle: "short"
      });
    }
    return node;
  }

  function setBody(item, event) {
    var body = item.querySelector(".thread-body");
    if (event.body !== null && event.body !== undefined) {
      body.textContent = event.body;
      body.classList.remove("muted");
    } else {
      body.textContent = label(event.hidden || "withheld") || label("withheld");
      body.classList.add("muted");
    }
  }

  function refreshEmpty() {
    if (empty) {
      empty.hidden = list.children.length > 0;
    }
  }

  function item(sender, at, extraClass) {
    var li = el("li", "thread-message" + (extraClass ? " " + extraClass : ""));
    var meta = el("p", "thread-meta");
    meta.appendChild(el("span", "thread-sender", sender));
    meta.appendChild(document.createTextNode(" "));
    meta.appendChild(time(at));
    li.appendChild(meta);
    li.appendChild(el("p", "thread-body"));
    return li;
  }

  function onEvent(event) {
    if (!event || event.kind === "withheld") {
      return;
    }
    if (event.kind === "message.created") {
      var li = item(event.sender ? event.sender.name : "", event.at);
      li.setAttribute("data-message-id", event.message_id);
      setBody(li, event);
      var waiting = pending[event.client_id];
      if (waiting) {
        list.removeChild(waiting);
        delete pending[event.client_id];
      }
      // Stored messages in order; what is still being sent stays below them.
      list.insertBefore(li, list.querySelector(".thread-message-pending"));
      messages[event.message_id] = li;
    } else if (event.kind === "message.edited" && messages[event.message_id]) {
      var edited = messages[event.message_id];
      setBody(edited, event);
      if (!edited.querySelector(".thread-edited")) {
        edited.querySelector(".thread-meta").appendChild(el("span", "thread-edited", " (" + label("edited") + ")"));
      }
    } else if (event.kind === "message.deleted" && messages[event.message_id]) {
      setBody(messages[event.message_id], { body: null, hidden: "deleted" });
    }
    refreshEmpty();
  }

  function clear() {
    messages = {};
    Array.prototype.slice.call(list.querySelectorAll("[data-message-id]")).forEach(function (node) {
      node.parentNode.removeChild(node);
    });
    refreshEmpty();
  }

  function showPresence(people) {
    if (!presenceLine) {
      return;
    }
    var names = people.map(function (person) {
      return person.name;
    });
    presenceLine.textContent = names.length ? label("present") + " " + names.join(", ") : "";
  }

  var thread = realtime.subscribe(room, {
    event: onEvent,
    presence: showPresence,
    reset: clear,
    lost: function () {
      if (form) {
        form.hidden = true;
      }
      stateLine.textContent = label("lost");
      stateLine.setAttribute("data-state", "closed");
    },
    failed: function (error) {
      var waiting = pending[error.ref];
      if (waiting) {
        var body = waiting.querySelector(".thread-meta");
        body.appendChild(el("span", "thread-failed", " " + label("failed") + ": " + error.message));
        waiting.classList.remove("thread-message-pending");
        waiting.classList.add("thread-message-failed");
        delete pending[error.ref];
      }
    }
  });

  realtime.onState(function (state) {
    var shown = state === "idle" ? "connecting" : state;
    stateLine.textContent = label(shown);
    stateLine.setAttribute("data-state", shown);
  });

  if (form) {
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      // The form never goes to the server as a page: keep the page-wide submit guard out.
      event.stopPropagation();
      var field = form.querySelector("textarea");
      var text = field.value;
      if (!text.trim()) {
        field.focus();
        return;
      }
      var clientId = thread.send(text);
      var waiting = item(label("you"), null, "thread-message-pending");
      waiting.querySelector(".thread-meta").appendChild(el("span", "thread-pending", " " + label("pending")));
      waiting.querySelector(".thread-body").textContent = text;
      pending[clientId] = waiting;
      list.appendChild(waiting);
      refreshEmpty();
      field.value = "";
      field.focus();
    });
  }
})();
