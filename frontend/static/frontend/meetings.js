/* Samverka: the styrgrupp pages live.
 *
 * - Answers page, call page and meeting room: the sections' answers change as they come.
 * - Meeting room: messages and presence, decisions as they are recorded, the meeting
 *   opening and closing for everyone at once.
 * - Minutes: the print button.
 *
 * Events say only that something changed; the page then fetches the meeting's state
 * (through the disclosure policy) from its status.json, so nothing is lost when an event
 * is missed: every (re)subscription fetches the state again. Every page also works
 * without this file (forms post and the page reloads).
 */
(function () {
  "use strict";

  var REFRESH_KINDS = {
    "invitation.answered": true,
    "invitation.escalated": true,
    "action.recorded": true,
    "action.completed": true
  };

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

  function formatTime(iso) {
    if (!iso) {
      return "";
    }
    var date = new Date(iso);
    if (isNaN(date.getTime())) {
      return "";
    }
    return date.toLocaleTimeString("sv-SE", { hour: "2-digit", minute: "2-digit" });
  }

  function formatDate(iso) {
    var parts = String(iso || "").split("-");
    if (parts.length !== 3) {
      return iso || "";
    }
    var date = new Date(Number(parts[0]), Number(parts[1]) - 1, Number(parts[2]));
    return date.toLocaleDateString("sv-SE", { day: "numeric", month: "long", year: "numeric" });
  }

  /* --- print ----------------------------------------------------------------------- */

  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.addEventListener("click", function () {
      window.print();
    });
  });

  /* --- the meeting's live state ------------------------------------------------------ */

  var holder = $("[data-state-url]");
  if (!holder) {
    return;
  }
  var stateUrl = holder.getAttribute("data-state-url");
  var room = (holder.closest("[data-room]") || $("[data-room]") || holder).getAttribute("data-room");
  var roomPage = $("#meeting-room");
  var liveStatus = $("[data-live-status]");
  var fetching = null;
  var again = false;

  function setLive(state, text) {
    if (!liveStatus) {
      return;
    }
    liveStatus.setAttribute("data-state", state);
    liveStatus.textContent = text;
  }

  function answerText(invitation) {
    var text = invitation.answer_display.charAt(0).toUpperCase() + invitation.answer_display.slice(1);
    if (invitation.answer === "delegated" && invitation.delegated_to) {
      text += " till " + invitation.delegated_to;
    }
    if (invitation.reason) {
      text += ": " + invitation.reason;
    }
    return text;
  }

  function renderSections(sections) {
    var list = $("#answers");
    if (!list) {
      return;
    }
    var fresh = el("ul", list.className);
    fresh.id = "answers";
    fresh.setAttribute("aria-live", "polite");
    sections.forEach(function (section) {
      var item = el("li", "section section-" + section.status);
      item.setAttribute("data-unit", section.unit_id);
      item.appendChild(el("span", "item-title", section.unit));
      var pillClass =
        section.status === "accepted" ? "pill-success" : section.status === "pending" ? "pill-warning" : "pill-danger";
      item.appendChild(document.createTextNode(" "));
      item.appendChild(el("span", "pill " + pillClass + " section-status", section.status_display));
      var answers = el("ul", "answers");
      section.invitations.forEach(function (invitation) {
        var line = el("li", "answer answer-" + invitation.answer);
        line.setAttribute("data-invitation", invitation.id);
        line.appendChild(el("span", "answer-person", invitation.person));
        if (invitation.origin !== "called") {
          line.appendChild(document.createTextNode(" "));
          line.appendChild(el("span", "muted", "(" + invitation.origin_display + ")"));
        }
        line.appendChild(document.createTextNode(" – "));
        line.appendChild(el("span", "answer-text", answerText(invitation)));
        if (invitation.answered_at) {
          line.appendChild(document.createTextNode(" "));
          var time = el("time", "muted", formatTime(invitation.answered_at));
          time.setAttribute("datetime", invitation.answered_at);
          line.appendChild(time);
        }
        if (invitation.escalated) {
          line.appendChild(document.createTextNode(" "));
          line.appendChild(el("span", "pill pill-muted", "eskalerad"));
        }
        answers.appendChild(line);
      });
      item.appendChild(answers);
      fresh.appendChild(item);
    });
    list.parentNode.replaceChild(fresh, list);
  }

  function renderActions(actions) {
    var list = $("#decision-list");
    if (!list || !actions) {
      return;
    }
    var fresh = el("ol", list.className);
    fresh.id = "decision-list";
    fresh.setAttribute("aria-live", "polite");
    if (!actions.length) {
      var none = el("li", "muted", "Inga beslut ännu.");
      none.id = "no-decisions";
      fresh.appendChild(none);
    }
    actions.forEach(function (action) {
      var item = el(
        "li",
        "decision" + (action.overdue ? " decision-overdue" : "") + (action.status === "done" ? " decision-done" : "")
      );
      item.setAttribute("data-action", action.id);
      item.appendChild(
        el("span", "item-title decision-unit", action.owner_unit + (action.owner_person ? " – " + action.owner_person : ""))
      );
      var text = el("p", "decision-text");
      if (action.readable) {
        text.textContent = action.text;
      } else {
        text.appendChild(el("span", "muted", "Texten är gallrad."));
      }
      item.appendChild(text);
      var meta = el("span", "item-meta");
      var due = el("span", null, "Klart senast ");
      var time = el("time", null, formatDate(action.due_date));
      time.setAttribute("datetime", action.due_date);
      due.appendChild(time);
      meta.appendChild(due);
      var pillClass = action.status === "done" ? "pill-success" : action.overdue ? "pill-danger" : "pill-muted";
      var status = action.overdue ? "Försenad" : action.status_display.charAt(0).toUpperCase() + action.status_display.slice(1);
      meta.appendChild(el("span", "pill " + pillClass + " decision-status", status));
      item.appendChild(meta);
      fresh.appendChild(item);
    });
    list.parentNode.replaceChild(fresh, list);
  }

  function applyState(state) {
    renderSections(state.sections || []);
    renderActions(state.actions);
    var status = $("#meeting-status");
    if (status && state.status_display) {
      status.textContent = state.status_display.charAt(0).toUpperCase() + state.status_display.slice(1);
    }
    if (roomPage) {
      var shown = roomPage.getAttribute("data-status");
      if (state.status === "closed" && shown !== "closed") {
        window.location.assign(roomPage.getAttribute("data-minutes-url"));
      } else if (state.status !== shown) {
        // Opening changes what the room offers (the decision form): load it afresh.
        window.location.reload();
      }
    }
  }

  function refresh() {
    if (fetching) {
      again = true;
      return fetching;
    }
    fetching = fetch(stateUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("state " + response.status);
        }
        return response.json();
      })
      .then(applyState)
      .catch(function () {
        setLive("offline", "Kunde inte hämta läget; försöker igen …");
      })
      .then(function () {
        fetching = null;
        if (again) {
          again = false;
          refresh();
        }
      });
    return fetching;
  }

  /* --- messages and presence ------------------------------------------------------- */

  var messages = $("#messages");
  var seenMessages = {};

  function showMessage(event) {
    if (!messages || !event.message_id) {
      return;
    }
    var item = seenMessages[event.message_id];
    if (!item) {
      item = el("li", "message");
      item.setAttribute("data-message", event.message_id);
      seenMessages[event.message_id] = item;
      messages.appendChild(item);
    }
    item.textContent = "";
    var sender = (event.sender && event.sender.name) || (event.editor && event.editor.name) || "";
    item.appendChild(el("span", "message-meta", sender + " " + formatTime(event.at)));
    if (event.body === null || event.body === undefined) {
      item.appendChild(el("span", "muted", event.hidden === "deleted" ? "Meddelandet är borttaget." : "Meddelandet kan inte visas för dig."));
    } else {
      item.appendChild(el("span", "message-body", event.body));
    }
    messages.scrollTop = messages.scrollHeight;
  }

  function showPresence(people) {
    var list = $("#presence");
    if (!list) {
      return;
    }
    list.textContent = "";
    (people || []).forEach(function (person) {
      var item = el("li", "pill pill-success", person.name);
      item.setAttribute("data-person", person.id);
      list.appendChild(item);
    });
  }

  /* --- realtime ---------------------------------------------------------------------- */

  function onEvent(event) {
    if (!event || !event.kind) {
      return;
    }
    if (REFRESH_KINDS[event.kind]) {
      refresh();
    } else if (event.kind === "meeting.opened" || event.kind === "meeting.closed") {
      refresh();
    } else if (event.kind === "message.created" || event.kind === "message.edited" || event.kind === "message.deleted") {
      showMessage(event);
    }
  }

  var realtime = window.SamverkaRealtime;
  var connection = null;
  if (realtime && room && holder.closest("[data-room]")) {
    connection = realtime.subscribe(room, {
      event: onEvent,
      presence: showPresence,
      subscribed: function () {
        setLive("live", "Uppdateras direkt");
        refresh();
      },
      closed: function () {
        setLive("offline", "Frånkopplad – ansluter igen …");
      },
      reset: function () {
        if (messages) {
          messages.textContent = "";
        }
        seenMessages = {};
      },
      lost: function () {
        setLive("offline", "Du har inte längre tillgång till mötet.");
        if (messageForm) {
          messageForm.hidden = true;
        }
      },
      failed: function (error) {
        showSendError(error && error.message ? error.message : "Meddelandet kunde inte skickas.");
      }
    });
  } else {
    setLive("offline", "Ladda om sidan för att se nya svar.");
  }

  /* --- forms ----------------------------------------------------------------------- */

  function showSendError(text) {
    var form = $("#message-form");
    if (!form) {
      return;
    }
    var line = $("#message-error", form);
    if (!line) {
      line = el("p", "error");
      line.id = "message-error";
      line.setAttribute("role", "alert");
      form.appendChild(line);
    }
    line.textContent = text;
  }

  var messageForm = $("#message-form");
  if (messageForm) {
    if (!connection) {
      messageForm.hidden = true;
    }
    messageForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var field = $("#message-body", messageForm);
      var body = field.value.trim();
      if (!body || !connection) {
        return;
      }
      var error = $("#message-error", messageForm);
      if (error) {
        error.textContent = "";
      }
      connection.send(body);
      field.value = "";
      field.focus();
    });
  }

  var actionForm = $("#action-form");
  if (actionForm && window.fetch && window.FormData) {
    var unitSelect = $("#action-unit", actionForm);
    var personSelect = $("#action-person", actionForm);
    var errors = $("#action-errors", actionForm);
    function limitPeople() {
      if (!unitSelect || !personSelect) {
        return;
      }
      Array.prototype.forEach.call(personSelect.querySelectorAll("optgroup"), function (group) {
        var mine = group.getAttribute("data-unit") === unitSelect.value;
        group.hidden = !mine;
        group.disabled = !mine;
      });
      var chosen = personSelect.selectedOptions[0];
      if (chosen && chosen.parentNode.disabled) {
        personSelect.value = "";
      }
    }
    if (unitSelect) {
      unitSelect.addEventListener("change", limitPeople);
      limitPeople();
    }
    actionForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = $("#action-submit", actionForm);
      button.setAttribute("aria-disabled", "true");
      errors.hidden = true;
      fetch(actionForm.action, {
        method: "POST",
        credentials: "same-origin",
        headers: { Accept: "application/json" },
        body: new FormData(actionForm)
      })
        .then(function (response) {
          return response.json().then(function (data) {
            if (!response.ok || !data.ok) {
              var text = [];
              Object.keys(data.errors || {}).forEach(function (key) {
                text = text.concat(data.errors[key]);
              });
              throw new Error(text.join(" ") || "Beslutet kunde inte föras in.");
            }
          });
        })
        .then(function () {
          $("#action-text", actionForm).value = "";
          refresh();
        })
        .catch(function (error) {
          errors.textContent = error.message;
          errors.hidden = false;
        })
        .then(function () {
          button.removeAttribute("aria-disabled");
          actionForm.removeAttribute("data-submitting");
        });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll(".use-item"), function (button) {
    button.addEventListener("click", function () {
      var text = $("#action-text");
      if (text) {
        text.value = button.getAttribute("data-text");
        text.focus();
      }
    });
  });
})();
