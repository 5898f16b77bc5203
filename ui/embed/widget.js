/*
 * rag-chat widget: a floating button that opens a chat panel.
 *
 *   <script src="https://bot.example/widget.js" data-title="Ask the handbook" defer></script>
 *
 * data-collection="hr" asks that collection instead of the server's default, if the
 * page's origin may read it (README, "Who can read which collection"); a refusal is
 * shown as the server words it.
 *
 * Self-contained: no external requests but to the server that served this
 * script. Everything lives in a shadow root, so the host page's CSS cannot
 * break the panel and the panel's CSS cannot leak out. All text from the
 * server is inserted with textContent: nothing in a document can run here.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var base = new URL(".", script.src).href;           // works under any path prefix
  var title = script.getAttribute("data-title") || "Ask the documents";
  var collection = script.getAttribute("data-collection") || undefined;  // undefined: not sent
  var token = null, tokenExpires = 0;

  var host = document.createElement("div");
  host.setAttribute("data-rag-widget", "");
  var root = host.attachShadow({ mode: "open" });
  root.innerHTML =
    "<style>" +
    ":host{all:initial}" +
    ".launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:28px;" +
    "padding:14px 18px;background:#0969da;color:#fff;font:600 15px system-ui,sans-serif;cursor:pointer;" +
    "box-shadow:0 4px 14px rgba(0,0,0,.25)}" +
    ".panel{position:fixed;right:20px;bottom:84px;z-index:2147483000;width:min(380px,calc(100vw - 40px));" +
    "height:min(520px,calc(100vh - 120px));display:none;flex-direction:column;background:#fff;color:#1f2328;" +
    "border:1px solid #d0d7de;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.2);font:14px/1.45 system-ui,sans-serif}" +
    ".panel.open{display:flex}" +
    "header{padding:10px 14px;font-weight:700;border-bottom:1px solid #d0d7de;display:flex;justify-content:space-between}" +
    "header button{border:0;background:none;font-size:18px;cursor:pointer}" +
    ".log{flex:1;overflow:auto;padding:10px 14px}" +
    ".q{font-weight:600;margin:10px 0 4px}" +
    ".a{white-space:pre-wrap}" +
    ".abstained{font-style:italic;color:#8a5300}" +
    ".error{color:#b42318}" +
    ".notice{margin:4px 0;padding:4px 6px;border-left:3px solid #bf8700;background:#fff8c5;color:#7d4e00}" +
    "details{margin:4px 0;border-left:3px solid #0969da;padding-left:8px}" +
    "summary{cursor:pointer;color:#0969da}" +
    "blockquote{margin:4px 0;background:#fff8c5;padding:4px 6px}" +
    ".open-source{color:#0969da;font-size:13px}" +
    "form{display:flex;gap:6px;padding:10px;border-top:1px solid #d0d7de}" +
    "input{flex:1;padding:8px;border:1px solid #d0d7de;border-radius:6px;font:inherit}" +
    "form button{padding:8px 12px;border:0;border-radius:6px;background:#0969da;color:#fff;font:inherit;cursor:pointer}" +
    "</style>" +
    "<button class='launcher' type='button' aria-expanded='false'></button>" +
    "<section class='panel' role='dialog'>" +
    "<header><span class='title'></span><button type='button' class='close' aria-label='Close'>×</button></header>" +
    "<div class='log' aria-live='polite'></div>" +
    "<form><input name='q' autocomplete='off' aria-label='Your question' maxlength='2000'>" +
    "<button type='submit'>Ask</button></form></section>";

  var launcher = root.querySelector(".launcher");
  var panel = root.querySelector(".panel");
  var log = root.querySelector(".log");
  var form = root.querySelector("form");
  var input = root.querySelector("input");
  launcher.textContent = title;
  root.querySelector(".title").textContent = title;
  panel.setAttribute("aria-label", title);
  var history = [];

  function toggle(open) {
    panel.classList.toggle("open", open);
    launcher.setAttribute("aria-expanded", String(open));
    if (open) { input.focus(); }
  }
  launcher.addEventListener("click", function () { toggle(!panel.classList.contains("open")); });
  root.querySelector(".close").addEventListener("click", function () { toggle(false); });

  function element(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function getToken() {
    if (token && Date.now() < tokenExpires) { return Promise.resolve(token); }
    return fetch(base + "api/widget-token", { method: "POST", credentials: "omit" })
      .then(function (response) {
        if (!response.ok) { throw new Error("this page is not allowed to use the assistant"); }
        return response.json();
      })
      .then(function (body) {
        token = body.token;
        tokenExpires = Date.now() + (body.expires_in - 30) * 1000;
        return token;
      });
  }

  function place(location) {           // as a reader says it: page 2, slide 3, Leave › Carry over
    if (!location) { return ""; }
    if (location.page) { return "page " + location.page; }
    if (location.slide) { return "slide " + location.slide; }
    return (location.headings || []).join(" › ");
  }

  // A browser following a link sends no credentials, so the server is asked (with the
  // widget's token) for a link that carries a token good for that one file. The tab
  // opens at once, while the click still allows it, and goes there when the link comes.
  function openSource(c, link) {
    var view = window.open("", "_blank");
    if (view) { view.opener = null; }
    getToken().then(function (bearer) {
      return fetch(base + "api/source-link", {
        method: "POST", credentials: "omit",
        headers: { "Content-Type": "application/json", "Authorization": "Bearer " + bearer },
        body: JSON.stringify({ source_id: c.source_id, start: c.start, end: c.end, collection: collection })
      });
    }).then(function (response) {
      if (!response.ok) { throw new Error("refused"); }
      return response.json();
    }).then(function (body) {
      var url = base + body.url;
      if (view) { view.location.href = url; } else { window.open(url, "_blank", "noopener"); }
    }).catch(function () {
      if (view) { view.close(); }
      link.textContent = "The document could not be opened";
    });
  }

  function showCitations(container, citations) {
    citations.forEach(function (c) {
      var details = element("details", "citation");
      var where = place(c.location);
      details.appendChild(element("summary", "", "[" + c.n + "] " + c.source + " › " + c.section +
        (where ? " · " + where : "")));
      details.appendChild(element("blockquote", "", c.quote));
      if (c.also && c.also.length) { details.appendChild(element("p", "also", "Also in " + c.also.join(", "))); }
      if (c.source_id) {
        var link = element("a", "open-source", "Open in the document");
        link.href = "#";
        link.addEventListener("click", function (event) { event.preventDefault(); openSource(c, link); });
        details.appendChild(link);
      }
      container.appendChild(details);
    });
  }

  function stream(question, answer) {
    return getToken().then(function (bearer) {
      return fetch(base + "api/ask/stream", {
        method: "POST", credentials: "omit",
        headers: { "Content-Type": "application/json", "Authorization": "Bearer " + bearer },
        body: JSON.stringify({ question: question, history: history.slice(-10), collection: collection })
      });
    }).then(function (response) {
      if (!response.ok) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          throw new Error(body.detail || ("the assistant answered " + response.status));
        });
      }
      var reader = response.body.getReader();
      var decoder = new TextDecoder();
      var buffer = "", failed = false;
      function handle(block) {
        var event = "message", data = "";
        block.split("\n").forEach(function (line) {
          if (line.indexOf("event:") === 0) { event = line.slice(6).trim(); }
          if (line.indexOf("data:") === 0) { data += line.slice(5).trim(); }
        });
        var payload = data ? JSON.parse(data) : null;
        if (event === "delta" && !failed) { answer.textContent += payload.text; }
        if (event === "error") {           // the answer failed part-way: not an answer
          failed = true;
          answer.className = "a error";
          answer.textContent = "Sorry, the assistant could not finish: " +
            ((payload && payload.detail) || "an error occurred");
        }
        if (event === "done" && !failed) {
          if (payload.notice) {             // e.g. the LLM failed; this is the fallback
            answer.parentNode.insertBefore(element("div", "notice", payload.notice), answer);
          }
          answer.textContent = payload.answer;
          if (payload.abstained) { answer.classList.add("abstained"); }
          showCitations(answer.parentNode, payload.citations);
        }
      }
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) { return; }
          buffer += decoder.decode(chunk.value, { stream: true });
          var blocks = buffer.split("\n\n");
          buffer = blocks.pop();
          blocks.forEach(handle);
          return pump();
        });
      }
      return pump();
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var question = input.value.trim();
    if (!question) { return; }
    input.value = "";
    var turn = element("div", "turn");
    turn.appendChild(element("div", "q", question));
    var answer = element("div", "a", "");
    turn.appendChild(answer);
    log.appendChild(turn);
    stream(question, answer).then(function () {
      history.push(question);
    }).catch(function (error) {
      answer.className = "a error";
      answer.textContent = "Sorry, the assistant could not answer: " +
        (error && error.message && error.message !== "Failed to fetch"
          ? error.message : "it could not be reached from this page (blocked or offline).");
    }).then(function () { log.scrollTop = log.scrollHeight; });
  });

  document.body.appendChild(host);
})();
