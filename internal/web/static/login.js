// A sign-in link carries the token after "#token=": the fragment never
// reaches the server or its logs. Fill the form, drop the fragment, submit.
"use strict";
(function () {
  function fromHash() {
    const m = /^#token=([^&]+)/.exec(location.hash);
    const form = document.getElementById("login-form");
    const field = document.getElementById("credential");
    if (!m || !form || !field) return;
    field.value = decodeURIComponent(m[1]);
    history.replaceState(null, "", location.pathname + location.search);
    form.submit();
  }
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();
