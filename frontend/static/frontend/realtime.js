/* Samverka realtime: the browser side of WebSocket protocol v1 (docs/protocol.md).
 *
 * One connection per page, shared by every part of the page that subscribes to a room:
 *
 *   var thread = SamverkaRealtime.subscribe("case:<uuid>", {
 *     event: function (event, seq) {},      // each event once, in order
 *     presence: function (people) {},       // who has the room open now
 *     subscribed: function (seq) {},        // caught up to seq
 *     closed: function () {},               // connection lost; reconnecting
 *     reset: function () {},                // start over: everything is sent again
 *     lost: function (error) {},            // no longer allowed in the room
 *     ack: function (ack) {},               // a send of ours is stored
 *     failed: function (error) {}           // a send of ours was refused
 *   });
 *   var clientId = thread.send("text");
 *   SamverkaRealtime.onState(function (state) {});  // "connecting", "open", "reconnecting", "closed"
 *
 * The module remembers the last seq of every room and resubscribes with `since` after
 * every reconnect, so nothing sent meanwhile is missed; events it already has are
 * dropped; a gap makes it ask again from what it has. Sends get a client_id and are
 * kept until acknowledged, and sent again with the same id after a reconnect, so a
 * message is stored once however often the network fails. Reconnects back off
 * (0.5 s doubling to 15 s, with jitter). Close code 4403 means access is gone for good:
 * no reconnect.
 */
(function () {
  "use strict";

  if (window.SamverkaRealtime || !window.WebSocket) {
    return;
  }

  var CLOSE_ACCESS_LOST = 4403;
  var MAX_DELAY = 15000;

  var socket = null;
  var state = "idle";
  var attempt = 0;
  var timer = null;
  var rooms = {}; // room -> {since, handlers, subscribed}
  var outbox = {}; // client_id -> frame
  var stateListeners = [];

  function uuid4() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map
      .call(bytes, function (b) {
        return (b + 0x100).toString(16).slice(1);
      })
      .join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function call(room, name) {
    var entry = rooms[room];
    var handler = entry && entry.handlers[name];
    if (typeof handler === "function") {
      try {
        handler.apply(null, Array.prototype.slice.call(arguments, 2));
      } catch (error) {
        window.setTimeout(function () {
          throw error;
        });
      }
    }
  }

  function setState(next) {
    if (state === next) {
      return;
    }
    state = next;
    stateListeners.forEach(function (listener) {
      listener(next);
    });
  }

  function url() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    return scheme + window.location.host + "/ws/v1/";
  }

  function transmit(frame) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  function subscribeFrame(room) {
    rooms[room].subscribed = false;
    transmit({ type: "subscribe", room: room, since: rooms[room].since });
  }

  function connect() {
    if (socket || state === "closed") {
      return;
    }
    setState(attempt === 0 ? "connecting" : "reconnecting");
    socket = new WebSocket(url());
    socket.addEventListener("open", function () {
      attempt = 0;
      setState("open");
      Object.keys(rooms).forEach(subscribeFrame);
      Object.keys(outbox).forEach(function (clientId) {
        transmit(outbox[clientId]);
      });
    });
    socket.addEventListener("message", function (message) {
      var frame;
      try {
        frame = JSON.parse(message.data);
      } catch (error) {
        return;
      }
      receive(frame);
    });
    socket.addEventListener("close", function (event) {
      socket = null;
      Object.keys(rooms).forEach(function (room) {
        if (rooms[room].subscribed) {
          rooms[room].subscribed = false;
        }
        call(room, "closed");
      });
      if (event.code === CLOSE_ACCESS_LOST) {
        setState("closed");
        return;
      }
      setState("reconnecting");
      schedule();
    });
  }

  function schedule() {
    if (timer) {
      return;
    }
    var delay = Math.min(MAX_DELAY, 500 * Math.pow(2, attempt));
    delay = delay / 2 + Math.random() * (delay / 2);
    attempt += 1;
    timer = window.setTimeout(function () {
      timer = null;
      connect();
    }, delay);
  }

  function reconnectNow() {
    if (timer) {
      window.clearTimeout(timer);
      timer = null;
    }
    connect();
  }

  function receive(frame) {
    var entry = frame.room !== undefined ? rooms[frame.room] : null;
    switch (frame.type) {
      case "event":
        if (!entry || frame.seq <= entry.since) {
          return; // already shown
        }
        if (frame.seq !== entry.since + 1) {
          subscribeFrame(frame.room); // a gap: ask again from what we have
          return;
        }
        entry.since = frame.seq;
        call(frame.room, "event", frame.event, frame.seq);
        return;
      case "subscribed":
        if (!entry) {
          return;
        }
        if (frame.seq < entry.since) {
          // The room has fewer events than we hold (a restored database): start over.
          entry.since = 0;
          call(frame.room, "reset");
          subscribeFrame(frame.room);
          return;
        }
        entry.subscribed = true;
        call(frame.room, "subscribed", frame.seq);
        return;
      case "presence":
        if (entry) {
          call(frame.room, "presence", frame.people || []);
        }
        return;
      case "ack":
        delete outbox[frame.client_id];
        call(frame.room, "ack", frame);
        return;
      case "error":
        failure(frame);
        return;
      default:
        return;
    }
  }

  function failure(frame) {
    var pending = frame.ref && outbox[frame.ref];
    if (pending) {
      if (frame.code === "rate_limited" || frame.code === "internal_error") {
        window.setTimeout(function () {
          if (outbox[frame.ref]) {
            transmit(outbox[frame.ref]);
          }
        }, 1000);
        return;
      }
      delete outbox[frame.ref];
      call(pending.room, "failed", frame);
      return;
    }
    var room = frame.ref && rooms[frame.ref] ? frame.ref : null;
    if (!room) {
      return;
    }
    if (frame.code === "access_changed") {
      rooms[room].since = 0;
      call(room, "reset");
      subscribeFrame(room);
    } else if (frame.code === "access_lost" || frame.code === "not_found") {
      call(room, "lost", frame);
      delete rooms[room];
    }
  }

  function subscribe(room, handlers) {
    rooms[room] = { since: 0, handlers: handlers || {}, subscribed: false };
    if (socket && socket.readyState === WebSocket.OPEN) {
      subscribeFrame(room);
    } else {
      connect();
    }
    function command(frame) {
      frame.client_id = uuid4();
      frame.room = room;
      outbox[frame.client_id] = frame;
      transmit(frame);
      return frame.client_id;
    }
    return {
      room: room,
      send: function (body) {
        return command({ type: "send", body: body });
      },
      edit: function (messageId, body) {
        return command({ type: "edit", message_id: messageId, body: body });
      },
      remove: function (messageId) {
        return command({ type: "delete", message_id: messageId });
      },
      unsubscribe: function () {
        delete rooms[room];
        transmit({ type: "unsubscribe", room: room });
      },
      pending: function () {
        return Object.keys(outbox).filter(function (id) {
          return outbox[id].room === room;
        }).length;
      }
    };
  }

  // Back online, or back to a tab the browser had put to sleep: try at once.
  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && !socket && state === "reconnecting") {
      reconnectNow();
    }
  });

  window.SamverkaRealtime = {
    subscribe: subscribe,
    onState: function (listener) {
      stateListeners.push(listener);
      listener(state);
    },
    state: function () {
      return state;
    }
  };
})();
