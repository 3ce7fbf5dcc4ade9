/* Samverka: the konsultativ grupp, referrals and concern reports, live.
 *
 * Speaks protocol v1 (/ws/v1/, DESIGN.md §5.1) for the rooms named by the page's
 * [data-live-room] elements. Events carry no case content: when one arrives, the page is
 * fetched again (through the disclosure policy, as its person may see it) and every
 * element marked [data-live-region="<event kinds>"] is replaced by its fresh version.
 * Messages in a meeting room are shown as the server rendered them for this person.
 *
 * Nothing is lost when the connection drops: the client remembers the last sequence
 * number per room and subscribes again with "since"; a gap in the numbers makes it
 * resubscribe. Every page also works without this file (forms post and the page
 * reloads).
 */
(function () {
  "use strict";

  var holders = document.querySelectorAll("[data-live-room]");
  if (!holders.length || !window.WebSocket || !window.fetch || !window.DOMParser) {
    return;
  }

  var rooms = {};
  Array.prototype.forEach.call(holders, function (holder) {
    var name = holder.getAttribute("data-live-room");
    if (!rooms[name]) {
      // replay: show what happened before the page was loaded (a meeting's messages).
      rooms[name] = { last: 0, ready: false, replay: holder.hasAttribute("data-live-replay"), seenOnce: false };
    }
  });

  var socket = null;
  var delay = 500;
  var sends = {};

  function $(selector, root) {
    return (root || document).querySelector(selector);
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

  function setStatus(state, text) {
    Array.prototype.forEach.call(document.querySelectorAll("[data-live-status]"), function (node) {
      node.setAttribute("data-state", state);
      node.textContent = text;
    });
  }

  function newId() {
    if (window.crypto && window.crypto.randomUUID) {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function formatTime(iso) {
    var date = new Date(iso);
    return isNaN(date.getTime()) ? "" : date.toLocaleTimeString("sv-SE", { hour: "2-digit", minute: "2-digit" });
  }

  /* --- refreshing the live regions --------------------------------------------------- */

  var wanted = {};
  var timer = null;
  var fetching = false;

  function regionsFor(kinds) {
    return Array.prototype.filter.call(document.querySelectorAll("[data-live-region]"), function (node) {
      var listens = node.getAttribute("data-live-region").split(/\s+/);
      return listens.some(function (kind) {
        return kinds[kind] || kinds["*"];
      });
    });
  }

  function refresh(kind) {
    wanted[kind] = true;
    if (timer) {
      return;
    }
    timer = window.setTimeout(run, 150);
  }

  function run() {
    timer = null;
    if (fetching) {
      timer = window.setTimeout(run, 150);
      return;
    }
    var kinds = wanted;
    wanted = {};
    var regions = regionsFor(kinds);
    if (!regions.length) {
      return;
    }
    fetching = true;
    fetch(window.location.pathname + window.location.search, {
      credentials: "same-origin",
      headers: { Accept: "text/html" }
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("page " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        regions.forEach(function (region) {
          if (!region.id) {
            return;
          }
          var replacement = fresh.getElementById(region.id);
          if (replacement) {
            region.parentNode.replaceChild(document.importNode(replacement, true), region);
          }
        });
        bindSupportForms();
      })
      .catch(function () {
        setStatus("offline", "Kunde inte hämta läget; försöker igen …");
        window.setTimeout(function () {
          Object.keys(kinds).forEach(refresh);
        }, 3000);
      })
      .then(function () {
        fetching = false;
      });
  }

  /* --- messages ------------------------------------------------------------------------ */

  var list = $("#messages");
  var shown = {};

  function showMessage(event) {
    if (!list || !event.message_id) {
      return;
    }
    var item = shown[event.message_id];
    if (!item) {
      item = el("li", "message");
      item.setAttribute("data-message", event.message_id);
      shown[event.message_id] = item;
      list.appendChild(item);
    }
    item.textContent = "";
    var who = (event.sender && event.sender.name) || (event.editor && event.editor.name) || "";
    if (who || event.at) {
      item.appendChild(el("span", "message-meta", who + " " + formatTime(event.at)));
    }
    if (event.body === null || event.body === undefined) {
      item.appendChild(
        el("span", "muted", event.hidden === "deleted" ? "Meddelandet är borttaget." : "Meddelandet kan inte visas för dig.")
      );
    } else {
      item.appendChild(el("span", "message-body", event.body));
    }
    list.scrollTop = list.scrollHeight;
  }

  /* --- the connection ------------------------------------------------------------------ */

  function write(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function subscribe(name) {
    rooms[name].ready = false;
    write({ type: "subscribe", room: name, since: rooms[name].last });
  }

  function onEvent(name, frame) {
    var room = rooms[name];
    if (!room || frame.seq <= room.last) {
      return;
    }
    if (frame.seq > room.last + 1) {
      subscribe(name); // a gap: ask again from the last one seen
      return;
    }
    room.last = frame.seq;
    var event = frame.event || {};
    var kind = event.kind || "";
    if (kind.indexOf("message.") === 0) {
      if (room.ready || room.replay || room.seenOnce) {
        showMessage(event);
      }
      return;
    }
    // During the first replay the page is already fresh; after a reconnect it is not.
    if (room.ready || room.seenOnce) {
      refresh(kind);
    }
  }

  function onFrame(frame) {
    if (frame.type === "event") {
      onEvent(frame.room, frame);
    } else if (frame.type === "subscribed") {
      var room = rooms[frame.room];
      if (room) {
        room.ready = true;
        room.seenOnce = true;
        room.last = Math.max(room.last, frame.seq || 0);
      }
      if (Object.keys(rooms).every(function (key) { return rooms[key].ready; })) {
        setStatus("live", "Uppdateras direkt");
        var form = $("#message-form");
        if (form) {
          form.hidden = false;
        }
      }
    } else if (frame.type === "ack") {
      var done = sends[frame.client_id];
      delete sends[frame.client_id];
      if (done) {
        done(null);
      }
    } else if (frame.type === "error") {
      var failed = frame.ref && sends[frame.ref];
      if (failed) {
        delete sends[frame.ref];
        failed(frame.message || "Meddelandet kunde inte skickas.");
      } else {
        setStatus("offline", frame.message || "Något gick fel.");
      }
    }
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/ws/v1/");
    socket.addEventListener("open", function () {
      delay = 500;
      Object.keys(rooms).forEach(subscribe);
    });
    socket.addEventListener("message", function (message) {
      var frame;
      try {
        frame = JSON.parse(message.data);
      } catch (error) {
        return;
      }
      onFrame(frame);
    });
    socket.addEventListener("close", function (event) {
      Object.keys(rooms).forEach(function (name) {
        rooms[name].ready = false;
      });
      if (event.code === 4403) {
        setStatus("offline", "Du har inte längre åtkomst. Ladda om sidan.");
        return;
      }
      setStatus("offline", "Frånkopplad – ansluter igen …");
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    });
  }

  /* --- forms ---------------------------------------------------------------------------- */

  // app.js marks a submitted form as on its way; a form sent here is done when answered.
  function ready(form) {
    window.setTimeout(function () {
      form.removeAttribute("data-submitting");
      Array.prototype.forEach.call(form.querySelectorAll("[aria-disabled]"), function (node) {
        node.removeAttribute("aria-disabled");
      });
    }, 0);
  }

  var messageForm = $("#message-form");
  if (messageForm) {
    var messageError = $("#message-error", messageForm);
    messageForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var field = $("#message-body", messageForm);
      var body = field.value.trim();
      if (!body) {
        ready(messageForm);
        return;
      }
      var clientId = newId();
      messageError.hidden = true;
      sends[clientId] = function (error) {
        if (error) {
          messageError.textContent = error;
          messageError.hidden = false;
        } else if (field.value.trim() === body) {
          field.value = "";
        }
        ready(messageForm);
      };
      if (!write({ type: "send", room: messageForm.getAttribute("data-room"), client_id: clientId, body: body })) {
        delete sends[clientId];
        messageError.textContent = "Inte ansluten just nu; försök igen om en stund.";
        messageError.hidden = false;
        ready(messageForm);
      }
    });
  }

  function bindSupportForms() {
    Array.prototype.forEach.call(document.querySelectorAll(".support-form"), function (form) {
      if (form.getAttribute("data-bound")) {
        return;
      }
      form.setAttribute("data-bound", "1");
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var error = $(".support-error", form);
        error.hidden = true;
        fetch(form.action, {
          method: "POST",
          credentials: "same-origin",
          headers: { Accept: "application/json" },
          body: new FormData(form)
        })
          .then(function (response) {
            return response.json().then(function (data) {
              if (!response.ok || !data.ok) {
                throw new Error(data.error || "Stödet kunde inte föras in.");
              }
            });
          })
          .then(function () {
            $("textarea", form).value = "";
            refresh("support.recorded");
          })
          .catch(function (failure) {
            error.textContent = failure.message;
            error.hidden = false;
          })
          .then(function () {
            ready(form);
          });
      });
    });
  }

  bindSupportForms();
  connect();
})();
