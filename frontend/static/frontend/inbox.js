/* Samverka: the person's inbox, live on every page.
 *
 * Subscribes to the room "inbox" and, when a call to a meeting arrives (or the meeting
 * one is called to opens), shows a visible alert and updates the count in the header.
 * No sound: the alert is a polite live region and stays until it is dismissed. The
 * count is fetched from the server after every change, so it is right even after a
 * missed event.
 */
(function () {
  "use strict";

  var count = document.getElementById("inbox-count");
  var realtime = window.SamverkaRealtime;
  if (!count || !realtime) {
    return;
  }
  var link = document.getElementById("inbox-link");
  var countUrl = link ? link.getAttribute("href") + "status.json" : null;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function updateCount() {
    if (!countUrl) {
      return;
    }
    fetch(countUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (data) {
        if (data && typeof data.count === "number") {
          count.textContent = data.count > 0 ? String(data.count) : "";
        }
      })
      .catch(function () {});
  }

  function time(iso) {
    var date = new Date(iso);
    return isNaN(date.getTime()) ? "" : date.toLocaleTimeString("sv-SE", { hour: "2-digit", minute: "2-digit" });
  }

  var ORIGINS = {
    delegated: "Kallelsen har delegerats till dig.",
    escalated: "Sektionen har inte svarat i tid; kallelsen har gått till dig som ersättare.",
    on_call: "Sektionen har inte svarat i tid; kallelsen har gått till socialjouren."
  };

  function alertBox(id, title, lines, href, action) {
    var old = document.getElementById(id);
    if (old) {
      old.parentNode.removeChild(old);
    }
    var box = el("div", "alert alert-warning inbox-alert");
    box.id = id;
    box.setAttribute("role", "status");
    box.setAttribute("aria-live", "polite");
    box.appendChild(el("span", "alert-title", title));
    lines.forEach(function (line) {
      if (line) {
        box.appendChild(el("p", null, line));
      }
    });
    var actions = el("div", "alert-actions");
    var go = el("a", "button", action);
    go.href = href;
    actions.appendChild(go);
    var close = el("button", "button-secondary", "Stäng");
    close.type = "button";
    close.addEventListener("click", function () {
      box.parentNode.removeChild(box);
    });
    actions.appendChild(close);
    box.appendChild(actions);
    document.body.appendChild(box);
  }

  // Events replayed before "subscribed" happened before this page: the count covers them.
  var live = false;

  function onEvent(event) {
    if (!live || !event || !event.kind) {
      return;
    }
    if (event.kind === "meeting.called") {
      alertBox(
        "inbox-alert-" + event.invitation_id,
        "Du är kallad till " + event.forum.toLowerCase().replace(/ \(.*\)$/, ""),
        [
          "Ärende " + event.case_reference + (event.unit ? ", för " + event.unit : "") + ", kl. " + time(event.starts_at) + ".",
          ORIGINS[event.origin] || "",
          event.convened_by ? "Kallad av " + event.convened_by + "." : ""
        ],
        event.url,
        "Svara"
      );
    } else if (event.kind === "meeting.opened") {
      alertBox("inbox-alert-open-" + event.meeting_id, "Mötet har öppnats", ["Ärende " + event.case_reference + "."], event.url, "Gå till mötet");
    }
    updateCount();
  }

  realtime.subscribe("inbox", {
    event: onEvent,
    subscribed: function () {
      live = true;
      updateCount();
    }
  });
})();
