"use strict";
// Kept out of the page: the Content-Security-Policy refuses inline scripts.
// htmx leaves failed requests silent; say so, or a click seems to do nothing.
document.addEventListener("htmx:responseError", function (e) {
  showFlash("The server could not complete that request (HTTP " + e.detail.xhr.status + "). Reload and try again.");
});
document.addEventListener("htmx:sendError", function () {
  showFlash("Could not reach the server. Check the connection and try again.");
});
function showFlash(text) {
  var div = document.createElement("div");
  div.className = "flash flash-error";
  div.setAttribute("role", "alert");
  div.textContent = text;
  document.getElementById("flash").appendChild(div);
}

// A status-page link field selects itself on focus, so staff can copy it at once.
document.addEventListener("focusin", function (e) {
  if (e.target.matches && e.target.matches("input[data-status-url]")) { e.target.select(); }
});
