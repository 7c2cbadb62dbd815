/*! source: js/tracker.js (make tracker-js) */
/* The readable source of the tracking script: page views and custom events, sent as simple
   requests (no CORS preflight). Nothing is sent under Do Not Track or Global Privacy Control,
   from localhost unless data-allow-localhost is set, or while the page is prerendered. It never
   throws into the host page. A unit test keeps the built file under 1,024 bytes gzipped. */
(function (w, d) {
  "use strict";
  if (w.tracking && w.tracking.on) return; // a second copy of the snippet must not count twice
  var n = navigator, l = location, off = 1, last, endpoint;
  var api = (w.tracking = { event: function () {} }); // callable even when tracking is off

  function send(name, props) {
    try {
      var body = { url: l.href, referrer: d.referrer, width: screen.width };
      if (name) {
        body.event = name;
        body.props = props;
      }
      body = JSON.stringify(body); // a string goes as text/plain: a CORS simple request
      if (n.sendBeacon && n.sendBeacon(endpoint, body)) return;
      w.fetch(endpoint, {
        method: "POST", body: body, keepalive: true, mode: "no-cors", credentials: "omit"
      })["catch"](function () {});
    } catch (e) {}
  }

  // A page view each time the path or query changes: not for a hash, nor the same URL again.
  function page() {
    var path = l.pathname + l.search;
    if (!off && !d.prerendering && path != last) {
      last = path;
      send();
    }
  }

  // The server's limits: at most 10 properties, names up to 40 characters, values up to 200.
  function event(name, props) {
    try {
      var clean = {}, count = 0, key, value;
      for (key in props) {
        value = props[key];
        if (typeof value == "string") value = value.slice(0, 200);
        else if (typeof value != "boolean" && !(typeof value == "number" && isFinite(value)))
          continue; // objects, functions, NaN: not a property value
        if (key.length <= 40 && count++ < 10) clean[key] = value;
      }
      if (!off && name) send(String(name).slice(0, 100), clean);
    } catch (e) {}
  }

  try {
    var script = d.currentScript || d.querySelector("script[data-site]"),
      site = script.getAttribute("data-site"),
      base = script.getAttribute("data-api") || script.src.split("/").slice(0, 3).join("/");
    endpoint = base.replace(/\/+$/, "") + "/sites/" + encodeURIComponent(site) + "/visit";
    off = !site ||
      n.doNotTrack == "1" || w.doNotTrack == "1" || n.globalPrivacyControl === true ||
      (/^(localhost|127\.0\.0\.1|\[::1\])$/.test(l.hostname) &&
        !script.hasAttribute("data-allow-localhost"));
    if (off) return;
    api.on = 1;
    api.event = event;

    ["pushState", "replaceState"].forEach(function (method) {
      var original = history[method];
      history[method] = function () {
        var result = original.apply(this, arguments);
        page();
        return result;
      };
    });
    w.addEventListener("popstate", page);
    d.addEventListener("prerenderingchange", page);
    // Capture phase: a page that stops the click's propagation still gets it counted.
    d.addEventListener("click", function (e) {
      try {
        var el = e.target.closest("[data-tracking-event]"), props = {}, attrs, i;
        if (!el) return;
        for (attrs = el.attributes, i = 0; i < attrs.length; i++)
          if (!attrs[i].name.indexOf("data-tracking-prop-"))
            props[attrs[i].name.slice(19)] = attrs[i].value; // data-tracking-prop-plan: "plan"
        event(el.getAttribute("data-tracking-event"), props);
      } catch (x) {}
    }, true);
    page();
  } catch (e) {}
})(window, document);
