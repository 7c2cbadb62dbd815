/* The site page's Copy button. A file, not inline: the Content-Security-Policy allows no inline
   script. Clipboard API first; where it is missing or refused, select the text and copy. */
(function () {
  "use strict";
  var button = document.querySelector("[data-copy]");
  if (!button) return;
  var source = document.getElementById(button.getAttribute("data-copy"));
  var status = document.querySelector("[data-copy-status]");
  var timer;

  function report(message) {
    status.textContent = message;
    clearTimeout(timer);
    timer = setTimeout(function () { status.textContent = ""; }, 4000);
  }

  function copyBySelecting() {
    source.focus();
    source.select();
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (e) {}
    report(copied ? "Copied" : "Press Ctrl+C (or \u2318C) to copy the selected code");
  }

  button.addEventListener("click", function () {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(source.value).then(function () {
        report("Copied");
      }, copyBySelecting);
    } else {
      copyBySelecting();
    }
  });
  button.parentNode.hidden = false;
})();
